"""Optimizers: SGD with momentum, Adam, RMSProp.

Each one updates a params dict in place from a grads dict with the same keys:

    opt = Adam(lr=2e-4, betas=(0.5, 0.999))
    opt.step(params, grads)

The state (momentum, moment estimates) lives in dicts of arrays of the parameters'
dtype, so a float32 model stays float32, and `state_dict()` / `load_state_dict()` turn it
into named arrays for a checkpoint. Gradients are only read, never modified.

Each optimizer writes its update once, for one parameter array: `_update(p, g, *state)`.
`step` calls it for every array of the network.
"""

import math

import numpy as np

from tinygan.checks import fraction, positive


class Optimizer:
    """Shared bookkeeping: the step count, per-parameter state, and (de)serialisation."""

    name = "optimizer"
    slots = ()  # names of the per-parameter state arrays, e.g. ("m", "v")

    def __init__(self, lr):
        self.lr = positive("lr", lr)
        self.t = 0
        self.state = {slot: {} for slot in self.slots}

    def _live_slots(self):
        """The slots this optimizer's update uses (all of them but in plain SGD)."""
        return self.slots

    def step(self, params, grads):
        """Update every params[k] in place using grads[k] and the state kept for params[k]."""
        missing = set(params) - set(grads)
        if missing:
            raise KeyError(f"grads has no entry for parameters {sorted(missing)}")
        for key, p in params.items():
            if grads[key].shape != p.shape:
                raise ValueError(f"grad {key!r} has shape {grads[key].shape}, parameter has {p.shape}")
        self.t += 1
        for key, p in params.items():
            # the state starts at zero, in the parameter's shape and dtype
            state = [self.state[slot].setdefault(key, np.zeros_like(p)) for slot in self._live_slots()]
            self._update(p, grads[key], *state)

    def state_dict(self):
        """The state as a flat dict of arrays: {"t": ..., "<slot>/<param>": ...}."""
        out = {"t": np.array(self.t)}
        for slot, table in self.state.items():
            for key, arr in table.items():
                out[f"{slot}/{key}"] = arr
        return out

    def load_state_dict(self, state):
        """Restore what state_dict() returned (arrays are copied)."""
        self.t = int(state["t"])
        self.state = {slot: {} for slot in self.slots}
        for name, arr in state.items():
            if name == "t":
                continue
            slot, key = name.split("/", 1)
            if slot not in self.state:
                raise ValueError(f"{self.name} has no state slot {slot!r}; it has {self.slots}")
            self.state[slot][key] = np.array(arr, copy=True)


class SGD(Optimizer):
    """Stochastic gradient descent with (heavy-ball) momentum.

    v <- momentum * v + g;   p <- p - lr * v      (momentum = 0: plain p <- p - lr * g)
    """

    name = "sgd"
    slots = ("v",)

    def __init__(self, lr=0.01, momentum=0.0):
        super().__init__(lr)
        self.momentum = fraction("momentum", momentum)

    def _live_slots(self):
        return self.slots if self.momentum else ()  # plain SGD keeps no state

    def _update(self, p, g, v=None):
        if self.momentum == 0.0:
            p -= self.lr * g
            return
        v[...] = self.momentum * v + g
        p -= self.lr * v


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), bias-corrected.

    m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2
    p <- p - lr * m_hat / (sqrt(v_hat) + eps),   m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)
    On the first step m_hat = g and v_hat = g^2, so every weight moves by lr * g / (|g| + eps):
    lr against the sign of its gradient.
    """

    name = "adam"
    slots = ("m", "v")

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(lr)
        if len(betas) != 2:
            raise ValueError(f"betas must be two numbers (beta1, beta2), got {tuple(betas)}")
        self.b1, self.b2 = (fraction("beta1", betas[0]), fraction("beta2", betas[1]))
        self.eps = positive("eps", eps)

    def _update(self, p, g, m, v):
        b1, b2 = self.b1, self.b2
        m[...] = b1 * m + (1.0 - b1) * g                # first moment: a running mean of g
        v[...] = b2 * v + (1.0 - b2) * (g * g)          # second moment: a running mean of g^2
        bc1 = 1.0 - b1 ** self.t                        # bias corrections: m, v start at 0
        bc2 = 1.0 - b2 ** self.t
        # sqrt(v_hat) + eps, written as sqrt(v) / sqrt(bc2) + eps (Python floats keep float32)
        denom = np.sqrt(v) / math.sqrt(bc2) + self.eps
        p -= (self.lr / bc1) * (m / denom)              # p <- p - lr m_hat / (sqrt(v_hat) + eps)


class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton 2012), the optimizer of the original WGAN.

    s <- alpha s + (1 - alpha) g^2;   p <- p - lr * g / (sqrt(s) + eps)
    """

    name = "rmsprop"
    slots = ("s",)

    def __init__(self, lr=1e-3, alpha=0.99, eps=1e-8):
        super().__init__(lr)
        self.alpha = fraction("alpha", alpha)
        self.eps = positive("eps", eps)

    def _update(self, p, g, s):
        s[...] = self.alpha * s + (1.0 - self.alpha) * (g * g)
        p -= self.lr * (g / (np.sqrt(s) + self.eps))


OPTIMIZERS = {cls.name: cls for cls in (SGD, Adam, RMSProp)}


def get_optimizer(name, **options):
    """The optimizer called `name` (sgd, adam, rmsprop) built with `options`."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; allowed: {', '.join(OPTIMIZERS)}")
    try:
        return OPTIMIZERS[name](**options)
    except TypeError as err:
        raise ValueError(f"bad option for {name}: {err}") from None
