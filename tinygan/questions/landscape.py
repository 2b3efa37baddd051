"""D evaluated on a lattice over the data: the picture behind every 2-D figure of a run.

    data_extent(data)             the box the data occupies: (low, high), each (dim,)
    view_limits(data)             that box with a margin, square in 2-D: the axes of a figure
    d_on_lattice(trainer, limits) D's raw output on a grid x grid lattice over `limits`
    snapshot(trainer)             the state of a run worth drawing, as plain arrays
    d_peak(trainer)               where D scores highest, and how much of G sits there
    d_map(trainer)                D on a lattice wide enough to show where G went (Q6)

The plots package draws what these return; it never touches a trainer.
"""

import numpy as np

from tinygan.checks import integer
from tinygan.steps import g_gradients
from tinygan.ops import sigmoid

__all__ = ["data_extent", "view_limits", "d_on_lattice", "snapshot", "d_peak", "d_map"]


def data_extent(data):
    """The box the data occupies, (low, high) with shapes (dim,), from the data set alone.

    Mixtures: the centres +- 4 std (every sample but about 1 in 16,000 per coordinate lies
    inside). Other data: the 0.5 and 99.5 percentiles of 2,048 samples from a fixed seed.
    Either way the box depends on the data set only, so every figure of a run, and every
    run on the same data, gets the same box.
    """
    centers = getattr(data, "centers", None)
    if centers is not None:
        c = np.asarray(centers, dtype=np.float64)
        return c.min(axis=0) - 4 * data.std, c.max(axis=0) + 4 * data.std
    x = data.sample(2048, np.random.default_rng(0), dtype=np.float64)
    return np.percentile(x, 0.5, axis=0), np.percentile(x, 99.5, axis=0)


def view_limits(data):
    """Axis limits (dim, 2) for a figure of the data: its extent with a wide margin.

    The half-width is 1.6 times the extent's (at least 0.25), the same on both axes in 2-D
    so arrows and distances are not distorted; that leaves room for samples on their way in.
    """
    lo, hi = data_extent(data)
    mid = (lo + hi) / 2
    half = np.maximum((hi - lo) / 2, 0.25)
    if data.dim == 2:
        half = np.full(2, half.max())
    half = 1.6 * half
    return np.stack([mid - half, mid + half], axis=1)


def d_on_lattice(trainer, limits, grid):
    """D's raw output (logit or critic score) on a lattice over `limits` (dim, 2), dim 1 or 2.

    Returns (axes, out): axes is (xs,) or (xs, ys), each (grid,); out is (grid,) in 1-D and
    (grid, grid) in 2-D with out[i, j] = D at (xs[j], ys[i]) (row i is y = ys[i]). A packed
    D (pack m) judges m samples at once: it is shown each lattice point m times over.
    """
    limits = np.asarray(limits, dtype=np.float64)
    grid = integer("grid", grid, minimum=2)
    axes = tuple(np.linspace(lo, hi, grid) for lo, hi in limits)
    if len(axes) == 1:
        points = axes[0][:, None]
    else:
        xx, yy = np.meshgrid(*axes)          # xy indexing: row i is y = ys[i]
        points = np.stack([xx.ravel(), yy.ravel()], axis=1)
    out = trainer.D(np.tile(trainer.to_model(points), (1, trainer.config.pack)))[:, 0]
    return axes, (out if len(axes) == 1 else out.reshape(grid, grid))


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
                                from tinygan.steps.g_gradients on the whole batch (the direction G
                                pushes each sample; scaled by 1/n, as in training), per unit of
                                the data (a standardized run's gradient divided by s)
        grad_norm               mean per-sample ||dL_G/dx|| (history's d_input_grad_norm, which
                                a standardized run records per standard unit, divided by s)
        centers                 (K, dim) mixture centres, (0, dim) if the data has none
    """
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
    _, _, info = g_gradients(trainer.G, trainer.D, trainer.loss, z[: n - n % m],
                             trainer.to_model(real[: n - n % m]), pack=m, g_params=trainer.g_params)
    # back to the data's units: x = mean + s x', so dL/dx = dL/dx' / s
    fake, dx = trainer.to_data(info["x_fake"]), info["dx"] / trainer.scale
    n = len(fake)
    limits = view_limits(trainer.data) if limits is None else np.asarray(limits, dtype=np.float64)
    if limits.shape != (dim, 2) or not np.all(limits[:, 0] < limits[:, 1]):
        raise ValueError(f"limits must have shape ({dim}, 2) with low < high in each row, "
                         f"got {limits.tolist()}")

    axes, out = d_on_lattice(trainer, limits, grid)
    gx = axes[0]
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
        "d_grid": out,
        "arrow_index": idx, "arrows": -dx[idx],
        "grad_norm": float(np.mean(np.linalg.norm(dx, axis=1)) * n),
        "centers": np.zeros((0, dim)) if centers is None else np.asarray(centers, dtype=np.float64),
    }
    if dim == 2:
        snap["grid_y"] = axes[1]
    return snap


def _box(data, half=None):
    """A square box (2, 2) centred on the data: half-width `half`, by default 0.75 times the
    data's extent (a 50 % margin on each side)."""
    lo, hi = data_extent(data)
    mid = (lo + hi) / 2
    half = 0.75 * float((hi - lo).max()) if half is None else float(half)
    return np.stack([mid - half, mid + half], axis=1), half


def d_peak(trainer, samples=None, n=2500, grid=161, radius=0.1, rng=None, half=None):
    """Where D scores highest in a box around the data, and how much of G sits near that spot.

    The box is centred on the data with half-width `half` (default: 0.75 times the data's
    extent, a 50 % margin on each side); 2-D data only. Returns a dict: peak (2,) the arg-max
    of D's output on a grid x grid lattice, peak_logit, near_peak (the fraction of n generated
    samples within radius x half of the peak) and spread (the samples' mean distance to their
    own centroid).
    """
    if trainer.data.dim != 2:
        raise ValueError(f"d_peak needs 2-D data; data set {trainer.data.name!r} has dim {trainer.data.dim}")
    rng = np.random.default_rng(0) if rng is None else rng
    x = trainer.sample(n, rng) if samples is None else np.asarray(samples)
    limits, half = _box(trainer.data, half)
    (xs, ys), out = d_on_lattice(trainer, limits, grid)
    i, j = np.unravel_index(int(np.argmax(out)), out.shape)
    peak = np.array([xs[j], ys[i]])
    dist = np.linalg.norm(x - peak, axis=1)
    return {"peak": peak, "peak_logit": float(out[i, j]),
            "near_peak": float(np.mean(dist <= radius * half)),
            "spread": float(np.mean(np.linalg.norm(x - x.mean(axis=0), axis=1)))}


def d_map(trainer, grid=121):
    """D(x) on a lattice over the data and wherever G's samples went (2-D only), for a figure.

    The box is the data's extent with a 50 % margin, widened (up to 20 times the extent) to
    hold 95 % of 800 generated samples, so a generator that ran away is still in the picture.
    Returns a dict: xs, ys (grid,), prob (grid, grid) D's output as a probability, real and
    fake (800, 2) samples, and peak, d_peak's report on the same box.
    """
    lo, hi = data_extent(trainer.data)
    mid, span = (lo + hi) / 2, float((hi - lo).max())
    fake = trainer.sample(800, np.random.default_rng(2))
    reach = np.quantile(np.abs(fake - mid).max(axis=1), 0.95) * 1.08
    half = float(min(max(0.75 * span, reach), 20 * span))
    limits, _ = _box(trainer.data, half)
    (xs, ys), out = d_on_lattice(trainer, limits, grid)
    return {"xs": xs, "ys": ys, "prob": sigmoid(out.astype(np.float64)),
            "real": trainer.data.sample(800, np.random.default_rng(1)), "fake": fake,
            "peak": d_peak(trainer, half=half)}
