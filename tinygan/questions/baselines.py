"""What every mode-coverage number should be read against: naive samplers, and real data.

    uniform_blob(centers, n, rng)        points uniform over the modes' bounding box
    uniform_circle(centers, n, rng)      points uniform on the circle through a ring's modes
    baselines(data)                      mode_coverage of each naive sampler that applies
    expected_high_quality(dim, n_std)    what real data scores on the high-quality test

A generator that scores no better than a uniform blob has learned only "somewhere near the
data"; one that reaches expected_high_quality is as sharp as the data itself.
"""

import math

import numpy as np

from tinygan.metrics import _as_2d, _sq_dist, mode_coverage

__all__ = ["uniform_blob", "uniform_circle", "baselines", "expected_high_quality"]


def _min_spacing(c):
    """The smallest distance between two distinct centres (K >= 2)."""
    d2 = _sq_dist(c, c)
    d2[np.eye(len(c), dtype=bool)] = np.inf
    return float(np.sqrt(d2.min()))


def uniform_blob(centers, n, rng, margin=None):
    """n points uniform over the centres' bounding box, widened by `margin` on every side.

    The default margin is half the smallest distance between two centres, so every centre
    of a square grid owns the same area of the box (its Voronoi cell, a square of side
    `spacing`): for the 5 x 5 grid {-4, ..., 4}^2 the box is [-5, 5]^2, for the unit ring of
    8 it is [-1.38, 1.38]^2. What a generator that learned only "somewhere near the data"
    would draw. centers (K, D) with K >= 2; returns (n, D) float64.
    """
    c = _as_2d("centers", centers)
    if margin is None:
        if len(c) < 2:
            raise ValueError("the default margin needs at least two centres; pass margin=")
        margin = 0.5 * _min_spacing(c)
    lo, hi = c.min(0) - margin, c.max(0) + margin
    return lo + (hi - lo) * rng.random((int(n), c.shape[1]))


def uniform_circle(centers, n, rng):
    """n points uniform on the circle through 2-D centres that lie on one.

    The circle's centre is the centres' mean and its radius their mean distance to it. What
    a generator that learned the ring as a continuous curve (every angle equally likely)
    would draw. centers (K, 2) on a circle; returns (n, 2) float64.
    """
    c = _as_2d("centers", centers)
    mid = c.mean(0)
    r = np.linalg.norm(c - mid, axis=1)
    if c.shape[1] != 2 or len(c) < 3 or np.ptp(r) > 1e-9 * max(r.mean(), 1e-300):
        raise ValueError("uniform_circle needs three or more 2-D centres on one circle (a ring)")
    a = 2.0 * np.pi * rng.random(int(n))
    return mid + r.mean() * np.stack([np.cos(a), np.sin(a)], axis=1)


def baselines(data, n=2500, rng=None, n_std=3.0):
    """mode_coverage of the naive samplers that apply to a mixture `data`, to print beside
    any table: "uniform blob" always, "uniform circle" when the centres lie on a circle.

    data: a mixture with centers and std (tinygan.data ring, grid ...); rng a numpy
    Generator (default: seed 0). Returns {name: mode_coverage dict}.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    c = data.centers
    out = {"uniform blob": mode_coverage(uniform_blob(c, n, rng), c, data.std, n_std)}
    try:
        circle = uniform_circle(c, n, rng)
    except ValueError:
        return out
    out["uniform circle"] = mode_coverage(circle, c, data.std, n_std)
    return out


def expected_high_quality(dim, n_std=3.0):
    """Fraction of a dim-dimensional isotropic Gaussian within n_std std of its mean.

    P(|eps| <= n_std) for eps ~ N(0, I_dim) = P(chi^2_dim <= n_std^2)
    = regularised lower incomplete gamma P(dim/2, n_std^2/2), summed as the series
    P(a, x) = exp(-x) sum_j x^(a+j) / Gamma(a+j+1). dim=1: 0.9973; dim=2: 1 - exp(-4.5) = 0.9889.
    """
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
        raise ValueError(f"dim must be a positive integer, got {dim!r}")
    if not n_std > 0:
        raise ValueError(f"n_std must be positive, got {n_std!r}")
    a, x = dim / 2.0, float(n_std) ** 2 / 2.0
    total, j = 0.0, 0
    while True:
        term = math.exp(-x + (a + j) * math.log(x) - math.lgamma(a + j + 1.0))
        total += term
        j += 1
        if (j > x and term < 1e-17 * max(total, 1e-300)) or j > 100_000:
            return min(total, 1.0)
