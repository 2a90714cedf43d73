"""dezero: a define-by-run automatic-differentiation framework on NumPy."""
from dezero._config import Config, no_grad, test_mode, using_config
from dezero.core import Function, Parameter, Variable, as_array, as_variable, setup_variable

from dezero import cuda, functions, utils  # noqa: E402  (submodules of the public API)
from dezero import functions_conv, layers, models, optimizers  # noqa: E402
from dezero import dataloaders, datasets, func, transforms  # noqa: E402
from dezero.anomaly import AnomalyError, detect_anomaly  # noqa: E402
from dezero.profiler import profile  # noqa: E402
from dezero._trace import TracerWarning, trace  # noqa: E402
from dezero import onnx  # noqa: E402  (imports the onnx package only when exporting)
from dezero.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from dezero.dataloaders import DataLoader, SeqDataLoader  # noqa: E402
from dezero.datasets import Dataset  # noqa: E402
from dezero.layers import Layer  # noqa: E402
from dezero.models import Model  # noqa: E402

__version__ = "0.1.0"
is_simple_core = False
"""Always False: read by the book's steps 23-32; this package has one core."""
