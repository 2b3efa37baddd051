"""Figures for the probes: generator costs, a frozen generator, the parallel lines.

Every function takes data (computed by tinygan.lab.saturation, tinygan.lab.parallel_lines or a demo), returns the Figure, and
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
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12.5, 5))
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
            ylabel="generator cost J  (tutorial's convention, with 1/2)",
            ylim=(-10, 5), xlim=(0, 1), title="Generator costs (Goodfellow 2016, Fig. 16)")
    ax0.legend(loc="upper right", fontsize=8.5)
    ax0.text(0.97, 0.80, "tinygan's losses.py has no 1/2:\nits minimax loss log(1 - D) is 2J",
             transform=ax0.transAxes, ha="right", va="top", fontsize=8, color=NEUTRAL)
    ax1.set_yscale("log")
    ax1.set(xlabel="D(G(z))", ylabel="|dJ / d logit|  (log scale)",
            xlim=(0, 1), ylim=(1e-4, 1e2),
            title="Slope w.r.t. D's logit: it multiplies G's whole gradient")
    ax1.annotate("minimax: |dJ/dl| = D/2 -> 0\nexactly where G needs to learn",
                 (0.002, 1e-3), xytext=(0.12, 2e-4), fontsize=8.5, color=MINIMAX,
                 arrowprops=dict(arrowstyle="->", color=MINIMAX))
    ax1.annotate("non-saturating: (1 - D)/2 -> 1/2", (0.02, 0.49), xytext=(0.1, 2.0),
                 fontsize=8.5, color=NONSAT, arrowprops=dict(arrowstyle="->", color=NONSAT))
    ax1.axvspan(0, 0.1, color=MINIMAX, alpha=0.06, lw=0)
    ax1.legend(loc="upper left", fontsize=8.5)
    fig.suptitle("The minimax cost is flat where G is bad: a confident D leaves G no gradient; "
                 "-log D keeps it", fontsize=12)
    fig.tight_layout()
    return _finish(fig, path)


def _log_axis(ax):
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(ticker.LogLocator(numticks=12))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())


@styled
def plot_frozen_generator(runs, noise_label, setup=None, path=None):
    """Arjovsky & Bottou (2017), Figs 1-3 on a toy: D's error and G's gradient norm, log scale.

    runs: {"plain": result, "noise": result}, each a dict from probes.train_d_against_frozen_g
    (step, d_loss, grad_norm {"minimax", "nonsaturating"}). noise_label: e.g. "sigma = 0.3".
    setup: optional (data samples, generator samples), both (N, 2), drawn as a first panel.
    """
    if setup is not None:
        fig, axes = plt.subplots(1, 4, figsize=(19, 4.6), gridspec_kw={"width_ratios": [0.8, 1, 1, 1]})
        plot_frozen_setup(*setup, ax=axes[0])
        axes = axes[1:]
    else:
        fig, axes = plt.subplots(1, 3, figsize=(15.5, 4.6))
    ax0 = axes[0]
    for key, ls, label in (("plain", "-", "no noise"), ("noise", "--", f"instance noise {noise_label}")):
        r = runs[key]
        ax0.plot(r["step"][1:], r["d_loss"][1:], color=NEUTRAL, ls=ls, lw=2, label=label)
    _log_axis(ax0)
    ax0.set(xlabel="discriminator steps (generator frozen)",
            ylabel="D's error: cross-entropy L_D (log scale)",
            title="A fresh D separates the disjoint supports:\nits error goes to ~0 (noise stops it)")
    ax0.legend(loc="lower left")
    for ax, key, title in ((axes[1], "plain", "No noise: the minimax gradient vanishes,\n"
                                                "the non-saturating one grows"),
                           (axes[2], "noise", f"Instance noise ({noise_label}):\n"
                                              "both gradients stay alive")):
        r = runs[key]
        for cost in ("minimax", "nonsaturating"):
            ax.plot(r["step"][1:], r["grad_norm"][cost][1:], color=COLORS[cost], lw=1.6,
                    label=f"{cost}: {'log(1 - D)' if cost == 'minimax' else '-log D'}")
        _log_axis(ax)
        ax.set(xlabel="discriminator steps (generator frozen)",
               ylabel="||grad_theta L_G||  (log scale)", title=title)
        ax.legend(loc="lower left")
    lo = min(np.min(runs[k]["grad_norm"][c][1:]) for k in runs for c in ("minimax", "nonsaturating"))
    hi = max(np.max(runs[k]["grad_norm"][c][1:]) for k in runs for c in ("minimax", "nonsaturating"))
    for ax in axes[1:]:
        ax.set_ylim(lo / 2, hi * 2)       # the same scale, so the two panels compare at a glance
    fig.suptitle("Frozen generator, discriminator trained from scratch "
                 "(Arjovsky & Bottou 2017, Figs 1-3, on a 2-D toy)", fontsize=12)
    fig.tight_layout()
    return _finish(fig, path)


@styled
def plot_frozen_setup(data_x, fake_x, ax=None, path=None):
    """The frozen experiment's layout: the data and the generator's samples, side by side."""
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.2, 4.2))
    ax.scatter(*data_x.T, s=4, color=CYCLE[0], label="data (a segment)")
    ax.scatter(*fake_x.T, s=4, color=MINIMAX, label="frozen G(z) (a curve)")
    ax.set(aspect="equal", xlabel="x_1", ylabel="x_2", title="Disjoint low-dimensional supports")
    ax.legend(loc="upper left", markerscale=3)
    if fig is not None:
        fig.tight_layout()
        return _finish(fig, path)
    return ax


@styled
def plot_parallel_lines(sweep, gp=None, path=None):
    """WGAN's Example 1: JS and W1 against theta, closed form and estimated, and G's gradient.

    sweep: the dict from probes.parallel_lines_sweep. gp: the WGAN-GP weight lambda; when
    given, the best critic under the soft penalty, |theta| + theta^2 / (2 lambda), is drawn.
    """
    t = sweep["theta"]
    fine = np.linspace(t.min(), t.max(), 801)
    fig, (ax0, ax1, ax2) = plt.subplots(1, 3, figsize=(16, 4.8))
    # JS: log 2 everywhere but 0, where it drops to 0 (drawn as a jump with an open circle)
    ax0.plot(fine[fine < 0], np.full((fine < 0).sum(), np.log(2)), color=NEUTRAL, lw=2,
             label="closed form: log 2 for theta != 0")
    ax0.plot(fine[fine > 0], np.full((fine > 0).sum(), np.log(2)), color=NEUTRAL, lw=2)
    ax0.plot(0, np.log(2), "o", mfc="white", mec=NEUTRAL, ms=9, zorder=4)
    ax0.plot(0, 0, "o", mfc="white", mec=NEUTRAL, mew=2, ms=11, zorder=4,
             label="closed form: 0 at theta = 0")
    ax0.plot(t, sweep["js_est"], "o", color=MINIMAX, ms=6, zorder=5,
             label="from a trained D: log 2 - L_D/2")
    ax0.set(xlabel="theta  (generator's line at x_1 = theta, data at 0)", ylabel="JS(P_0 || P_theta)",
            ylim=(-0.05, 0.85), title="Jensen-Shannon is flat: log 2 at every distance")
    ax0.axhline(np.log(2), color=NEUTRAL, lw=0.6, ls=":")
    ax0.legend(loc="center right")
    ax1.plot(fine, np.abs(fine), color=NEUTRAL, lw=2, label="closed form: |theta|")
    if gp:
        ax1.plot(fine, np.abs(fine) + fine ** 2 / (2 * gp), color=COLORS["wgan-gp"], lw=1,
                 ls="--", label=f"best critic under the soft penalty: |theta| + theta^2/{2 * gp:g}")
    ax1.plot(t, sweep["w1_gp"], "o", color=COLORS["wgan-gp"], ms=6,
             label="WGAN-GP critic: E f(real) - E f(fake)")
    if np.all(np.isfinite(sweep["w1_clip"])):
        ax1.plot(t, sweep["w1_clip"], "s", mfc="none", mec=COLORS["wgan-clip"], ms=7, mew=1.5,
                 label="clipped critic, gap / measured Lipschitz K")
    ax1.set(xlabel="theta", ylabel="W1(P_0, P_theta)",
            title="Wasserstein-1 grows with the distance: |theta|")
    ax1.legend(loc="upper center", fontsize=8)
    # G's gradient dL_G/dtheta: symmetric log scale, the minimax values are tiny
    ax2.plot(t, sweep["grad_minimax"], "o-", color=MINIMAX, ms=5, lw=1.2,
             label="GAN, minimax log(1 - D)")
    ax2.plot(t, sweep["grad_nonsat"], "o-", color=NONSAT, ms=5, lw=1.2,
             label="GAN, non-saturating -log D")
    ax2.plot(t, sweep["grad_critic"], "o-", color=COLORS["critic"], ms=5, lw=1.2,
             label="WGAN-GP critic, -E f(fake)")
    ax2.plot(fine, np.sign(fine), color=NEUTRAL, lw=1, ls="--", label="dW1/dtheta = sign(theta)")
    ax2.set_yscale("symlog", linthresh=1e-3)
    ax2.axhline(0, color=NEUTRAL, lw=0.6)
    ax2.set(xlabel="theta", ylabel="dL_G / dtheta  (symlog; sign(theta): descent goes home)",
            title="The gradient a trained D / critic hands G at theta")
    ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=8)
    fig.suptitle("WGAN's parallel lines: JS cannot tell near from far, W1 can, "
                 "and only the critic's gradient is steady and points home", fontsize=12)
    fig.tight_layout()
    return _finish(fig, path)


@styled
def plot_far_start(runs, colors=None, path=None):
    """GANs whose generator starts far from the data line: distance and pull, against steps.

    runs: dict label -> result of probes.train_from_far (step, distance, pull).
    colors: optional dict label -> colour.
    """
    colors = colors or {}
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(13, 4.8))
    floor = 1e-45            # a pull at or below this (or pointing away) is drawn on the floor
    for i, (label, r) in enumerate(runs.items()):
        c = colors.get(label, CYCLE[i % len(CYCLE)])
        ax0.plot(r["step"], r["distance"], color=c, lw=2.2, label=label)
        pull = np.asarray(r["pull"])
        ax1.plot(r["step"], np.maximum(pull, floor), color=c, lw=2.2, label=label)
        away = pull <= floor
        if away.any():
            ax1.plot(r["step"][away], np.full(away.sum(), floor), "v", color=c, ms=5)
    _log_axis(ax0)
    ax0.set(xlabel="generator steps", ylabel="mean distance of G's samples to the data line (log)",
            title="Who reaches the data from 3 units away?")
    ax0.legend(loc="lower left")
    _log_axis(ax1)
    ax1.set(xlabel="generator steps",
            ylabel="median pull towards the data, -dL_G/dx_1 (log)",
            title="What the typical sample is told: move home, with what force?")
    ax1.legend(loc="lower left")
    fig.suptitle("Generator started far from the data line, D (critic) trained 5 steps per G step",
                 fontsize=12)
    fig.tight_layout()
    return _finish(fig, path)
