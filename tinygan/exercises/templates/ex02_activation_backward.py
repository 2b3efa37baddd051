"""Exercise 2: the backward passes of the activations, written with their output alone.

Learning goal: the chain rule through an elementwise function, dx = dy * f'(x); why the
output y = f(x) is all the cache needs; and why a backward pass must never write into dy.

The forward passes are tinygan's own (imported below, try them): each returns (y, cache) with
cache = y. For every activation here, f'(x) can be written using y instead of x:

    relu:        y = max(x, 0)
    leaky_relu:  y = x if x > 0 else slope * x      (0 <= slope < 1: y > 0 exactly when x > 0)
    tanh:        y = tanh(x),                   tanh'(x) = 1 - tanh(x)^2
    sigmoid:     y = sigma(x) = 1/(1 + e^-x),   sigma'(x) = sigma(x) (1 - sigma(x))

So for each one: write f'(x) as an expression in y, then return dy * f'(x), elementwise.
(At x = 0 relu has a kink; use 0 there. The checker keeps its inputs away from the kink.)

Why not write into dy? The caller still owns dy. The tempting shortcut

    dy[y <= 0] = 0      # DON'T: this edits the caller's array
    return dy

silently changes a gradient someone else is about to use (in a GAN, the same upstream
gradient is often used twice). Build a new array instead.

Check your work:  tinygan exercise check 2     (or: pytest exercises/ -k ex02)
"""

import numpy as np  # noqa: F401  (you will need it)

from tinygan.ops import leaky_relu_forward, relu_forward, sigmoid_forward, tanh_forward  # noqa: F401


def relu_backward(dy, y):
    """dx = dy * relu'(x), with y = relu(x) from the forward pass.

    dy, y: (N, D) -> dx: (N, D), a new array; dy and y are not modified.
    """
    # TODO: write relu'(x) in terms of y.
    raise NotImplementedError


def leaky_relu_backward(dy, y, slope=0.2):
    """dx = dy * leaky_relu'(x), with y = leaky_relu(x); leaky_relu'(x) = 1 for x > 0, slope else.

    dy, y: (N, D) -> dx: (N, D), a new array; dy and y are not modified.
    """
    # TODO: the derivative is 1 or slope; decide which from the sign of y.
    raise NotImplementedError


def tanh_backward(dy, y):
    """dx = dy * tanh'(x), with y = tanh(x).

    dy, y: (N, D) -> dx: (N, D), a new array; dy and y are not modified.
    """
    # TODO: y is already tanh(x).
    raise NotImplementedError


def sigmoid_backward(dy, y):
    """dx = dy * sigma'(x), with y = sigma(x).

    dy, y: (N, D) -> dx: (N, D), a new array; dy and y are not modified.
    """
    # TODO: y is already sigma(x).
    raise NotImplementedError
