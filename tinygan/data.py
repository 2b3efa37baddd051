"""Data sets to train on: 1-D Gaussians, 2-D rings and grids, curves, tiny digit images.

Every data set is an object with a `name`, a `dim` and

    sample(n, rng, dtype=np.float64) -> (n, dim) array

Randomness comes only from the `numpy.random.Generator` passed in, so the same seed gives
the same bits. Samples are computed in float64 and cast once at the end: a float32 request
gets float32, and float32 samples equal the float64 ones rounded.

Mixtures also expose `centers` (K, dim) and `std`, which `tinygan.metrics.mode_coverage`
needs. Build any data set by name:

    >>> ds = get_dataset("ring")               # 8 Gaussians on the unit circle, std 0.01
    >>> ds.sample(4, np.random.default_rng(0)).shape
    (4, 2)

The pixel-font digits live in `tinygan.digits`, MNIST in `tinygan.mnist`.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

__all__ = [
    "DATASETS", "get_dataset", "Dataset", "Mixture", "Segment", "SwissRoll", "Moons",
    "gaussian1d", "mixture1d", "ring", "grid", "spiral", "moons", "line", "parallel_lines",
]


# ----------------------------------------------------------------------------- checks

def check_sample_args(n, rng, dtype):
    """Validate the arguments every `sample` takes; return `dtype` as a numpy dtype."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"n must be a positive integer (the number of samples), got {n!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator, e.g. np.random.default_rng(0); "
                        f"got {type(rng).__name__}")
    try:
        dtype = np.dtype(dtype)
    except TypeError as err:
        raise ValueError(f"dtype must be a floating dtype such as np.float32 or np.float64, "
                         f"got {dtype!r}") from err
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating dtype such as np.float32 or np.float64, "
                         f"got {dtype}")
    return dtype


def _number(name, value, ok, allowed):
    """`value` as a Python float, or a ValueError saying it must be `allowed`."""
    try:
        v = float(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be {allowed}, got {value!r}") from err
    if not (math.isfinite(v) and ok(v)):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return v


def _positive(name, value):
    """`value` as a float, if it is a finite number > 0."""
    return _number(name, value, lambda v: v > 0, "a positive number")


def _nonnegative(name, value):
    """`value` as a float, if it is a finite number >= 0."""
    return _number(name, value, lambda v: v >= 0, "a number >= 0")


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _point(name, value, dim=None):
    """A finite point as a float64 vector of length `dim` (any length >= 1 if None)."""
    p = np.asarray(value, dtype=np.float64).reshape(-1)
    if p.size == 0 or (dim is not None and p.size != dim) or not np.all(np.isfinite(p)):
        want = f"{dim} finite numbers" if dim is not None else "a sequence of finite numbers"
        raise ValueError(f"{name} must be {want}, got {value!r}")
    return p


# ----------------------------------------------------------------------------- classes

class Dataset:
    """Base class: subclasses set `name`, `dim` and implement `_draw(n, rng) -> float64`."""

    name = "dataset"
    dim = 0

    def sample(self, n, rng, dtype=np.float64):
        """Draw `n` samples, shape (n, dim), in `dtype`."""
        dtype = check_sample_args(n, rng, dtype)
        return self._draw(int(n), rng).astype(dtype, copy=False)

    def _draw(self, n, rng):
        raise NotImplementedError

    def __repr__(self):
        opts = ", ".join(f"{k}={v!r}" for k, v in self._options().items())
        return f"<{type(self).__name__} {self.name!r} dim={self.dim} {opts}>"

    def _options(self):
        return {}


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
        c.setflags(write=False)
        self.name = name
        self.centers = c
        self.std = _positive("std", std)
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
        self.start = _point("start", start)
        self.end = _point("end", end, dim=self.start.size)
        self.noise = _nonnegative("noise", noise)
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
        self.noise = _nonnegative("noise", noise)

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
        self.noise = _nonnegative("noise", noise)

    def _draw(self, n, rng):
        lower = rng.random(n) < 0.5
        a = np.pi * rng.random(n)
        x = np.where(lower, 1.0 - np.cos(a), np.cos(a)) - 0.5
        y = np.where(lower, 0.5 - np.sin(a), np.sin(a)) - 0.25
        return np.stack([x, y], axis=1) + self.noise * rng.standard_normal((n, 2))

    def _options(self):
        return {"noise": self.noise}


# ----------------------------------------------------------------------------- factories

def gaussian1d(mean=2.0, std=0.5):
    """One Gaussian on the line: N(mean, std^2). Samples (n, 1); a 1-mode Mixture."""
    mean = float(_point("mean", mean, dim=1)[0])
    return Mixture("gaussian1d", [[mean]], std)


def mixture1d(centers=(-4.0, 0.0, 4.0), std=0.3):
    """K equal-weight Gaussians on the line, at `centers`, each with `std`. Samples (n, 1)."""
    return Mixture("mixture1d", _point("centers", centers)[:, None], std)


def ring(k=8, radius=1.0, std=0.01):
    """K Gaussians on a circle: c_k = radius (cos 2 pi k/K, sin 2 pi k/K), k = 0..K-1.

    Defaults are the PacGAN protocol (K=8, radius 1, std 0.01); VEEGAN and others use
    radius=2, std=0.02. The angles are 2 pi k/K, not linspace(0, 2 pi, K), which would put
    the first and last centre on the same point. Samples (n, 2); centers (K, 2).
    """
    k = _positive_int("k", k)
    radius = _positive("radius", radius)
    angles = 2.0 * np.pi * np.arange(k) / k
    return Mixture("ring", radius * np.stack([np.cos(angles), np.sin(angles)], axis=1), std)


def grid(k=5, spacing=2.0, std=0.05):
    """k x k grid of Gaussians, centred at the origin, `spacing` apart.

    Means {(i - (k-1)/2) spacing}^2; the defaults give {-4, -2, 0, 2, 4}^2 with std 0.05,
    the PacGAN protocol. Samples (n, 2); centers (k*k, 2), row-major in (x, y).
    """
    k = _positive_int("k", k)
    spacing = _positive("spacing", spacing)
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
    theta = float(_point("theta", theta, dim=1)[0])
    ds = Segment("parallel_lines", (theta, 0.0), (theta, 1.0))
    ds.theta = theta
    return ds


def _digits(size=8, max_shift=1, thickness=(0.4, 0.7), noise=0.3, blur=0.5):
    from .digits import Digits  # imported here: digits.py builds on this module
    return Digits(size=size, max_shift=max_shift, thickness=thickness, noise=noise, blur=blur)


def _mnist(folder=None, kind="train", download=False, cache=None):
    from .mnist import MNIST  # imported here: mnist.py builds on this module
    return MNIST(folder=folder, kind=kind, download=download, cache=cache)


_FACTORIES = {
    "gaussian1d": gaussian1d, "mixture1d": mixture1d, "ring": ring, "grid": grid,
    "spiral": spiral, "moons": moons, "line": line, "parallel_lines": parallel_lines,
    "digits": _digits, "mnist": _mnist,
}

DATASETS = {
    "gaussian1d": "1-D Gaussian N(2, 0.5^2)",
    "mixture1d": "1-D mixture of 3 Gaussians at -4, 0, 4, std 0.3",
    "ring": "2-D ring of 8 Gaussians, radius 1, std 0.01 (PacGAN protocol)",
    "grid": "2-D 5x5 grid of Gaussians at {-4,-2,0,2,4}^2, std 0.05 (PacGAN protocol)",
    "spiral": "2-D swiss roll",
    "moons": "2-D two moons",
    "line": "2-D line segment from (-1, -1) to (1, 1): a 1-D manifold",
    "parallel_lines": "2-D vertical segment (theta, z), z ~ U[0,1] (WGAN Example 1)",
    "digits": "8x8 digit images from a built-in pixel font, pixels in [-1, 1]",
    "mnist": "28x28 MNIST digits from local IDX files (folder=..., download=True)",
}


def get_dataset(name, **options):
    """Build the data set called `name` with keyword `options` (see DATASETS).

    Unknown names and unknown options raise ValueError listing what is allowed.
    """
    if name not in _FACTORIES:
        raise ValueError(f"unknown data set {name!r}; choose one of: {', '.join(DATASETS)}")
    factory = _FACTORIES[name]
    allowed = list(inspect.signature(factory).parameters)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)} for data set {name!r}; "
                         f"allowed: {', '.join(allowed)}")
    return factory(**options)
