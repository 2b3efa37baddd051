"""Curves of a training run: what the losses say, beside the truth they are meant to reveal.

    plot_curves(history, evals)   losses, accuracies and D's outputs over modes and distance
    plot_gradient_norms(history)  the size of the signal G receives (log axis)
    plot_image_grid(images, size) generated digit images in a grid

Every function returns the Figure and saves it when given a path.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker

from tinygan.plots.style import CYCLE, FAKE, NEUTRAL, REAL, save, styled

__all__ = ["plot_curves", "plot_gradient_norms", "plot_image_grid"]

LOG2 = math.log(2.0)
BCE_LOSSES = ("minimax", "nonsaturating")

def _window(n):
    """Moving-average width for n points: about 1/25 of the run, odd, at least 1."""
    w = max(1, min(n // 25, 250))
    return w if w % 2 else w + 1


def _smooth(y, w):
    """Centred moving average of width w; near the ends the window shrinks to fit."""
    y = np.asarray(y, dtype=np.float64)
    if w <= 1 or y.size < 3:
        return y
    c = np.concatenate([[0.0], np.cumsum(y)])
    i = np.arange(y.size)
    lo = np.maximum(i - w // 2, 0)
    hi = np.minimum(i + w // 2 + 1, y.size)
    return (c[hi] - c[lo]) / (hi - lo)


def _curve(ax, x, y, color, label, w):
    """A faint raw curve, its moving average on top (raw alone if there is nothing to smooth)."""
    y = np.asarray(y, dtype=np.float64)
    if w > 1:
        ax.plot(x, y, color=color, lw=0.6, alpha=0.18)
        ax.plot(x, _smooth(y, w), color=color, lw=1.7, label=label)
    else:   # a short run: every point marked, so even a single step shows
        ax.plot(x, y, color=color, lw=1.4, marker="o" if len(y) < 30 else None, ms=3,
                label=label)


def _check_history(history, keys):
    if not isinstance(history, dict) or not history or "step" not in history:
        raise ValueError("history must be a Trainer's history: a dict of lists with a 'step' key")
    missing = [k for k in keys if k not in history]
    if missing:
        raise ValueError(f"history lacks {', '.join(missing)}; expected the columns of "
                         f"tinygan.gan.STEP_COLUMNS")
    n = len(history["step"])
    if n == 0:
        raise ValueError("history is empty: train for at least one step before plotting it")
    bad = [k for k in keys if len(history[k]) != n]
    if bad:
        raise ValueError(f"history columns {', '.join(bad)} do not have {n} values like 'step'")
    return np.asarray(history["step"], dtype=np.float64)


def _robust_ylim(ax, series, refs=()):
    """y-limits from the 0.5-99.5 percentiles, so a few spikes do not flatten the curves."""
    v = np.concatenate([np.asarray(s, dtype=np.float64) for s in series])
    lo, hi = np.percentile(v, 0.5), np.percentile(v, 99.5)
    lo, hi = min([lo, *refs]), max([hi, *refs])
    pad = 0.08 * (hi - lo or 1.0)
    ax.set_ylim(lo - pad, hi + pad)


def _log_ticks(ax, values):
    """Readable ticks on a log y-axis: whole decades if they give 3 ticks, else 1-2-5, finer."""
    lo, hi = min(values), max(values)
    decades = range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
    for mantissas in ((1,), (1, 2, 5), (1, 2, 3, 5), (1, 1.5, 2, 3, 4, 5, 6, 8)):
        ticks = [m * 10.0 ** k for k in decades for m in mantissas if lo <= m * 10.0 ** k <= hi]
        if len(ticks) >= 3:
            break
    if len(ticks) < 2:   # less than a factor 1.5 end to end: evenly spaced round numbers
        ticks = [t for t in ticker.MaxNLocator(nbins=4).tick_values(lo, hi) if lo <= t <= hi]
        ticks = ticks if len(ticks) >= 2 else [lo, hi]
    ticks = ticks[::math.ceil(len(ticks) / 7)]
    ax.yaxis.set_major_locator(ticker.FixedLocator(ticks))
    ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())


def _legend(ax, handles=None, labels=None):
    """Legend to the right of the panel, past a twin axis's labels, aligned in every panel."""
    args = () if handles is None else (handles, labels)
    ax.legend(*args, loc="upper left", bbox_to_anchor=(1.12, 1.0), fontsize=8.5, borderaxespad=0)


@styled
def plot_curves(history, evaluations=(), path=None, title=None, loss=None):
    """The loss curves next to the truth they are meant to reveal (docs/references.md#q5).

    Stacked panels on one step axis:
      (a) D's loss on real and on fake batches, G's loss; log 2, the value of each BCE term
          when D = 1/2 everywhere (drawn unless the run uses a critic)
      (b) D's accuracy on real and on fake samples; 50 % is chance
      (c) mean D(x_real) and D(G(z)) (or mean critic scores)
      (d) modes captured and % high-quality samples   (if evaluations have "modes")
      (e) distance to the data, log axis                (if they have "sliced_w" or "w1")
    Per-step curves are drawn faint, with a moving average over them.
    history: Trainer.history; evaluations: Trainer.evaluations (list of dicts, may be empty);
    loss: the loss name (config.loss), to label G's loss exactly; by default guessed.
    """
    cols = ("d_loss_real", "d_loss_fake", "g_loss", "d_acc_real", "d_acc_fake", "d_real", "d_fake")
    steps = _check_history(history, cols)
    h = {k: np.asarray(history[k], dtype=np.float64) for k in cols}
    evals = [e for e in (evaluations or []) if "step" in e]
    # a sigmoid D's mean outputs are probabilities; a critic's scores usually are not
    loss = getattr(loss, "name", loss)     # a name, or a loss object
    both = np.concatenate([h["d_real"], h["d_fake"]])
    prob = loss not in ("wasserstein", "hinge") if loss else bool(np.all((both >= 0) & (both <= 1)))
    bce = loss in BCE_LOSSES if loss is not None else prob
    minimax = loss == "minimax" if loss is not None else bool(np.all(h["g_loss"] <= 0))
    with_modes = any("modes" in e for e in evals)
    dist_key = next((k for k in ("sliced_w", "w1") if any(k in e for e in evals)), None)
    panels = ["loss", "acc", "out"] + ["modes"] * with_modes + ["dist"] * (dist_key is not None)
    fig, axes = plt.subplots(len(panels), 1, figsize=(9.5, 1.05 + 2.05 * len(panels)),
                             sharex=True, layout="constrained")
    w = _window(len(steps))
    green, orange, purple = CYCLE[2], CYCLE[3], CYCLE[4]
    letters = iter("abcde")

    ax = axes[0]
    g_label = "G loss"
    if bce:
        g_label += "  $\\log(1 - D(G(z)))$" if minimax else "  $-\\log D(G(z))$"
    real_label = "D loss on real" + ("  $-\\log D(x)$" if bce else "")
    fake_label = "D loss on fake" + ("  $-\\log(1 - D(G(z)))$" if bce else "")
    _curve(ax, steps, h["d_loss_real"], REAL, real_label, w)
    _curve(ax, steps, h["d_loss_fake"], FAKE, fake_label, w)
    _curve(ax, steps, h["g_loss"], green, g_label, w)
    refs = []
    if bce:
        refs = [-LOG2, LOG2] if minimax else [LOG2]
        for r in refs:
            ax.axhline(r, color=NEUTRAL, lw=1, ls=":")
        sign = "$\\pm$" if minimax else ""
        ax.plot([], [], color=NEUTRAL, lw=1, ls=":", label=f"{sign}log 2 $\\approx$ 0.693: D = 1/2")
    _robust_ylim(ax, [h["d_loss_real"], h["d_loss_fake"], h["g_loss"]], refs)
    ax.set_ylabel("loss")
    ax.set_title(f"({next(letters)}) Losses: D's two terms and G's", loc="left")
    _legend(ax)

    ax = axes[1]
    _curve(ax, steps, h["d_acc_real"], REAL, "real called real", w)
    _curve(ax, steps, h["d_acc_fake"], FAKE, "fake called fake", w)
    ax.axhline(0.5, color=NEUTRAL, lw=1, ls=":", label="chance (50 %)")
    ax.set_ylim(-0.03, 1.03)
    ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0))
    ax.set_ylabel("D accuracy")
    ax.set_title(f"({next(letters)}) How often D is right", loc="left")
    _legend(ax)

    ax = axes[2]
    what = "D" if prob else "critic"
    _curve(ax, steps, h["d_real"], REAL, f"mean {what}(x), real", w)
    _curve(ax, steps, h["d_fake"], FAKE, f"mean {what}(G(z)), generated", w)
    if prob:
        ax.axhline(0.5, color=NEUTRAL, lw=1, ls=":", label="1/2: D cannot tell")
        ax.set_ylim(-0.03, 1.03)
    else:
        ax.axhline(0.0, color=NEUTRAL, lw=1, ls=":")
        _robust_ylim(ax, [h["d_real"], h["d_fake"]], [0.0])
    ax.set_ylabel("D(x)" if prob else "critic score")
    ax.set_title(f"({next(letters)}) What D outputs on each side", loc="left")
    _legend(ax)

    if with_modes:
        ax = axes[panels.index("modes")]
        ev = [e for e in evals if "modes" in e]
        es = [e["step"] for e in ev]
        n_modes = max(e.get("n_modes", e["modes"]) for e in ev)
        ax.plot(es, [e["modes"] for e in ev], "o-", color=green, lw=1.6, ms=4,
                label="modes captured")
        ax.axhline(n_modes, color=green, lw=1, ls="--", alpha=0.6,
                   label=f"all {n_modes} mode{'s' * (n_modes != 1)}")
        ax.set_ylim(-0.04 * n_modes, 1.1 * n_modes)
        ax.yaxis.set_major_locator(ticker.MaxNLocator(integer=True, nbins=5))
        ax.set_ylabel("modes", color=green)
        handles, labels = ax.get_legend_handles_labels()
        hq = [(e["step"], 100 * e["high_quality"]) for e in ev if "high_quality" in e]
        if hq:
            ax2 = ax.twinx()
            ax2.spines["right"].set_visible(True)
            ax2.grid(False)
            ax2.plot(*zip(*hq), "s--", color=orange, lw=1.4, ms=3.5, label="high-quality samples")
            ax2.set_ylim(-4, 110)
            ax2.yaxis.set_major_formatter(ticker.PercentFormatter(100))
            ax2.set_ylabel("high quality", color=orange)
            h2, l2 = ax2.get_legend_handles_labels()
            handles, labels = handles + h2, labels + l2
        ax.set_title(f"({next(letters)}) Modes captured, and share of samples near a mode",
                     loc="left")
        _legend(ax, handles, labels)

    if dist_key is not None:
        ax = axes[panels.index("dist")]
        pts = [(e["step"], e[dist_key]) for e in evals if dist_key in e and e[dist_key] > 0]
        name = "sliced Wasserstein-1" if dist_key == "sliced_w" else "Wasserstein-1"
        ax.set_yscale("log")
        if pts:
            ax.plot(*zip(*pts), "o-", color=purple, lw=1.6, ms=4, label=f"{name} to the data")
            _log_ticks(ax, [v for _, v in pts])
        ax.set_ylabel("distance (log)")
        ax.set_title(f"({next(letters)}) Distance between generated samples and the data "
                     f"(lower is better)", loc="left")
        _legend(ax)

    axes[-1].set_xlabel("training step (one generator update each)")
    one = len(steps) == 1                  # a single step still gets an x-range
    axes[-1].set_xlim(steps[0] - one, steps[-1] + one)
    axes[-1].xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    fig.align_ylabels(axes)
    smooth_note = f"; thick lines: moving average over {w} steps" if w > 1 else ""
    n_steps = f"{int(steps[-1])} step{'s' * (int(steps[-1]) != 1)}"
    fig.suptitle((title + "\n" if title else "") +
                 f"Training curves over {n_steps}{smooth_note}", fontsize=12)
    if path is not None:
        save(fig, path)
    return fig


@styled
def plot_gradient_norms(history, path=None):
    """The generator's gradient norm and D's per-sample input gradient, on a log axis.

    g_grad_norm = ||dL_G/dtheta|| over all of G's parameters; d_input_grad_norm = mean over
    samples of ||dl_G/dx||, the only signal G receives. A minimax G facing a confident D
    watches both fall by orders of magnitude (docs/references.md#q1).
    """
    steps = _check_history(history, ("g_grad_norm", "d_input_grad_norm"))
    w = _window(len(steps))
    fig, ax = plt.subplots(figsize=(8.5, 4.2), layout="constrained")
    for key, color, label in (
            ("g_grad_norm", CYCLE[2],
             "$\\|\\partial L_G/\\partial\\theta\\|$: G's parameter gradient"),
            ("d_input_grad_norm", CYCLE[4],
             "mean $\\|\\partial L_G/\\partial x\\|$ per sample: D's signal to G")):
        y = np.asarray(history[key], dtype=np.float64)
        y = np.where(y > 0, y, np.nan)   # a log axis cannot show 0
        if w > 1:   # average the logarithm: spikes of a heavy-tailed norm do not dominate
            ax.plot(steps, y, color=color, lw=0.7, alpha=0.22)
            logs = np.log(y)
            ok = np.isfinite(logs)
            if ok.any():
                ax.plot(steps[ok], np.exp(_smooth(logs[ok], w)), color=color, lw=1.7, label=label)
        else:
            ax.plot(steps, y, color=color, lw=1.4, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("gradient norm (log scale)")
    ax.set_title("How much gradient the generator receives")
    ax.legend(loc="best", fontsize=9)
    if path is not None:
        save(fig, path)
    return fig


# ============================================================================ images

@styled
def plot_image_grid(images, size, path=None, nrow=None, title=None, labels=None):
    """Images in a grid, one mosaic: pixels in [-1, 1] shown black (-1) to white (1).

    images: (n, size*size) flattened row-major, or (n, size, size). nrow: images per row (as
    in torchvision's make_grid; default about sqrt(n)). labels: optional n strings or
    numbers printed above the images.
    """
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 3 and x.shape[1:] == (size, size):
        x = x.reshape(len(x), -1)
    if x.ndim != 2 or x.shape[1] != size * size or len(x) == 0:
        raise ValueError(f"images must have shape (n, {size * size}) or (n, {size}, {size}), "
                         f"n >= 1, for size {size}; got {np.shape(images)}")
    n = len(x)
    if labels is not None and len(labels) != n:
        raise ValueError(f"got {len(labels)} labels for {n} images")
    ncol = int(nrow) if nrow else math.ceil(math.sqrt(n))
    if ncol < 1:
        raise ValueError(f"nrow (images per row) must be >= 1, got {nrow!r}")
    rows = math.ceil(n / ncol)
    gap = max(1, size // 8)                                 # pixels between images
    top = math.ceil(0.45 * size) if labels is not None else gap   # room for a label
    cell_w, cell_h = size + gap, size + top
    mosaic = np.full((rows * cell_h + gap, ncol * cell_w + gap), np.nan)
    for i, img in enumerate(x):
        r, c = divmod(i, ncol)
        y0, x0 = r * cell_h + top, c * cell_w + gap
        mosaic[y0:y0 + size, x0:x0 + size] = img.reshape(size, size)
    # displayed size of one image: 0.62 in at 8x8, growing slowly, the figure <= 10 in wide
    inch = min(0.62 * math.sqrt(max(size, 8) / 8), 10 * size / (ncol * cell_w))
    fig, ax = plt.subplots(figsize=(max(ncol * inch * cell_w / size, 2.5),
                                    rows * inch * cell_h / size + (0.45 if title else 0.1)))
    cmap = plt.get_cmap("gray").with_extremes(bad="#d8d8d8")   # the gaps: light grey
    ax.imshow(mosaic, cmap=cmap, vmin=-1, vmax=1, interpolation="nearest")
    if labels is not None:
        for i, lab in enumerate(labels):
            r, c = divmod(i, ncol)
            ax.text(c * cell_w + gap + size / 2, r * cell_h + top - 0.6, str(lab), ha="center",
                    va="bottom", fontsize=8, color="#222222")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    fig.tight_layout(pad=0.3)
    if path is not None:
        save(fig, path)
    return fig
