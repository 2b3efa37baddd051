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

from tinygan.config import Config
from tinygan.gan import Trainer
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
                             seed=0, bound=False):
    """Train a fresh D from scratch against a generator that never moves; watch G's gradient.

    The experiment of Arjovsky & Bottou (2017), Figs 1-3. Every `record_every` steps, on a
    fresh batch: D's cross-entropy loss L_D = E_P[-log D] + E_Q[-log(1 - D)] ("D's error"),
    the fraction of samples D misclassifies, mean D(G(z)), and ||grad_theta L_G|| for each
    cost (G's gradient is computed and thrown away: G stays frozen). With noise > 0 D sees
    x + N(0, noise^2 I) for real and fake inputs alike (instance noise, fixed sigma).
    D: MLP(dim -> d_hidden (leaky relu) -> 1), Adam(lr, betas (0.5, 0.999)), in G's dtype.

    With bound=True (and no noise) it also records, on one fixed probe batch z0, the
    minimax gradient norm and Arjovsky & Bottou's Thm 2.4 bound on it (see thm24_bound):
    probe_grad (R,), bound (R,), eps (R,), and the constant M.

    Returns a dict of arrays: step (R,), d_loss (R,), d_error_rate (R,), d_fake (R,),
    grad_norm {cost: (R,)} (and the bound's series with bound=True).
    """
    rng = np.random.default_rng(seed)
    dtype = G.dtype
    z_dim = G.sizes[0]
    D = MLP((data.dim, *d_hidden, 1), hidden="leaky_relu", seed=rng, dtype=dtype)
    opt = get_optimizer("adam", lr=lr, betas=(0.5, 0.999))
    bce = get_loss("minimax")       # D's loss is the same binary cross-entropy for both costs
    out = {"step": [], "d_loss": [], "d_error_rate": [], "d_fake": [],
           "grad_norm": {c: [] for c in costs}}
    if bound:
        if noise:
            raise ValueError("the Thm 2.4 bound is for a D trained without noise; use noise=0")
        z0 = np.random.default_rng([seed, 24]).standard_normal((batch, z_dim)).astype(dtype)
        M = jacobian_norm(G, z0)
        out.update(probe_grad=[], bound=[], eps=[])

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
        if bound:
            b = thm24_bound(G, D, z0, M)
            for key in ("probe_grad", "bound", "eps"):
                out[key].append(b[key])

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
    if bound:
        res["M"] = M
    return res


# ============================================================ Thm 2.4: the bound on the gradient

def jacobian_norm(G, z):
    """M = sqrt(mean_i ||J_i||_F^2), J_i = d g_theta(z_i) / d theta, the generator's Jacobian.

    Arjovsky & Bottou's Thm 2.4 assumes E ||J_theta g_theta(z)||^2 <= M^2; on a batch z (N, z_dim)
    this is the smallest M that satisfies it. ||J_i||_F^2 = sum_k ||d g_k(z_i) / d theta||^2, one
    backward pass per sample and output coordinate (N * dim passes: a small batch only).
    """
    total = 0.0
    for i in range(z.shape[0]):
        y, cache = G.forward(z[i:i + 1])
        for k in range(y.shape[1]):
            dy = np.zeros_like(y)
            dy[0, k] = 1.0
            _, grads = G.backward(dy, cache, need_dx=False)
            total += sum(float(np.vdot(g, g)) for g in grads.values())
    return math.sqrt(total / z.shape[0])


def thm24_bound(G, D, z, M=None):
    """The minimax gradient on the batch z and Arjovsky & Bottou's Thm 2.4 bound on it.

    Thm 2.4: if |D - D*| < eps and ||grad_x D|| < eps where G's samples lie (D* = 0 there when
    the supports are disjoint), and E ||J_theta g||^2 <= M^2, then
        ||grad_theta E log(1 - D(g_theta(z)))|| < M eps / (1 - eps).
    Here eps = max over the batch of D(g(z_i)) and of ||grad_x D(g(z_i))||, with
    grad_x D = D (1 - D) grad_x logit. On the same batch the inequality is exact:
        ||mean_i J_i^T grad_x D_i / (1 - D_i)|| <= max_i ||grad_x D_i|| / (1 - D_i) * mean_i ||J_i||
                                                 <= eps / (1 - eps) * M.
    Returns a dict: probe_grad (the measured norm), bound (inf when eps >= 1), eps, M.
    """
    M = jacobian_norm(G, z) if M is None else M
    x = G(z)
    with np.errstate(over="ignore", under="ignore"):
        logits, cache = D.forward(x)
        dlogit, _ = D.backward(np.ones_like(logits), cache, need_params=False)
        d = sigmoid(logits)[:, 0]
        grad_d = d * (1.0 - d) * np.linalg.norm(dlogit, axis=1)
        norm, _ = generator_gradient(G, D, "minimax", z)
    eps = float(max(d.max(), grad_d.max()))
    bound = M * eps / (1.0 - eps) if eps < 1.0 else math.inf
    return {"probe_grad": norm, "bound": bound, "eps": eps, "M": M}


# ============================================================ a generator trained as a GAN

def distance_to_segment(x, start, end):
    """Euclidean distance from each row of x (N, 2) to the segment [start, end]; shape (N,)."""
    start, end = np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64)
    d = end - start
    t = np.clip((x - start) @ d / (d @ d), 0.0, 1.0)
    return np.linalg.norm(x - (start + t[:, None] * d), axis=1)


def train_generator(G, data, steps, loss="nonsaturating", d_hidden=(64, 64), lr=1e-3, batch=128,
                    noise=0.0, anneal_steps=0, d_pretrain=0, record_every=0, keep=(), seed=0):
    """Train the generator G (in place) as a GAN against a fresh D, with tinygan's Trainer.

    The Trainer is built for G's own architecture (z_dim -> hidden (tanh) -> dim, as made by
    offset_generator) and G's weights are copied into it, so training starts where G is.
    D: MLP(dim -> d_hidden (leaky relu) -> 1); Adam(lr, betas (0.5, 0.999)) for both; the
    `loss` family; instance noise `noise` annealed linearly to 0 over anneal_steps (0: the
    noise stays constant... only when noise > 0). data must be a segment (it has start and end).
    Every record_every steps (0: never) the mean distance of 1,000 fresh samples to the
    segment is recorded; at each step in `keep` a copy of G's weights is kept. Returns a
    dict: G (the trained generator, the same object), step (R,), distance (R,), g_grad_norm
    (steps,) from the Trainer's history, kept {step: weights}.
    """
    config = Config(data="line", standardize=False, data_options={"start": tuple(data.start), "end": tuple(data.end)},
                    loss=loss, z_dim=G.sizes[0], g_hidden=G.sizes[1:-1], g_activation=G.hidden.name,
                    d_hidden=tuple(d_hidden), d_init="zero", g_lr=lr, d_lr=lr,
                    lr_schedule="constant", batch_size=batch, steps=max(steps, 1), noise=noise,
                    noise_schedule="linear" if anneal_steps else "constant",
                    noise_anneal_steps=anneal_steps, ema=0.0, dtype=G.dtype.name,
                    eval_every=0, seed=seed)
    trainer = Trainer(config)
    for key, value in G.params.items():
        trainer.G.params[key][...] = value
    rng = np.random.default_rng([seed, 5])
    rec = {"step": [], "distance": []}
    kept = {0: {k: v.copy() for k, v in G.params.items()}} if 0 in keep else {}

    def record():
        x = trainer.sample(1000, rng)
        rec["step"].append(trainer.step)
        rec["distance"].append(float(distance_to_segment(x, data.start, data.end).mean()))

    with np.errstate(over="ignore", under="ignore"):
        for _ in range(d_pretrain):
            trainer.d_step()
        if record_every:
            record()
        for _ in range(steps):
            trainer.train_step()
            if record_every and trainer.step % record_every == 0:
                record()
            if trainer.step in keep:
                kept[trainer.step] = trainer.G.copy_params()
    for key in G.params:
        G.params[key][...] = trainer.G.params[key]
    return {"G": G, "step": np.asarray(rec["step"]), "distance": np.asarray(rec["distance"]),
            "g_grad_norm": np.asarray(trainer.history["g_grad_norm"]), "kept": kept}


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


# ============================================================ Thm 2.5: what -log D optimises

def gaussian_mixture_pdf(x, centers, std, weights=None):
    """Density of sum_k w_k N(centers_k, std^2) at the points x (any shape), and its derivative.

    Returns (p, dp/dx), both shaped like x. weights default to equal.
    """
    x = np.asarray(x, dtype=np.float64)
    c = np.asarray(centers, dtype=np.float64).reshape(-1, *([1] * x.ndim))
    w = (np.full(c.shape[0], 1.0 / c.shape[0]) if weights is None
         else np.asarray(weights, dtype=np.float64)).reshape(c.shape)
    phi = w * np.exp(-0.5 * ((x - c) / std) ** 2) / (std * math.sqrt(2.0 * math.pi))
    return phi.sum(0), (phi * (-(x - c) / std ** 2)).sum(0)


def divergences_on_grid(p, q, dx):
    """KL(p || q), KL(q || p) and JS(p, q) of two densities sampled on one even grid (spacing dx).

    Riemann sums; points where the integrand's density is below 1e-300 contribute 0. JS uses
    the 1/2 of the usual definition: JS = 1/2 KL(p || m) + 1/2 KL(q || m), m = (p + q) / 2.
    """
    tiny = 1e-300

    def kl(a, b):
        keep = a > tiny
        return float(np.sum(a[keep] * (np.log(a[keep]) - np.log(np.maximum(b[keep], tiny)))) * dx)

    m = 0.5 * (p + q)
    return {"kl_pq": kl(p, q), "kl_qp": kl(q, p), "js": 0.5 * kl(p, m) + 0.5 * kl(q, m)}


DATA_1D = {"centers": (-2.0, 2.0), "std": 0.5}     # the 1-D data of the Thm 2.5 check: two modes


def thm25_check(theta0=1.0, g_std=0.5, lim=10.0, n=40001, h=1e-4):
    """Both sides of Arjovsky & Bottou's Thm 2.5 for a 1-D generator g_theta(z) = theta + g_std z.

    Data P_r: DATA_1D (two Gaussian modes). D* = p_r / (p_r + p_theta0), the optimal D for the
    generator at theta0, then held fixed. Thm 2.5 says
        E_z[-grad_theta log D*(g_theta(z))] at theta0  =  grad_theta [KL(P_theta || P_r) - 2 JS(P_theta, P_r)] at theta0.
    Left: d/dtheta = d/dx here, so it is E_{x ~ P_theta0}[-(log p_r)'(x) + (log(p_r + p_theta0))'(x)]
    with the densities' derivatives in closed form. Right: central differences (step h) of the
    divergences, every integral a Riemann sum on n points over [-lim, lim].
    Also returns Goodfellow et al.'s Thm 1 on the same grid: V(D*, G) = E_r log D* + E_g log(1 - D*)
    beside -log 4 + 2 JS. Returns a dict of floats.
    """
    x = np.linspace(-lim, lim, n)
    dx = x[1] - x[0]
    r, dr = gaussian_mixture_pdf(x, **DATA_1D)
    p, dp = gaussian_mixture_pdf(x, (theta0,), g_std)
    lhs = float(np.sum(p * (-dr / r + (dr + dp) / (r + p))) * dx)

    def cost(theta):
        q, _ = gaussian_mixture_pdf(x, (theta,), g_std)
        d = divergences_on_grid(q, r, dx)
        return d["kl_pq"] - 2.0 * d["js"]

    rhs = (cost(theta0 + h) - cost(theta0 - h)) / (2.0 * h)
    # E_r log D* + E_g log(1 - D*), with D* = r / (r + p) and 1 - D* = p / (r + p); a point
    # where a density is ~0 adds nothing to its own expectation
    tiny = 1e-300
    keep_r, keep_p = r > tiny, p > tiny
    value = float((np.sum(r[keep_r] * np.log(r[keep_r] / (r + p)[keep_r]))
                   + np.sum(p[keep_p] * np.log(p[keep_p] / (r + p)[keep_p]))) * dx)
    js = divergences_on_grid(p, r, dx)["js"]
    return {"lhs": lhs, "rhs": rhs, "value": value, "value_closed": -math.log(4.0) + 2.0 * js}


def generator_objectives(centers, std, weights=None, lim=12.0, n=48001):
    """What each generator cost asks of a 1-D generator P_g (a Gaussian mixture), against DATA_1D.

    non-saturating (-log D, with D optimal): KL(P_g || P_r) - 2 JS   (Thm 2.5, up to a constant)
    minimax (log(1 - D), with D optimal):   2 JS - log 4            (Goodfellow et al. Thm 1)
    maximum likelihood:                     KL(P_r || P_g)
    Lower is better for G in all three. Returns a dict of floats.
    """
    x = np.linspace(-lim, lim, n)
    dx = x[1] - x[0]
    r, _ = gaussian_mixture_pdf(x, **DATA_1D)
    g, _ = gaussian_mixture_pdf(x, centers, std, weights)
    d = divergences_on_grid(g, r, dx)
    return {"nonsaturating": d["kl_pq"] - 2.0 * d["js"], "minimax": 2.0 * d["js"] - math.log(4.0),
            "max_likelihood": d["kl_qp"], "js": d["js"], "kl_gr": d["kl_pq"], "kl_rg": d["kl_qp"]}
