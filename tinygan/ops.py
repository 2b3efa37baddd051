"""Pure forward/backward pairs: the building blocks of every network in tinygan.

Each op is two functions written side by side:

    forward(x, ...)      -> (y, cache)       cache holds what backward needs
    backward(dy, cache)  -> gradient(s)      dy is dLoss/dy, never written into

There is no hidden state between the two calls, so the same op can be run on a real and a
fake batch independently, and a backward pass can itself be differentiated again (the
gradient penalties in `penalties.py` do exactly that).

Every activation caches only its output y, because each derivative here can be written in
terms of y alone (relu: [y > 0]; tanh: 1 - y^2; sigmoid: y (1 - y); softplus: 1 - exp(-y)).
"""

import numpy as np


# ----------------------------------------------------------------------------- linear

def linear_forward(x, W, b):
    """Affine map y = x @ W + b.

    Shapes: x (N, D_in), W (D_in, D_out), b (D_out,) -> y (N, D_out).
    """
    y = x @ W + b
    return y, (x, W)


def linear_backward(dy, cache, need_dx=True, need_params=True):
    """Gradients of y = x @ W + b.

    dx = dy @ W^T,  dW = x^T @ dy,  db = sum_n dy[n].
    Shapes: dy (N, D_out) -> dx (N, D_in), {"W": (D_in, D_out), "b": (D_out,)}.
    `need_dx=False` skips dx (a network's first layer); `need_params=False` skips dW, db
    (the generator step only needs D's input gradient, never D's own).
    """
    x, W = cache
    dx = dy @ W.T if need_dx else None
    grads = {"W": x.T @ dy, "b": dy.sum(axis=0)} if need_params else {}
    return dx, grads


# ----------------------------------------------------------------------------- activations
#
# An activation y = f(x) is applied elementwise. Its backward is dx = dy * f'(x), and every
# f' below is written in terms of the output y, so the cache is y alone. The second
# derivative f''(x), also in terms of y, is what double backprop (gradient penalties) needs.

def sigmoid(x):
    """sigma(x) = 1 / (1 + exp(-x)), finite and warning-free for x of any size.

    Written as exp(-softplus(-x)) = exp(-log(1 + exp(-x))): np.logaddexp never overflows,
    and exp of a large negative number underflows quietly to 0.
    """
    return np.exp(-np.logaddexp(0.0, -x))


def softplus(x):
    """softplus(x) = log(1 + exp(x)), finite for x of any size."""
    return np.logaddexp(0.0, x)


def identity_forward(x):
    """y = x (the "none" output activation, e.g. a discriminator's logit)."""
    y = x.copy()
    return y, y


def identity_backward(dy, y):
    """dx = dy."""
    return dy.copy()


def relu_forward(x):
    """y = max(x, 0)."""
    y = np.maximum(x, 0)
    return y, y


def relu_backward(dy, y):
    """dx = dy * [y > 0]."""
    return dy * (y > 0)


def leaky_relu_forward(x, slope=0.2):
    """y = x if x > 0 else slope * x; for 0 <= slope < 1 that is max(x, slope * x)."""
    y = np.maximum(x, slope * x)
    return y, y


def leaky_relu_backward(dy, y, slope=0.2):
    """dx = dy if y > 0 else slope * dy (y has the sign of x)."""
    return dy * np.maximum((y > 0).astype(dy.dtype), slope)     # f'(x) = 1 where y > 0, else slope


def tanh_forward(x):
    """y = tanh(x)."""
    y = np.tanh(x)
    return y, y


def tanh_backward(dy, y):
    """dx = dy * (1 - y^2)."""
    return dy * (1.0 - y * y)


def sigmoid_forward(x):
    """y = sigma(x)."""
    y = sigmoid(x)
    return y, y


def sigmoid_backward(dy, y):
    """dx = dy * y (1 - y)."""
    return dy * (y * (1.0 - y))


def softplus_forward(x):
    """y = log(1 + exp(x)), a smooth ReLU."""
    y = softplus(x)
    return y, y


def softplus_backward(dy, y):
    """dx = dy * sigma(x) = dy * (1 - exp(-y)), since exp(-y) = 1 - sigma(x)."""
    return dy * -np.expm1(-y)


class Activation:
    """An elementwise activation by name: forward/backward plus f' and f'' in terms of y.

    >>> act = Activation("leaky_relu", slope=0.2)
    >>> y, cache = act.forward(x);  dx = act.backward(dy, cache)
    """

    NAMES = ("identity", "relu", "leaky_relu", "tanh", "sigmoid", "softplus")

    def __init__(self, name, slope=0.2):
        if name in (None, "none", "linear"):
            name = "identity"
        if name not in self.NAMES:
            raise ValueError(f"unknown activation {name!r}; allowed: {', '.join(self.NAMES)}")
        if name == "leaky_relu" and not 0.0 <= slope < 1.0:
            raise ValueError(f"leaky_relu slope must be in [0, 1), got {slope}")
        self.name, self.slope = name, float(slope)
        if name == "leaky_relu":
            self._fwd = lambda x: leaky_relu_forward(x, self.slope)
            self._bwd = lambda dy, y: leaky_relu_backward(dy, y, self.slope)
        else:
            self._fwd = globals()[name + "_forward"]
            self._bwd = globals()[name + "_backward"]

    def __repr__(self):
        extra = f", slope={self.slope}" if self.name == "leaky_relu" else ""
        return f"Activation({self.name!r}{extra})"

    def forward(self, x):
        """y = f(x) -> (y, cache); the cache is y."""
        return self._fwd(x)

    def backward(self, dy, y):
        """dx = dy * f'(x)."""
        return self._bwd(dy, y)

    def derivative(self, y):
        """f'(x) as a function of y = f(x)."""
        one = np.ones_like(y)
        return self._bwd(one, y)

    def second_derivative(self, y):
        """f''(x) as a function of y = f(x); 0 for the piecewise-linear ones.

        tanh: -2 y (1 - y^2);  sigmoid: y (1 - y)(1 - 2y);  softplus: s (1 - s), s = 1 - e^-y.
        """
        if self.name == "tanh":
            return -2.0 * y * (1.0 - y * y)
        if self.name == "sigmoid":
            return y * (1.0 - y) * (1.0 - 2.0 * y)
        if self.name == "softplus":
            s = -np.expm1(-y)
            return s * (1.0 - s)
        return np.zeros_like(y)
