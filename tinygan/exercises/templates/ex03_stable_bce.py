"""Exercise 3: binary cross-entropy with logits, finite for logits of any size.

Learning goal: write a loss in a numerically stable form, and derive its gradient.

A discriminator outputs a logit l (any real number) and D(x) = sigma(l) = 1 / (1 + e^-l).
Its loss on a batch of N logits that all carry the label t (1 for real samples, 0 for fake
ones, 0.9 for one-sided label smoothing) is the binary cross-entropy, a mean over the batch:

    L = (1/N) sum_n [ -t log sigma(l_n) - (1 - t) log(1 - sigma(l_n)) ]

Written like that it breaks on logits a trained discriminator really produces: for l = -1000,
sigma(l) rounds to 0 and log(0) = -inf; log(1 + exp(l)) overflows to inf for l > 709. Your
code must give finite, exact answers for |l| up to 1e4, with no numpy warnings.

Tools:
- softplus(x) = log(1 + e^x). Both 1 - sigma(l) = sigma(-l) and -log sigma(l) = softplus(-l)
  hold, so L can be written with softplus alone.
- Compute softplus without ever taking exp of a large positive number: treat x > 0 and x <= 0
  separately (pull e^x out of the log when x is large), or look up np.logaddexp.
- sigma needs the same care: e^-x overflows for x < -709.
- d/dl softplus(l) = sigma(l). The mean's 1/N belongs in the gradient too.

Check your work:  tinygan exercise check 3     (or: pytest exercises/ -k ex03)
"""

import numpy as np  # noqa: F401  (you will need it)


def softplus(x):
    """softplus(x) = log(1 + exp(x)), elementwise, finite for any x.

    x: array of any shape -> array of the same shape. softplus(1e4) = 1e4, softplus(-1e4) = 0.
    """
    # TODO: no exp of a large positive number.
    raise NotImplementedError


def sigmoid(x):
    """sigma(x) = 1 / (1 + exp(-x)), elementwise, finite and warning-free for any x.

    x: array of any shape -> array of the same shape, values in [0, 1].
    """
    # TODO: e^-x overflows for x < -709; find a form that does not.
    raise NotImplementedError


def bce_with_logits(logits, target):
    """Binary cross-entropy of a batch of logits that all carry the label `target`.

    L = (1/N) sum_n [ -t log sigma(l_n) - (1 - t) log(1 - sigma(l_n)) ],  N = logits.size.

    logits: (N, 1) or (N,); target t: a float in [0, 1].
    Returns (value, {"logits": dlogits}): value is a float, dlogits = dL/dlogits has the shape
    of logits. logits is not modified.
    """
    # TODO: the value with softplus, then the gradient (derive it on paper first).
    raise NotImplementedError
