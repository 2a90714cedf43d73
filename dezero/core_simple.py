"""The names the book's steps 23-32 import from ``dezero.core_simple``: the one real core's."""
from dezero._config import Config, no_grad, using_config
from dezero.core import Function, Variable, as_array, as_variable, setup_variable
