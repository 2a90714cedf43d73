"""Fixtures shared by several test modules."""
import os
import shutil

import pytest


@pytest.fixture
def dot_program():
    """Path of Graphviz's dot; a missing dot skips locally but fails in CI (CI set)."""
    path = shutil.which("dot")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Graphviz's dot is not installed in CI; install it (apt-get install graphviz)")
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")
    return path
