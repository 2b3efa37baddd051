"""The toy data sets: Gaussian mixtures on the line and in the plane, curves, segments.

    gaussian1d, mixture1d       1-D: one Gaussian, K Gaussians on the line
    ring, grid                  2-D mixtures of the mode-collapse benchmarks (PacGAN protocol)
    spiral, moons, line         2-D curves: 1-D manifolds in the plane
    parallel_lines              WGAN's Example 1: the segment (theta, z), z ~ U[0, 1]

Mixtures expose `centers` (K, dim) and `std`, which `tinygan.metrics.mode_coverage` needs.
"""

import numpy as np

from tinygan.checks import integer, number
from tinygan.data.base import Dataset, check_sample_args, point

# Limits above which an option means nothing here. Modes: an evaluation draws 2,500 samples
# (the PacGAN protocol), so beyond ~1,000 modes a mode gets 2 samples and coverage cannot be
# measured; the distance blocks of mode_coverage also grow with K (4096 x K floats).
# Scale: the networks start at unit scale and the data sets live within a few units of 0;
# a centre, radius, spacing, std or noise beyond 1e6 is a typo, and its squares in the
# optimizers' state (1e12 and up) take float32 towards overflow.
MAX_MODES = 1024
MAX_SCALE = 1e6
_SCALE_WHY = "; data far from unit scale is a typo here"


def _scale(name, value, zero_ok=False):
    """A finite number in (0, MAX_SCALE], or [0, MAX_SCALE] with zero_ok (0: no noise)."""
    if zero_ok:
        return number(name, value, lambda v: 0 <= v <= MAX_SCALE, f"a number in [0, {MAX_SCALE:g}]{_SCALE_WHY}")
    return number(name, value, lambda v: 0 < v <= MAX_SCALE, f"a number in (0, {MAX_SCALE:g}]{_SCALE_WHY}")


def _bounded_point(name, value, dim=None):
    """point() whose coordinates lie in [-MAX_SCALE, MAX_SCALE]."""
    p = point(name, value, dim)
    if np.any(np.abs(p) > MAX_SCALE):
        raise ValueError(f"{name} must have coordinates in [-{MAX_SCALE:g}, {MAX_SCALE:g}]{_SCALE_WHY}, "
                         f"got {value!r}")
    return p

__all__ = ["Mixture", "Segment", "SwissRoll", "Moons", "gaussian1d", "mixture1d", "ring", "grid",
           "spiral", "moons", "line", "parallel_lines"]


class Mixture(Dataset):
    """Equal-weight mixture of K isotropic Gaussians.

    p(x) = 1/K sum_k N(x; c_k, std^2 I). A sample picks k uniformly, then x = c_k + std * eps
    with eps ~ N(0, I). Shapes: centers (K, dim); samples (n, dim); labels (n,) in 0..K-1.
    """

    def __init__(self, name, centers, std):
        c = np.array(centers, dtype=np.float64)
        if c.ndim == 1:
            c = c[:, None]
        if c.ndim != 2 or c.shape[0] == 0 or not np.all(np.isfinite(c)):
            raise ValueError(f"centers must be a non-empty (K, dim) array of finite numbers, "
                             f"got shape {c.shape}")
        if c.shape[0] > MAX_MODES:
            raise ValueError(f"centers must number at most {MAX_MODES:,} (modes), got {c.shape[0]:,}")
        c.setflags(write=False)
        self.name = name
        self.centers = c
        self.std = _scale("std", std)
        self.dim = c.shape[1]

    @property
    def n_modes(self):
        """K, the number of mixture components."""
        return self.centers.shape[0]

    def sample_with_labels(self, n, rng, dtype=np.float64):
        """Draw `n` samples and the index of the component each came from: (n, dim), (n,)."""
        dtype = check_sample_args(n, rng, dtype)
        labels = rng.integers(self.n_modes, size=int(n))
        x = self.centers[labels] + self.std * rng.standard_normal((int(n), self.dim))
        return x.astype(dtype, copy=False), labels

    def _draw(self, n, rng):
        return self.sample_with_labels(n, rng)[0]

    def _options(self):
        return {"n_modes": self.n_modes, "std": self.std}


class Segment(Dataset):
    """Uniform distribution on the segment from `start` to `end` (a 1-D manifold).

    x = start + t (end - start) + noise * eps, t ~ U[0, 1], eps ~ N(0, I). Samples (n, dim),
    dim = len(start).
    """

    def __init__(self, name, start, end, noise=0.0):
        self.start = _bounded_point("start", start)
        self.end = _bounded_point("end", end, dim=self.start.size)
        self.noise = _scale("noise", noise, zero_ok=True)
        self.name = name
        self.dim = self.start.size

    def _draw(self, n, rng):
        t = rng.random((n, 1))
        x = self.start + t * (self.end - self.start)
        if self.noise > 0:
            x = x + self.noise * rng.standard_normal((n, self.dim))
        return x

    def _options(self):
        return {"start": self.start.tolist(), "end": self.end.tolist(), "noise": self.noise}


class SwissRoll(Dataset):
    """2-D swiss roll: a spiral whose radius grows with its angle.

    t = 1.5 pi (1 + 2u), u ~ U[0, 1];  x = (t cos t, t sin t) / 7.5 + noise * eps.
    The curve turns 1.5 times and ends at radius ~1.9. Samples (n, 2).
    """

    name = "spiral"
    dim = 2

    def __init__(self, noise=0.05):
        self.noise = _scale("noise", noise, zero_ok=True)

    def _draw(self, n, rng):
        t = 1.5 * np.pi * (1.0 + 2.0 * rng.random(n))
        x = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / 7.5
        return x + self.noise * rng.standard_normal((n, 2))

    def _options(self):
        return {"noise": self.noise}


class Moons(Dataset):
    """Two interleaving half circles, centred at the origin.

    Upper moon (cos a, sin a), lower moon (1 - cos a, 0.5 - sin a), a ~ U[0, pi], each moon
    with probability 1/2; then shifted by (-0.5, -0.25) and noise * eps added. Samples (n, 2).
    """

    name = "moons"
    dim = 2

    def __init__(self, noise=0.05):
        self.noise = _scale("noise", noise, zero_ok=True)

    def _draw(self, n, rng):
        lower = rng.random(n) < 0.5
        a = np.pi * rng.random(n)
        x = np.where(lower, 1.0 - np.cos(a), np.cos(a)) - 0.5
        y = np.where(lower, 0.5 - np.sin(a), np.sin(a)) - 0.25
        return np.stack([x, y], axis=1) + self.noise * rng.standard_normal((n, 2))

    def _options(self):
        return {"noise": self.noise}


def gaussian1d(mean=2.0, std=0.5):
    """One Gaussian on the line: N(mean, std^2). Samples (n, 1); a 1-mode Mixture."""
    mean = float(_bounded_point("mean", mean, dim=1)[0])
    return Mixture("gaussian1d", [[mean]], std)


def mixture1d(centers=(-4.0, 0.0, 4.0), std=0.3):
    """K equal-weight Gaussians on the line, at `centers`, each with `std`. Samples (n, 1)."""
    return Mixture("mixture1d", _bounded_point("centers", centers)[:, None], std)


def ring(k=8, radius=1.0, std=0.01):
    """K Gaussians on a circle: c_k = radius (cos 2 pi k/K, sin 2 pi k/K), k = 0..K-1.

    Defaults are the PacGAN protocol (K=8, radius 1, std 0.01); VEEGAN and others use
    radius=2, std=0.02. The angles are 2 pi k/K, not linspace(0, 2 pi, K), which would put
    the first and last centre on the same point. Samples (n, 2); centers (K, 2).
    """
    k = integer("k", k, minimum=1, maximum=MAX_MODES, why=" (modes: more cannot be told apart by an evaluation)")
    radius = _scale("radius", radius)
    angles = 2.0 * np.pi * np.arange(k) / k
    return Mixture("ring", radius * np.stack([np.cos(angles), np.sin(angles)], axis=1), std)


def grid(k=5, spacing=2.0, std=0.05):
    """k x k grid of Gaussians, centred at the origin, `spacing` apart.

    Means {(i - (k-1)/2) spacing}^2; the defaults give {-4, -2, 0, 2, 4}^2 with std 0.05,
    the PacGAN protocol. Samples (n, 2); centers (k*k, 2), row-major in (x, y).
    """
    k = integer("k", k, minimum=1, maximum=32, why=" (32 x 32 = 1,024 modes: more cannot be told apart by an evaluation)")
    spacing = _scale("spacing", spacing)
    axis = (np.arange(k) - (k - 1) / 2.0) * spacing
    gx, gy = np.meshgrid(axis, axis, indexing="ij")
    return Mixture("grid", np.stack([gx.ravel(), gy.ravel()], axis=1), std)


def spiral(noise=0.05):
    """Swiss roll in 2-D (see SwissRoll)."""
    return SwissRoll(noise)


def moons(noise=0.05):
    """Two moons in 2-D (see Moons)."""
    return Moons(noise)


def line(start=(-1.0, -1.0), end=(1.0, 1.0), noise=0.0):
    """Uniform on a line segment: a 1-D manifold in 2-D (or in len(start) dimensions)."""
    return Segment("line", start, end, noise)


def parallel_lines(theta=0.0):
    """WGAN Example 1: points (theta, z), z ~ U[0, 1]. Samples (n, 2).

    The data is theta = 0; a generator at theta != 0 has support disjoint from it, so
    JS = log 2 while W1 = |theta| (Arjovsky et al. 2017).
    """
    theta = float(_bounded_point("theta", theta, dim=1)[0])
    ds = Segment("parallel_lines", (theta, 0.0), (theta, 1.0))
    ds.theta = theta
    return ds
