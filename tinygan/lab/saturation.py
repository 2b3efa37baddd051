"""Q1: why a perfect discriminator leaves the generator no gradient.

Two experiments that look inside one piece of a GAN while the rest stands still:

  * the generator costs of Goodfellow's NIPS 2016 tutorial (Fig. 16) as functions of
    D(G(z)), and their slopes with respect to D's logit: where each one gives G a gradient;
  * a frozen generator against a discriminator trained from scratch (Arjovsky & Bottou 2017,
    Figs 1-3): D's error and the norm of the generator's gradient, step by step, under the
    minimax and non-saturating costs, with or without instance noise.

Both call the library's own steps (tinygan.steps.d_gradients, g_gradients); only the loop is
theirs, because they need what the Trainer hides: a generator that never moves, gradients
read out every few steps without training on them.
"""

import math

import numpy as np

from tinygan.losses import get_loss
from tinygan.mlp import MLP
from tinygan.ops import sigmoid
from tinygan.optim import get_optimizer
from tinygan.penalties import add_instance_noise
from tinygan.steps import d_gradients, g_gradients

# ============================================================ Goodfellow's three costs

# Goodfellow (2016), Fig. 16 writes every cost with a factor 1/2 (the per-sample half of
# J = -1/2 E log D(x) - 1/2 E log(1 - D(G(z)))). tinygan's losses.py has no 1/2: its
# minimax loss is log(1 - D), twice the tutorial's J. The functions below use the tutorial's
# convention so that their numbers can be read straight off its figure.
COSTS = ("minimax", "nonsaturating", "max_likelihood")


def _as_prob(d):
    d = np.asarray(d, dtype=np.float64)
    if np.any((d <= 0) | (d >= 1)) or not np.all(np.isfinite(d)):
        raise ValueError("D(G(z)) must lie strictly between 0 and 1")
    return d


def _check_cost(name):
    if name not in COSTS:
        raise ValueError(f"unknown generator cost {name!r}; allowed: {', '.join(COSTS)}")


def generator_cost(name, d):
    """The generator's cost J as a function of d = D(G(z)), with the tutorial's factor 1/2.

    minimax        J = 1/2 log(1 - d)       (G minimises the game value)
    nonsaturating  J = -1/2 log d           (G maximises log D instead)
    max_likelihood J = -1/2 d / (1 - d)     (= -1/2 exp(logit): its expectation is KL(P_data||P_g)
                                             when D is optimal; Goodfellow 2014b)
    d: float or array in (0, 1). Returns the same shape.
    """
    _check_cost(name)
    d = _as_prob(d)
    if name == "minimax":
        j = 0.5 * np.log1p(-d)
    elif name == "nonsaturating":
        j = -0.5 * np.log(d)
    else:
        j = -0.5 * d / (1.0 - d)
    return float(j) if j.ndim == 0 else j


def generator_cost_slope(name, d):
    """dJ/dl, the slope of generator_cost with respect to D's logit l (d = sigmoid(l)).

    With dd/dl = d (1 - d):
    minimax        dJ/dl = 1/2 * -1/(1 - d) * d (1 - d)   = -d / 2
    nonsaturating  dJ/dl = -1/2 * 1/d * d (1 - d)         = -(1 - d) / 2
    max_likelihood dJ/dl = -1/2 * 1/(1 - d)^2 * d (1 - d) = -d / (2 (1 - d))
    This factor multiplies everything G receives (dx = dJ/dl * dl/dx): where it is ~0, G
    learns nothing, however large J is.
    """
    _check_cost(name)
    d = _as_prob(d)
    if name == "minimax":
        s = -0.5 * d
    elif name == "nonsaturating":
        s = -0.5 * (1.0 - d)
    else:
        s = -0.5 * d / (1.0 - d)
    return float(s) if s.ndim == 0 else s


# ============================================================ a frozen generator

def offset_generator(center, z_dim=1, hidden=(32,), spread=0.4, seed=0, dtype=np.float64):
    """A small generator whose samples lie on a curve around `center`, to be frozen.

    G = MLP(z_dim -> hidden (tanh) -> len(center)) with its last layer rescaled so the samples
    spread about `spread` around `center` (the last bias). With z_dim = 1 the samples lie on a
    1-D curve: a set of measure zero in the plane, disjoint from the data when placed beside it.
    """
    center = np.asarray(center, dtype=np.float64).ravel()
    G = MLP((z_dim, *hidden, center.size), hidden="tanh", seed=seed, dtype=dtype)
    last = G.n_layers
    # with z ~ N(0, 1) the tanh units are O(1): scale the output weights to the wanted spread
    W = G.params[f"W{last}"]
    W *= spread / max(np.sqrt((W ** 2).sum(0)).max(), 1e-12)
    G.params[f"b{last}"][:] = center
    return G


def generator_gradient(G, D, cost, z, noise=0.0, rng=None):
    """||grad_theta L_G||: the norm of the generator's parameter gradient through D.

    x = G(z) (+ N(0, noise^2) when noise > 0, the same noise D was trained with),
    L_G = the tinygan loss `cost` (minimax: mean log(1 - D), nonsaturating: mean -log D) on
    D's logits. Since the noise is added, dL/dx_fake = dL/dx_noisy. Returns (norm, mean D(G(z))).
    """
    value, grads, info = g_gradients(G, D, get_loss(cost), z, noise=noise, rng=rng)
    norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))
    return norm, float(np.mean(sigmoid(info["fake_logits"])))


def train_d_against_frozen_g(G, data, steps=4000, noise=0.0, d_hidden=(64, 64), lr=1e-3,
                             batch=128, record_every=20, costs=("minimax", "nonsaturating"),
                             seed=0):
    """Train a fresh D from scratch against a generator that never moves; watch G's gradient.

    The experiment of Arjovsky & Bottou (2017), Figs 1-3. Every `record_every` steps, on a
    fresh batch: D's cross-entropy loss L_D = E_P[-log D] + E_Q[-log(1 - D)] ("D's error"),
    the fraction of samples D misclassifies, mean D(G(z)), and ||grad_theta L_G|| for each
    cost (G's gradient is computed and thrown away: G stays frozen). With noise > 0 D sees
    x + N(0, noise^2 I) for real and fake inputs alike (instance noise, fixed sigma).
    D: MLP(dim -> d_hidden (leaky relu) -> 1), Adam(lr, betas (0.5, 0.999)), in G's dtype.

    Returns a dict of arrays: step (R,), d_loss (R,), d_error_rate (R,), d_fake (R,),
    grad_norm {cost: (R,)}.
    """
    rng = np.random.default_rng(seed)
    dtype = G.dtype
    z_dim = G.sizes[0]
    D = MLP((data.dim, *d_hidden, 1), hidden="leaky_relu", seed=rng, dtype=dtype)
    opt = get_optimizer("adam", lr=lr, betas=(0.5, 0.999))
    bce = get_loss("minimax")       # D's loss is the same binary cross-entropy for both costs
    out = {"step": [], "d_loss": [], "d_error_rate": [], "d_fake": [],
           "grad_norm": {c: [] for c in costs}}

    def real_and_fake():
        x_real = data.sample(batch, rng, dtype=dtype)
        return x_real, G(rng.standard_normal((batch, z_dim)).astype(dtype))

    def record(step):
        x_real, x_fake = real_and_fake()
        x_real, x_fake = add_instance_noise(x_real, noise, rng), add_instance_noise(x_fake, noise, rng)
        lr_, lf = D(x_real), D(x_fake)
        out["step"].append(step)
        out["d_loss"].append(bce.d_real(lr_)[0] + bce.d_fake(lf)[0])
        out["d_error_rate"].append(0.5 * float(np.mean(lr_ <= 0) + np.mean(lf >= 0)))
        z = rng.standard_normal((batch, z_dim)).astype(dtype)
        for c in costs:
            norm, d_fake = generator_gradient(G, D, c, z, noise, rng)
            out["grad_norm"][c].append(norm)
        out["d_fake"].append(d_fake)

    with np.errstate(over="ignore", under="ignore"):
        record(0)
        for step in range(1, steps + 1):
            x_real, x_fake = real_and_fake()
            _, grads, _ = d_gradients(D, bce, x_real, x_fake, noise=noise, rng=rng)
            opt.step(D.params, grads)
            if step % record_every == 0:
                record(step)
    res = {k: np.asarray(v) for k, v in out.items() if k != "grad_norm"}
    res["grad_norm"] = {c: np.asarray(v) for c, v in out["grad_norm"].items()}
    return res


def decay_orders(series, head=0.05, tail=0.1):
    """Orders of magnitude a positive series falls: log10(median of its first part / last part).

    head, tail: the fractions of the series taken as "start" and "end" (medians, so one noisy
    point does not decide). Positive when the series decays.
    """
    s = np.asarray(series, dtype=np.float64)
    a = s[: max(1, int(round(head * len(s))))]
    b = s[-max(1, int(round(tail * len(s)))):]
    return float(np.log10(np.median(a) / np.median(b)))


def spread(series):
    """Mean, standard deviation and coefficient of variation (std / mean) of a series."""
    s = np.asarray(series, dtype=np.float64)
    m, sd = float(s.mean()), float(s.std())
    return {"mean": m, "std": sd, "cv": sd / m if m else float("nan")}
