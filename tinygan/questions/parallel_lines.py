"""Q2: why JS saturates, and what instance noise and the Wasserstein distance do about it.

WGAN's Example 1, the parallel lines (theta, z): Jensen-Shannon and Wasserstein-1 in closed
form, and the same two estimated from a trained discriminator and a trained critic; and a
GAN trained on the lines from a generator that starts far away.

The scorers are trained with the library's own D step (tinygan.steps.d_gradients), penalties
included; only the loop is theirs.
"""

import math

import numpy as np

from tinygan import penalties
from tinygan.data import get_dataset
from tinygan.gan import Trainer
from tinygan.steps import d_gradients, g_gradients
from tinygan.losses import get_loss
from tinygan.metrics import js_from_d_loss
from tinygan.mlp import MLP
from tinygan.optim import get_optimizer

# ============================================================ WGAN's parallel lines

def parallel_lines_divergences(theta):
    """Closed-form distances between P_0 = (0, Z) and P_theta = (theta, Z), Z ~ U[0, 1].

    WGAN (Arjovsky, Chintala, Bottou 2017), Example 1:
      W1 = |theta|;  JS = log 2 if theta != 0 else 0 (JS = 1/2 KL(P||M) + 1/2 KL(Q||M), as the
      paper prints it in Example 1);  KL = +inf if theta != 0 else 0;  TV = 1 if theta != 0
      else 0. See docs/references.md#wgan.
    theta: float or array. Returns a dict of floats or arrays.
    """
    t = np.asarray(theta, dtype=np.float64)
    apart = t != 0
    res = {"w1": np.abs(t), "js": np.where(apart, math.log(2.0), 0.0),
           "kl": np.where(apart, np.inf, 0.0), "tv": np.where(apart, 1.0, 0.0)}
    return {k: float(v) if v.ndim == 0 else v for k, v in res.items()}


def train_scorer(p, q, kind="discriminator", steps=500, hidden=(64, 64), lr=1e-3, batch=128,
                 clip=0.01, gp=10.0, seed=0, dtype=np.float64, noise=0.0):
    """Train a fresh network f from scratch to tell samples of p ("real") from q ("fake").

    kind = "discriminator": D(x) = sigmoid(f(x)) minimises the cross-entropy
        E_p[-log D] + E_q[-log(1 - D)]  (Adam lr, betas (0.5, 0.999));
    kind = "critic-gp": f maximises E_p f - E_q f - gp E (||grad f(x^)|| - 1)^2 at random
        interpolates x^ (WGAN-GP, Gulrajani et al. 2017; Adam lr, betas (0, 0.9));
    kind = "critic-clip": f maximises E_p f - E_q f with every weight clipped to [-clip, clip]
        after each step (WGAN, Arjovsky et al. 2017; RMSProp lr).
    noise > 0: instance noise, D sees x + N(0, noise^2 I) on both sides (any kind).
    f: MLP(dim -> hidden (leaky relu) -> 1). Returns (f, rng) with rng the generator used,
    ready to draw fresh evaluation samples.
    """
    if kind not in SCORERS:
        raise ValueError(f"unknown scorer {kind!r}; allowed: {', '.join(SCORERS)}")
    rng = np.random.default_rng(seed)
    f = MLP((p.dim, *hidden, 1), hidden="leaky_relu", seed=rng, dtype=dtype)
    if kind == "discriminator":
        loss, opt = get_loss("minimax"), get_optimizer("adam", lr=lr, betas=(0.5, 0.999))
    elif kind == "critic-gp":
        loss, opt = get_loss("wasserstein"), get_optimizer("adam", lr=lr, betas=(0.0, 0.9))
    else:
        loss, opt = get_loss("wasserstein"), get_optimizer("rmsprop", lr=lr)
    with np.errstate(over="ignore", under="ignore"):
        for _ in range(steps):
            xr, xf = p.sample(batch, rng, dtype=dtype), q.sample(batch, rng, dtype=dtype)
            _, grads, _ = d_gradients(f, loss, xr, xf, rng=rng, noise=noise,
                                      gp=gp if kind == "critic-gp" else 0.0)
            opt.step(f.params, grads)
            if kind == "critic-clip":
                penalties.clip_weights(f.params, clip)
    return f, rng


SCORERS = ("discriminator", "critic-gp", "critic-clip")


def lipschitz_estimate(f, points):
    """max ||grad_x f(x)|| over `points` (N, dim): f's Lipschitz constant on that region.

    For a piecewise-linear (leaky relu) network the gradient is constant on each linear
    piece, so dense points give the constant on the region they cover.
    """
    y, cache = f.forward(points)
    dx, _ = f.backward(np.ones_like(y), cache, need_params=False)
    return float(np.linalg.norm(dx, axis=1).max())


def js_estimate(D, p, q, n, rng, noise=0.0):
    """JS(p || q) ~= log 2 - L_D / 2 from a trained discriminator, on n fresh samples each.

    L_D = E_p[-log D] + E_q[-log(1 - D)] (metrics.js_from_d_loss): a lower bound on JS,
    tight when D is optimal. With noise > 0 both samples get N(0, noise^2 I) added: the JS of
    the two distributions blurred by the noise. Returns (js, d_loss).
    """
    bce = get_loss("minimax")
    xr = penalties.add_instance_noise(p.sample(n, rng), noise, rng)
    xf = penalties.add_instance_noise(q.sample(n, rng), noise, rng)
    with np.errstate(over="ignore", under="ignore"):
        d_loss = bce.d_real(D(xr))[0] + bce.d_fake(D(xf))[0]
    return js_from_d_loss(d_loss), d_loss


def js_under_noise(theta, sigma, n=20001):
    """JS between the parallel lines P_0 and P_theta, both blurred by N(0, sigma^2 I).

    Blurred, P_0 has density a(x_1) c(x_2) and P_theta b(x_1) c(x_2), with a = N(0, sigma^2),
    b = N(theta, sigma^2) and c the uniform [0, 1] blurred (the same for both). The common
    factor c cancels in every ratio, so JS(P_0, P_theta) = JS(a, b): a 1-D integral, done
    here by a Riemann sum on n points over 12 sigma around the two centres. It is 0 at
    theta = 0, rises smoothly with |theta| and tends to log 2 as |theta| / sigma grows: the
    noise turns JS's jump into a slope G can follow. theta: float or array; sigma > 0.
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma!r}")
    out = []
    for t in np.atleast_1d(np.asarray(theta, dtype=np.float64)):
        x = np.linspace(min(0.0, t) - 12 * sigma, max(0.0, t) + 12 * sigma, n)
        # log-probabilities of the grid cells, so that no ratio under- or overflows
        la = -0.5 * (x / sigma) ** 2
        lb = -0.5 * ((x - t) / sigma) ** 2
        la, lb = la - np.logaddexp.reduce(la), lb - np.logaddexp.reduce(lb)
        lm = np.logaddexp(la, lb) - math.log(2.0)
        out.append(0.5 * float(np.sum(np.exp(la) * (la - lm)) + np.sum(np.exp(lb) * (lb - lm))))
    out = np.asarray(out)
    return float(out[0]) if np.ndim(theta) == 0 else out


def w1_estimate(f, p, q, n, rng, normalise=False):
    """W1(p, q) ~= E_p f - E_q f from a trained critic f, on n fresh samples each.

    This is W1 exactly when f is the best 1-Lipschitz function (Kantorovich-Rubinstein).
    A clipped critic is K-Lipschitz for some unknown K and estimates K * W1 ("up to a
    multiplicative constant", Arjovsky et al. 2017); with normalise=True, K is measured as
    the largest ||grad f|| on the segments between the p and q samples (where the optimal
    critic lives) and divided out. Returns a dict with w1, gap (E_p f - E_q f) and
    lipschitz (K, or None when not normalising).
    """
    xr, xf = p.sample(n, rng), q.sample(n, rng)
    gap = float(f(xr).mean() - f(xf).mean())
    if not normalise:
        return {"w1": gap, "gap": gap, "lipschitz": None}
    t = rng.random((n, 1))
    k = lipschitz_estimate(f, np.concatenate([xr, xf, t * xr + (1 - t) * xf]))
    return {"w1": gap / k if k > 0 else 0.0, "gap": gap, "lipschitz": k}


def theta_gradient(f, cost, q, n, rng):
    """dL_G/dtheta for the generator g_theta(z) = (theta, z) of the parallel lines.

    L_G is the tinygan loss `cost` (minimax, nonsaturating, wasserstein) on f's outputs for
    n samples of q = P_theta. Since dx/dtheta = (1, 0) for every sample,
    dL_G/dtheta = sum_i dL_G/dx_i[0] (dL_G/dx already carries the 1/n of the batch mean).
    A negative value means increasing theta lowers G's loss. Returns a float.
    """
    x = q.sample(n, rng)
    with np.errstate(over="ignore", under="ignore"):
        logits, cache = f.forward(x)
        _, dl = get_loss(cost).g(logits)
        dx, _ = f.backward(dl["fake_logits"], cache, need_params=False)
    return float(dx[:, 0].sum())


def parallel_lines_sweep(thetas, steps=500, hidden=(64, 64), lr=1e-3, batch=128, gp=10.0,
                         clip=0.01, n_eval=4096, seed=0, clip_critic=True, noise=0.0):
    """WGAN's Example 1 at every theta: closed forms beside estimates from trained networks.

    For each theta, P_0 = (0, Z) is the data and P_theta = (theta, Z) the generator. Trained
    from scratch for `steps` steps each: a discriminator (JS estimate, and the gradient
    dL_G/dtheta it gives a generator at theta under the minimax and non-saturating costs),
    a WGAN-GP critic (W1 estimate, and the gradient -d E f(g_theta)/dtheta it gives), and if
    clip_critic a weight-clipped WGAN critic (its raw gap E f(real) - E f(fake), its
    Lipschitz constant K measured on the region between the samples, and the gradient it gives
    G), and if noise > 0 a discriminator trained with instance noise (JS of the blurred
    distributions). Returns a dict of (T,) arrays: theta, js, w1 (closed forms), js_est,
    d_loss, w1_gp, clip_gap, clip_lipschitz, grad_minimax, grad_nonsat, grad_critic,
    grad_clip, js_noise (NaN without noise).
    """
    p = get_dataset("parallel_lines", theta=0.0)
    keys = ("js_est", "d_loss", "w1_gp", "clip_gap", "clip_lipschitz",
            "grad_minimax", "grad_nonsat", "grad_critic", "grad_clip", "js_noise")
    out = {k: [] for k in keys}
    for i, theta in enumerate(thetas):
        q = get_dataset("parallel_lines", theta=float(theta))
        s = [seed, i]
        D, rng = train_scorer(p, q, "discriminator", steps, hidden, lr, batch, seed=s)
        js, d_loss = js_estimate(D, p, q, n_eval, rng)
        out["js_est"].append(js)
        out["d_loss"].append(d_loss)
        out["grad_minimax"].append(theta_gradient(D, "minimax", q, n_eval, rng))
        out["grad_nonsat"].append(theta_gradient(D, "nonsaturating", q, n_eval, rng))
        f, rng = train_scorer(p, q, "critic-gp", steps, hidden, lr, batch, gp=gp, seed=s)
        out["w1_gp"].append(w1_estimate(f, p, q, n_eval, rng)["w1"])
        out["grad_critic"].append(theta_gradient(f, "wasserstein", q, n_eval, rng))
        if clip_critic:
            f, rng = train_scorer(p, q, "critic-clip", steps, hidden, lr, batch, clip=clip, seed=s)
            est = w1_estimate(f, p, q, n_eval, rng, normalise=True)
            out["clip_gap"].append(est["gap"])
            out["clip_lipschitz"].append(est["lipschitz"])
            out["grad_clip"].append(theta_gradient(f, "wasserstein", q, n_eval, rng))
        else:
            for k in ("clip_gap", "clip_lipschitz", "grad_clip"):
                out[k].append(np.nan)
        if noise:
            D, rng = train_scorer(p, q, "discriminator", steps, hidden, lr, batch, seed=s + [1],
                                  noise=noise)
            out["js_noise"].append(js_estimate(D, p, q, n_eval, rng, noise=noise)[0])
        else:
            out["js_noise"].append(np.nan)
    closed = parallel_lines_divergences(np.asarray(thetas, dtype=np.float64))
    res = {"theta": np.asarray(thetas, dtype=np.float64), "js": closed["js"], "w1": closed["w1"]}
    res.update({k: np.asarray(v, dtype=np.float64) for k, v in out.items()})
    return res


# ============================================================ a generator that starts far away

def _pull(trainer, n, rng):
    """Median over n fresh samples of the pull towards the data line x_1 = 0.

    Each sample's own gradient dL_G/dx_i (dx times n: dx is the gradient of the batch mean)
    moves it by -dL_G/dx_i under gradient descent; its component towards the line is
    dL_G/dx_i[0] * sign(x_i[0]). The median says what the bulk of the samples feel, which a
    mean dominated by the few samples nearest the data would hide.
    """
    z = rng.standard_normal((n, trainer.config.z_dim)).astype(trainer.dtype)
    with np.errstate(over="ignore", under="ignore"):
        x_real = trainer.real_batch(n, rng) if trainer.loss.pairs else None   # rpgan reads D(real)
        _, _, info = g_gradients(trainer.G, trainer.D, trainer.loss, z, x_real)
    return float(np.median(info["dx"][:, 0] * n * np.sign(info["x_fake"][:, 0])))


def train_from_far(config, start=(3.0, 0.5), steps=400, record_every=10, n_eval=512):
    """Train a GAN on the parallel lines (data: the segment x_1 = 0) from a generator far away.

    Builds Trainer(config) (config.data should be "parallel_lines" with theta 0), scales G's
    last layer by 0.3 so that its samples form a compact patch, and moves the patch by
    `start` (added to G's last bias). Trains `steps` steps; every `record_every` steps, on
    n_eval fresh samples, it records the mean distance to the data line, mean |x_1| (every
    sample has to travel at least |x_1|, so this is a lower bound on W1(data, G)), and the
    median pull towards the line that D's gradient gives a sample (see _pull).
    Returns a dict: step, distance, pull (R,), the trainer's per-step g_grad_norm and d_fake
    (steps,), and the trainer itself under "trainer".
    """
    if config.standardize:
        raise ValueError("train_from_far places G in the data's own units; give standardize=False")
    trainer = Trainer(config)
    last = trainer.G.n_layers
    trainer.G.params[f"W{last}"] *= 0.3
    trainer.G.params[f"b{last}"] += np.asarray(start, dtype=trainer.dtype)
    rng = np.random.default_rng([config.seed, 7])
    rec = {"step": [], "distance": [], "pull": []}

    def record():
        rec["step"].append(trainer.step)
        rec["distance"].append(float(np.mean(np.abs(trainer.sample(n_eval, rng)[:, 0]))))
        rec["pull"].append(_pull(trainer, n_eval, rng))

    for _ in range(steps):
        trainer.train_step()
        if trainer.step % record_every == 0 or trainer.step == 1:
            record()
    h = trainer.history
    res = {k: np.asarray(v) for k, v in rec.items()}
    res.update({"g_grad_norm": np.asarray(h["g_grad_norm"]), "d_fake": np.asarray(h["d_fake"]),
                "trainer": trainer})
    return res
