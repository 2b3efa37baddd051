"""tinygan: a GAN library written from scratch in NumPy, to learn from by reading and running.

The engine, each piece in its own short module:

    ops        pure forward/backward pairs (linear, relu, leaky_relu, tanh, sigmoid, softplus)
    mlp        MLP: forward(x) -> (y, cache); backward(dy, cache) -> (dx, grads)
    losses     GAN loss families by name: minimax, nonsaturating, wasserstein, least_squares, hinge
    optim      SGD (momentum), Adam, RMSProp
    gradcheck  finite differences and rel_error
"""

__version__ = "0.1.0"

from tinygan.gradcheck import (  # noqa: E402
    numerical_gradient, numerical_gradient_array, random_direction_check, rel_error,
)
from tinygan.losses import LOSSES, get_loss  # noqa: E402
from tinygan.mlp import MLP  # noqa: E402
from tinygan.ops import Activation, sigmoid, softplus  # noqa: E402
from tinygan.optim import OPTIMIZERS, SGD, Adam, RMSProp, get_optimizer  # noqa: E402

__all__ = [
    "MLP", "Activation", "sigmoid", "softplus",
    "LOSSES", "get_loss",
    "OPTIMIZERS", "SGD", "Adam", "RMSProp", "get_optimizer",
    "numerical_gradient", "numerical_gradient_array", "random_direction_check", "rel_error",
]
