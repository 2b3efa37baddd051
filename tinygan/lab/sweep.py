"""Train several small runs at once, one process per core, and keep what a figure needs.

    results = train_runs([Config(seed=s) for s in range(3)], snap_steps=[100, 500, 2000])
    results[0]["evaluations"]          # the metrics every eval_every steps
    results[0]["snaps"][500]           # 1,000 generated samples at step 500

A run is a Config, or a dict {"config": Config, "negatives": ..., "pretrain": ...} for the
BlindTrainer of tinygan.lab.blind (Q6). Each result is a plain dict: config, history,
evaluations, snaps {step: samples}, final (the last evaluation), seconds, and with
landscape=True D's output on a lattice over the data (xs, ys, prob) and d_peak's report.
Runs are independent and seeded, so the results do not depend on `jobs`.
"""

import dataclasses
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from tinygan.config import Config
from tinygan.gan import Trainer
from tinygan.lab.blind import BlindTrainer
from tinygan.lab.landscape import d_map

__all__ = ["train_runs", "train_one", "default_jobs", "at_budget"]

N_SNAP = 1000          # samples kept per snapshot


def at_budget(config, steps, **overrides):
    """The same recipe trained for `steps` steps: step counts inside it scale along.

    A recipe tuned for config.steps anneals its instance noise over noise_anneal_steps; run
    for fewer steps, that window shrinks in proportion (the lr schedule is already relative
    to the run's length). Returns a new Config (with any further overrides applied).
    """
    changes = {"steps": int(steps)}
    if config.noise_anneal_steps and config.steps:
        changes["noise_anneal_steps"] = max(1, round(config.noise_anneal_steps * steps / config.steps))
    return dataclasses.replace(config, **changes, **overrides)


def default_jobs():
    """Worker processes to use: the cores this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:   # not on Linux
        return max(1, os.cpu_count() or 1)


def train_one(run, snap_steps=(), landscape=False):
    """Train one run (a Config or a dict, see the module docstring); return its result dict."""
    spec = {"config": run} if isinstance(run, Config) else dict(run)
    config = spec["config"]
    start = time.perf_counter()
    if spec.get("negatives"):
        trainer = BlindTrainer(config, negatives=spec["negatives"], pretrain=spec.get("pretrain", 0),
                               noise_scale=spec.get("noise_scale", 1.0))
    else:
        trainer = Trainer(config)
    snaps, wanted = {}, set(int(s) for s in snap_steps)

    def keep(tr, row):
        if tr.step in wanted:
            snaps[tr.step] = tr.sample(N_SNAP, np.random.default_rng([config.seed, tr.step, 7]))

    if 0 in wanted:
        keep(trainer, None)
    trainer.train(callback=keep)
    result = {"config": config, "spec": {k: v for k, v in spec.items() if k != "config"},
              "history": trainer.history, "evaluations": trainer.evaluations, "snaps": snaps,
              "final": trainer.evaluations[-1] if trainer.evaluations else trainer.evaluate(),
              "seconds": time.perf_counter() - start}
    if landscape:
        result["landscape"] = d_map(trainer)
    return result


def _work(args):
    return train_one(*args)


def train_runs(runs, snap_steps=(), landscape=False, jobs=None):
    """train_one for every run, `jobs` at a time in separate processes; results in order.

    jobs=None uses every core; jobs=1 runs here, in this process. Runs that are identical
    (same config and options) are trained once and share one result dict. The workers use one BLAS
    thread each: the matrices of these small networks are faster on one thread, and two
    processes sharing two cores would otherwise fight over them.
    """
    runs = list(runs)
    # identical runs give identical bits: train each distinct one once
    keys = [repr(sorted(({"config": r} if isinstance(r, Config) else dict(r)).items(),
                        key=lambda kv: kv[0])) for r in runs]
    distinct = list(dict.fromkeys(keys))
    first = {k: runs[keys.index(k)] for k in distinct}
    tasks = [(first[k], tuple(snap_steps), landscape) for k in distinct]
    jobs = min(default_jobs() if jobs is None else int(jobs), len(tasks))
    if jobs <= 1:
        done = [train_one(*t) for t in tasks]
        return [done[distinct.index(k)] for k in keys]
    saved = {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    os.environ.update({k: "1" for k in saved})      # inherited by the spawned workers only
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            done = list(pool.map(_work, tasks))
        return [done[distinct.index(k)] for k in keys]
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
