"""Shared helpers for the diagnosis scripts: run one configuration on a few seeds, print
the papers' metrics and the balance-aware count.

    from common import run, show
    rows = run("wgan-gp", "ring", seeds=(0, 1, 2), gp=0.1)
"""

import dataclasses
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

import numpy as np  # noqa: E402

import tinygan.gan as gan  # noqa: E402
from tinygan.data import get_dataset  # noqa: E402
from tinygan.data.base import Dataset  # noqa: E402
from tinygan.config import presets  # noqa: E402
from tinygan.gan import Trainer  # noqa: E402

KEYS = ("modes", "high_quality", "reverse_kl", "balanced_modes")


class Standardized(Dataset):
    """A data set seen in standard units: x' = (x - m) / s, with m the data's mean and s its
    std averaged over coordinates, s = sqrt(trace(Cov) / dim), estimated once from 100,000
    samples of a fixed stream. A mixture's centres and std are mapped the same way, so
    mode_coverage gives the same numbers in either unit. This is the proposed
    `Config.standardize` prototyped outside the engine: G and D only ever see x'.
    """

    def __init__(self, inner):
        x = inner.sample(100_000, np.random.default_rng(12345))
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.m, self.s = x.mean(0), float(np.sqrt(x.var(0).mean()))
        if getattr(inner, "centers", None) is not None:
            self.centers = (inner.centers - self.m) / self.s
            self.std = inner.std / self.s

    def sample(self, n, rng, dtype=np.float64):
        return ((self.inner.sample(n, rng) - self.m) / self.s).astype(dtype)


def _standardized_get_dataset(name, **options):
    return Standardized(get_dataset(name, **options))


def config(preset, data, seed, data_options=None, **overrides):
    c = presets[preset]()
    return dataclasses.replace(c, data=data, seed=seed, eval_every=0, eval_samples=2500,
                               data_options=dict(data_options or {}), **overrides).validate()


def run_one(preset, data, seed, data_options=None, trainer_cls=Trainer, watch=None, **overrides):
    """Train one run; returns the final evaluation plus seconds and optional watch() output."""
    t0 = time.process_time()
    standardize = overrides.pop("standardize", False)
    if standardize:      # the prototype, in place of the engine's own standard units
        gan.get_dataset = _standardized_get_dataset
        overrides["standardize"] = False
    try:
        tr = trainer_cls(config(preset, data, seed, data_options, **overrides))
    finally:
        gan.get_dataset = get_dataset
    extra = {}
    try:
        if watch is None:
            tr.train()
        else:
            extra = watch(tr)
        ev = tr.evaluate(record=False)
    except Exception as err:   # a diverged run: 0 modes
        ev = {"modes": 0, "high_quality": 0.0, "reverse_kl": float("nan"), "balanced_modes": 0,
              "failed": f"{type(err).__name__}: {err}"}
    ev["cpu"] = time.process_time() - t0
    ev.update(extra)
    return ev


def run(preset, data, seeds=(0, 1, 2), data_options=None, label=None, quiet=False, **kw):
    rows = [run_one(preset, data, s, data_options, **kw) for s in seeds]
    if not quiet:
        show(label or f"{preset} {data} {kw if kw else ''}", rows)
    return rows


def show(label, rows):
    m = np.array([r["modes"] for r in rows], float)
    b = np.array([r["balanced_modes"] for r in rows], float)
    h = 100 * np.array([r["high_quality"] for r in rows], float)
    k = np.array([r["reverse_kl"] for r in rows], float)
    cpu = np.mean([r["cpu"] for r in rows])
    per = " ".join(f"{int(a)}/{int(bb)}/{c:.0f}%/{d:.3f}" for a, bb, c, d in zip(m, b, h, k))
    print(f"{label:<60} modes {m.mean():5.2f} bal {b.mean():5.2f} hq {h.mean():5.1f} (min {h.min():4.1f}) "
          f"rkl {np.nanmean(k):.3f} | {cpu:5.1f}s | {per}", flush=True)


def data_and_names(argv):
    """The command line of a diagnosis script: `[ring|grid] NAME ...` -> (data sets, names)."""
    datas, names = ("ring", "grid"), list(argv)
    if names and names[0] in datas:
        datas, names = (names[0],), names[1:]
    return datas, names
