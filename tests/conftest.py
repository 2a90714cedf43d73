"""Fixtures shared by several test modules."""
import pytest
from optional import require_program


@pytest.fixture
def dot_program():
    """Path of Graphviz's dot; a missing dot skips locally but fails in CI (CI set)."""
    return require_program("dot", "apt-get install graphviz")
