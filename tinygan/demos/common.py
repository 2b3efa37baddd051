"""What every demo shares: two kinds of check, numbers over seeds, parallel runs, the terminal.

    checks = Checks(CLAIMS)                      # CLAIMS: fixed before the run, each with its reason
    checks.claim("minimax_vanishes", held, "2.9 ± 0.2 orders (3 seeds)")
    checks.self_check("bound_holds", held, "Thm 2.4's bound is above the gradient", "every record")
    over_seeds([2.71, 3.00, 3.26])               # '2.99 ± 0.22 (3 seeds)'
    pmap(fn, tasks)                              # fn(*task) for every task, one process per core

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
import dataclasses
import multiprocessing
import os
import textwrap
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from tinygan.app.report import COLUMNS, HEADINGS, tally
from tinygan.threads import child_blas_threads

__all__ = ["Claim", "Checks", "over_seeds", "spread", "pmap", "COLUMNS", "row", "format_table",
           "print_result", "demo_main", "tally"]

# The columns a demo's table may use, in the order they are shown (tinygan.app.report):
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


# ----------------------------------------------------------------------------- parallel runs

def default_jobs():
    """Processes to use: the cores this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:     # not on Linux
        return max(1, os.cpu_count() or 1)


def _call(args):
    fn, task = args
    return fn(*task)


def pmap(fn, tasks, jobs=None):
    """[fn(*task) for task in tasks], `jobs` processes at a time (None: every core, 1: here).

    fn must be a module-level function (the workers import it by name). Each worker uses
    one BLAS thread: these networks are small, and two processes on two cores would
    otherwise fight over them. Results come back in the order of `tasks`.
    """
    tasks = [tuple(t) for t in tasks]
    jobs = max(1, min(default_jobs() if jobs is None else int(jobs), len(tasks)))
    if jobs == 1:
        return [fn(*t) for t in tasks]
    with child_blas_threads(), ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_call, [(fn, t) for t in tasks]))


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


def single_thread():
    """A context in which BLAS uses one thread (these networks are small: threads only cost).

    Uses threadpoolctl when it is installed; otherwise nothing changes (set
    OPENBLAS_NUM_THREADS=1 before starting Python for the same effect).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
