"""Exercise 8: instance noise and the WGAN-GP gradient penalty.

Learning goal: two ways to keep a discriminator's signal useful when the real and generated
distributions do not overlap: blur both with noise, or penalise D's input gradient.

Instance noise (Sonderby et al. 2016; Arjovsky & Bottou 2017): add Gaussian noise
N(0, sigma^2 I) to BOTH the real and the fake inputs of D, and anneal sigma towards 0 over
training. Two blurred distributions overlap, so D can no longer separate them perfectly.

    x_noisy = x + sigma * eps,   eps ~ N(0, I), a fresh draw on every call

Randomness comes only from the numpy Generator passed in (rng.standard_normal, rng.uniform),
never from np.random: the same seed must give the same bits.

Gradient penalty (Gulrajani et al. 2017). The critic should have input gradients of norm 1
along lines between real and fake samples. Pick random points on those lines,

    x_hat_n = eps_n * x_real_n + (1 - eps_n) * x_fake_n,   eps_n ~ U[0, 1], one per sample,

compute the critic's input gradients g_n = d critic(x_hat_n) / d x_hat_n there (rows of
grad_x below), and add to the critic's loss

    P = lam * (1/N) sum_n (||g_n|| - 1)^2          ||.|| the Euclidean norm of the row g_n

Training through P needs dP/dg (then double backprop through the critic, which tinygan does
elsewhere); here you write P and dP/dg. d||g||/dg = g / ||g|| (for g != 0).

Check your work:  tinygan exercise check 8     (or: pytest exercises/ -k ex08)
"""

import numpy as np  # noqa: F401  (you will need it)


def instance_noise(x, sigma, rng):
    """x plus Gaussian noise of standard deviation sigma.

    x: (N, D); sigma: a float >= 0; rng: a numpy.random.Generator.
    Returns a new (N, D) array; x is not modified. sigma = 0 returns a copy of x.
    """
    # TODO
    raise NotImplementedError


def interpolates(x_real, x_fake, rng):
    """Random points on the segments between paired real and fake samples.

    x_real, x_fake: (N, D); rng: a numpy.random.Generator.
    Returns x_hat: (N, D), row n = eps_n x_real[n] + (1 - eps_n) x_fake[n], eps_n ~ U[0, 1]
    drawn once per row.
    """
    # TODO: one eps per sample, shape (N, 1), broadcast over the D coordinates.
    raise NotImplementedError


def gradient_penalty(grad_x, lam=10.0):
    """The WGAN-GP penalty P = lam * mean_n (||g_n|| - 1)^2 and its gradient dP/dgrad_x.

    grad_x: (N, D), row n is the critic's input gradient g_n (never the zero vector here).
    Returns (value, {"grad_x": dP/dgrad_x}); value is a float, the gradient is (N, D).
    grad_x is not modified.
    """
    # TODO: the norms of the rows, the value, then the chain rule row by row.
    raise NotImplementedError
