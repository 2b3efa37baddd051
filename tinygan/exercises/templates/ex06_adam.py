"""Exercise 6: the Adam optimizer.

Learning goal: implement an optimizer with per-parameter state, and understand its bias
correction: why the first steps of Adam are not tiny although m and v start at zero.

Adam (Kingma & Ba 2015) keeps, for every parameter array p with gradient g, two running
averages, and counts the steps taken so far, t = 1, 2, 3, ...:

    m <- b1 * m + (1 - b1) * g          first moment (mean of g), starts at 0
    v <- b2 * v + (1 - b2) * g^2        second moment (mean of g^2, elementwise), starts at 0
    m_hat = m / (1 - b1^t)              bias correction: m and v started at 0, so early on
    v_hat = v / (1 - b2^t)              they are too small by exactly these factors
    p <- p - lr * m_hat / (sqrt(v_hat) + eps)

All operations are elementwise. On the very first step m_hat = g and v_hat = g^2, so every
weight moves by about lr, against the sign of its gradient, whatever the gradient's size.

params and grads are dicts of arrays with the same keys, e.g. {"W1": ..., "b1": ...}. Keep
m and v per key. step updates params (the dict it is given) and returns nothing; grads is
only read.

Check your work:  tinygan exercise check 6     (or: pytest exercises/ -k ex06)
"""

import numpy as np  # noqa: F401  (you will need it)


class Adam:
    """Adam with bias correction: opt = Adam(lr, betas, eps); opt.step(params, grads)."""

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.lr = lr
        self.b1, self.b2 = betas
        self.eps = eps
        self.t = 0      # steps taken so far
        self.m = {}     # first moment per parameter name, created on first use
        self.v = {}     # second moment per parameter name

    def step(self, params, grads):
        """One Adam update of every params[k] from grads[k].

        params, grads: dicts of arrays with the same keys and shapes. Updates params and
        returns None; grads is not modified.
        """
        # TODO: count the step, then for every key update m, v and the parameter.
        raise NotImplementedError
