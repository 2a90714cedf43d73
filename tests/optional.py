"""Optional test dependencies: skipped on a developer's machine, mandatory in CI.

CI (``CI`` set, as ``.ci/run`` does) installs every extra the tests use, so a
missing one there is a broken install step, not a reason to skip: it fails.
"""
from __future__ import annotations

import importlib
import os
import shutil
import types
from typing import NoReturn

import pytest


def unavailable(message: str) -> NoReturn:
    """Fail under CI, skip elsewhere, saying what is missing and how to install it."""
    if os.environ.get("CI"):
        pytest.fail(f"{message} -- CI must install it (optional test dependencies are "
                    "mandatory when CI is set)")
    pytest.skip(message, allow_module_level=True)  # also from a module's top level


def require(module: str, install: str = "pip install -e '.[test,all,docs]'") -> types.ModuleType:
    """Import ``module`` (a package the tests use but dezero does not need), or skip/fail."""
    try:
        return importlib.import_module(module)
    except ImportError:
        unavailable(f"{module} is not installed ({install})")


def require_program(name: str, install: str) -> str:
    """The path of the program ``name`` on PATH, or skip/fail."""
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name} is not installed ({install})")
    return path
