"""Running checks: results, calling student code safely, Hypothesis examples, the report.

A check is a trial run on examples drawn by Hypothesis (`_run`) or on one fixed input
(`_once`). A trial returns a relative error or raises `Fail` with a hint; a student function
that still raises NotImplementedError becomes a "not implemented yet" result. Student code
runs through `_call`, with numpy's overflow, divide and invalid warnings raised as errors, so
a crash or an inf becomes a hint that names the student's line. A student's file runs in a
process of its own (sandbox.py); its functions reach `_call` as stand-ins that raise what
the student's code raised (`StudentError`), or `WorkerLost` when that process is gone.
"""

import math
import textwrap
import traceback
from pathlib import Path

import numpy as np

FD = (1e-5, 1e-3)     # (tolerance, floor) against finite differences: |a - b| <= 1e-8 near 0
LIB = (1e-8, 1e-6)    # (tolerance, floor) against the library: |a - b| <= 1e-14 near 0
EXAMPLES = 10         # Hypothesis examples per check
OUTPUT_CHARS = 2000   # of a student's printed output, shown in the report

CHECKER = Path(__file__).resolve().parent    # tinygan/exercises/: never the frame to blame
PACKAGE = CHECKER.parent                     # tinygan/: blamed only when no student frame is left


# ============================================================================ results

class Result:
    """One printed line: a check's name, PASS/FAIL, the relative error, a hint, the input."""

    def __init__(self, name, passed, error=None, hint="", example="", todo=False):
        self.name, self.passed, self.error = name, passed, error
        self.hint, self.example, self.todo = hint, example, todo

    def __repr__(self):
        return f"Result({self.name!r}, {'PASS' if self.passed else 'FAIL'}, {self.error})"


class Fail(Exception):
    """A wrong answer: what to tell the student, and the relative error if there is one."""

    def __init__(self, hint, error=None):
        super().__init__(hint)
        self.hint, self.error, self.example = hint, error, ""


class _Todo(Exception):
    """The student's function still raises NotImplementedError."""


class StudentError(Exception):
    """An exception the student's code raised in its own process: its type, message, line."""

    def __init__(self, kind, message, where=""):
        super().__init__(f"{kind}: {message}")
        self.kind, self.message, self.where = kind, message, where


class WorkerLost(Exception):
    """The process running the student's file is gone (exit, crash, time limit): why, in one line."""


class Report(list):
    """The results of one file's checks, and what the student's code printed while they ran."""

    def __init__(self, results, output="", cut_from=0):
        super().__init__(results)
        self.output, self.cut_from = output, cut_from     # cut_from: bytes printed, if cut


def printable(text):
    """text with every control or invisible formatting character shown as its escape (\\x1b,
    \\u202e), newlines and tabs kept: student text cannot move the terminal's cursor or
    repaint the report."""
    return "".join(c if c.isprintable() or c in "\n\t" else repr(c)[1:-1] for c in str(text))


# ============================================================================ calling student code

def _where(err):
    """' (file.py, line 12)': the innermost frame of the student's code, else of tinygan."""
    frames = [(Path(f.filename).resolve(), f.lineno) for f in traceback.extract_tb(err.__traceback__)]
    frames = [(path, line) for path, line in frames
              if CHECKER not in path.parents and "numpy" not in path.parts]
    mine = [(path, line) for path, line in frames if PACKAGE not in path.parents]
    for path, line in reversed(mine or frames):
        return f" ({path.name}, line {line})"
    return ""


def _call(fn, label, *args, numeric_hint="", **kwargs):
    """Run student code with numpy's overflow, divide and invalid warnings raised as errors."""
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            return fn(*args, **kwargs)
    except NotImplementedError:
        raise _Todo(label) from None
    except FloatingPointError as err:
        where = getattr(err, "where", None)
        raise Fail(f"numpy reported '{err}' inside {label}{_where(err) if where is None else where}. "
                   + (numeric_hint or "Some input makes your code compute inf or nan.")) from None
    except WorkerLost as err:
        raise Fail(str(err)) from None
    except StudentError as err:
        raise Fail(f"{label} raised {err.kind}: {err.message}{err.where}") from None
    except Exception as err:  # noqa: BLE001 - any crash in student code becomes a hint
        raise Fail(f"{label} raised {type(err).__name__}: {err}{_where(err)}") from None


def _fn(module, name):
    fn = getattr(module, name, None)
    if not callable(fn):
        raise Fail(f"your file has no function {name}(); keep the names and signatures "
                   "of the template")
    return fn


def _student(module, name, *args, **kwargs):
    return _call(_fn(module, name), name, *args, **kwargs)


def _pair(out, label, shape_text):
    if not isinstance(out, tuple) or len(out) < 2:
        raise Fail(f"{label} should return a tuple {shape_text}, got {type(out).__name__}")
    return out


def _grad_dict(grads, label, keys):
    """grads must be a dict holding an array for every key."""
    if not isinstance(grads, dict):
        raise Fail(f"{label} should return its gradients in a dict keyed by name "
                   f"({', '.join(repr(k) for k in keys)}), got {type(grads).__name__}")
    missing = [k for k in keys if k not in grads]
    if missing:
        raise Fail(f"the gradient dict from {label} has no entry {missing[0]!r}; it needs "
                   f"one per input or parameter: {', '.join(repr(k) for k in keys)}")
    return grads


def _value_and_grad(module, name, key, *args, shown=None, numeric_hint=""):
    """The student's loss `name`(*args) -> (value, {key: d<key>}): its value and that gradient."""
    out = _pair(_student(module, name, *args, numeric_hint=numeric_hint), name,
                "(value, {%r: %s})" % (key, shown or f"d{key}"))
    return out[0], _grad_dict(out[1], name, (key,))[key]


# ============================================================================ running checks

def _hypothesis():
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        raise RuntimeError("the exercise checker needs Hypothesis: pip install hypothesis") from None
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
    return st, hnp


def _shown(value):
    """A value as the student can retype it: arrays in full up to 24 entries, 4 digits."""
    if isinstance(value, np.ndarray):
        return np.array2string(value, separator=", ", threshold=24,
                               formatter={"float_kind": lambda v: f"{v:.4g}"})
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.4g}"
    return repr(value)


def _describe(example, limit=800):
    """A one-line, readable rendering of a Hypothesis example (a dict of named inputs)."""
    text = ", ".join(f"{key}={' '.join(_shown(value).split())}" for key, value in example.items())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _once(name, trial):
    """A check on one fixed input: trial() returns an error (or None) or raises Fail."""
    try:
        err = trial()
    except WorkerLost as lost:
        return Result(name, False, hint=str(lost))
    except _Todo as todo:
        return Result(name, False, hint=f"not implemented yet ({todo} still raises "
                      "NotImplementedError: write your code in its TODO region)", todo=True)
    except Fail as fail:
        return Result(name, False, fail.error, fail.hint, fail.example)
    return Result(name, True, err)


def _run(name, strategy, trial, examples=EXAMPLES):
    """Run trial(example) on Hypothesis examples; trial returns an error or raises Fail."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis.errors import Flaky

    worst = [None]

    def body(example):
        try:
            err = trial(example)
        except Fail as fail:
            fail.example = fail.example or _describe(example)
            raise
        except _Todo:
            raise
        except Exception as err:  # noqa: BLE001 - an answer the checker could not use
            fail = Fail(f"the checker could not use your answer: {type(err).__name__}: {err}")
            fail.example = _describe(example)
            raise fail from None
        if err is not None:
            worst[0] = max(worst[0] or 0.0, float(err))

    test = settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                    verbosity=Verbosity.quiet, print_blob=False, report_multiple_bugs=False,
                    suppress_health_check=list(HealthCheck),
                    phases=(Phase.explicit, Phase.generate))(given(strategy)(body))

    def every_example():
        try:
            test()
        except Flaky:
            raise Fail("your code gave different answers for the same input: does it read "
                       "global state, or np.random instead of the rng it is given?") from None
        return worst[0]

    return _once(name, every_example)


# ============================================================================ strategies

def _floats(st, lo, hi, step=0.25):
    """Multiples of step in [lo, hi]: inputs a student can read and recompute by hand."""
    return st.integers(math.ceil(lo / step), math.floor(hi / step)).map(lambda k: k * step)


def _arrays(st, hnp, shape, lo=-3.0, hi=3.0, elements=None):
    return hnp.arrays(np.float64, shape, elements=_floats(st, lo, hi) if elements is None else elements)


def _off_kink(st, lo=0.25, hi=3.0, step=0.25):
    """Like _floats with lo <= |v| <= hi: away from the kink of relu-like functions."""
    return st.tuples(st.booleans(), _floats(st, lo, hi, step)).map(lambda t: t[1] if t[0] else -t[1])


# ============================================================================ the report

def format_results(results, width=92):
    """The report: one line per check, its hint and failing input below, then a summary."""
    name_width = max(len(r.name) for r in results)
    lines = []
    for r in results:
        error = "" if r.error is None else f"rel error {r.error:.1e}"
        lines.append(f"[{'PASS' if r.passed else 'FAIL'}] {r.name:<{name_width}}  {error}".rstrip())
        for label, text in (("hint: ", r.hint), ("failing input: ", r.example)):
            if text and not r.passed:
                lines += textwrap.wrap(label + printable(text), width, initial_indent=" " * 7,
                                       subsequent_indent=" " * 13, break_long_words=False,
                                       break_on_hyphens=False)
    output, cut_from = getattr(results, "output", ""), getattr(results, "cut_from", 0)
    if output:
        more = f" (the first {OUTPUT_CHARS} characters of {cut_from} bytes)" if cut_from else ""
        lines.append(f"your code printed{more}:")
        lines += ["       | " + printable(line) for line in output.rstrip("\n").split("\n")]
    passed = sum(r.passed for r in results)
    todo = sum(r.todo for r in results)
    lines.append(f"{passed} passed, {len(results) - passed} failed"
                 + (f" ({todo} not implemented yet)" if todo else ""))
    return "\n".join(lines)
