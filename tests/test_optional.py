"""Optional test dependencies skip on a developer's machine and fail under CI."""
import pytest
from optional import require, require_program


def test_missing_module_skips_locally(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="dezero_no_such_module is not installed"):
        require("dezero_no_such_module")


def test_missing_module_and_program_fail_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must install it"):
        require("dezero_no_such_module")
    with pytest.raises(pytest.fail.Exception, match="no-such-program-here"):
        require_program("no-such-program-here", "apt-get install nothing")


def test_present_module_is_returned():
    assert require("numpy").__name__ == "numpy"
