"""Snapshots of a training run drawn and animated: what D sees and where G is pushed.

    plot_snapshot(snap)           D's output as a heatmap, real and fake samples, G's gradient
    animate(snaps, path)          a GIF of snapshots taken during training

A snapshot is a dict of plain arrays, made by tinygan.questions.landscape.snapshot(trainer);
nothing here touches a trainer. plot_snapshot returns the Figure and saves it when given a
path; animate returns the path.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import PillowWriter
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.legend_handler import HandlerPatch
from matplotlib.patches import FancyArrow

from tinygan.plots.style import FAKE, NEUTRAL, REAL, save, styled

__all__ = ["plot_snapshot", "animate"]

# RdBu without its darkest ends: D -> 1 ("real") is blue like REAL, D -> 0 red like FAKE,
# pale enough that the samples drawn on top stay visible. The midpoint is white.
_RDBU = plt.get_cmap("RdBu")(np.linspace(0.14, 0.86, 256))
D_CMAP = LinearSegmentedColormap.from_list("tinygan_d", 0.25 + 0.75 * _RDBU)   # mixed with white
ARROW = "#1a1a1a"


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
    # Draw order, bottom to top: generated samples (filled), real data (open rings, so the
    # samples under them show through), mixture centres, G's arrows. Where G covers the
    # data, every entry of the legend is still visible.
    real, fake = snap["real"], snap["fake"]
    ax.scatter(real[:, 0], real[:, 1], s=14, facecolors="none", edgecolors=REAL, linewidths=0.8,
               zorder=3.5, label="real data")
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
                   linewidths=1.2, alpha=0.9, zorder=4, label="mixture centres")
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
                         f"make one with tinygan.questions.landscape.snapshot(trainer)")
    if snap["dim"] not in (1, 2):
        raise ValueError(f"snapshots of 1-D or 2-D data only, got dim {snap['dim']}")


@styled
def plot_snapshot(snap, ax=None, path=None):
    """Draw one snapshot: D's output behind the real and generated samples, G's gradient on top.

    2-D: heatmap of D(x) (diverging colours centred at D = 1/2, or a critic score centred at
    0) with the decision boundary as a thin line, samples as points, arrows -dL_G/dx on a
    subset of the generated samples, rescaled to be visible (lengths stay proportional up to
    a cap). Generated samples are filled dots; the real data open rings drawn over them and
    the mixture centres crosses on top, so all three stay visible where G covers the data.
    1-D: histograms and D's curve.
    """
    _check_snapshot(snap)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.2, 6.6) if snap["dim"] == 2 else (7.5, 4.6))
    fig = ax.figure
    (_draw_2d if snap["dim"] == 2 else _draw_1d)(ax, snap)
    if path is not None:
        save(fig, path)
    return fig


@styled
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
