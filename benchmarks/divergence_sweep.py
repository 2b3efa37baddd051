"""Divergence, wherever it shows: drive `tinygan train` through configurations that blow up in
different places and sort what the user gets into five outcomes.

    python benchmarks/divergence_sweep.py                  # every configuration (~2-4 min)
    python benchmarks/divergence_sweep.py --only radius    # those whose name holds 'radius'
    python benchmarks/divergence_sweep.py --json out.json  # one record per configuration
    python benchmarks/divergence_sweep.py --cost 4000      # what the checks cost per step

Each configuration is a tiny run (two hidden layers of 16, batch 64, 60 steps, an evaluation
every 10 steps) with one extreme: a learning rate of 1e3, 1e4 or 1e6 for every loss family and
optimizer, a data set pushed to 1e25-1e300 (ring radius or std, grid spacing, a 1-D mean),
instance noise or a gradient penalty of 1e25-1e300, float32, and the remedies that hold
state of their own (a weight average, packing, an unrolled D, clipping, several D steps).
Each runs twice in-process through tests/clifuzz.py's `attempt`: once with warnings
recorded (were any printed?) and once with warnings as errors (as under `python -W error`).

Outcomes (the first that applies):
    traceback   an exception escaped the CLI (warnings only recorded)
    warning     NumPy warned on the way (printed before the message), so that under
                -W error the warning escaped as an exception instead
    silent      exit 0, yet the checkpoint holds NaN or inf (weights or optimizer state)
    bad-kept    exit 1, yet the checkpoint left on disk holds NaN or inf or does not load
    clean       exit 1 with one message 'tinygan: training diverged at step N: ...' (off a
                terminal, progress lines may come before it), or exit 0 with a finite state
The counts of clean are split into 'diverged' (exit 1) and 'trained' (exit 0, all finite).
"""

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402

from clifuzz import attempt  # noqa: E402
from tinygan.questions.common import limit_threads  # noqa: E402

TINY = ["--g-hidden", "16", "16", "--d-hidden", "16", "16", "--batch-size", "64", "--steps", "60",
        "--eval-every", "10", "--eval-samples", "500", "--z-dim", "4"]
LOSSES = ("minimax", "nonsaturating", "wasserstein", "least_squares", "hinge")
OPTIMIZERS = ("sgd", "adam", "rmsprop")


def configurations():
    """[(name, argv)]: every configuration of the sweep, in a fixed order."""
    runs = []
    for lr in ("1e3", "1e4", "1e6"):
        for loss in LOSSES:
            for opt in OPTIMIZERS:
                runs.append((f"lr{lr}-{loss}-{opt}",
                             ["--loss", loss, "--optimizer", opt, "--g-lr", lr, "--d-lr", lr]))
    runs.append(("issue-samples-overflow", ["--loss", "least_squares", "--optimizer", "sgd", "--g-lr", "1e4",
                                            "--d-lr", "1e4", "--g-hidden", "32", "--d-hidden", "32",
                                            "--eval-every", "1"]))
    for radius in ("1e25", "1e80", "1e160", "1e300"):
        for loss in ("nonsaturating", "wasserstein", "hinge"):
            runs.append((f"radius{radius}-{loss}", ["--loss", loss, "--data-option", f"radius={radius}"]))
    for std in ("1e25", "1e160"):
        for loss in ("nonsaturating", "least_squares"):
            runs.append((f"std{std}-{loss}", ["--loss", loss, "--data-option", f"std={std}"]))
    runs.append(("grid-spacing1e200", ["--data", "grid", "--data-option", "spacing=1e200"]))
    runs.append(("gaussian1d-mean1e300", ["--data", "gaussian1d", "--data-option", "mean=1e300"]))
    for noise in ("1e25", "1e160", "1e300"):
        for loss in ("nonsaturating", "wasserstein"):
            runs.append((f"noise{noise}-{loss}", ["--loss", loss, "--noise", noise,
                                                  "--noise-schedule", "constant"]))
    for kind in ("gp", "r1", "r2"):
        for weight in ("1e25", "1e160", "1e300"):
            for loss in ("nonsaturating", "wasserstein"):
                runs.append((f"{kind}{weight}-{loss}", ["--loss", loss, f"--{kind}", weight]))
    for loss in LOSSES:
        runs.append((f"float32-lr1e3-{loss}-sgd", ["--dtype", "float32", "--loss", loss, "--optimizer", "sgd",
                                                   "--g-lr", "1e3", "--d-lr", "1e3"]))
    runs.append(("float32-radius1e30", ["--dtype", "float32", "--data-option", "radius=1e30"]))
    runs.append(("float32-gp1e30", ["--dtype", "float32", "--loss", "wasserstein", "--gp", "1e30"]))
    runs.append(("ema-sgd1e6", ["--ema", "0.999", "--optimizer", "sgd", "--g-lr", "1e6", "--d-lr", "1e6"]))
    runs.append(("pack2-sgd1e6", ["--pack", "2", "--optimizer", "sgd", "--g-lr", "1e6", "--d-lr", "1e6"]))
    runs.append(("unroll2-sgd1e4", ["--unroll", "2", "--optimizer", "sgd", "--g-lr", "1e4", "--d-lr", "1e4"]))
    runs.append(("clip-wgan-sgd1e6", ["--loss", "wasserstein", "--clip", "0.01", "--optimizer", "sgd",
                                      "--g-lr", "1e6", "--d-lr", "1e6"]))
    runs.append(("dsteps5-hinge-sgd1e4", ["--loss", "hinge", "--d-steps", "5", "--optimizer", "sgd",
                                          "--g-lr", "1e4", "--d-lr", "1e4"]))
    runs.append(("momentum-sgd1e3", ["--optimizer", "sgd", "--momentum", "0.9", "--g-lr", "1e3", "--d-lr", "1e3"]))
    runs.append(("tanh-output-sgd1e6", ["--g-output", "tanh", "--optimizer", "sgd", "--g-lr", "1e6", "--d-lr", "1e6"]))
    return runs


def checkpoint_state(path):
    """'none' (no file), 'finite' (loads, every number finite), or what is wrong with it."""
    if not path.exists():
        return "none"
    from tinygan.app import checkpoint
    try:
        with np.load(path, allow_pickle=False) as npz:
            bad = [k for k in npz.files if npz[k].dtype.kind == "f" and not k.startswith("history/")
                   and not np.all(np.isfinite(npz[k]))]
        checkpoint.load(path)
    except Exception as err:   # noqa: BLE001 - any failure to load is what we report
        return f"does not load: {type(err).__name__}: {err}"
    return f"non-finite: {', '.join(bad)}" if bad else "finite"


def run_one(name, argv, folder):
    """Run one configuration both ways; return its record (its outcome from classify)."""
    record = {"name": name, "argv": argv}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        first = attempt(["train", "--out", "run", *TINY, *argv], folder / "warn", watch=folder / "none",
                        warnings_as_errors=False)
        record["seconds"] = round(time.perf_counter() - start, 2)
    record["warnings"] = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    second = attempt(["train", "--out", "run", *TINY, *argv], folder / "strict", watch=folder / "none")
    for key, outcome, sub in (("", first, "warn"), ("strict_", second, "strict")):
        lines = [line for line in outcome.err.splitlines() if line.strip()]
        record[f"{key}code"] = outcome.code
        record[f"{key}stderr"] = lines[-1] if lines else ""
        record[f"{key}stderr_lines"] = len(lines)
        # the lines the CLI itself says (a progress line may come before them off a terminal)
        record[f"{key}messages"] = sum(line.startswith("tinygan:") for line in lines)
        record[f"{key}traceback"] = "Traceback" in outcome.err + outcome.out
        record[f"{key}checkpoint"] = checkpoint_state(folder / sub / "run" / "checkpoint.npz")
    record["outcome"] = classify(record)
    return record


def classify(r):
    """The outcome of one record (see the module's docstring)."""
    if r["code"] == "exception" or r["traceback"]:
        return "traceback"
    if r["warnings"] or r["strict_code"] == "exception" or r["strict_traceback"]:
        return "warning"
    if r["code"] == 0 and r["checkpoint"] != "finite":
        return "silent"
    if r["code"] == 1 and r["checkpoint"] not in ("finite", "none"):
        return "bad-kept"
    if r["code"] == 1 and r["messages"] == 1 and "diverged at step" in r["stderr"]:
        return "diverged"
    if r["code"] == 0:
        return "trained"
    if r["code"] == 2 and r["messages"] == 1:
        return "refused"     # a flag's value refused up front (exit 2, one line)
    return "other"


def summary(records):
    counts = {}
    for r in records:
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    return counts


def cost(steps, seed):
    """CPU time of a training step of the default recipe with and without the divergence
    check: steps alternate between the two on one Trainer (same run, same machine state);
    returns (median with, median without) in microseconds.

    The check is the one look at the end of Trainer.train_step: is everything the step
    leaves behind (weights, optimizer state) finite (tinygan.gan.all_finite)? 'Without'
    replaces all_finite by a function that returns True at once, so it costs what a step
    costs without the check (plus one call of a lambda, a fraction of a microsecond). The
    check of the row's few numbers stays in both.
    """
    import tinygan.gan as gan

    trainer = gan.Trainer(eval_every=0, seed=seed)
    checked_fn = gan.all_finite
    times = ([], [])
    try:
        for i in range(steps):
            checked = i % 2 == 0
            gan.all_finite = checked_fn if checked else (lambda *a: True)
            start = time.thread_time_ns()
            trainer.train_step()
            times[0 if checked else 1].append((time.thread_time_ns() - start) / 1e3)
    finally:
        gan.all_finite = checked_fn
    return float(np.median(times[0])), float(np.median(times[1]))


def main():
    with limit_threads(1):      # one BLAS thread, as every run of the sweep had
        sweep_or_cost()


def sweep_or_cost():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="run the configurations whose name holds this")
    parser.add_argument("--json", default=None, help="write every record to this file")
    parser.add_argument("--cost", type=int, default=0, metavar="STEPS",
                        help="instead of the sweep: time STEPS steps of the default recipe, every other "
                             "one without the checks, for seeds 0, 1, 2")
    args = parser.parse_args()
    if args.cost:
        for seed in range(3):
            with_checks, without = cost(args.cost, seed)
            print(f"seed {seed}: median step {without:.0f} us without the checks, {with_checks:.0f} us "
                  f"with: {with_checks - without:+.1f} us ({100 * (with_checks / without - 1):+.2f} %)")
        return
    records = []
    runs = [(n, a) for n, a in configurations() if args.only in n]
    for i, (name, argv) in enumerate(runs, 1):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for sub in ("warn", "strict", "none"):
                (folder / sub).mkdir()
            record = run_one(name, argv, folder)
        records.append(record)
        print(f"[{i:3d}/{len(runs)}] {record['outcome']:<9} {name:<32} {record['seconds']:5.1f}s "
              f"{record['stderr'][:120]}", flush=True)
    counts = summary(records)
    print(f"\n{len(records)} configurations: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if args.json:
        Path(args.json).write_text(json.dumps({"counts": counts, "records": records}, indent=1))


if __name__ == "__main__":
    main()
