"""Learning-rate schedulers and every optimizer's ``base_lr``: PyTorch's formulas, composition,
state round trips, argument checks."""
from __future__ import annotations

import math

import numpy as np
import pytest

import dezero.layers as L
from dezero import Parameter, Variable, optimizers
from dezero.optimizers import schedulers as S


def _rates(scheduler, steps):
    """The optimizer's base_lr at step 0 (after creation) and after each of ``steps`` steps."""
    rates = [scheduler.optimizer.base_lr]
    for _ in range(steps):
        scheduler.step()
        rates.append(scheduler.optimizer.base_lr)
        assert scheduler.get_lr() == scheduler.optimizer.base_lr
    return rates


# ----- base_lr --------------------------------------------------------------------------------
@pytest.mark.parametrize("make, attribute", [
    (lambda: optimizers.SGD(0.1), "lr"), (lambda: optimizers.MomentumSGD(0.1), "lr"),
    (lambda: optimizers.AdaGrad(0.1), "lr"), (lambda: optimizers.AdaDelta(lr=0.1), "lr"),
    (lambda: optimizers.Adam(0.1), "alpha"), (lambda: optimizers.AdamW(0.1), "alpha")])
def test_base_lr_reads_and_writes_the_rate_attribute(make, attribute):
    opt = make()
    assert opt.base_lr == getattr(opt, attribute) == 0.1
    opt.base_lr = 0.25
    assert getattr(opt, attribute) == 0.25
    with pytest.raises(ValueError, match=rf"{type(opt).__name__}: Invalid learning rate: "
                                         rf"{attribute}=-1"):
        opt.base_lr = -1
    assert opt.base_lr == 0.25


def test_adam_lr_keeps_its_meaning_the_bias_corrected_rate():
    model = L.Linear(2, in_size=3)
    opt = optimizers.Adam(alpha=0.01).setup(model)
    scheduler = S.StepLR(opt, step_size=1, gamma=0.5)
    for t in (1, 2):
        for p in model.params():
            p.grad = Variable(np.ones_like(p.data))
        opt.update()
        assert opt.t == t
        assert opt.lr == opt.alpha * math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        scheduler.step()
    assert opt.alpha == 0.01 * 0.25


def _adadelta_run(lr, dtype=np.float32):
    np.random.seed(0)
    p = Parameter(np.random.randn(3).astype(dtype))
    opt = optimizers.AdaDelta() if lr is None else optimizers.AdaDelta(lr=lr)
    holder = L.Layer()
    holder.p = p
    opt.setup(holder)
    history = []
    for step in range(3):
        p.grad = Variable(np.array([1.0, -2.0, 0.5], dtype) * (step + 1))
        before = p.data.copy()
        opt.update()
        history.append(before - p.data)
    return history


def test_adadelta_lr_1_is_dezeros_adadelta_bit_for_bit():
    # DeZero's AdaDelta, written out: no rate.
    np.random.seed(0)
    data = np.random.randn(3).astype(np.float32)
    msg, msdx = np.zeros_like(data), np.zeros_like(data)
    expected = []
    for step in range(3):
        grad = np.array([1.0, -2.0, 0.5], np.float32) * (step + 1)
        msg *= 0.95
        msg += (1 - 0.95) * grad * grad
        dx = np.sqrt((msdx + 1e-6) / (msg + 1e-6)) * grad
        msdx *= 0.95
        msdx += (1 - 0.95) * dx * dx
        before = data.copy()
        data -= dx
        expected.append(before - data)
    for got, want in zip(_adadelta_run(None), expected):
        assert got.tobytes() == want.tobytes()
    assert optimizers.AdaDelta().base_lr == 1.0


def test_adadelta_lr_scales_the_step_only():
    full, half = _adadelta_run(1.0, np.float64), _adadelta_run(0.5, np.float64)
    # The first step starts from the same parameters and state: half as large.
    np.testing.assert_allclose(half[0], 0.5 * full[0], rtol=1e-12)
    assert not np.allclose(half[0], full[0])


# ----- the formulas (PyTorch's), hand-computed ----------------------------------------------------
def test_step_lr_follows_pytorch():
    opt = optimizers.SGD(lr=1.0)
    assert _rates(S.StepLR(opt, step_size=3, gamma=0.5), 8) == \
        [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    opt = optimizers.SGD(lr=0.1)
    rates = _rates(S.StepLR(opt, step_size=2), 5)  # gamma defaults to 0.1
    assert rates == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001], rel=1e-15)


def test_cosine_annealing_follows_pytorch_closed_form():
    opt = optimizers.Adam(alpha=0.1)
    rates = _rates(S.CosineAnnealingLR(opt, T_max=4, eta_min=0.001), 8)
    # eta_min + (0.1 - eta_min)(1 + cos(pi n / 4)) / 2, by hand: cos(pi/4) = 0.70710678...
    expected = [0.1, 0.0855017856687341, 0.0505, 0.0154982143312659, 0.001,
                0.0154982143312659, 0.0505, 0.0855017856687341, 0.1]
    assert rates == pytest.approx(expected, rel=1e-13)
    assert opt.alpha == rates[-1]
    opt = optimizers.SGD(lr=1.0)
    assert _rates(S.CosineAnnealingLR(opt, T_max=2), 2) == pytest.approx([1.0, 0.5, 0.0],
                                                                          abs=1e-16)


def test_linear_warmup_alone_ramps_then_holds():
    opt = optimizers.SGD(lr=0.1)
    rates = _rates(S.LinearWarmup(opt, warmup_steps=4), 6)
    assert rates == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1, 0.1], rel=1e-15)
    assert rates[3:] == [0.1] * 4  # exactly the base rate once warmed up


def test_linear_warmup_hands_over_to_after_from_its_start():
    opt = optimizers.SGD(lr=0.1)
    after = S.StepLR(opt, step_size=2, gamma=0.5)
    warmup = S.LinearWarmup(opt, 4, after=after)
    rates = _rates(warmup, 8)
    assert rates == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025],
                                  rel=1e-15)
    assert after.last_epoch == 4 and warmup.last_epoch == 8
    opt = optimizers.Adam(alpha=1.0)
    rates = _rates(S.LinearWarmup(opt, 2, after=S.CosineAnnealingLR(opt, T_max=2)), 4)
    assert rates == pytest.approx([0.5, 1.0, 1.0, 0.5, 0.0], abs=1e-16)


def test_warmup_of_a_warmup_composes():
    opt = optimizers.SGD(lr=1.0)
    inner = S.LinearWarmup(opt, 2, after=S.StepLR(opt, 1, gamma=0.5))
    rates = _rates(S.LinearWarmup(opt, 2, after=inner), 6)
    assert rates == pytest.approx([0.5, 1.0, 0.5, 1.0, 1.0, 0.5, 0.25])


# ----- state ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda opt: S.StepLR(opt, 3, gamma=0.5),
    lambda opt: S.CosineAnnealingLR(opt, 7, eta_min=0.01),
    lambda opt: S.LinearWarmup(opt, 3),
    lambda opt: S.LinearWarmup(opt, 3, after=S.CosineAnnealingLR(opt, 5))])
def test_state_dict_round_trip_continues_the_schedule(make):
    opt = optimizers.Adam(alpha=0.1)
    scheduler = make(opt)
    first = _rates(scheduler, 4)
    state = scheduler.state_dict()
    rest = _rates(scheduler, 6)[1:]
    fresh_opt = optimizers.Adam(alpha=0.1)
    fresh = make(fresh_opt)
    assert fresh_opt.base_lr == first[0]
    fresh.load_state_dict(state)
    assert fresh.last_epoch == 4 and fresh.get_lr() == first[-1]
    assert _rates(fresh, 6)[1:] == rest  # bit for bit
    for value in state.values():
        assert isinstance(value, (int, float, dict))


def test_load_state_dict_refuses_another_kind_and_changes_nothing():
    opt = optimizers.SGD(lr=0.1)
    step = S.StepLR(opt, 2)
    cosine_state = S.CosineAnnealingLR(optimizers.SGD(0.1), 4).state_dict()
    with pytest.raises(ValueError, match=r"StepLR.load_state_dict: the state does not match "
                                         r"\(missing: \['step_size', 'gamma'\]"):
        step.load_state_dict(cosine_state)
    bad = dict(step.state_dict(), step_size=0, last_epoch=9)
    with pytest.raises(ValueError, match=r"StepLR.load_state_dict: step_size must be positive"):
        step.load_state_dict(bad)
    assert step.last_epoch == 0 and step.step_size == 2
    warmup = S.LinearWarmup(opt, 2)
    with pytest.raises(ValueError, match=r"LinearWarmup.load_state_dict: the state was saved "
                                         r"with a scheduler after the warm-up"):
        warmup.load_state_dict(S.LinearWarmup(opt, 2, after=S.StepLR(opt, 1)).state_dict())
    with pytest.raises(TypeError, match=r"StepLR.load_state_dict: the state must be a dict"):
        step.load_state_dict([1, 2])


# ----- arguments -----------------------------------------------------------------------------------
@pytest.mark.parametrize("make, error, words", [
    (lambda o: S.StepLR(o, 0), ValueError, ["StepLR", "step_size", "positive"]),
    (lambda o: S.StepLR(o, 2.5), TypeError, ["StepLR", "step_size", "2.5"]),
    (lambda o: S.StepLR(o, 2, gamma=-0.1), ValueError, ["StepLR", "gamma=-0.1"]),
    (lambda o: S.StepLR(o, 2, gamma="0.1"), TypeError, ["StepLR", "gamma", "'0.1'"]),
    (lambda o: S.CosineAnnealingLR(o, 0), ValueError, ["CosineAnnealingLR", "T_max"]),
    (lambda o: S.CosineAnnealingLR(o, 5, eta_min=float("nan")), ValueError,
     ["CosineAnnealingLR", "eta_min=nan"]),
    (lambda o: S.LinearWarmup(o, -1), ValueError, ["LinearWarmup", "warmup_steps"]),
    (lambda o: S.LinearWarmup(o, 2, after=3), TypeError, ["LinearWarmup", "after", "3 (int)"]),
    (lambda o: S.LinearWarmup(o, 2, after=S.StepLR(optimizers.SGD(), 1)), ValueError,
     ["LinearWarmup", "another optimizer"]),
    (lambda o: S.StepLR("sgd", 2), TypeError, ["StepLR", "optimizer", "'sgd' (str)"]),
])
def test_bad_arguments_are_refused(make, error, words):
    opt = optimizers.SGD(lr=0.1)
    with pytest.raises(error) as info:
        make(opt)
    for word in words:
        assert word in str(info.value), (word, str(info.value))
    assert opt.lr == 0.1
