"""The classic remedies that act on the discriminator: instance noise, weight clipping,
gradient penalties, packing. (One-sided label smoothing lives in losses.py, the unrolled
discriminator and the weight average of G in gan.py, which drives them.)

    noise_sigma(sigma, schedule, step, anneal_steps)    instance noise level at a step
    add_instance_noise(x, sigma, rng)                   x + N(0, sigma^2 I), untouched at 0
    clip_weights(params, c)                             every weight into [-c, c], in place
    gradient_penalty(D, kind, weight, x_real, x_fake, rng)   WGAN-GP, R1 or R2, with dP/dparams
    pack(x, m), unpack(dx, m)                           PacGAN: m samples become one input

The gradient penalties need the gradient of a gradient; double_backprop.py derives it.
"""

import math

import numpy as np

from tinygan.double_backprop import input_gradient, penalty_gradients

# ----------------------------------------------------------------------------- instance noise

SCHEDULES = ("constant", "linear", "exponential")
EXP_RATE = 5.0   # the exponential schedule falls by e^-5 ~ 0.7 % of its range before it ends


def noise_sigma(sigma, schedule, step, anneal_steps):
    """The instance-noise standard deviation at training step `step` (0-based).

    constant:     sigma
    linear:       sigma (1 - t),                                  t = min(step / anneal_steps, 1)
    exponential:  sigma (e^{-5 t} - e^{-5}) / (1 - e^{-5}),        the same t
    Both annealed schedules start at sigma and reach exactly 0 at anneal_steps (Sonderby et
    al. 2016 anneal to zero; Arjovsky & Bottou 2017 sec. 3). A function of the step alone,
    so a resumed run sees the same noise levels.
    """
    if sigma == 0.0 or schedule == "constant":
        return float(sigma)
    t = min(step / max(anneal_steps, 1), 1.0)
    if schedule == "linear":
        return float(sigma * (1.0 - t))
    if schedule == "exponential":
        return float(sigma * (math.exp(-EXP_RATE * t) - math.exp(-EXP_RATE)) / (1.0 - math.exp(-EXP_RATE)))
    raise ValueError(f"unknown noise schedule {schedule!r}; allowed: {', '.join(SCHEDULES)}")


def add_instance_noise(x, sigma, rng):
    """x + sigma * eps with eps ~ N(0, I), in x's dtype. At sigma = 0 it returns x itself and
    draws nothing, so a run with zero noise is bit for bit the plain run."""
    if sigma == 0.0:
        return x
    return x + (sigma * rng.standard_normal(x.shape, dtype=x.dtype)).astype(x.dtype, copy=False)


# ----------------------------------------------------------------------------- clipping

def clip_weights(params, c):
    """Clip every parameter (weights and biases, as in the WGAN paper) into [-c, c], in place.

    The original WGAN critic's crude way of keeping f Lipschitz (Arjovsky et al. 2017,
    Algorithm 1, c = 0.01).
    """
    for p in params.values():
        np.clip(p, -c, c, out=p)


# ----------------------------------------------------------------------------- packing

def pack(x, m):
    """PacGAN (Lin et al. 2018): m consecutive samples concatenated into one input of D.

    x (N, dim) -> (N / m, m * dim); row j is [x_{jm}, x_{jm+1}, ..., x_{jm+m-1}].
    """
    if m == 1:
        return x
    n, dim = x.shape
    if n % m:
        raise ValueError(f"cannot pack {n} samples into groups of {m}: {m} does not divide {n}")
    return x.reshape(n // m, m * dim)


def unpack(dx, m, dim):
    """The inverse reshape, for gradients: (N / m, m * dim) -> (N, dim)."""
    if m == 1:
        return dx
    if dx.ndim != 2 or dx.shape[1] != m * dim:
        raise ValueError(f"packed gradient must have shape (N/{m}, {m * dim}), got {dx.shape}")
    return dx.reshape(dx.shape[0] * m, dim)


# ----------------------------------------------------------------------------- gradient penalties

PENALTIES = ("wgan-gp", "r1", "r2")


def _norms(u):
    return np.sqrt(np.sum(u * u, axis=1, keepdims=True))


def gradient_penalty(D, kind, weight, x_real, x_fake, rng=None, params=None):
    """A gradient penalty on D's output l, its value and gradient w.r.t. D's parameters.

    wgan-gp (Gulrajani et al. 2017): weight * mean_i (||grad l(x^_i)|| - 1)^2, at random
        interpolates x^_i = eps_i x_real_i + (1 - eps_i) x_fake_i, eps_i ~ U[0, 1] from rng.
    r1 (Mescheder et al. 2018):      weight / 2 * mean_i ||grad l(x_real_i)||^2
    r2:                               weight / 2 * mean_i ||grad l(x_fake_i)||^2
    With u = the per-sample input gradients at the chosen points, dP/du is
        wgan-gp: 2 weight / N (||u_i|| - 1) u_i / ||u_i||,    r1, r2: weight / N u_i,
    and double_backprop.penalty_gradients turns dP/du into dP/dparams.
    Shapes: x_real, x_fake (N, D_in). Returns (value, grads, info) with info["grad_norm"]
    the mean ||u_i||.
    """
    if kind == "wgan-gp":
        eps = rng.random((x_real.shape[0], 1)).astype(x_real.dtype)
        x = eps * x_real + (1.0 - eps) * x_fake
    elif kind == "r1":
        x = x_real
    elif kind == "r2":
        x = x_fake
    else:
        raise ValueError(f"unknown gradient penalty {kind!r}; allowed: {', '.join(PENALTIES)}")
    _, cache = D.forward(x, params)
    u, state = input_gradient(D, cache)
    n = x.shape[0]
    norms = _norms(u)
    if kind == "wgan-gp":
        value = weight * float(np.mean((norms - 1.0) ** 2))
        # d/du ||u|| = u / ||u||; a zero gradient (measure zero) gets direction 0
        safe = np.where(norms > 0, norms, 1.0)
        r = (2.0 * weight / n) * (norms - 1.0) / safe * u
    else:
        value = 0.5 * weight * float(np.mean(norms * norms))
        r = (weight / n) * u
    grads = penalty_gradients(D, state, r.astype(u.dtype, copy=False))
    return value, grads, {"grad_norm": float(np.mean(norms))}
