"""Figures of a training run: what D sees, where G is pushed, and what the curves say.

    snapshot(trainer)             the state worth drawing, as plain arrays (cheap; collect many)
    plot_snapshot(snap)           D's output as a heatmap, real and fake samples, G's gradient
    animate(snaps, path)          a GIF of snapshots taken during training
    plot_curves(history, evals)   losses, accuracies and D's outputs over the truth they hide
    plot_gradient_norms(history)  the size of the signal G receives (log axis)
    plot_image_grid(images, size) generated digit images in a grid

Every function returns the Figure (animate: the path) and saves it when given a path.
"""

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker
from matplotlib.animation import PillowWriter
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.legend_handler import HandlerPatch
from matplotlib.patches import FancyArrow

from tinygan.ops import sigmoid
from tinygan.plots.style import CYCLE, FAKE, NEUTRAL, REAL, save

__all__ = ["snapshot", "plot_snapshot", "animate", "plot_curves", "plot_gradient_norms",
           "plot_image_grid"]

LOG2 = math.log(2.0)
BCE_LOSSES = ("minimax", "nonsaturating")

# RdBu without its darkest ends: D -> 1 ("real") is blue like REAL, D -> 0 red like FAKE,
# pale enough that the samples drawn on top stay visible. The midpoint is white.
_RDBU = plt.get_cmap("RdBu")(np.linspace(0.14, 0.86, 256))
D_CMAP = LinearSegmentedColormap.from_list("tinygan_d", 0.25 + 0.75 * _RDBU)   # mixed with white
ARROW = "#1a1a1a"


# ============================================================================ snapshot

def _data_limits(data):
    """Axis limits (dim, 2) for a data set: its extent with a wide margin, square in 2-D.

    The extent comes from the data alone (mixture centres +- 4 std, or 2,048 samples drawn
    with a fixed seed), so every snapshot of a run gets the same limits and a GIF's frames
    line up. The half-width is 1.6 times the extent's, which leaves room for samples on their
    way in; those still outside are drawn on the edge.
    """
    centers = getattr(data, "centers", None)
    if centers is not None:
        c = np.asarray(centers, dtype=np.float64)
        lo, hi = c.min(axis=0) - 4 * data.std, c.max(axis=0) + 4 * data.std
    else:
        x = data.sample(2048, np.random.default_rng(0), dtype=np.float64)
        lo, hi = np.percentile(x, 0.5, axis=0), np.percentile(x, 99.5, axis=0)
    mid = (lo + hi) / 2
    half = np.maximum((hi - lo) / 2, 0.25)
    if data.dim == 2:   # one scale on both axes, so arrows and distances are not distorted
        half = np.full(2, half.max())
    half = 1.6 * half
    return np.stack([mid - half, mid + half], axis=1)


def snapshot(trainer, n=512, grid=80, rng=None, n_arrows=64, limits=None):
    """The state of a 1-D or 2-D run, as plain arrays: enough to draw it later, cheap to keep.

    Draws z ~ N(0, I) of shape (n, z_dim) from `rng` first, then n real samples, so `fake`
    equals trainer.sample(n, rng) for an rng in the same state. The default rng is seeded by
    (seed, step): nothing is taken from the training stream. `limits` (dim, 2) sets the drawn
    region; by default it is the data's extent with a margin, the same at every step.

    Returns a dict (dim = data dimension, m = min(n_arrows, n)):
        step, dim, data, loss   int, int, str, str
        uses_sigmoid            bool: d_grid holds D(x) = sigmoid(logit), else D's raw scores
        threshold               D's raw output above which it calls x real (least squares: 1/2)
        real, fake              (n, dim) samples
        limits                  (dim, 2) rows (low, high) per axis
        grid_x                  (grid,) points along x;   2-D only: grid_y (grid,)
        d_grid                  1-D: (grid,), D at grid_x
                                2-D: (grid, grid), d_grid[i, j] = D at (grid_x[j], grid_y[i])
        arrow_index, arrows     (m,), (m, dim): arrows = -dx[arrow_index], where dx = dL_G/dx_fake
                                from tinygan.gan.g_gradients on the whole batch (the direction G
                                pushes each sample; scaled by 1/n, as in training)
        grad_norm               mean per-sample ||dL_G/dx|| (history's d_input_grad_norm)
        centers                 (K, dim) mixture centres, (0, dim) if the data has none
    """
    from tinygan.gan import g_gradients   # here, not at the top: the drawing needs no trainer

    dim = trainer.data.dim
    if dim not in (1, 2):
        raise ValueError(f"snapshot draws 1-D or 2-D data; data set {trainer.data.name!r} has "
                         f"dim {dim}. For images, use plot_image_grid(trainer.sample(64), size).")
    for name, value in (("n", n), ("grid", grid), ("n_arrows", n_arrows)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
            raise ValueError(f"{name} must be an integer >= 2, got {value!r}")
    if rng is None:
        rng = np.random.default_rng([trainer.config.seed, trainer.step, 2])
    dtype = trainer.dtype
    z = rng.standard_normal((n, trainer.config.z_dim), dtype=dtype)
    real = trainer.data.sample(n, rng, dtype=dtype)

    # the generator that trainer.sample draws from (the weight average when ema > 0); with
    # packing, D judges m samples at once, so the batch is a whole number of packs
    m = trainer.config.pack
    _, _, info = g_gradients(trainer.G, trainer.D, trainer.loss, z[: n - n % m], pack=m,
                             g_params=trainer.g_params)
    fake, dx = info["x_fake"], info["dx"]
    n = len(fake)
    limits = _data_limits(trainer.data) if limits is None else np.asarray(limits, dtype=np.float64)
    if limits.shape != (dim, 2) or not np.all(limits[:, 0] < limits[:, 1]):
        raise ValueError(f"limits must have shape ({dim}, 2) with low < high in each row, "
                         f"got {limits.tolist()}")

    gx = np.linspace(*limits[0], grid)
    if dim == 1:
        points = gx[:, None]
    else:
        gy = np.linspace(*limits[1], grid)
        xx, yy = np.meshgrid(gx, gy)          # xy indexing: row i is y = gy[i]
        points = np.stack([xx.ravel(), yy.ravel()], axis=1)
    # D's output at each grid point; a packed D is shown the point m times over
    out = trainer.D(np.tile(points.astype(dtype), (1, m)))[:, 0]
    if trainer.loss.uses_sigmoid:
        out = sigmoid(out)
    idx = np.arange(min(n_arrows, n))
    centers = getattr(trainer.data, "centers", None)
    snap = {
        "step": int(trainer.step), "dim": dim, "data": trainer.data.name,
        "loss": trainer.config.loss,
        "uses_sigmoid": bool(trainer.loss.uses_sigmoid),
        "threshold": float(trainer.loss.threshold),   # where D's raw output says "real"
        "real": real, "fake": fake, "limits": limits, "grid_x": gx,
        "d_grid": out.reshape(grid, grid) if dim == 2 else out,
        "arrow_index": idx, "arrows": -dx[idx],
        "grad_norm": float(np.mean(np.linalg.norm(dx, axis=1)) * n),
        "centers": np.zeros((0, dim)) if centers is None else np.asarray(centers, dtype=np.float64),
    }
    if dim == 2:
        snap["grid_y"] = gy
    return snap


# ============================================================================ drawing a snapshot

def _scaled_arrows(arrows, span, frac=0.09):
    """Arrows rescaled for display: the 90th-percentile length becomes `frac` of the axis span.

    Directions are kept; longer arrows are capped at 1.6 times that, so one large gradient
    cannot hide the others. All-zero gradients give all-zero arrows.
    """
    a = np.asarray(arrows, dtype=np.float64)
    length = np.linalg.norm(a, axis=1)
    ref = np.percentile(length, 90) if length.size else 0.0
    if not ref > 0:
        return np.zeros_like(a)
    a = a * (frac * span / ref)
    new = np.linalg.norm(a, axis=1, keepdims=True)
    cap = 1.6 * frac * span
    return np.where(new > cap, a * cap / np.maximum(new, 1e-300), a)


def _title(snap):
    return (f"Step {snap['step']}: D's output, the samples, and G's push\n"
            f"{snap['data']} data, {snap['loss']} loss, "
            f"mean $\\|\\partial L_G/\\partial x\\|$ = {snap['grad_norm']:.2g}")


def _arrow_handle(legend, orig_handle, xdescent, ydescent, width, height, fontsize):
    return FancyArrow(0, height / 2, width, 0, width=0.12 * height, head_width=0.7 * height,
                      head_length=0.45 * height, length_includes_head=True, color=ARROW)


def _legend_below(ax, handles, labels, ncol, y=-0.12):
    handles = handles + [FancyArrow(0, 0, 1, 0, color=ARROW)]
    labels = labels + ["G's gradient $-\\partial L_G/\\partial x$ (rescaled)"]
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, y), ncol=ncol,
              fontsize=8, handletextpad=0.4, columnspacing=1.2,
              handler_map={FancyArrow: HandlerPatch(patch_func=_arrow_handle)})


def _outside(points, lim):
    """Boolean mask of the rows of points (n, dim) outside the box lim (dim, 2)."""
    return np.any((points < lim[:, 0]) | (points > lim[:, 1]), axis=1)


def _draw_2d(ax, snap, cax=None, limits=None, legend=True):
    """Heatmap, decision boundary, samples, centres and arrows of a 2-D snapshot on `ax`."""
    lim = snap["limits"] if limits is None else limits
    gx, gy, d = snap["grid_x"], snap["grid_y"], snap["d_grid"]
    if snap["uses_sigmoid"]:
        vmin, vmax, mid, label = 0.0, 1.0, 0.5, "D(x) = P(real)"
    else:
        mid = snap.get("threshold", 0.0)   # 0 for a critic, 1/2 for least squares
        m = float(np.abs(d - mid).max()) or 1.0
        vmin, vmax, label = mid - m, mid + m, "D's raw score f(x)"
    hx, hy = (gx[1] - gx[0]) / 2, (gy[1] - gy[0]) / 2
    im = ax.imshow(d, origin="lower", extent=(gx[0] - hx, gx[-1] + hx, gy[0] - hy, gy[-1] + hy),
                   cmap=D_CMAP, vmin=vmin, vmax=vmax, interpolation="bilinear", zorder=0)
    ax.set_facecolor(D_CMAP(0.5))                 # outside this frame's grid: neutral
    if d.min() < mid < d.max():                   # D's decision boundary, where it exists
        ax.contour(gx, gy, d, levels=[mid], colors=NEUTRAL, linewidths=0.8, alpha=0.7, zorder=1)
    real, fake = snap["real"], snap["fake"]
    ax.scatter(real[:, 0], real[:, 1], s=10, c=REAL, edgecolors="#0b2a4a", linewidths=0.4,
               zorder=2, label="real data")
    out = _outside(fake, lim)
    ax.scatter(fake[~out, 0], fake[~out, 1], s=10, c=FAKE, edgecolors="#4a0b0b", linewidths=0.4,
               zorder=3, label="generated G(z)")
    if out.any():   # samples beyond the view, pinned to its edge as open circles
        edge = np.clip(fake[out], lim[:, 0], lim[:, 1])
        ax.scatter(edge[:, 0], edge[:, 1], s=14, facecolors="none", edgecolors=FAKE,
                   linewidths=0.8, zorder=3, clip_on=False,
                   label=f"generated, outside the view ({out.mean():.0%})")
    if len(snap["centers"]):
        ax.scatter(snap["centers"][:, 0], snap["centers"][:, 1], marker="x", s=40, c=NEUTRAL,
                   linewidths=0.9, alpha=0.5, zorder=1.5, label="mixture centres")
    span = float(max(lim[0, 1] - lim[0, 0], lim[1, 1] - lim[1, 0]))
    uv = _scaled_arrows(snap["arrows"], span)
    start = fake[snap["arrow_index"]]
    keep = ~_outside(start, lim)
    ax.quiver(start[keep, 0], start[keep, 1], uv[keep, 0], uv[keep, 1], angles="xy",
              scale_units="xy", scale=1, color=ARROW, alpha=0.85, width=0.0045, headwidth=3.5,
              headlength=4, headaxislength=3.5, zorder=5)
    ax.set_xlim(*lim[0])
    ax.set_ylim(*lim[1])
    ax.set_aspect("equal")
    ax.grid(False)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(_title(snap))
    cb = ax.figure.colorbar(im, cax=cax, ax=None if cax else ax, fraction=0.04, pad=0.03)
    cb.set_label(label)
    cb.ax.axhline(mid, color=NEUTRAL, lw=0.8)
    if legend:
        handles, labels = ax.get_legend_handles_labels()
        _legend_below(ax, handles, labels, ncol=2)
    return im


def _draw_1d(ax, snap, limits=None, legend=True):
    """Histograms of real and generated samples, D's curve on a twin axis, G's push as arrows."""
    lim = snap["limits"] if limits is None else limits
    bins = np.linspace(lim[0, 0], lim[0, 1], 61)
    real, fake = snap["real"][:, 0], snap["fake"][:, 0]
    out = _outside(snap["fake"], lim)
    ax.hist(real, bins=bins, color=REAL, alpha=0.45, label="real data")
    ax.hist(fake, bins=bins, color=FAKE, alpha=0.45,
            label="generated G(z)" + (f" ({out.mean():.0%} outside the view)" if out.any() else ""))
    for c in snap["centers"][:, 0]:
        ax.axvline(c, color=NEUTRAL, lw=0.8, ls=(0, (1, 3)), alpha=0.7)
    ax.set_xlim(*lim[0])
    ax.set_xlabel("x")
    ax.set_ylabel(f"samples per bin (of {len(real)})")
    ax2 = ax.twinx()
    ax2.spines["right"].set_visible(True)
    ax2.grid(False)
    gx, d = snap["grid_x"], snap["d_grid"]
    label = "D(x) = P(real)" if snap["uses_sigmoid"] else "D's raw score f(x)"
    ax2.plot(gx, d, color=NEUTRAL, lw=2, label=label)
    ax2.axhline(0.5 if snap["uses_sigmoid"] else snap.get("threshold", 0.0), color=NEUTRAL,
                lw=0.8, ls=":")
    if snap["uses_sigmoid"]:
        ax2.set_ylim(-0.02, 1.02)
    ax2.set_ylabel(label)
    # G's push drawn on D's curve: each sample sits at (x, D(x)) and is moved along x
    # (at most 12 of them, spread along x, so the arrows do not pile up where samples do)
    xs = fake[snap["arrow_index"]]
    u = _scaled_arrows(snap["arrows"], float(lim[0, 1] - lim[0, 0]), frac=0.06)[:, 0]
    inside = np.flatnonzero((xs >= lim[0, 0]) & (xs <= lim[0, 1]))
    pick = inside[np.argsort(xs[inside])]
    pick = pick[np.unique(np.linspace(0, len(pick) - 1, min(12, len(pick))).astype(int))]
    xs, u = xs[pick], u[pick]
    ys = np.interp(xs, gx, d)
    ax2.scatter(xs, ys, s=12, c=FAKE, edgecolors="#4a0b0b", linewidths=0.4, zorder=3)
    ax2.quiver(xs, ys, u, np.zeros_like(u), angles="xy", scale_units="xy", scale=1, color=ARROW,
               alpha=0.8, width=0.004, headwidth=3.5, headlength=4, headaxislength=3.5, zorder=4)
    ax.set_title(_title(snap))
    if legend:
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        _legend_below(ax, h1 + h2, l1 + l2, ncol=2, y=-0.16)
    return ax2


def _check_snapshot(snap):
    need = ("step", "dim", "real", "fake", "limits", "grid_x", "d_grid", "arrows", "arrow_index")
    missing = [k for k in need if k not in snap]
    if missing:
        raise ValueError(f"not a snapshot (missing {', '.join(missing)}); "
                         f"make one with snapshot(trainer)")
    if snap["dim"] not in (1, 2):
        raise ValueError(f"snapshots of 1-D or 2-D data only, got dim {snap['dim']}")


def plot_snapshot(snap, ax=None, path=None):
    """Draw one snapshot: D's output behind the real and generated samples, G's gradient on top.

    2-D: heatmap of D(x) (diverging colours centred at D = 1/2, or a critic score centred at
    0) with the decision boundary as a thin line, samples as points, arrows -dL_G/dx on a
    subset of the generated samples, rescaled to be visible (lengths stay proportional up to
    a cap), mixture centres as faint crosses. 1-D: histograms and D's curve.
    """
    _check_snapshot(snap)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.2, 6.6) if snap["dim"] == 2 else (7.5, 4.6))
    fig = ax.figure
    (_draw_2d if snap["dim"] == 2 else _draw_1d)(ax, snap)
    if path is not None:
        save(fig, path)
    return fig


def animate(snapshots, path, fps=8):
    """An animated GIF of snapshots (one frame each), on the same axis limits throughout.

    The limits are the union of the frames' limits; where a frame's D grid does not reach,
    the background is D's neutral colour. A 5-inch figure at 80 dpi keeps 40 frames near
    1-2 MB. Returns the path as a string.
    """
    snapshots = list(snapshots)
    if not snapshots:
        raise ValueError("animate needs at least one snapshot")
    for s in snapshots:
        _check_snapshot(s)
    dims = {s["dim"] for s in snapshots}
    if len(dims) != 1:
        raise ValueError(f"all snapshots must have the same data dim, got {sorted(dims)}")
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps!r}")
    dim = dims.pop()
    lim = np.stack([s["limits"] for s in snapshots])
    limits = np.stack([lim[:, :, 0].min(axis=0), lim[:, :, 1].max(axis=0)], axis=1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = plt.figure(figsize=(5, 5.6) if dim == 2 else (5.6, 4.2))
    with plt.rc_context({"font.size": 9, "axes.titlesize": 9.5, "axes.labelsize": 9}):
        writer = PillowWriter(fps=fps)
        with writer.saving(fig, str(path), dpi=80):
            for snap in snapshots:
                fig.clear()   # fixed rectangles: nothing moves from frame to frame
                if dim == 2:
                    ax = fig.add_axes((0.12, 0.2, 0.68, 0.68))
                    cax = fig.add_axes((0.84, 0.32, 0.03, 0.44))
                    _draw_2d(ax, snap, cax=cax, limits=limits)
                else:
                    ax = fig.add_axes((0.12, 0.3, 0.74, 0.56))
                    _draw_1d(ax, snap, limits=limits)
                writer.grab_frame()
    plt.close(fig)
    return str(path)


# ============================================================================ curves

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


def plot_curves(history, evaluations=(), path=None, title=None, loss=None):
    """The loss curves next to the truth they are meant to reveal (REFERENCES.md, Q5).

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


def plot_gradient_norms(history, path=None):
    """The generator's gradient norm and D's per-sample input gradient, on a log axis.

    g_grad_norm = ||dL_G/dtheta|| over all of G's parameters; d_input_grad_norm = mean over
    samples of ||dl_G/dx||, the only signal G receives. A minimax G facing a confident D
    watches both fall by orders of magnitude (REFERENCES.md, Q1).
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
