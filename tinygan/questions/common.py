"""What every demo shares: two kinds of check, numbers over seeds, parallel runs, the terminal.

    checks = Checks(CLAIMS)                      # CLAIMS: fixed before the run, each with its reason
    checks.claim("minimax_vanishes", held, "2.9 ± 0.2 orders (3 seeds)")
    checks.self_check("bound_holds", held, "Thm 2.4's bound is above the gradient", "every record")
    over_seeds([2.71, 3.00, 3.26])               # '2.99 ± 0.22 (3 seeds)'
    pmap(fn, tasks)                              # fn(*task) for every task, one process per core
    with limit_threads(1): ...                   # BLAS on one thread inside the block

Two kinds of check, counted apart everywhere (the demo's output, the tour, the report):

  * a **claim** is experimental: it can fail. Its threshold and the reason for it are written
    in the demo's CLAIMS table, at the top of the module, before anything runs. A claim that
    fails is reported as failed, by name, with what was measured.
  * a **self-check** compares tinygan's own closed form with tinygan's own computation (a
    formula against finite differences, a bound against the quantity it bounds). It catches
    bugs; it is not evidence about GANs, and it is never counted as such.

A demo's run(quick, out) returns a dict: question, finding (one sentence), answer (paragraphs,
written from what held), figures and captions (what to look at), table (rows with the keys
of COLUMNS), checks (Checks.items), seeds, and anything else the tests want (stats).
"""

import argparse
import contextlib
import dataclasses
import multiprocessing
import os
import textwrap
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from tinygan.checks import check_threads
from tinygan.questions.report import COLUMNS, HEADINGS, QUICK_STATE, tally

__all__ = ["Claim", "Checks", "QUICK_STATE", "over_seeds", "spread", "COLUMNS", "row", "format_table",
           "print_result", "demo_main", "tally", "limit_threads", "blas", "default_jobs", "imap", "pmap"]

# The columns a demo's table may use, in the order they are shown (tinygan.questions.report):
# "paper" is what a paper printed, with where (table, figure, equation); "expected" is what
# theory or common sense predicts where no paper prints a number; "closed form" is tinygan's
# own calculation; "measured" is what this run measured (mean ± std over seeds).


@dataclasses.dataclass(frozen=True)
class Claim:
    """An experimental claim, declared before the run: what should happen, and why this threshold."""

    says: str
    reason: str


class Checks:
    """The claims and self-checks of one demo, in the order they were evaluated."""

    def __init__(self, claims):
        self.claims = dict(claims)
        self.items = []

    def claim(self, name, held, measured):
        """Record the outcome of the declared claim `name` (KeyError if it was not declared).

        held: True or False; None when the claim could not be measured in this run (its data
        is missing), which is counted apart, never as held.
        """
        c = self.claims[name]
        if any(i["name"] == name for i in self.items):
            raise ValueError(f"claim {name!r} evaluated twice")
        held = None if held is None else bool(held)
        self.items.append({"kind": "claim", "name": name, "says": c.says, "reason": c.reason,
                           "measured": str(measured), "held": held})
        return held

    def not_at_quick_size(self, name, why):
        """Record that the declared claim `name` was not evaluated: the quick size cannot show it.

        Counted apart from held, failed and not measured (tally's "quick"), so a quick run
        never reports a budget-limited claim as failed. `why`: what the quick run measured or lacks.
        """
        self.claim(name, None, why)
        self.items[-1]["state"] = QUICK_STATE
        return None

    def self_check(self, name, held, says, measured):
        """Record a self-check: tinygan's closed form against tinygan's computation."""
        self.items.append({"kind": "self-check", "name": name, "says": says, "reason": "",
                           "measured": str(measured), "held": bool(held)})
        return bool(held)

    def held(self, name):
        """Whether the claim or self-check `name` held (KeyError if not evaluated yet)."""
        for i in self.items:
            if i["name"] == name:
                return i["held"]
        raise KeyError(name)

    def result(self):
        """The items, after making sure every declared claim was evaluated exactly once."""
        missing = set(self.claims) - {i["name"] for i in self.items if i["kind"] == "claim"}
        if missing:
            raise ValueError(f"claims declared but never evaluated: {sorted(missing)}")
        return list(self.items)


# ----------------------------------------------------------------------------- over seeds

def spread(values):
    """Mean, standard deviation (ddof 0), min, max and count of a list of numbers."""
    v = np.asarray(values, dtype=np.float64)
    return {"mean": float(v.mean()), "sd": float(v.std()), "min": float(v.min()),
            "max": float(v.max()), "n": int(v.size)}


def over_seeds(values, fmt="{:.2f}", unit=""):
    """'mean ± sd (n seeds)' for a list of per-seed numbers; one value is shown as is."""
    s = spread(values)
    if s["n"] == 1:
        return f"{fmt.format(s['mean'])}{unit} (1 seed)"
    return f"{fmt.format(s['mean'])} ± {fmt.format(s['sd'])}{unit} ({s['n']} seeds)"


def row(quantity, **cells):
    """A table row: `quantity` and any of the other COLUMNS ('closed form' as closed_form)."""
    cells = {k.replace("_", " "): v for k, v in cells.items()}
    unknown = set(cells) - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown table columns {sorted(unknown)}; allowed: {COLUMNS}")
    return {"quantity": quantity, **{k: str(v) for k, v in cells.items()}}


# ----------------------------------------------------------------------------- threads and processes
#
# The one place tinygan decides how its work runs: how many BLAS threads, how many processes.
# Why one BLAS thread: these matrices are small (a batch of 256 by 128 units), so one matrix
# product takes tens of microseconds, about what it costs to hand half of it to a second
# thread and wait for it; on a busy machine the second thread is often not running when it
# is waited for. The thread count can change the last bits of a result (a product split
# across threads may add in another order), so "same seed, same bits" holds for the same
# thread count and the same BLAS kernel.

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def limit_threads(threads=1):
    """Inside the block BLAS uses at most `threads` threads (None: unchanged); restored after.

    threadpoolctl finds the BLAS numpy loaded (OpenBLAS, MKL, BLIS, Accelerate) and calls its
    own thread-count setter: a user's other NumPy code, after the block, runs as before.
    """
    threads = check_threads(threads)
    if threads is None:
        yield
        return
    with threadpool_limits(limits=threads, user_api="blas"):
        yield


def blas():
    """The BLAS libraries numpy loaded, each {library, version, kernel, threads}: what the
    exact bits of a run depend on besides the seed (the kernel is the CPU architecture the
    library picked, e.g. SkylakeX or Haswell; OPENBLAS_CORETYPE overrides it)."""
    return [{"library": lib.get("internal_api"), "version": lib.get("version"),
             "kernel": lib.get("architecture"), "threads": lib.get("num_threads")}
            for lib in threadpool_info() if lib.get("user_api") == "blas"]


def default_jobs():
    """Processes to use: the cores this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:     # not on Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def _children_with_one_blas_thread():
    """Processes started inside read OPENBLAS/OMP/MKL_NUM_THREADS=1 when they load NumPy."""
    saved = {k: os.environ.get(k) for k in BLAS_THREAD_VARIABLES}
    os.environ.update({k: "1" for k in BLAS_THREAD_VARIABLES})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def call_with_one_thread(fn, task):
    """fn(*task) with one BLAS thread, in whichever process it landed."""
    with limit_threads(1):
        return fn(*task)


def imap(fn, tasks, jobs=None):
    """(i, fn(*tasks[i])) for every task as it finishes, `jobs` processes at a time.

    jobs: None uses every core; 1 runs here, in order. fn must be a module-level function
    (the workers import it by name); every call runs with one BLAS thread. Closing the
    generator early cancels the tasks not yet started.
    """
    tasks = [tuple(t) for t in tasks]
    jobs = max(1, min(default_jobs() if jobs is None else int(jobs), len(tasks)))
    if jobs == 1:
        for i, t in enumerate(tasks):
            yield i, call_with_one_thread(fn, t)
        return
    with _children_with_one_blas_thread():     # inherited by the spawned workers
        pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
        pending = {pool.submit(call_with_one_thread, fn, t): i for i, t in enumerate(tasks)}
    try:
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                yield pending.pop(f), f.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def pmap(fn, tasks, jobs=None):
    """[fn(*task) for task in tasks] on `jobs` processes (see imap); results in tasks' order."""
    tasks = list(tasks)
    results = [None] * len(tasks)
    for i, result in imap(fn, tasks, jobs):
        results[i] = result
    return results


# ----------------------------------------------------------------------------- the terminal

def format_table(rows):
    """A demo's table as aligned plain-text columns (only the columns some row uses)."""
    cols = [c for c in COLUMNS if any(c in r for r in rows)]
    cells = [[str(r.get(c, "")) for c in cols] for r in rows]
    heads = [HEADINGS[c] for c in cols]
    widths = [max(len(h), *(len(line[i]) for line in cells)) for i, h in enumerate(heads)]
    lines = [heads, ["-" * w for w in widths]] + cells
    return "\n".join("  ".join(s.ljust(w) for s, w in zip(line, widths)).rstrip() for line in lines)


def checks_text(items):
    """The two counts and every failed check by name, for a terminal."""
    t = tally(items)
    lines = [f"claims: {t['held']} of {t['claims']} held"
             + ("" if not t["failed"] else ", FAILED: " + ", ".join(i["name"] for i in t["failed"]))]
    for i in t["failed"]:
        lines.append(f"  FAILED {i['name']}: {i['says']} -- measured {i['measured']}")
    for i in t["unmeasured"]:
        lines.append(f"  not measured {i['name']}: {i['measured']}")
    if t["quick"]:
        lines.append(f"  {QUICK_STATE} ({len(t['quick'])}): " + ", ".join(i["name"] for i in t["quick"]))
    lines.append(f"self-checks (tinygan's closed forms against its own computation): "
                 f"{t['passed']} of {t['self_checks']} passed"
                 + ("" if not t["self_failed"] else ", FAILED: "
                    + ", ".join(i["name"] for i in t["self_failed"])))
    return "\n".join(lines)


def print_result(res):
    """Print what a demo's run() returned: question, finding, answer, table, checks, figures."""
    print(res["question"], "\n")
    print(textwrap.fill("Finding: " + res["finding"], 96), "\n")
    for para in res["answer"].split("\n\n"):
        print(textwrap.fill(para, 96), "\n")
    print(format_table(res["table"]), "\n")
    print(checks_text(res["checks"]))
    print("seeds:", res.get("seeds", "-"))
    print("figures:", *res["figures"], sep="\n  ")


def demo_main(run, question, default_out, quick_help, argv=None):
    """The command line every demo shares: --quick, --out; runs it and prints the result."""
    parser = argparse.ArgumentParser(description=question)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--out", default=default_out, help=f"folder for the figures (default {default_out})")
    args = parser.parse_args(argv)
    res = run(quick=args.quick, out=args.out)
    print_result(res)
    return 0
