"""Fixtures shared by several test modules."""
import pytest
from device_checks import StandInDevice
from optional import require_program

from dezero import cuda


@pytest.fixture
def dot_program():
    """Path of Graphviz's dot; a missing dot skips locally but fails in CI (CI set)."""
    return require_program("dot", "apt-get install graphviz")


@pytest.fixture
def device(monkeypatch: pytest.MonkeyPatch) -> StandInDevice:
    """A stand-in for CuPy on the CPU (tests/device_checks.py) installed as dezero.cuda.cp,
    with gpu_enable True, for one test."""
    module = StandInDevice()
    monkeypatch.setattr(cuda, "cp", module)
    monkeypatch.setattr(cuda, "gpu_enable", True)
    return module
