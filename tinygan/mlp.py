"""A multilayer perceptron with hand-written backprop: the generator and the discriminator.

    h_0 = x
    h_l = act(h_{l-1} @ W_l + b_l)      for the hidden layers l = 1 .. L-1
    y   = out(h_{L-1} @ W_L + b_L)      out: none (a logit or a critic score), tanh, sigmoid

Parameters live in a dict of arrays {"W1", "b1", ..., "WL", "bL"}; gradients come back in a
dict with the same keys. `forward` returns (y, cache) and `backward(dy, cache)` returns
(dx, grads), where dx = dLoss/dx is the gradient with respect to the input. The generator
learns only through the discriminator's dx.
"""

import numpy as np

from tinygan.ops import Activation, linear_backward, linear_forward

INITS = ("he", "glorot")
OUTPUTS = ("none", "tanh", "sigmoid")
DTYPES = (np.float32, np.float64)


def _as_rng(seed):
    """A numpy.random.Generator from a seed, or the Generator itself if one is given."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def init_weight(fan_in, fan_out, init, rng, dtype):
    """A (fan_in, fan_out) weight matrix.

    he:     W ~ N(0, 2 / fan_in)                       (He et al. 2015, for ReLU-like nets)
    glorot: W ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out))   (Glorot & Bengio 2010)
    """
    if init == "he":
        return (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(dtype)
    if init == "glorot":
        a = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-a, a, size=(fan_in, fan_out)).astype(dtype)
    raise ValueError(f"unknown init {init!r}; allowed: {', '.join(INITS)}")


class MLP:
    """A fully connected network with manual forward and backward passes.

    sizes:   layer widths, input first, e.g. (2, 128, 128, 1): 3 linear layers.
    hidden:  hidden activation: relu, leaky_relu, tanh, sigmoid, softplus, identity.
    output:  output activation: none, tanh or sigmoid.
    init:    "he" or "glorot"; default "he" for relu-like hidden layers, else "glorot".
    seed:    an int seed or a numpy.random.Generator (weights are drawn from it).
    dtype:   np.float32 (speed) or np.float64 (gradient checks).
    slope:   the negative slope of leaky_relu.
    """

    def __init__(self, sizes, hidden="relu", output="none", init=None, seed=0,
                 dtype=np.float64, slope=0.2):
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must be at least (inputs, outputs), all >= 1; got {sizes}")
        self.dtype = np.dtype(dtype)
        if self.dtype.type not in DTYPES:
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        if output is not None and output not in OUTPUTS:
            raise ValueError(f"unknown output activation {output!r}; allowed: {', '.join(OUTPUTS)}")
        self.sizes = sizes
        self.hidden = Activation(hidden, slope)
        self.output = Activation(output)
        self.init = init or ("he" if self.hidden.name in ("relu", "leaky_relu") else "glorot")
        rng = _as_rng(seed)
        self.n_layers = len(sizes) - 1  # number of linear layers L
        self.layer_keys = [(f"W{l}", f"b{l}") for l in range(1, self.n_layers + 1)]  # names per layer
        self.params = {}
        for (W, b), fan_in, fan_out in zip(self.layer_keys, sizes[:-1], sizes[1:]):
            self.params[W] = init_weight(fan_in, fan_out, self.init, rng, self.dtype)
            self.params[b] = np.zeros(fan_out, dtype=self.dtype)  # biases start at 0

    def __repr__(self):
        return (f"MLP(sizes={self.sizes}, hidden={self.hidden.name!r}, "
                f"output={self.output.name!r}, dtype={self.dtype.name})")

    def _check_input(self, x, what, width):
        if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != width:
            got = getattr(x, "shape", type(x).__name__)
            raise ValueError(f"{what} must have shape (N, {width}), got {got}")
        if x.dtype != self.dtype:
            raise TypeError(f"{what} has dtype {x.dtype} but this MLP is {self.dtype.name}; "
                            f"convert it with .astype(np.{self.dtype.name})")

    def activation(self, l):
        """The activation of linear layer l (1 .. L): the hidden one, or the output's for l = L."""
        return self.hidden if l < self.n_layers else self.output

    def forward(self, x, params=None):
        """y = MLP(x) -> (y, cache).

        x (N, sizes[0]) -> y (N, sizes[-1]). `params` overrides self.params (a copy of D
        advanced a few steps, a perturbed set for finite differences).
        The cache is (params, [h_0, h_1, ..., h_L]): each layer's input and the output.
        """
        p = self.params if params is None else params
        self._check_input(x, "input x", self.sizes[0])
        hs = [x]
        for l, (W, b) in enumerate(self.layer_keys, start=1):
            a, _ = linear_forward(hs[-1], p[W], p[b])
            h, _ = self.activation(l).forward(a)
            hs.append(h)
        return hs[-1], (p, hs)

    def backward(self, dy, cache, need_dx=True, need_params=True):
        """Backprop dy = dLoss/dy through the network -> (dx, grads).

        dx (N, sizes[0]) is dLoss/dx (None if need_dx=False); grads has the keys of params
        ({} if need_params=False: the generator step needs D's dx, never D's own grads).
        dy is only read, never written.
        """
        p, hs = cache
        self._check_input(dy, "dy", self.sizes[-1])
        if dy.shape[0] != hs[0].shape[0]:
            raise ValueError(f"dy has {dy.shape[0]} rows but the forward batch had {hs[0].shape[0]}")
        L = self.n_layers
        grads = dict.fromkeys(self.params) if need_params else {}   # keys in the params' order
        # da = dLoss/d(pre-activation of layer l), from the output layer down
        da = self.output.backward(dy, hs[L])
        for l in range(L, 0, -1):
            W, b = self.layer_keys[l - 1]
            dh, layer = linear_backward(da, (hs[l - 1], p[W]), l > 1 or need_dx, need_params)
            if need_params:
                grads[W], grads[b] = layer["W"], layer["b"]
            da = self.hidden.backward(dh, hs[l - 1]) if l > 1 else dh
        return da, grads

    def __call__(self, x, params=None):
        """The network's output alone: y = MLP(x)."""
        return self.forward(x, params)[0]

    def copy_params(self):
        """A deep copy of the parameter dict."""
        return {k: v.copy() for k, v in self.params.items()}

    def n_params(self):
        """Total number of scalar parameters."""
        return sum(v.size for v in self.params.values())
