"""Figures for the probes: generator costs, frozen generators, instance noise, Thm 2.5, the parallel lines.

Every function takes data (computed by tinygan.questions.saturation, tinygan.questions.parallel_lines or a demo), returns the Figure, and
saves it when given a path.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker

from tinygan.plots.style import CYCLE, MINIMAX, NEUTRAL, NONSAT, save, styled

# One colour per generator cost / scorer, shared by every figure in this module.
COLORS = {"minimax": MINIMAX, "nonsaturating": NONSAT, "max_likelihood": "#1f77b4",
          "critic": "#7b3fb0", "wgan-gp": "#7b3fb0", "wgan-clip": "#ff7f0e"}
LABELS = {"minimax": "minimax  J = 1/2 log(1 - D)",
          "nonsaturating": "non-saturating  J = -1/2 log D",
          "max_likelihood": "maximum likelihood  J = -1/2 D/(1 - D)"}


def _finish(fig, path):
    if path is not None:
        save(fig, path)
    return fig


@styled
def plot_generator_costs(d, costs, slopes, marks=None, path=None):
    """Goodfellow's Fig. 16 and its slope: J(D(G(z))) and |dJ/dlogit|, one curve per cost.

    d: (K,) values of D(G(z)) in (0, 1). costs, slopes: dict name -> (K,) arrays.
    marks: optional dict name -> value of J at D = 0.5, drawn as labelled points.
    """
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9.4, 4.4))
    for name in costs:
        c = COLORS.get(name, NEUTRAL)
        ax0.plot(d, costs[name], color=c, lw=2.2, label=LABELS.get(name, name))
        ax1.plot(d, np.abs(slopes[name]), color=c, lw=2.2, label=LABELS.get(name, name).split("  ")[0])
    if marks:
        lines = ["at D(G(z)) = 0.5:"]
        for name, value in marks.items():
            ax0.plot(0.5, value, "o", mfc="white", mec=COLORS.get(name, NEUTRAL), mew=2, ms=7, zorder=5)
            lines.append(f"{LABELS.get(name, name).split('  ')[0]:>18}  J = {value:+.3f}")
        ax0.text(0.03, 0.04, "\n".join(lines), transform=ax0.transAxes, fontsize=8.5,
                 family="monospace", va="bottom",
                 bbox=dict(boxstyle="round", fc="white", ec="#cccccc"))
    ax0.axvline(0.5, color=NEUTRAL, lw=0.8, ls=":")
    ax0.annotate("flat where G is bad (D -> 0):\nno slope to follow", (0.03, -0.02),
                 xytext=(0.12, 2.6), fontsize=8.5, color=MINIMAX,
                 arrowprops=dict(arrowstyle="->", color=MINIMAX))
    ax0.set(xlabel="D(G(z))   (0: D is sure the sample is fake)",
            ylabel="generator cost J  (with the tutorial's 1/2)",
            ylim=(-10, 5), xlim=(0, 1), title="Generator costs (as in Goodfellow 2016, Fig. 16)")
    ax0.legend(loc="upper right", fontsize=8.5)
    ax0.text(0.97, 0.80, "tinygan's losses.py has no 1/2:\nits minimax loss log(1 - D) is 2J",
             transform=ax0.transAxes, ha="right", va="top", fontsize=8, color=NEUTRAL)
    ax1.set_yscale("log")
    ax1.set(xlabel="D(G(z))", ylabel="|dJ / d logit|  (log scale)",
            xlim=(0, 1), ylim=(1e-4, 1e2),
            title="Slope in D's logit: a factor of G's gradient")
    ax1.annotate("minimax: |dJ/dl| = D/2 -> 0\nexactly where G needs to learn",
                 (0.002, 1e-3), xytext=(0.12, 2e-4), fontsize=8.5, color=MINIMAX,
                 arrowprops=dict(arrowstyle="->", color=MINIMAX))
    ax1.annotate("non-saturating: (1 - D)/2 -> 1/2", (0.02, 0.49), xytext=(0.1, 2.0),
                 fontsize=8.5, color=NONSAT, arrowprops=dict(arrowstyle="->", color=NONSAT))
    ax1.axvspan(0, 0.1, color=MINIMAX, alpha=0.06, lw=0)
    ax1.legend(loc="upper left", fontsize=8.5)
    fig.suptitle("The minimax cost is flat where G is bad; -log D keeps a slope", fontsize=12)
    fig.tight_layout()
    return _finish(fig, path)


def _log_axis(ax):
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(ticker.LogLocator(numticks=12))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())


def _mean_bars(ax, t, values, fmt, **kw):
    """Mean over seeds (rows of values) as markers, the min-max spread as error bars."""
    v = np.asarray(values, dtype=float)
    m = v.mean(axis=0)
    err = np.vstack([m - v.min(axis=0), v.max(axis=0) - m])
    return ax.errorbar(t, m, yerr=err, fmt=fmt, capsize=2.5, **kw)


@styled
def plot_parallel_lines(t, S, js_noise_curve, noise, gp=None, path=None):
    """WGAN's Example 1 over seeds: JS (with and without noise), W1, the clipped critic, G's gradient.

    t: (T,) thetas. S: dict of (seeds, T) arrays from parallel_lines.parallel_lines_sweep (js_est,
    js_noise, w1_gp, clip_gap, clip_lipschitz, grad_minimax, grad_nonsat, grad_critic, grad_clip).
    js_noise_curve: (x, y), the blurred JS by numerical integration; noise: its sigma. gp: the WGAN-GP
    weight lambda (draws the best penalised critic, |theta| + theta^2 / (2 lambda)).
    """
    fine = np.linspace(t.min(), t.max(), 801)
    fig, axes = plt.subplots(2, 2, figsize=(9.6, 7.8))
    (a0, a1), (a2, a3) = axes
    for side in (fine < 0, fine > 0):
        a0.plot(fine[side], np.full(side.sum(), np.log(2)), color=NEUTRAL, lw=2,
                label="closed form: log 2 (theta != 0)" if side[0] else None)
    a0.plot(0, 0, "o", mfc="white", mec=NEUTRAL, mew=2, ms=9, zorder=4, label="closed form: 0 at theta = 0")
    _mean_bars(a0, t, S["js_est"], "o", color=MINIMAX, ms=5, label="trained D: log 2 - L_D/2")
    a0.plot(*js_noise_curve, color=NONSAT, lw=1.5, label=f"blurred by N(0, {noise:g}^2): integral")
    _mean_bars(a0, t, S["js_noise"], "s", color=NONSAT, ms=5, mfc="white", label="trained D with that noise")
    a0.set(xlabel="theta", ylabel="JS(P_0, P_theta)", ylim=(-0.05, 0.85),
           title="(a) JS: flat without noise, a slope with it")
    a0.legend(loc="lower left", fontsize=7.5)
    a1.plot(fine, np.abs(fine), color=NEUTRAL, lw=2, label="closed form W1 = |theta|")
    if gp:
        a1.plot(fine, np.abs(fine) + fine ** 2 / (2 * gp), color=COLORS["wgan-gp"], lw=1, ls="--",
                label=f"best penalised critic |theta| + theta^2/{2 * gp:g}")
    _mean_bars(a1, t, S["w1_gp"], "o", color=COLORS["wgan-gp"], ms=5, label="WGAN-GP critic's gap")
    a1.set(xlabel="theta", ylabel="E f(real) - E f(fake)", title="(b) a penalised critic reads W1")
    a1.legend(loc="upper center", fontsize=7.5)
    _mean_bars(a2, t, S["clip_gap"], "s", color=COLORS["wgan-clip"], ms=5, mfc="white",
               label="clipped critic's raw gap")
    k = np.nanmean(S["clip_lipschitz"], axis=0)
    a2.plot(t, k * np.abs(t), color=COLORS["wgan-clip"], lw=1, ls=":", label="measured K x |theta|")
    a2.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
    a2.set(xlabel="theta", ylabel="E f(real) - E f(fake)  (raw, not divided by K)",
           title=f"(c) clipped critic: K ~ {np.nanmean(S['clip_lipschitz']):.0e}, a shrunken W1")
    a2.legend(loc="upper center", fontsize=7.5)
    for key, color, label in (("grad_minimax", MINIMAX, "GAN, minimax"),
                              ("grad_nonsat", NONSAT, "GAN, non-saturating"),
                              ("grad_critic", COLORS["critic"], "WGAN-GP critic"),
                              ("grad_clip", COLORS["wgan-clip"], "clipped critic")):
        _mean_bars(a3, t, S[key], "o-", color=color, ms=4, lw=1, label=label)
    a3.plot(fine, np.sign(fine), color=NEUTRAL, lw=1, ls="--", label="dW1/dtheta = sign(theta)")
    a3.set_yscale("symlog", linthresh=1e-3)
    a3.axhline(0, color=NEUTRAL, lw=0.6)
    a3.set(xlabel="theta", ylabel="dL_G/dtheta (symlog)", title="(d) the gradient handed to G")
    a3.legend(loc="upper left", fontsize=7, ncol=1)
    fig.suptitle("WGAN's parallel lines: JS cannot tell near from far, W1 can", fontsize=12)
    fig.tight_layout()
    return _finish(fig, path)


@styled
def plot_far_start(runs, colors=None, path=None):
    """GANs whose generator starts far from the data line: distance and pull, against steps.

    runs: per seed a dict label -> {"step", "distance", "pull"} (parallel_lines.train_from_far),
    or one such dict. colors: optional dict label -> colour.
    """
    runs = [runs] if isinstance(runs, dict) else list(runs)
    colors = colors or {}
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9.6, 4.0))
    floor = 1e-45            # a pull at or below this (or pointing away) is drawn on the floor
    for s, seed_runs in enumerate(runs):
        for i, (label, r) in enumerate(seed_runs.items()):
            c = colors.get(label, CYCLE[i % len(CYCLE)])
            kw = dict(color=c, lw=1.8, alpha=0.9 if s == 0 else 0.45, label=label if s == 0 else None)
            ax0.plot(r["step"], r["distance"], **kw)
            pull = np.asarray(r["pull"])
            ax1.plot(r["step"], np.maximum(pull, floor), **kw)
            away = pull <= floor
            if away.any():
                ax1.plot(np.asarray(r["step"])[away], np.full(away.sum(), floor), "v", color=c, ms=4)
    _log_axis(ax0)
    ax0.set(xlabel="generator steps", ylabel="distance to the data line (log)",
            title="Who reaches the data from 3 units away?")
    ax0.legend(loc="lower left", fontsize=8)
    _log_axis(ax1)
    ax1.set(xlabel="generator steps", ylabel="median pull towards the data (log)",
            title="With what force is a sample pulled home?")
    fig.suptitle("Generator started far from the data line; D (critic) trained 5 steps per G step",
                 fontsize=11)
    fig.tight_layout()
    return _finish(fig, path)


def _seed_lines(ax, runs, key, color, label, lw=1.4):
    """One line per seed (the first labelled), x = run["step"][1:], y = key (a path into run)."""
    for i, r in enumerate(runs):
        y = r
        for part in key:
            y = y[part]
        ax.plot(r["step"][1:], np.asarray(y)[1:], color=color, lw=lw, alpha=0.9 if i == 0 else 0.45,
                label=label if i == 0 else None)


@styled
def plot_frozen_budgets(budgets, path=None):
    """Arjovsky & Bottou's Figs 1-3 for generators frozen after several training budgets.

    budgets: list of dicts {"label", "data" (n, 2), "fake" (m, 2), "runs": [result, ...]} with
    each result from saturation.train_d_against_frozen_g(..., bound=True) (one per seed).
    One row per budget: the samples; D's loss; G's gradient norms with Thm 2.4's bound.
    """
    n = len(budgets)
    fig, axes = plt.subplots(n, 3, figsize=(9.6, 2.9 * n + 0.5), squeeze=False,
                             gridspec_kw={"width_ratios": [0.75, 1, 1]})
    lo = min(np.min(r["grad_norm"][c][1:]) for b in budgets for r in b["runs"]
             for c in ("minimax", "nonsaturating"))
    hi = max(np.max(r["grad_norm"][c][1:]) for b in budgets for r in b["runs"]
             for c in ("minimax", "nonsaturating"))
    for (a0, a1, a2), b in zip(axes, budgets):
        a0.scatter(*np.asarray(b["data"]).T, s=3, color=CYCLE[0], label="data")
        a0.scatter(*np.asarray(b["fake"]).T, s=3, color=MINIMAX, label="frozen G(z)")
        a0.set(aspect="equal", xlim=(-1.3, 1.6), ylim=(-1.5, 1.3), xticks=[-1, 0, 1], yticks=[-1, 0, 1])
        a0.set_title(b["label"], fontsize=10, loc="left")
        _seed_lines(a1, b["runs"], ("d_loss",), NEUTRAL, "D's loss L_D")
        _log_axis(a1)
        a1.set_ylim(1e-7, 3)
        a1.set_ylabel("D's loss (log)")
        _seed_lines(a2, b["runs"], ("grad_norm", "minimax"), MINIMAX, "minimax log(1 - D)")
        _seed_lines(a2, b["runs"], ("grad_norm", "nonsaturating"), NONSAT, "non-saturating -log D")
        for i, r in enumerate(b["runs"]):
            if "bound" in r:
                bound = np.where(np.isfinite(r["bound"]), r["bound"], np.nan)
                a2.plot(r["step"][1:], bound[1:], color=MINIMAX, ls="--", lw=1,
                        alpha=0.8 if i == 0 else 0.35, label="Thm 2.4 bound M eps/(1-eps)" if i == 0 else None)
        _log_axis(a2)
        a2.set_ylim(lo / 3, hi * 3)
        a2.set_ylabel("||grad_theta L_G|| (log)")
    axes[0, 0].legend(loc="upper left", markerscale=3, fontsize=8)
    axes[0, 2].legend(loc="lower left", fontsize=8)
    axes[0, 1].set_title("a fresh D trained against it", fontsize=10, loc="left")
    axes[0, 2].set_title("G's gradient norm (a line per seed)", fontsize=10, loc="left")
    for ax in axes[-1, 1:]:
        ax.set_xlabel("D steps (G frozen)")
    fig.suptitle("Frozen generators, fresh discriminators (Arjovsky & Bottou 2017, Figs 1-3, on a 2-D toy)",
                 fontsize=11.5)
    fig.tight_layout()
    return _finish(fig, path)


@styled
def plot_noise_remedy(noisy_runs, games, noise_label, near=None, path=None):
    """Instance noise, constant on a frozen G, then annealed in a minimax GAN.

    noisy_runs: one train_d_against_frozen_g result per seed (trained with noise).
    games: per seed a dict {variant label: saturation.train_generator result} (step, distance)
    and, when present, "g_grad_norm" per game step.
    """
    fig, (a0, a1, a2) = plt.subplots(1, 3, figsize=(9.8, 3.7))
    _seed_lines(a0, noisy_runs, ("grad_norm", "minimax"), MINIMAX, "minimax log(1 - D)")
    _seed_lines(a0, noisy_runs, ("grad_norm", "nonsaturating"), NONSAT, "non-saturating -log D")
    _seed_lines(a0, noisy_runs, ("d_loss",), NEUTRAL, "D's loss", lw=1)
    _log_axis(a0)
    lo = min(np.min(r["d_loss"][1:]) for r in noisy_runs)
    a0.set_ylim(bottom=lo / 20)                     # room for the legend under the curves
    a0.set(xlabel="D steps (G frozen)", ylabel="gradient norm, D's loss (log)",
           title=f"(a) frozen G, noise {noise_label}")
    a0.legend(loc="lower left", fontsize=7.5)
    colors = {0: MINIMAX, 1: NONSAT}
    for i, g in enumerate(games):
        for k, (label, r) in enumerate(g.items()):
            a1.plot(r["step"], r["distance"], color=colors.get(k, CYCLE[k]), lw=1.6,
                    alpha=0.9 if i == 0 else 0.45, label=label if i == 0 else None)
            g = np.asarray(r["g_grad_norm"], dtype=float)
            w = min(9, len(g))
            smooth = np.convolve(g, np.ones(w) / w, mode="valid")
            a2.plot(np.arange(len(smooth)) + (w + 1) // 2, smooth, color=colors.get(k, CYCLE[k]),
                    lw=1.3, alpha=0.9 if i == 0 else 0.45, label=label if i == 0 else None)
    if near:
        a1.axhline(near, color=NEUTRAL, ls=":", lw=1, label=f"within {near} of the data")
    _log_axis(a1)
    a1.set(xlabel="game steps", ylabel="G's distance to the data (log)",
           title="(b) minimax GAN vs a pretrained D")
    a1.legend(loc="upper right", fontsize=7.5)
    _log_axis(a2)
    a2.set(xlabel="game steps", ylabel="||grad_theta L_G|| (log, smoothed)",
           title="(c) G's gradient in those runs")
    a2.legend(loc="lower right", fontsize=7.5)
    fig.tight_layout()
    return _finish(fig, path)


@styled
def plot_objectives_1d(x, pdfs, objectives, path=None):
    """Thm 2.5 in 1-D: the data and some generators (left), what each cost charges them (right).

    x: (K,) grid. pdfs: {label: (K,) density}, the last one being the data. objectives:
    {label: {"nonsaturating", "minimax", "max_likelihood"}} for the same labels.
    """
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(9.6, 3.6), gridspec_kw={"width_ratios": [1, 1.1]})
    labels = list(pdfs)
    styles = [dict(color=MINIMAX, lw=2), dict(color=CYCLE[3], lw=2), dict(color=CYCLE[0], lw=0, alpha=0.25)]
    for label, st in zip(labels, styles):
        if label == labels[-1]:
            a0.fill_between(x, pdfs[label], color=CYCLE[0], alpha=0.25, label=label)
        else:
            a0.plot(x, pdfs[label], label=label, **st)
    a0.set(xlabel="x", ylabel="density", title="The data (shaded) and two generators")
    a0.legend(loc="upper left", fontsize=8)
    costs = ("nonsaturating", "minimax", "max_likelihood")
    names = {"nonsaturating": "-log D:\nKL(Pg||Pr) - 2 JS", "minimax": "minimax:\n2 JS - log 4",
             "max_likelihood": "max. likelihood:\nKL(Pr||Pg)"}
    width = 0.38
    for k, label in enumerate(labels[:2]):
        vals = [objectives[label][c] for c in costs]
        pos = np.arange(len(costs)) + (k - 0.5) * width
        a1.bar(pos, vals, width, color=styles[k]["color"], label=label)
        for p, v in zip(pos, vals):
            a1.text(p, v, f"{v:.2f}", ha="center", va="bottom" if v >= 0 else "top", fontsize=8)
    a1.axhline(0, color=NEUTRAL, lw=0.8)
    a1.set_xticks(np.arange(len(costs)), [names[c] for c in costs], fontsize=8.5)
    a1.set_yscale("symlog", linthresh=1)
    a1.set(ylabel="cost (symlog; lower is better for G)", title="What each cost charges them")
    a1.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return _finish(fig, path)
