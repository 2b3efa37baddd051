"""Data sets to train on, built by name: 1-D Gaussians, 2-D rings and grids, curves, digits.

    >>> ds = get_dataset("ring")               # 8 Gaussians on the unit circle, std 0.01
    >>> ds.sample(4, np.random.default_rng(0)).shape
    (4, 2)

    base     the Dataset base class and the checks every `sample` makes
    toy      1-D and 2-D mixtures, curves and segments
    digits   8x8 to 16x16 digits drawn from a built-in pixel font
    mnist    MNIST from local IDX files
"""

import inspect
import math
import os

import numpy as np

from tinygan.data import toy
from tinygan.data.digits import Digits
from tinygan.data.mnist import MNIST

__all__ = ["DATASETS", "get_dataset", "data_dim"]


def _digits(size=8, max_shift=1, thickness=(0.4, 0.7), noise=0.3, blur=0.5):
    return Digits(size=size, max_shift=max_shift, thickness=thickness, noise=noise, blur=blur)


def _mnist(folder=None, kind="train", download=False, cache=None):
    return MNIST(folder=folder, kind=kind, download=download, cache=cache)


_FACTORIES = {
    "gaussian1d": toy.gaussian1d, "mixture1d": toy.mixture1d, "ring": toy.ring, "grid": toy.grid,
    "spiral": toy.spiral, "moons": toy.moons, "line": toy.line, "parallel_lines": toy.parallel_lines,
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

    Unknown names, unknown options and options of the wrong kind or out of range raise
    ValueError naming the data set and the option: "ring option k must be ...".
    """
    factory, defaults = _checked(name, options)
    try:
        return factory(**options)
    except ValueError as err:     # the factory's range checks name the option first
        if str(err).split(" ", 1)[0] in defaults:
            raise ValueError(f"{name} option {err}") from None
        raise


def _checked(name, options):
    """The factory of data set `name` and its defaults, once the options' names and kinds pass."""
    if name not in _FACTORIES:
        raise ValueError(f"unknown data set {name!r}; choose one of: {', '.join(DATASETS)}")
    factory = _FACTORIES[name]
    defaults = {key: p.default for key, p in inspect.signature(factory).parameters.items()}
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)} for data set {name!r}; "
                         f"allowed: {', '.join(defaults)}")
    for key, value in options.items():
        _check_kind(name, key, value, defaults[key])
    return factory, defaults


def _check_kind(name, key, value, default):
    """An option must be of its default's kind: true/false, an integer, a finite number,
    a list of finite numbers, or text (a path or a name). The ranges are the factories'."""
    def number(v):
        return (isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
                and math.isfinite(v))

    if isinstance(default, bool):
        ok, allowed = isinstance(value, (bool, np.bool_)), "true or false"
    elif isinstance(default, int):
        ok, allowed = (isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)),
                       "an integer")
    elif isinstance(default, float):
        ok, allowed = number(value), "a finite number"
    elif isinstance(default, tuple):
        items = value.tolist() if isinstance(value, np.ndarray) and value.ndim == 1 else value
        ok = isinstance(items, (list, tuple)) and len(items) > 0 and all(number(v) for v in items)
        allowed = f"a list of finite numbers such as {list(default)}"
    elif default is None:   # a path; None: look in the usual places
        ok, allowed = (isinstance(value, str) and value != "") or isinstance(value, os.PathLike), "a path"
    else:
        ok, allowed = isinstance(value, str), "text"
    if not ok:
        raise ValueError(f"{name} option {key} must be {allowed}, got {value!r}")


# Data sets whose dimension is known without building them (building MNIST reads its files).
_FIXED_DIMS = {"mnist": 28 * 28}


def data_dim(name, **options):
    """The dimension of data set `name`'s samples (raises what get_dataset raises; for
    MNIST only what the options' names and kinds can tell)."""
    if name in _FIXED_DIMS:
        _checked(name, options)
        return _FIXED_DIMS[name]
    return get_dataset(name, **options).dim
