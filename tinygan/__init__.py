"""tinygan: a GAN library written from scratch in NumPy, to learn from by reading and running.

The front door: everything a first program needs is importable from here.

    from tinygan import Trainer, Config
    trainer = Trainer(Config(data="ring", steps=2000))
    trainer.train()

The engine, what a learner reads, is the top level; around it, one folder per kind of work.
Who may import whom (tests/test_layout.py reads every import statement and enforces it):

    the engine   ops, mlp, losses, optim, penalties, double_backprop,    imports the engine only
                 steps, hvp, unrolled, config, gan (the Trainer),
                 metrics, gradcheck, checks; data/ (data sets by name)
    plots/       drawing only: arrays in, figures out                    plots only
    questions/   the six demos, their experiments, the tour's report     engine, plots, questions
    exercises/   the ten exercises' templates and their checker          engine, questions, exercises
    app/         the `tinygan` command, run folders, checkpoints         anything
"""

__version__ = "0.1.0"

from tinygan.config import Config, lr_factor, presets  # noqa: E402
from tinygan.data import DATASETS, get_dataset  # noqa: E402
from tinygan.gan import DivergenceError, Trainer  # noqa: E402
from tinygan.steps import d_gradients, g_gradients  # noqa: E402
from tinygan.unrolled import unrolled_g_gradients  # noqa: E402
from tinygan.gradcheck import numerical_gradient, numerical_gradient_array, random_direction_check, rel_error  # noqa: E402,E501
from tinygan.losses import LOSSES, get_loss  # noqa: E402
from tinygan.metrics import evaluate_samples, mode_coverage, sliced_wasserstein  # noqa: E402
from tinygan.mlp import MLP  # noqa: E402
from tinygan.ops import Activation, sigmoid, softplus  # noqa: E402
from tinygan.optim import OPTIMIZERS, SGD, Adam, RMSProp, get_optimizer  # noqa: E402

__all__ = [
    "Trainer", "Config", "presets", "lr_factor", "DivergenceError", "d_gradients", "g_gradients", "unrolled_g_gradients",
    "DATASETS", "get_dataset",
    "MLP", "Activation", "sigmoid", "softplus",
    "LOSSES", "get_loss",
    "OPTIMIZERS", "SGD", "Adam", "RMSProp", "get_optimizer",
    "evaluate_samples", "mode_coverage", "sliced_wasserstein",
    "numerical_gradient", "numerical_gradient_array", "random_direction_check", "rel_error",
]
