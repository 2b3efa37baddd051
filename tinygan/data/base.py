"""What every data set is: an object with a `name`, a `dim` and

    sample(n, rng, dtype=np.float64) -> (n, dim) array

Randomness comes only from the `numpy.random.Generator` passed in, so the same seed gives
the same bits. Samples are computed in float64 and cast once at the end: a float32 request
gets float32, and float32 samples equal the float64 ones rounded.
"""

import numpy as np

__all__ = ["Dataset", "check_sample_args", "point", "moments", "scale"]


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


def point(name, value, dim=None):
    """A finite point as a float64 vector of length `dim` (any length >= 1 if None)."""
    want = f"{dim} finite numbers" if dim is not None else "a sequence of finite numbers"
    try:
        p = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {want}, got {value!r}") from None
    if p.size == 0 or (dim is not None and p.size != dim) or not np.all(np.isfinite(p)):
        raise ValueError(f"{name} must be {want}, got {value!r}")
    return p



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


def moments(data):
    """The data's mean and per-coordinate standard deviation, each (dim,).

    Mixtures in closed form: mean = the centres' mean, variance = the centres' variance plus
    std^2 (the law of total variance). Other data: from 8,192 samples of a fixed seed, so a
    data set always gets the same numbers.
    """
    centers = getattr(data, "centers", None)
    if centers is not None:
        c = np.asarray(centers, dtype=np.float64)
        return c.mean(axis=0), np.sqrt(c.var(axis=0) + data.std ** 2)
    x = data.sample(8192, np.random.default_rng(0), dtype=np.float64)
    return x.mean(axis=0), x.std(axis=0)


def scale(data):
    """The data's centre and size: (mean (dim,), s) with s = sqrt(trace(Cov) / dim), the
    standard deviation averaged over the coordinates (as a root mean square).

    One number, not one per coordinate, so standardizing by it is a similarity: shapes,
    angles and the ratio of a mode's width to the spacing of the modes are kept. The unit
    ring (radius 1, std 0.01) has s = 0.707, the 5 x 5 grid (spacing 2, std 0.05) s = 2.83.
    A data set with no spread at all (every sample the same point) is only centred: s = 1.
    """
    mean, std = moments(data)
    s = float(np.sqrt(np.mean(std ** 2)))
    return mean, (s if s > 0 else 1.0)
