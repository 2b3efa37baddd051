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

from tinygan.data import toy
from tinygan.data.digits import Digits
from tinygan.data.mnist import MNIST

__all__ = ["DATASETS", "get_dataset"]


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
