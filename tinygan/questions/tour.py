"""The tour: run every demo, one question each, and write one HTML report to read.

    tinygan tour                   # every demo, full size (about 3 minutes on 2 cores)
    tinygan tour --quick           # small versions of every demo (for tests)
    tinygan tour --out DIR         # report in DIR/report.html (default runs/tour)

The demos run in question order; each prints how long it took, how many of its claims held
(naming those that failed) and how many self-checks passed. One broken demo does not lose the
others: its section says so. Every figure is embedded in a single self-contained page.
"""

import argparse
import resource
import sys
import time
import traceback
from pathlib import Path

from tinygan.questions.report import tally, write_report
from tinygan.questions.registry import TOUR, load
from tinygan.questions.common import default_jobs, imap, limit_threads

OUT = "runs/tour"
TITLE = "tinygan: six questions about GAN training, answered by experiment"
INTRO = (
    "Every section below answers one question that people keep asking about training generative "
    "adversarial networks. Each answer comes from an experiment just run on this machine with "
    "tinygan, a GAN library written from scratch in NumPy: the networks, their gradients, the "
    "losses and the optimizers are all code you can read.\n\n"
    "Two kinds of check are counted apart. A claim is experimental: it could have failed, and its "
    "threshold was written down, with its reason, before the run; a claim that failed is named, "
    "here and in its section. A self-check compares one of tinygan's closed forms with its own "
    "computation: it catches bugs and is not evidence about GANs. Headline numbers are means over "
    "three seeds with their standard deviation.\n\n"
    "Read a section in this order: the question; the finding (highlighted); the answer, written "
    "for a student and from what held; the figures, each with what to look at; the claims; and the "
    "table, where 'paper printed' is a number a paper printed (with the table, figure or equation) "
    "and tinygan's own closed forms have a column of their own. docs/references.md gives the source "
    "of every number. To rerun one question alone: tinygan demo NAME.")


def _say(message):
    print(message, flush=True)


def _cpu():
    """CPU seconds used so far by this process and its finished children (the pool's workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _status(items):
    t = tally(items)
    text = f"claims {t['held']}/{t['claims']} held"
    if t["failed"]:
        text += " (FAILED: " + ", ".join(i["name"] for i in t["failed"]) + ")"
    if t["unmeasured"]:
        text += f", {len(t['unmeasured'])} not measured"
    if t["quick"]:
        text += f", {len(t['quick'])} not evaluated at quick size"
    return text + f"; self-checks {t['passed']}/{t['self_checks']}"


# The demos' rough cost in CPU seconds (full mode, measured): the tour starts the longest first,
# so that two processes finish at about the same time.
COST = {"mode_collapse": 260, "loss_curves": 87, "why_d_sees_g": 68, "perfect_discriminator": 48,
        "js_vs_wasserstein": 42, "nash_equilibrium": 12}


def run_demo(name, quick, out, jobs=1):
    """One demo here, with one BLAS thread; (result or None, error text, wall s, CPU s).

    jobs: the processes the demo itself may start (1 when the tour runs demos side by side).
    """
    t0, c0 = time.perf_counter(), _cpu()
    try:
        with limit_threads(1):
            result = load(name).run(quick=quick, out=out, jobs=jobs)
        error = None
    except Exception:   # one broken demo must not lose the others' results
        result, error = None, traceback.format_exc()
    return result, error, time.perf_counter() - t0, _cpu() - c0


def run_tour(quick=False, out=OUT, demos=TOUR, log=_say, jobs=None):
    """Run each demo into out/<name>/, write out/report.html; return (path, sections, seconds).

    demos: (label, name) pairs of tinygan.questions; log(message) reports progress. jobs: demos run
    at the same time, each in its own process (default: one per core in full mode, 1 in quick
    mode, where everything runs here). The report keeps the questions' order.
    """
    out = Path(out)
    start = time.perf_counter()
    jobs = (1 if quick else default_jobs()) if jobs is None else max(1, int(jobs))
    order = sorted(demos, key=lambda d: -COST.get(d[1], 0)) if jobs > 1 else list(demos)
    index = {name: i for i, (_, name) in enumerate(demos, 1)}
    done = {}

    def finish(label, name, outcome):
        result, error, seconds, cpu = outcome
        head = f"[{index[name]}/{len(demos)}] {label} {name}"
        if error:
            log(f"{head}: FAILED\n{error}")
            done[name] = {"label": label, "name": name, "question": name.replace("_", " "),
                          "missing": f"The demo {name} raised an error; run `tinygan demo {name}` to see it."}
            return
        log(f"{head}: done in {seconds:.0f} s ({cpu:.0f} CPU s); {_status(result['checks'])} "
            f"(total {time.perf_counter() - start:.0f} s)")
        done[name] = {**result, "label": label, "name": name, "seconds": seconds, "cpu_seconds": cpu,
                      "command": f"tinygan demo {name}" + (" --quick" if quick else "")}

    if jobs == 1:
        for label, name in order:
            log(f"[{index[name]}/{len(demos)}] {label} {name}: running ...")
            finish(label, name, run_demo(name, quick, str(out / name), jobs=None))
    else:
        log(f"running {len(demos)} demos, {jobs} at a time, the longest first ...")
        for i, outcome in imap(run_demo, [(name, quick, str(out / name)) for _, name in order], jobs):
            finish(*order[i], outcome)
    sections = [done[name] for _, name in demos]
    total = time.perf_counter() - start
    cpu = sum(s.get("cpu_seconds", 0.0) for s in sections)
    mode = "quick mode (small runs, for tests: the claims are not meant to hold here)" if quick else "full mode"
    footer = (f"Generated by tinygan tour{' --quick' if quick else ''} in {total:.0f} s ({cpu:.0f} CPU "
              f"seconds, {jobs} demo(s) at a time), {mode}. Every number on this page was measured in "
              "that run, except the published ones and the benchmark's rows, read from "
              "benchmarks/results/modes.md.")
    path = write_report(sections, out / "report.html", title=TITLE, intro=INTRO, footer=footer)
    return path, sections, total


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tinygan tour", description="Run every demo and write one HTML report.")
    parser.add_argument("--quick", action="store_true", help="small versions of every demo")
    parser.add_argument("--out", default=OUT, help=f"folder for the report and figures (default {OUT})")
    parser.add_argument("--jobs", type=int, default=None,
                        help="demos run at once, one process each (default: one per core; 1 with --quick)")
    args = parser.parse_args(argv)
    path, sections, total = run_tour(quick=args.quick, out=args.out, jobs=args.jobs)
    ran = [s for s in sections if not s.get("missing")]
    items = [i for s in ran for i in s["checks"]]
    t = tally(items)
    print(f"\n{len(ran)} of {len(sections)} demos ran in {total:.0f} s: {t['held']} of {t['claims']} claims "
          f"held, {t['passed']} of {t['self_checks']} self-checks passed.")
    for s in ran:
        for i in tally(s["checks"])["failed"]:
            print(f"  FAILED {s['label']} {i['name']}: {i['measured']}")
    print(f"Report: {Path(path).resolve()}")
    return 0 if ran else 1


if __name__ == "__main__":
    sys.exit(main())
