"""Exercise 4: the generator's loss, minimax vs non-saturating, and the factor that vanishes.

Learning goal: see in one line of algebra why a confident discriminator leaves the minimax
generator with no gradient, and why the non-saturating loss does not have that problem.

The generator G learns from the discriminator's logits on its samples, l_n = l(G(z_n)), with
D_n = sigma(l_n) the probability D gives that sample of being real. Two costs, both means
over the batch of N samples (Goodfellow et al. 2014):

    minimax:         L_G = (1/N) sum_n  log(1 - D_n)    G minimises exactly what D maximises
    non-saturating:  L_G = (1/N) sum_n -log D_n         the heuristic everyone uses

Both make G push D_n up. Now derive, for one sample, the factor dCost_n/dl_n of each cost
(the cost of sample n is the term inside the sum) and write it in terms of D_n. Early in
training D easily spots fakes: D_n -> 0. What happens to each factor then? The generator's
whole gradient is this factor times the backward pass through D and G, so whatever this
factor does, the generator's gradient does too.

Both losses must be finite and exact for logits up to |l| = 1e4: reuse the stable forms of
exercise 3 (log(1 - sigma(l)) = -softplus(l), -log sigma(l) = softplus(-l); np.logaddexp).

Check your work:  tinygan exercise check 4     (or: pytest exercises/ -k ex04)
"""

import numpy as np  # noqa: F401  (you will need it)


def minimax_g(fake_logits):
    """The minimax generator loss L_G = (1/N) sum_n log(1 - sigma(l_n)) and its gradient.

    fake_logits: (N, 1), D's logits on generated samples.
    Returns (value, {"fake_logits": dL_G/dfake_logits}); value is a float, the gradient has the
    shape of fake_logits. fake_logits is not modified.
    """
    # TODO
    raise NotImplementedError


def nonsaturating_g(fake_logits):
    """The non-saturating generator loss L_G = (1/N) sum_n -log sigma(l_n) and its gradient.

    fake_logits: (N, 1). Returns (value, {"fake_logits": dL_G/dfake_logits}), as minimax_g.
    """
    # TODO
    raise NotImplementedError


def logit_factors(fake_logits):
    """The per-sample factor dCost_n/dl_n of each cost, written with D_n = sigma(l_n).

    The factor of sample n, without the 1/N of the batch mean.
    fake_logits: (N, 1) -> {"minimax": (N, 1), "nonsaturating": (N, 1)}.
    """
    # TODO: derive both on paper; compute D_n stably (exercise 3).
    raise NotImplementedError
