"""Many seeded runs: on local processes, or on a Dask cluster; a finished run is never redone.

    results = train_runs([Config(seed=s) for s in range(3)], snap_steps=[100, 500, 2000])
    results[0]["evaluations"]          # the metrics every eval_every steps
    results[0]["snaps"][500]           # 1,000 generated samples at step 500

    train_runs(runs, store="runs.jsonl")              # trains only what the file lacks
    train_runs(runs, cluster="tcp://10.0.0.5:8786")   # on a Dask cluster: the same bits

A run is a Config, or a dict {"config": Config, "negatives": ..., "pretrain": ...} for the
BlindTrainer of tinygan.questions.blind (Q6). Each result is a plain dict: config, history,
evaluations, snaps {step: samples}, final (the last evaluation), seconds, and with
landscape=True D's output on a lattice over the data (xs, ys, prob) and d_peak's report.

The engine is sweep(runs, task, options): task(run, **options) for every run, each a plain
dict back. train_runs is sweep with task=train_one.

Keys. A run is known by run_key (tinygan.questions.store): sha256 of the canonical JSON of the
task's name, Config.to_dict() (the seed is a field of it), the run's own options and the
task's options. Identical runs in one call are trained once; with store=, runs already
in the file come back from it, and each run trained is appended the moment it finishes,
so an interrupted sweep resumes where it stopped and a second call trains nothing.

Where the runs go:

    jobs=N (default)     N worker processes on this machine (None: one per core; 1: in
                         this process). Nothing beyond numpy is imported.
    cluster=ADDRESS      the workers of a Dask cluster: the scheduler's address
                         ("tcp://host:8786"), a dask.distributed.Client or a cluster
                         object. Needs pip install "tinygan[cluster]" here and on every
                         worker; dask is imported only then.

The same bits wherever a run ran. A run draws its randomness from its Config's seed alone
and each task runs with one BLAS thread (threadpoolctl; the local workers are also started with OPENBLAS/OMP/MKL_NUM_THREADS=1).
What can still change the bits is the arithmetic itself: another numpy, another BLAS
kernel (OpenBLAS picks one per processor; OPENBLAS_CORETYPE overrides it) or other SIMD
code paths in numpy. Before a Dask sweep every worker reports these, and a worker that
differs from this machine gets a RuntimeWarning.

A cluster by hand. On one machine start the scheduler; on every machine (the same one
included) start workers, one process per core, one thread each; then point the sweep at it:

    dask scheduler                                 # prints "Scheduler at: tcp://10.0.0.5:8786"
    dask worker tcp://10.0.0.5:8786 --nworkers 4 --nthreads 1     # 4: that machine's cores
    python benchmarks/modes.py --cluster tcp://10.0.0.5:8786

or, from Python, train_runs(runs, cluster="tcp://10.0.0.5:8786"). Every worker needs the
same tinygan (pip install "tinygan[cluster]" from the same checkout, or PYTHONPATH pointing
at it) and the same numpy. The results come back to the machine that started the sweep, and
only that machine writes the store. Ctrl-C there cancels the runs not yet finished; the
finished ones are already in the store. The workers' malloc is set back to glibc's usual
behaviour for these runs (see _plain_malloc: Dask's default costs 1.7x the CPU time here).
"""

import contextlib
import dataclasses
import functools
import os
import time
import warnings

import numpy as np

from tinygan.checks import integer
from tinygan.config import Config
from tinygan.gan import Trainer
from tinygan.questions.blind import BlindTrainer
from tinygan.questions.landscape import d_map
from tinygan.questions.store import ResultStore, describe, run_key
from tinygan.questions.common import blas, call_with_one_thread, default_jobs, imap

__all__ = ["train_runs", "train_one", "sweep", "default_jobs", "at_budget", "environment"]

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


# ----------------------------------------------------------------------------- one run

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


def train_runs(runs, snap_steps=(), landscape=False, jobs=None, cluster=None, store=None):
    """train_one for every run; results in the order of runs (see sweep for jobs, cluster, store).

    jobs=None uses every core; jobs=1 runs here, in this process. Runs that are identical
    (same config and options) are trained once and share one result dict. The workers use
    one BLAS thread each: the matrices of these small networks are faster on one thread, and
    two processes sharing two cores would otherwise fight over them.
    """
    options = {"snap_steps": sorted(set(int(s) for s in snap_steps)), "landscape": bool(landscape)}
    return sweep(runs, train_one, options, jobs=jobs, cluster=cluster, store=store)


# ----------------------------------------------------------------------------- the engine

def sweep(runs, task=train_one, options=None, name=None, jobs=None, cluster=None, store=None,
          reuse=True, train=True, progress=None):
    """task(run, **options) for every run, each at most once; results in the order of runs.

    runs      Configs, or dicts with a Config under "config" and the run's own options
    task      a module-level function (it travels to other processes by pickle) returning a
              plain dict; default train_one
    options   keyword arguments of task, the same for every run; part of every key
    name      the task's name in the keys (default task.__name__). Give a new name when the
              task's output changes, so the results of the old one are not reused.
    jobs      local worker processes (None: one per core; 1: in this process)
    cluster   a Dask scheduler's address "tcp://host:port", a dask.distributed.Client or a
              Dask cluster object (LocalCluster, ...); None runs locally. With a cluster, jobs
              is not used: the workers decide.
    store     a path (a JSON Lines file) or a ResultStore: runs stored there are read, not
              trained; each run trained is appended as soon as it finishes
    reuse     False trains every run again even if stored (and appends it: the newest
              line of a key is the one read)
    train     False trains nothing: a run missing from the store comes back as None
    progress  progress(i, result) after each run trained here, i its first index in runs

    Identical runs (the same key) are trained once and share one result dict.
    """
    runs = list(runs)
    options = dict(options or {})
    name = name or task.__name__
    if hasattr(cluster, "scheduler_address") and not hasattr(cluster, "submit"):
        cluster = cluster.scheduler_address      # a Dask cluster object, e.g. LocalCluster
    if cluster is not None and not (isinstance(cluster, str) and "://" in cluster
                                    or hasattr(cluster, "submit")):
        raise ValueError(f"cluster must be a Dask scheduler address like 'tcp://host:8786', a "
                         f"dask.distributed.Client or a Dask cluster object; got {cluster!r}")
    if jobs is not None:
        integer("jobs", jobs, minimum=1)
    store = ResultStore(store) if isinstance(store, (str, os.PathLike)) else store
    keys = [run_key(r, name, options) for r in runs]
    first = {}                                   # key -> index of its first run
    for i, k in enumerate(keys):
        first.setdefault(k, i)
    results = {}
    if store is not None and (reuse or not train):
        for k in first:
            found = store.get(k)
            if found is not None:
                results[k] = found
    work = [(k, runs[i]) for k, i in first.items() if k not in results]
    if work and train:
        if cluster is not None:
            finished = _on_dask(work, task, options, name, cluster)
        else:
            finished = _on_local(work, task, options, min(default_jobs() if jobs is None else jobs,
                                                          len(work)))
        with contextlib.closing(finished):
            for k, result in finished:
                if store is not None:
                    store.put(k, result, task=name, run=describe(runs[first[k]]))
                results[k] = result
                if progress is not None:
                    progress(first[k], result)
    return [results.get(k) for k in keys]


def _on_local(work, task, options, jobs):
    """(key, result) for each (key, run) of work as it finishes, on `jobs` local processes."""
    for i, result in imap(functools.partial(task, **options), [(run,) for _, run in work], jobs):
        yield work[i][0], result


# ----------------------------------------------------------------------------- Dask

def environment():
    """What decides the bits of a result on this process: numpy, its SIMD paths, the BLAS.

    Returns {"numpy": version, "simd": numpy's dispatched CPU targets in use, "blas":
    [(library, version, kernel), ...]}.
    """
    try:
        umath = np._core._multiarray_umath
        simd = sorted(t for t in umath.__cpu_dispatch__ if umath.__cpu_features__.get(t))
    except AttributeError:                       # another numpy's layout
        simd = None
    return {"numpy": np.__version__, "simd": simd,
            "blas": sorted((b["library"], b["version"], b["kernel"]) for b in blas())}


_MALLOC_DONE = []


def _plain_malloc():
    """Undo, once per process, the malloc setting a Dask nanny gives its workers (glibc only).

    The nanny starts each worker with MALLOC_TRIM_THRESHOLD_=65536, so that freed memory goes
    back to the system. Setting it also freezes glibc's mmap threshold at 128 kB, and every
    array of 128 kB or more (one 256 x 128 float32 activation is exactly that) becomes a
    fresh mmap whose pages fault in again at every step: measured on a 400-step ring run,
    1.7 s of CPU instead of 1.0 s. Here the mmap threshold goes to 32 MB (where glibc's own
    adaptive threshold stops) and the trim threshold to 64 MB. Only where memory comes from
    changes, never a result.
    """
    if _MALLOC_DONE or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    _MALLOC_DONE.append(True)
    try:
        import ctypes
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):             # not glibc: nothing to undo
        return
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    mallopt(M_MMAP_THRESHOLD, 32 << 20)
    mallopt(M_TRIM_THRESHOLD, 64 << 20)


def _call_on_worker(task, options, run):
    """task(run, **options) on a Dask worker, with one BLAS thread and malloc as in a plain process."""
    _plain_malloc()
    return call_with_one_thread(functools.partial(task, **options), (run,))


def _check_workers(client, address):
    """Wait for a worker; warn about workers whose arithmetic differs from this process's."""
    try:
        client.wait_for_workers(1, timeout=60)
    except TimeoutError as err:
        raise RuntimeError(f"the Dask scheduler at {address} has no workers after 60 s; start "
                           f"some with `dask worker {address} --nthreads 1`") from err
    here = environment()
    there = client.run(environment)
    differ = {w: e for w, e in there.items() if e != here}
    if differ:
        worker, env = next(iter(differ.items()))
        warnings.warn(f"{len(differ)} of {len(there)} Dask workers compute differently from this "
                      f"machine (e.g. {worker}: {env}; here: {here}): their results may differ in "
                      "the last bits from local runs", RuntimeWarning, stacklevel=4)


def _on_dask(work, task, options, name, cluster):
    """(key, result) for each (key, run) of work as it finishes, on a Dask cluster."""
    try:
        from dask.distributed import Client, as_completed
    except ImportError as err:
        raise ImportError('a cluster needs Dask distributed: pip install "tinygan[cluster]"') from err
    address = cluster if isinstance(cluster, str) else getattr(cluster.scheduler, "address", "?")
    if isinstance(cluster, str):
        try:
            client = Client(cluster, set_as_default=False)
        except OSError as err:
            raise OSError(f"cannot reach a Dask scheduler at {cluster} ({err}); start one with "
                          "`dask scheduler` (see tinygan.questions.sweep)") from err
    else:
        client = cluster
    futures = []
    try:
        _check_workers(client, address)
        ours = {f"tinygan-{name}-{k}": k for k, _ in work}
        futures = client.map(functools.partial(_call_on_worker, task, options), [run for _, run in work],
                             key=list(ours))
        for future, result in as_completed(futures, loop=client.loop, with_results=True):
            yield ours[future.key], result
    finally:
        if futures:
            client.cancel([f for f in futures if not f.done()])
        if client is not cluster:
            client.close()
