"""Mode collapse on the ring of 8 and the 5x5 grid of 25: every remedy against the papers.

    python benchmarks/modes.py                       # 14 rows x 2 data sets x 10 seeds, fast budget
    python benchmarks/modes.py --budget paper        # ten times each row's steps
    python benchmarks/modes.py --configs best --first-seed 100 --seeds 3 --data ring,grid,ring-r2,grid-s4
    python benchmarks/modes.py --quick               # a smoke run: 2 seeds, 300 steps
    python benchmarks/modes.py --configs best,r1 --data ring --seeds 3 --jobs 2
    python benchmarks/modes.py --cluster tcp://10.0.0.5:8786   # on a Dask cluster
    python benchmarks/modes.py --out benchmarks/results/modes.md
    python benchmarks/modes.py --configs classic --data ring --seeds 3 --set gp=10 loss=wasserstein

The runs go through tinygan.questions.sweep: on --jobs local processes, or on the workers of a Dask
cluster with --cluster (its docstring says how to start one). Every finished run is appended
to a store (--cache, default benchmarks/results/modes_runs.jsonl) keyed by its full
configuration, so an interrupted benchmark resumes where it stopped and a changed preset
(say, a new default recipe) is rerun while the others are reused. --fresh trains every run
again.

--set FIELD=VALUE ... changes Config fields on top of every chosen row (VALUE is a Python
literal: 0.1, "cosine", (128, 128, 128), True): one knob turned on a row's base, as the
experiments behind the presets' settings did (benchmarks/results/diagnosis.md). The changed
fields are printed beside each row's label; a run with them is stored under its own key, so
the rows without --set, and the stored tables, are untouched.

The PacGAN protocol (docs/references.md#mode-metrics): ring = 8 Gaussians on the unit circle, std 0.01;
grid = {-4,-2,0,2,4}^2, std 0.05; 2,500 samples from the trained generator; a sample is
high quality within 3 std of its nearest mode; a mode is captured if it gets one high-quality
sample; reverse KL = sum_k q_k log(K q_k) over the HIGH-QUALITY samples' histogram, as
PacGAN's code computes it; balanced modes (tinygan's own) count a mode only with a third of
its fair share of the samples, which a uniform blob cannot reach. Each
configuration is a preset of tinygan.config (`tinygan list`), run with seeds 0..N-1; the table
gives mean +- standard error over the seeds (as PacGAN reports), the worst seed, the wall
and CPU time of one run, the uniform-blob and uniform-circle baselines, and the published rows
(docs/references.md#q3) are printed under the configuration they correspond to. A real 2-D
Gaussian sample scores 98.9 % high quality under this rule, not 100 %.
"""

import argparse
import ast
import os
import platform
import shlex
import sys
import time

import dataclasses

import numpy as np

# One BLAS thread per run (tinygan.questions.common's limit_threads, which sweep applies to
# every run): the runs themselves are what goes in parallel.
from tinygan import Config, Trainer, presets
from tinygan.data import get_dataset
from tinygan.questions.baselines import baselines
from tinygan.questions.common import blas
from tinygan.questions.sweep import sweep

TASK = "modes-v2"   # run_one's name in the store's keys: v2 adds balanced modes and PacGAN's reverse KL

# row id -> (label in the table, preset, changes to the preset). The fast budget: every run
# within a minute on one core of the machine the table names (the CPU s column shows it).
CONFIGS = {
    "classic": ("GAN (non-saturating), raw units, 2-layer G", "classic", {}),
    "minimax": ("GAN (minimax), raw units, 2-layer G", "classic", {"loss": "minimax"}),
    "plain": ("GAN on the remedies' base, no remedy", "plain", {}),
    "wgan": ("WGAN (clipping)", "wgan", {}),
    "wgan-gp": ("WGAN-GP", "wgan-gp", {}),
    "r1": ("R1", "r1", {}),
    "instance-noise": ("instance noise", "instance-noise", {}),
    "pacgan2": ("PacGAN2", "pacgan2", {}),
    "pacgan": ("PacGAN4", "pacgan", {}),
    "unrolled": ("unrolled (5, second order)", "unrolled", {"steps": 1500}),   # the preset trains 15,000
    "unrolled-first": ("unrolled (5, first order)", "unrolled-first", {}),
    "unrolled10": ("unrolled (10, second order)", "unrolled", {"unroll": 10, "steps": 800}),
    "unrolled10-first": ("unrolled (10, first order)", "unrolled-first", {"unroll": 10, "steps": 800}),
    "best": ("best recipe (the default)", "best", {}),
}

# --budget paper: ten times each row's steps, so a run that takes a minute takes ten, the
# most the protocol allows per run. What still differs from the papers is printed under the
# table (PAPER_GAP).
PAPER_FACTOR = 10
PAPER_GAP = ("the papers train far longer (PacGAN: 400 epochs x 1,000 iterations at Adam 1e-4; "
             "Gulrajani et al.'s toy script 100,000 iterations; VEEGAN and Unrolled GAN tens of "
             "thousands), with wider networks (PacGAN: G 4 x 400 with batch norm, D maxout 3 x 200 x 5) "
             "and batch 100 (packed inputs)")

# docs/references.md#q3: (method, ring modes, ring HQ %, ring rKL, grid modes, grid HQ %, grid rKL, source)
PUBLISHED = {
    "plain": [("GAN", 1, 99.3, None, 3.3, 0.5, None, "VEEGAN T1"),
                ("GAN", 6.3, 98.2, None, 17.3, 94.8, None, "PacGAN T1")],
    "wgan-gp": [("WGAN-GP", 6.8, 59.6, None, 24.2, 28.7, None, "GDPP T1")],
    "pacgan2": [("PacGAN2", 7.9, 95.6, 0.07, 23.8, 91.3, None, "PacGAN T1")],
    "pacgan": [("PacGAN4", 7.8, 95.9, None, 24.8, 93.6, 0.04, "PacGAN T1")],
    "unrolled": [("Unrolled GAN", 7.6, 35.6, None, 23.6, 16, None, "VEEGAN T1")],
    "best": [("VEEGAN", 8, 52.9, None, 24.6, 40, None, "VEEGAN T1"),
             ("GDPP-GAN", 8.0, 71.7, None, 24.8, 68.5, None, "GDPP T1")],
}

# --data names -> (data set, its options). ring and grid are the papers'; the others check
# that a recipe holds beyond the benchmark's constants (a ring twice the size, grids of
# another spacing with the same mode std, so relatively sharper or blunter modes).
DATA = {
    "ring": ("ring", {}), "grid": ("grid", {}),
    "ring-r2": ("ring", {"radius": 2.0, "std": 0.02}),
    "grid-s1": ("grid", {"spacing": 1.0}), "grid-s3": ("grid", {"spacing": 3.0}),
    "grid-s4": ("grid", {"spacing": 4.0}),
    # exact rescalings of ring and grid (every length times 0.1, times 10): in standard units
    # the same problem, in the data's own units not
    "ring-x0.1": ("ring", {"radius": 0.1, "std": 0.001}),
    "grid-x10": ("grid", {"spacing": 20.0, "std": 0.5}),
}


def dataset(name):
    data, options = DATA[name]
    return get_dataset(data, **options)


def parse_set(items):
    """{field: value} from ["FIELD=VALUE", ...] (--set); ValueError names what is wrong.

    VALUE is a Python literal (0.1, "cosine", (128, 128), True); a bare word that is not one
    (cosine) is taken as a string; a list becomes a tuple, as Config's tuple fields are.
    """
    fields = [f.name for f in dataclasses.fields(Config)]
    fixed = ("data", "data_options", "seed", "eval_every", "eval_samples")   # the benchmark sets them
    out = {}
    for item in items:
        field, eq, text = item.partition("=")
        field = field.strip()
        if not eq or not field:
            raise ValueError(f"--set takes FIELD=VALUE, e.g. gp=0.1; got {item!r}")
        if field not in fields or field in fixed:
            raise ValueError(f"--set: {field!r} is not a field --set may change; choose from "
                             f"{', '.join(f for f in fields if f not in fixed)}")
        try:
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            value = text.strip()
        out[field] = tuple(value) if isinstance(value, list) else value
    return out


def describe_set(changes):
    """'gp=0.1, betas=(0.5, 0.9)': the --set changes as printed beside a row's label."""
    return ", ".join(f"{k}={v!r}" for k, v in changes.items())


def job_config(row, data, seed, steps=0, budget="fast", changes=None):
    """The exact Config of one run: row `row` of CONFIGS on `data` with `seed`; `changes`
    (--set) then change fields of it; `steps` overrides the steps (0: keep), budget "paper"
    multiplies them by PAPER_FACTOR."""
    _, preset, row_changes = CONFIGS[row]
    config = dataclasses.replace(presets[preset](), **{**row_changes, **(changes or {})})
    overrides = {"data": DATA[data][0], "data_options": DATA[data][1], "seed": seed, "eval_every": 0,
                 "eval_samples": 2500}
    overrides["steps"] = steps or config.steps * (PAPER_FACTOR if budget == "paper" else 1)
    return dataclasses.replace(config, **overrides).validate()


def run_one(config):
    """Train one run (a Config from job_config) and evaluate it; returns a dict of numbers."""
    start, cpu = time.perf_counter(), time.process_time()
    trainer = Trainer(config)
    try:
        trainer.train()
        result = trainer.evaluate(record=False)
        failed = None
    except Exception as err:   # a diverged run counts as 0 modes, and is reported
        result = {"modes": 0, "balanced_modes": 0, "high_quality": 0.0, "reverse_kl": float("nan")}
        failed = f"{type(err).__name__}: {err}"
    return {"modes": result["modes"], "balanced": result["balanced_modes"],
            "hq": 100.0 * result["high_quality"], "rkl": result["reverse_kl"],
            "wall": time.perf_counter() - start, "cpu": time.process_time() - cpu, "failed": failed}


def _ms(values, fmt):
    """mean ± standard error over the seeds (as PacGAN reports); NaNs (no high-quality
    sample, so no reverse KL) are left out and counted."""
    values = np.asarray(values, dtype=float)
    ok = values[~np.isnan(values)]
    if not len(ok):
        return "—"
    nan = f" ({len(values) - len(ok)} undefined)" if len(ok) < len(values) else ""
    if len(ok) == 1:       # one seed has no spread to show: say so rather than print ± 0
        return f"{fmt.format(ok[0])} (1 seed){nan}"
    se = ok.std(ddof=1) / np.sqrt(len(ok))
    return f"{fmt.format(ok.mean())} ± {fmt.format(se)}{nan}"


def _pub(v, fmt):
    return "—" if v is None else fmt.format(v)


def _worst(rs):
    """The worst seed: the fewest modes, then the lowest high-quality share."""
    w = min(rs, key=lambda r: (r["modes"], r["hq"]))
    return f"{w['modes']} / {w['hq']:.1f} %"


def _baseline_rows(data_sets):
    """The naive samplers every number should be read against (tinygan.questions.baselines)."""
    rows = {}
    for d in data_sets:
        for name, r in baselines(dataset(d)).items():
            rows.setdefault(name, {})[d] = r
    lines = []
    for name, per in rows.items():
        cells = [f"  baseline: {name} (computed, 2,500 samples, seed 0)"]
        for d in data_sets:
            r = per.get(d)
            cells += (["—"] * 4 + [""] if r is None else
                      [str(r["modes"]), str(r["balanced_modes"]), f"{100 * r['high_quality']:.1f}",
                       f"{r['reverse_kl']:.3f}", ""])
        lines.append("| " + " | ".join(cells + ["", ""]) + " |")
    return lines


def table(results, configs, data_sets, changes=None):
    """The markdown table: one row per configuration, its published rows under it, then the
    naive baselines. `changes` (--set) are named beside every row's label."""
    also = f" with {describe_set(changes)}" if changes else ""
    head = ["configuration"]
    for d in data_sets:
        k = dataset(d).n_modes
        head += [f"{d} modes (of {k})", f"{d} balanced", f"{d} HQ %", f"{d} rev. KL",
                 f"{d} worst seed (modes / HQ)"]
    head += ["wall s / run", "CPU s / run"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for preset in configs:
        cells = [f"**{CONFIGS[preset][0]}{also}**"]
        walls, cpus = [], []
        for d in data_sets:
            rs = [r for r in results if r["preset"] == preset and r["data"] == d]
            if not rs:
                cells += [""] * 5
                continue
            cells += [_ms([r["modes"] for r in rs], "{:.1f}"), _ms([r["balanced"] for r in rs], "{:.1f}"),
                      _ms([r["hq"] for r in rs], "{:.1f}"), _ms([r["rkl"] for r in rs], "{:.3f}"), _worst(rs)]
            walls += [r["wall"] for r in rs]
            cpus += [r["cpu"] for r in rs]
        cells += [f"{np.mean(walls):.1f}" if walls else "", f"{np.mean(cpus):.1f}" if cpus else ""]
        lines.append("| " + " | ".join(cells) + " |")
        for name, rm, rh, rk, gm, gh, gk, source in PUBLISHED.get(preset, []):
            cells = [f"  published: {name} ({source})"]
            for d in data_sets:
                m, h, k = (rm, rh, rk) if d == "ring" else (gm, gh, gk) if d == "grid" else (None,) * 3
                cells += [_pub(m, "{}"), "—", _pub(h, "{}"), _pub(k, "{}"), ""]
            lines.append("| " + " | ".join(cells + ["", ""]) + " |")
    lines += _baseline_rows(data_sets)
    return "\n".join(lines)


def machine():
    """The CPU, NumPy and BLAS (library, version, kernel) that produced the numbers."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    libs = "; ".join(f"{b['library']} {b['version']} ({b['kernel']} kernel)" for b in blas()) or "unknown BLAS"
    return f"{cpu}, {os.cpu_count()} CPUs; NumPy {np.__version__}, {libs}; one BLAS thread per run"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="N seeds per configuration (default 10)")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds FIRST..FIRST+N-1 (default 0; 100 and up were never used to choose a setting)")
    parser.add_argument("--configs", default=",".join(CONFIGS),
                        help=f"comma-separated rows (default all: {','.join(CONFIGS)})")
    parser.add_argument("--budget", choices=("fast", "paper"), default="fast",
                        help=f"fast: each row's own steps (a minute or less per run); paper: {PAPER_FACTOR} times as many")
    parser.add_argument("--data", default="ring,grid",
                        help=f"comma-separated data sets (default ring,grid; all: {','.join(DATA)})")
    parser.add_argument("--steps", type=int, default=0, help="override every preset's steps (0: keep)")
    parser.add_argument("--set", nargs="+", default=[], metavar="FIELD=VALUE",
                        help="change these Config fields on every chosen row, e.g. --set gp=10 "
                             "\"betas=(0.0, 0.9)\" (a run with them is stored under its own key)")
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel on this machine (default 1)")
    parser.add_argument("--cluster", default=None, metavar="ADDRESS",
                        help="run on a Dask cluster: its scheduler's address, e.g. tcp://10.0.0.5:8786 "
                             '(pip install "tinygan[cluster]"; see tinygan/questions/sweep.py)')
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 seeds, 300 steps")
    parser.add_argument("--out", default=None, help="also write the table (markdown) to this file")
    parser.add_argument("--cache", default=os.path.join(os.path.dirname(__file__), "results", "modes_runs.jsonl"),
                        help="finished runs, reused when their configuration matches (default %(default)s)")
    parser.add_argument("--fresh", action="store_true", help="train every run again (and append it to the cache)")
    parser.add_argument("--cached-only", action="store_true",
                        help="train nothing: print the table of the runs already in the cache")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.steps = min(args.seeds, 2), args.steps or 300
    chosen = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in CONFIGS]
    data_sets = [d.strip() for d in args.data.split(",") if d.strip()]
    if unknown or not chosen:
        parser.error(f"unknown configs {unknown}; choose from {', '.join(CONFIGS)}")
    if any(d not in DATA for d in data_sets) or not data_sets:
        parser.error(f"--data takes a comma-separated list of {', '.join(DATA)}; got {args.data!r}")
    try:
        changes = parse_set(args.set)
    except ValueError as err:
        parser.error(str(err))
    configs = [c for c in CONFIGS if c in chosen]
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    # seed by seed, so an interrupted run leaves every configuration with the same seeds
    jobs = [(p, d, s, args.steps) for s in seeds for p in configs for d in data_sets]
    try:
        runs = [job_config(*j, budget=args.budget, changes=changes) for j in jobs]
    except ValueError as err:     # a --set value the Config refuses
        parser.error(f"--set {describe_set(changes)}: {err}")
    stored = [] if args.fresh else [r for r in sweep(runs, run_one, name=TASK, store=args.cache, train=False) if r]
    todo = 0 if args.cached_only else len(jobs) - len(stored)
    where = f"on the Dask cluster at {args.cluster}" if args.cluster else f"{args.jobs} at a time"
    print(f"{len(jobs)} runs: {len(configs)} configurations x {data_sets} x seeds {seeds}; "
          f"{len(stored)} from the cache, {todo} to train, {where}", file=sys.stderr)
    start, count = time.perf_counter(), [len(stored)]

    def progress(i, r):
        count[0] += 1
        p, d, s, _ = jobs[i]
        print(f"  [{count[0]}/{len(jobs)}] {p:<15} {d:<5} seed {s:<2} "
              f"modes {r['modes']:>2} bal {r['balanced']:>2} hq {r['hq']:5.1f} rkl {r['rkl']:.3f} {r['wall']:5.1f} s"
              + (f"  FAILED {r['failed']}" if r["failed"] else ""), file=sys.stderr, flush=True)

    found = sweep(runs, run_one, name=TASK, jobs=args.jobs, cluster=args.cluster, store=args.cache,
                  reuse=not args.fresh, train=not args.cached_only, progress=progress)
    results = [dict(r, preset=p, data=d, seed=s) for (p, d, s, _), r in zip(jobs, found) if r is not None]
    text = table(results, configs, data_sets, changes)
    failed = [r for r in results if r["failed"]]
    done = {}
    for r in results:
        done.setdefault((r["preset"], r["data"]), []).append(r["seed"])
    partial = {(p, d): sorted(done.get((p, d), [])) for p in configs for d in data_sets
               if sorted(done.get((p, d), [])) != seeds}
    footer = (f"\nseeds {seeds} for every configuration"
              + (", except (only these seeds ran): " + "; ".join(f"{p} {d} {v}" for (p, d), v in sorted(partial.items()))
                 if partial else "")
              + (f"; {len(results)} runs ({todo} trained now, "
              f"{where}, in {time.perf_counter() - start:.0f} s; the rest from the cache)")
              + (f"; steps overridden to {args.steps}" if args.steps else "")
              + (f"; every row with {describe_set(changes)} (--set)" if changes else "")
              + (f"; paper budget: {PAPER_FACTOR} x each row's steps; still unlike the papers: {PAPER_GAP}"
                 if args.budget == "paper" else "; fast budget (each row's own steps)")
              + (f"; {len(failed)} runs diverged (counted as 0 modes)" if failed else ""))
    footer += "\nmachine: " + machine()
    print(text + "\n" + footer)
    if args.out:
        with open(args.out, "w") as f:
            given = argv if argv is not None else sys.argv[1:]
            command = " ".join(shlex.quote(a) for a in given if a != "--cached-only" and not a.startswith("--out")
                               and a != args.out)
            f.write("# Mode coverage: tinygan's remedies against the published rows\n\n"
                    f"Made by `{('python benchmarks/modes.py ' + command).strip()}` (mean ± standard error over the seeds; "
                    "wall time with the runs sharing two busy cores, CPU time per run beside it).\n\n"
                    + text + "\n" + footer + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
