"""Figures that put several runs side by side (the demos of Q5 and Q6).

    plot_sample_strips(rows)               generated samples at several steps, one row per run
    plot_runs_side_by_side(runs)           the textbook loss layout for two runs, in columns
    plot_two_views(histories)              d_loss_fake and g_loss as two functions of D(G(z))
    plot_d_landscapes(panels)              D's output, the data and G's samples, per variant
    plot_loss_vs_quality(runs)             a loss beside the distance to the data, per seed

Every function takes plain arrays and dicts (never a Trainer), returns the Figure, and saves
it when given a path.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker

from tinygan.plots.style import CYCLE, FAKE, NEUTRAL, REAL, save, styled

__all__ = ["plot_sample_strips", "plot_runs_side_by_side",
           "plot_two_views", "plot_d_landscapes", "plot_loss_vs_quality"]

LOG2 = math.log(2.0)


def _smooth(y, w):
    """Centred moving average of width w (the window shrinks near the ends)."""
    y = np.asarray(y, dtype=np.float64)
    if w <= 1 or len(y) < 3:
        return y
    c = np.concatenate([[0.0], np.cumsum(y)])
    i = np.arange(len(y))
    lo, hi = np.maximum(i - w // 2, 0), np.minimum(i + w // 2 + 1, len(y))
    return (c[hi] - c[lo]) / (hi - lo)


@styled
def plot_sample_strips(rows, path=None, title=None, max_points=1000):
    """Generated samples (red) over the mode centres (blue) at several steps.

    rows: list of dicts {"label": str, "centers": (K, 2), "lim": float,
    "snaps": [(step or a heading, samples (n, 2), note or None), ...]} and optionally "frame_note": True
    to print the frame's size (for rows zoomed out to follow a runaway generator). Samples outside [-lim, lim]^2 are drawn on the border.
    """
    ncol = max(len(r["snaps"]) for r in rows)
    size = min(2.0, 9.4 / (ncol + 0.3))          # the figure stays within ~1,000 px wide
    fig, axes = plt.subplots(len(rows), ncol, figsize=(size * ncol + 0.5, (size + 0.3) * len(rows)),
                             squeeze=False, layout="constrained")
    for r, row in enumerate(rows):
        lim = row["lim"]
        for c in range(ncol):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            ax.set_aspect("equal")
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            for side in ("top", "right"):
                ax.spines[side].set_visible(True)
            if c >= len(row["snaps"]):
                ax.set_axis_off()
                continue
            step, x, note = row["snaps"][c]
            x = np.clip(np.asarray(x)[:max_points], -lim * 0.985, lim * 0.985)
            cen = np.asarray(row["centers"])
            ax.scatter(cen[:, 0], cen[:, 1], s=40, facecolors="none", edgecolors=REAL, lw=1.1)
            ax.scatter(x[:, 0], x[:, 1], s=2.5, color=FAKE, alpha=0.45, lw=0)
            heading = step if isinstance(step, str) else f"step {step}"
            ax.set_title(heading + (f"\n{note}" if note else ""), fontsize=9)
            if c == ncol - 1 and row.get("frame_note"):
                ax.text(0.97, 0.03, f"frame ±{lim:.0f}", transform=ax.transAxes, ha="right",
                        va="bottom", fontsize=7.5, color=NEUTRAL)
            if c == 0:
                ax.set_ylabel(row["label"], fontsize=9.5)
    if title:
        fig.suptitle(title, fontsize=11)
    if path is not None:
        save(fig, path)
    return fig


def _eval_series(evals, key):
    pts = [(e["step"], e[key]) for e in evals if key in e]
    return (np.array([p[0] for p in pts]), np.array([p[1] for p in pts], dtype=float)) if pts else None


@styled
def plot_runs_side_by_side(runs, path=None, title=None):
    """The textbook loss layout for several runs, one column each, on shared y-axes.

    Rows: (a) D's loss on real -log D(x), on fake -log(1 - D(G(z))), G's loss -log D(G(z));
    (b) D's accuracy on each side; (c) modes captured and the high-quality share; (d) the
    sliced Wasserstein distance to the data. runs: list of dicts {"title", "history",
    "evaluations"} (Trainer.history / .evaluations of a sigmoid-loss run).
    """
    ncol = len(runs)
    fig, axes = plt.subplots(4, ncol, figsize=(4.75 * ncol, 9.4), sharex="col", sharey="row",
                             squeeze=False, layout="constrained")
    green, orange, purple = CYCLE[2], CYCLE[3], CYCLE[4]
    for c, run in enumerate(runs):
        h = {k: np.asarray(v, dtype=float) for k, v in run["history"].items()}
        steps, ev = h["step"], run["evaluations"]
        w = max(1, len(steps) // 40) | 1
        ax = axes[0, c]
        for key, color, label in (("d_loss_real", REAL, "D loss on real  $-\\log D(x)$"),
                                  ("d_loss_fake", FAKE, "D loss on fake  $-\\log(1-D(G(z)))$"),
                                  ("g_loss", green, "G loss  $-\\log D(G(z))$")):
            ax.plot(steps, h[key], color=color, lw=0.6, alpha=0.25)
            ax.plot(steps, _smooth(h[key], w), color=color, lw=1.7, label=label)
        ax.axhline(LOG2, color=NEUTRAL, ls=":", lw=1, label="log 2 = 0.693 (D = 1/2)")
        ax.set_ylim(0, 3.2)
        ax.set_title(f"{run['title']}\n(a) losses", loc="left")
        ax = axes[1, c]
        ax.plot(steps, _smooth(h["d_acc_real"], w), color=REAL, lw=1.7, label="real called real")
        ax.plot(steps, _smooth(h["d_acc_fake"], w), color=FAKE, lw=1.7, label="fake called fake")
        ax.axhline(0.5, color=NEUTRAL, ls=":", lw=1, label="chance")
        ax.set_ylim(-0.03, 1.03)
        ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0))
        ax.set_title("(b) D accuracy", loc="left")
        ax = axes[2, c]
        s = _eval_series(ev, "modes")
        if s is not None:
            n_modes = max(e.get("n_modes", 0) for e in ev)
            ax.plot(*s, "o-", color=green, lw=1.7, ms=3.5, label="modes captured")
            ax.axhline(n_modes, color=green, ls="--", lw=1, alpha=0.6)
            ax.set_ylim(0, 1.1 * n_modes)
            hq = _eval_series(ev, "high_quality")
            ax2 = ax.twinx()
            ax2.grid(False)
            ax2.spines["right"].set_visible(True)
            ax2.plot(hq[0], 100 * hq[1], "s--", color=orange, lw=1.3, ms=3, label="high quality (%)")
            ax2.set_ylim(-3, 103)
            if c == ncol - 1:
                ax2.set_ylabel("high quality %", color=orange)
            else:
                ax2.set_yticklabels([])
            if c == 0:
                hs, ls = ax.get_legend_handles_labels()
                h2, l2 = ax2.get_legend_handles_labels()
                ax.legend(hs + h2, ls + l2, loc="lower right")
        ax.set_title("(c) what the curves hide: modes captured", loc="left")
        ax = axes[3, c]
        s = _eval_series(ev, "sliced_w")
        if s is not None:
            ax.plot(*s, "o-", color=purple, lw=1.7, ms=3.5, label="sliced W1 to the data")
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
            ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_title("(d) distance to the data (lower is better)", loc="left")
        ax.set_xlabel("training step")
    for r, lab in enumerate(("loss", "D accuracy", "modes", "sliced W1")):
        axes[r, 0].set_ylabel(lab)
        if r != 2:
            axes[r, 0].legend(loc="upper right" if r == 0 else "lower left", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=12)
    if path is not None:
        save(fig, path)
    return fig


@styled
def plot_two_views(histories, path=None, title=None):
    """d_loss_fake and g_loss are two functions of one number, D(G(z)).

    Left: both losses at every step against that step's mean D(G(z)), over the curves
    -log(1 - D) and -log D. Right: g_loss against d_loss_fake, over the curve
    (-log(1 - D), -log D) traced as D goes from 0 to 1: one rises exactly when the other
    falls. histories: {label: Trainer.history}.
    """
    fig, (a, b) = plt.subplots(1, 2, figsize=(9.6, 4.3), layout="constrained")
    d = np.linspace(0.003, 0.997, 400)
    a.plot(d, -np.log1p(-d), color=FAKE, lw=2.2, alpha=0.8, label="$-\\log(1-D)$: D's loss on fake")
    a.plot(d, -np.log(d), color=CYCLE[2], lw=2.2, alpha=0.8, label="$-\\log D$: G's loss")
    b.plot(-np.log1p(-d), -np.log(d), color=NEUTRAL, lw=2, alpha=0.8,
           label="$(-\\log(1-D), -\\log D)$ for D in (0, 1)")
    markers = ["o", "^", "s", "D"]
    for i, (label, h) in enumerate(histories.items()):
        df = np.asarray(h["d_fake"], dtype=float)
        lf = np.asarray(h["d_loss_fake"], dtype=float)
        lg = np.asarray(h["g_loss"], dtype=float)
        m = markers[i % len(markers)]
        a.scatter(df, lf, s=7, marker=m, color=FAKE, alpha=0.25, lw=0)
        a.scatter(df, lg, s=7, marker=m, color=CYCLE[2], alpha=0.25, lw=0)
        a.scatter([], [], s=20, marker=m, color=NEUTRAL, label=f"steps of the {label} run")
        b.scatter(lf, lg, s=7, marker=m, color=CYCLE[i % 2 * 3 + 1] if i else CYCLE[0], alpha=0.3,
                  lw=0, label=f"{label} run, one dot per step")
    a.axvline(0.5, color=NEUTRAL, ls=":", lw=1)
    a.set_xlabel("mean D(G(z)) at that step")
    a.set_ylabel("loss")
    a.set_ylim(0, 4)
    a.set_xlim(0, 1)
    a.set_title("(a) Both losses are read off one number, D(G(z))", loc="left")
    b.set_xlabel("D's loss on fake  $-\\log(1 - D(G(z)))$")
    b.set_ylabel("G's loss  $-\\log D(G(z))$")
    b.set_xlim(0, 4)
    b.set_ylim(0, 4)
    b.plot([LOG2], [LOG2], "k*", ms=11, label="D = 1/2: both at log 2")
    b.set_title("(b) For one D, one rises as the other falls", loc="left")
    for leg in (a.legend(loc="upper center"), b.legend(loc="upper right")):
        for handle in leg.legend_handles:
            handle.set_alpha(1)
    if title:
        fig.suptitle(title, fontsize=12)
    if path is not None:
        save(fig, path)
    return fig


@styled
def plot_d_landscapes(panels, path=None, title=None, max_points=800, ncol=4):
    """Per variant: D(x) as a heatmap, the data (blue), G's samples (red), D's peak (star).

    panels: list of dicts {"title", "xs" (g,), "ys" (g,), "prob" (g, g) D on the lattice,
    "real" (n, 2), "fake" (m, 2), "peak" (2,) or None, "note" str or None}.
    """
    n = len(panels)
    ncol = min(n, ncol)
    nrow = math.ceil(n / ncol)
    size = min(3.5, 8.8 / ncol)              # the figure stays within ~1,000 px wide
    fig, axes = plt.subplots(nrow, ncol, figsize=(size * ncol + 0.8, (size + 0.35) * nrow + 0.4),
                             squeeze=False, layout="constrained")
    im = None
    for ax, p in zip(axes.ravel(), panels):
        xs, ys = np.asarray(p["xs"]), np.asarray(p["ys"])
        im = ax.pcolormesh(xs, ys, p["prob"], cmap="RdBu", vmin=0, vmax=1, shading="auto", alpha=0.55)
        lo, hi = (xs[0], xs[-1]), (ys[0], ys[-1])
        fake = np.asarray(p["fake"])[:max_points]
        fake = np.column_stack([np.clip(fake[:, 0], *lo), np.clip(fake[:, 1], *hi)])
        real = np.asarray(p["real"])[:max_points]
        ax.scatter(real[:, 0], real[:, 1], s=3, color=REAL, alpha=0.6, lw=0)
        ax.scatter(fake[:, 0], fake[:, 1], s=4, color=FAKE, alpha=0.5, lw=0)
        if p.get("peak") is not None:
            ax.plot(*p["peak"], marker="*", color="#ffd21f", mec="k", ms=15, mew=0.8)
        ax.set_aspect("equal")
        ax.set_xlim(*lo)
        ax.set_ylim(*hi)
        ax.grid(False)
        ax.set_title(p["title"] + (f"\n{p['note']}" if p.get("note") else ""), fontsize=8.5)
    for ax in axes.ravel()[n:]:
        ax.set_axis_off()
    if im is not None:
        cb = fig.colorbar(im, ax=axes, shrink=0.8, pad=0.01)
        cb.set_label("D(x): red = 'fake', blue = 'real'")
    handles = [plt.Line2D([], [], ls="", marker="o", color=REAL, ms=5, label="data"),
               plt.Line2D([], [], ls="", marker="o", color=FAKE, ms=5, label="G's samples"),
               plt.Line2D([], [], ls="", marker="*", color="#ffd21f", mec="k", ms=12,
                          label="where D scores highest")]
    fig.legend(handles=handles, loc="outside lower center", ncol=3)
    if title:
        fig.suptitle(title, fontsize=12)
    if path is not None:
        save(fig, path)
    return fig


@styled
def plot_loss_vs_quality(runs, path=None):
    """Per run kind, the distance to the data (left axis) and a loss (right axis) against the step.

    runs: {label: [{"step", "distance", "d_loss"}, ...]} one per seed. For a Wasserstein critic
    the curve drawn is its estimate -d_loss = E f(real) - E f(fake); for a GAN, D's loss itself.
    """
    fig, axes = plt.subplots(1, len(runs), figsize=(4.8 * len(runs), 3.9), squeeze=False,
                             layout="constrained")
    purple = CYCLE[4]
    for ax, (label, rs) in zip(axes[0], runs.items()):
        critic = "critic" in label.lower() or "wgan" in label.lower()
        ax2 = ax.twinx()
        ax2.grid(False)
        ax2.spines["right"].set_visible(True)
        for i, r in enumerate(rs):
            a = 0.9 if i == 0 else 0.4
            ax.plot(r["step"], r["distance"], color=NEUTRAL, lw=1.6, alpha=a,
                    label="distance to the data" if i == 0 else None)
            y = -np.asarray(r["d_loss"]) if critic else np.asarray(r["d_loss"])
            ax2.plot(r["step"], y, color=purple if critic else FAKE, lw=1.4, alpha=a,
                     label=("critic's estimate E f(real) - E f(fake)" if critic else "D's loss") if i == 0 else None)
        ax.set(xlabel="generator steps", ylabel="mean distance to the data line", title=label)
        ax2.set_ylabel("critic's estimate" if critic else "D's loss (cross-entropy)",
                       color=purple if critic else FAKE)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="upper right", fontsize=7.5)
    fig.suptitle("Does the loss say how far G is from the data? (a line per seed)", fontsize=11)
    if path is not None:
        save(fig, path)
    return fig
