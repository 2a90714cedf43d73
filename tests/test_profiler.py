"""dezero.profile: per-Function table, stats and the Chrome trace."""
from __future__ import annotations

import json
import threading

import numpy as np
import pytest

import dezero
import dezero.functions as F
from dezero import Variable, _function, profile


def _work():
    """Forward: 2 Mul, 1 MulConst, 2 Sin, 1 Sum; backward: one of each.  ``y`` is used twice,
    so the traversal adds its two gradients (an Add at the top level)."""
    x = Variable(np.linspace(0.1, 1.0, 5))
    y = F.sin(x * x) * 2.0
    z = (F.sin(y) * y).sum()
    z.backward()
    return x


def test_stats_count_user_calls_and_backward_calls_per_function():
    with profile() as prof:
        _work()
    stats = {s.name: s for s in prof.stats()}
    assert {n: s.calls for n, s in stats.items()} == {
        "Mul": 2, "MulConst": 1, "Sin": 2, "Sum": 1, "Add": 1}
    # Mul's backward runs Muls inside it, Sin's a Cos: counted in their backward time, not
    # as calls of their own.
    assert {n: s.backward_calls for n, s in stats.items()} == {
        "Mul": 2, "MulConst": 1, "Sin": 2, "Sum": 1, "Add": 0}
    assert all(s.forward_s > 0 for s in stats.values())
    assert all(s.backward_s > 0 for s in stats.values() if s.name != "Add")
    totals = [s.total_s for s in prof.stats()]
    assert totals == sorted(totals, reverse=True)


def test_table_lists_every_function_sorted_by_total_time():
    with profile() as prof:
        _work()
    text = prof.table()
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["Function", "calls", "forward"]
    assert "backward ms" in lines[0] and "µs/call" in lines[0]
    names = [line.split()[0] for line in lines[2:-1]]
    assert names == [s.name for s in prof.stats()]
    assert lines[-1].split()[:2] == ["total", "7"]
    limited = prof.table(limit=1).splitlines()
    assert len(limited) == 5 and "4 more Function types" in limited[3]


def test_trace_is_chrome_complete_events_with_nesting(tmp_path):
    path = tmp_path / "out.json"
    with profile(trace=path) as prof:
        x = Variable(np.array([0.5, 1.5]))
        F.forget(lambda t: F.exp(t) * t, x).sum().backward()
    data = json.loads(path.read_text())
    events = data["traceEvents"]
    assert events and all(e["ph"] == "X" for e in events)
    assert all(e["ts"] >= 0 and e["dur"] >= 0 for e in events)
    forward = {e["name"] for e in events if e["cat"] == "forward"}
    assert {"Forget", "Exp", "Mul", "Sum"} <= forward
    outer = next(e for e in events if e["name"] == "Forget" and e["cat"] == "forward")
    inner = [e for e in events if e["name"] == "Exp" and e["args"]["depth"] == 1]
    assert inner and all(outer["ts"] <= e["ts"] <= outer["ts"] + outer["dur"] + 1e-3
                         for e in inner[:1])
    # The table counts the user's calls only: the inner Exp and Mul ran inside Forget.
    assert {s.name for s in prof.stats()} == {"Forget", "Sum"}
    assert data == prof.trace_events()


def test_only_this_thread_and_only_inside_the_block_is_timed():
    x = Variable(np.array(1.0))

    def other():
        for _ in range(5):
            F.exp(x)

    with profile() as prof:
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        F.sin(x)
    F.cos(x)
    assert [(s.name, s.calls) for s in prof.stats()] == [("Sin", 1)]
    assert _function._mode_forward is None


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own warning about log(-1)
def test_nested_profiles_and_anomaly_mode_together():
    with profile() as outer:
        F.sin(Variable(np.array(1.0)))
        with dezero.detect_anomaly(), profile() as inner:
            F.cos(Variable(np.array(1.0)))
            with pytest.raises(dezero.AnomalyError):
                F.log(Variable(np.array(-1.0)))
    assert {s.name for s in inner.stats()} == {"Cos", "Log"}  # the failed Log is timed too
    assert {s.name for s in outer.stats()} == {"Sin", "Cos", "Log"}


def test_empty_profile_has_an_empty_table():
    with profile() as prof:
        pass
    assert prof.stats() == []
    assert prof.table().splitlines()[-1].split() == ["total", "0", "0.000", "0", "0.000",
                                                     "0.000"]
