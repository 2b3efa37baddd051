"""Check a student's answers to the exercises in exercises/ against the library itself.

    tinygan exercise list
    tinygan exercise check 3                   # ./exercises/ex03_*.py
    tinygan exercise check 3 --path mine.py    # any file
    tinygan exercise check all --dir alice/    # every exercise in alice/

An exercise is a file of function signatures with TODO regions. The checker imports the
student's file by path and runs each function on inputs drawn by Hypothesis (derandomised:
the same inputs on every run, so the report is stable). Answers are compared with central
finite differences (tinygan.gradcheck) and with the library's own functions, which are the
solutions. Every check prints PASS or FAIL with a relative error; a failure also prints a
hint diagnosed from the wrong answer itself (opposite sign, off by the batch size N,
transposed, an input written into, overflow at large logits, ...) and the input it failed on.

    error = max_i |a_i - b_i| / max(|a_i| + |b_i|, floor)      (gradcheck.rel_error)

with floor = max(f, 1e-3 max_i |b_i|), so entries that are rounding noise next to the largest
one do not count. A check passes below 1e-5 against finite differences (f = 1e-3: near zero
that allows an absolute error of 1e-8, above the ~1e-10 noise of a difference quotient) and
below 1e-8 against the library (f = 1e-6: the same formula up to rounding).
"""

import copy
import importlib.util
import itertools
import math
import textwrap
import traceback
from pathlib import Path

import numpy as np

from tinygan import games, metrics, ops, optim
from tinygan.data import ring
from tinygan.gradcheck import numerical_gradient, numerical_gradient_array, rel_error
from tinygan.losses import get_loss
from tinygan.mlp import MLP

FD = (1e-5, 1e-3)     # (tolerance, floor) against finite differences: |a - b| <= 1e-8 near 0
LIB = (1e-8, 1e-6)    # (tolerance, floor) against the library: |a - b| <= 1e-14 near 0
EXAMPLES = 10         # Hypothesis examples per check


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


SOFTPLUS_HINT = ("exp(x) overflows to inf for x > 709. For large x, log(1 + e^x) = x + log(1 + e^-x): "
                 "split on the sign of x so exp only sees -|x|, or use np.logaddexp(0, x).")
SIGMOID_HINT = ("exp(-x) overflows to inf for x < -709. For negative x write sigma(x) = e^x / (1 + e^x), "
                "so exp only sees -|x| (np.where on the sign, or exp(-softplus(-x))).")
OVERFLOW_HINT = (
    "exp(x) overflows to inf for x > 709, and sigma(l) rounds to exactly 0 or 1 at large |l|, "
    "so log(sigma(l)) becomes log(0) = -inf. Never compute exp of a large positive number or "
    "log of a rounded sigma: log(1 + e^x) is np.logaddexp(0, x), -log sigma(l) = softplus(-l), "
    "and -log(1 - sigma(l)) = softplus(l).")


def _where(err):
    """' (file.py, line 12)': the innermost frame of the student's code, else of tinygan."""
    package = Path(__file__).resolve().parent
    frames = [(Path(f.filename).resolve(), f.lineno) for f in traceback.extract_tb(err.__traceback__)]
    frames = [(path, line) for path, line in frames
              if path != Path(__file__).resolve() and "numpy" not in path.parts]
    mine = [(path, line) for path, line in frames if package not in path.parents]
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
        raise Fail(f"numpy reported '{err}' inside {label}{_where(err)}. "
                   + (numeric_hint or "Some input makes your code compute inf or nan.")) from None
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


# ============================================================================ comparing

def _error(got, want, floor):
    if want.size == 0:
        return 0.0
    return rel_error(got, want, floor=max(floor, 1e-3 * float(np.max(np.abs(want)))))


def _shape_hint(what, got, want):
    if len(got) == 2 and got == want[::-1] and got != want:
        return (f"{what} has shape {got}, the transpose of the right shape {want}: every "
                "gradient has the shape of the thing it is the gradient of; check which "
                "factor is transposed (x.T @ dy or dy.T @ x?)")
    if len(got) == len(want) + 1 and got[1:] == want:
        return (f"{what} has shape {got} but should have shape {want}: sum over the batch "
                "axis (axis=0), since every row of the batch adds to the same parameter")
    if got == ():
        return (f"{what} is a single number where an array of shape {want} is expected: "
                "did you sum or average over too many axes?")
    if math.prod(got) == math.prod(want):
        return f"{what} has shape {got} but should have shape {want}: right size, wrong layout"
    return f"{what} has shape {got} but should have shape {want}"


def _ratio_hint(what, got, want, n):
    """Name the mistake when got is a constant multiple of want."""
    what = what[4:] if what.startswith("the ") else what
    ww = float(np.vdot(want, want))
    if ww == 0.0:
        return None
    c = float(np.vdot(got, want)) / ww
    if _error(got, c * want, 1e-12) > 1e-6:
        return None

    def near(a, b):
        return abs(a - b) <= 1e-6 * max(abs(a), abs(b))

    if abs(c) < 1e-12:
        return f"your {what} is all zeros"
    if near(c, -1.0):
        return (f"your {what} has the opposite sign of the right answer: check the sign of "
                "every term against the docstring (a minimised loss moves against its "
                "gradient; watch the minus signs in -log, in 1 - sigma and in x - eta*y)")
    if n and n > 1:
        for factor, text in ((n, "too large"), (1.0 / n, "too small"), (-n, "too large"),
                             (-1.0 / n, "too small")):
            if near(c, factor):
                sign = " and has the opposite sign" if factor < 0 else ""
                why = ("the loss is a mean over the batch, so it and its gradients carry a "
                       "factor 1/N: divide by the batch size" if abs(factor) > 1 else
                       "you divided by the batch size where the formula has no 1/N (or "
                       "divided twice)")
                return f"your {what} is N = {n} times {text}{sign}: {why}"
    if want.size == 1:   # any two numbers are multiples of each other: say nothing more
        return None
    return (f"your {what} is {c:.4g} times the right answer: a constant factor is wrong "
            "(a missing or extra 2, 1/2, 1 - beta, ...)")


def _compare(what, got, want, tol=LIB, n=None, variants=(), otherwise=""):
    """Return the relative error of got against want, or raise Fail with a diagnosis.

    variants: (wrong answer, hint) pairs for classic mistakes, tried first; the list or any
    answer may be a callable, evaluated only on a mismatch (some cost finite differences).
    """
    want = np.asarray(want, dtype=np.float64)
    if got is None:
        raise Fail(f"{what} is None: did you forget a `return`?")
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise Fail(f"{what} should be an array of shape {want.shape}, got "
                   f"{type(got).__name__}") from None
    if got.shape != want.shape:
        raise Fail(_shape_hint(what, got.shape, want.shape))
    if not np.all(np.isfinite(got)):
        raise Fail(f"{what} contains nan or inf where the right answer is finite: look for "
                   "exp of a large number, log of 0 or 0/0")
    err = _error(got, want, tol[1])
    if err <= tol[0]:
        return err
    for variant, hint in (variants() if callable(variants) else variants):
        v = np.asarray(variant() if callable(variant) else variant, dtype=np.float64)
        if v.shape == got.shape and _error(got, v, tol[1]) <= max(tol[0], 1e-7):
            raise Fail(hint, err)
    hint = _ratio_hint(what, got, want, n)
    raise Fail(hint or otherwise or f"{what} is wrong: go back to the formula in the docstring "
               "and work one small example by hand", err)


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value.copy() if isinstance(value, np.ndarray) else value


def _unchanged(label, before, **after):
    """Fail if an input array (or dict of arrays) differs from its snapshot."""
    for name, value in after.items():
        old = before[name]
        pairs = [(f"{name}[{k!r}]", old[k], value.get(k)) for k in old] if isinstance(old, dict) \
            else [(name, old, value)]
        for shown, a, b in pairs:
            if not (isinstance(b, np.ndarray) and a.shape == b.shape
                    and np.array_equal(a, b, equal_nan=True)):
                how = (f"`{shown} -= ...` or `{shown}[...] = ...`" if isinstance(old, dict) else
                       f"`{name}[mask] = 0`, `{name} *= ...` or out={name}")
                raise Fail(f"{label} wrote into its input `{shown}` (an in-place write such as "
                           f"{how}). The caller still needs it as it was: compute into new "
                           "arrays instead (e.g. dy * mask, np.where(...)).")


# ============================================================================ running checks

def _hypothesis():
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        raise RuntimeError("the exercise checker needs Hypothesis: pip install hypothesis") from None
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
    return st, hnp


def _describe(example):
    """A one-line, readable rendering of a Hypothesis example (a dict of named inputs)."""
    parts = []
    for key, value in example.items():
        if isinstance(value, np.ndarray):
            text = np.array2string(value, separator=", ", threshold=24,
                                   formatter={"float_kind": lambda v: f"{v:.4g}"})
        elif isinstance(value, dict):
            text = "{" + ", ".join(f"{k}: shape {getattr(v, 'shape', '?')}" for k, v in value.items()) + "}"
        elif isinstance(value, float):
            text = f"{value:.4g}"
        else:
            text = repr(value)
        parts.append(f"{key}={' '.join(text.split())}")
    text = ", ".join(parts)
    return text if len(text) <= 400 else text[:397] + "..."


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
    try:
        test()
    except _Todo as todo:
        return _todo(name, todo)
    except Fail as fail:
        return Result(name, False, fail.error, fail.hint, fail.example)
    except Flaky:
        return Result(name, False, hint="your code gave different answers for the same input: "
                      "does it read global state, or np.random instead of the rng it is given?")
    return Result(name, True, worst[0])


def _once(name, trial):
    """A check on one fixed input."""
    try:
        err = trial()
    except _Todo as todo:
        return _todo(name, todo)
    except Fail as fail:
        return Result(name, False, fail.error, fail.hint, fail.example)
    return Result(name, True, err)


def _todo(name, todo):
    return Result(name, False, hint=f"not implemented yet ({todo} still raises "
                  "NotImplementedError: write your code in its TODO region)", todo=True)


# ============================================================================ strategies

def _floats(st, lo, hi, step=0.25):
    """Multiples of step in [lo, hi]: inputs a student can read and recompute by hand."""
    return st.integers(math.ceil(lo / step), math.floor(hi / step)).map(lambda k: k * step)


def _arrays(st, hnp, shape, lo=-3.0, hi=3.0, elements=None):
    return hnp.arrays(np.float64, shape, elements=_floats(st, lo, hi) if elements is None else elements)


def _off_kink(st, lo=0.25, hi=3.0, step=0.25):
    """Like _floats with lo <= |v| <= hi: away from the kink of relu-like functions."""
    return st.tuples(st.booleans(), _floats(st, lo, hi, step)).map(lambda t: t[1] if t[0] else -t[1])


# ============================================================================ 1. linear layer

def check_linear(m):
    st, hnp = _hypothesis()

    @st.composite
    def case(draw):
        n, d_in, d_out = draw(st.integers(2, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
        return {"x": draw(_arrays(st, hnp, (n, d_in))), "W": draw(_arrays(st, hnp, (d_in, d_out))),
                "b": draw(_arrays(st, hnp, (d_out,))), "dy": draw(_arrays(st, hnp, (n, d_out)))}

    def forward(ex):
        x, W, b = ex["x"], ex["W"], ex["b"]
        out = _pair(_student(m, "linear_forward", x.copy(), W.copy(), b.copy()),
                    "linear_forward", "(y, cache)")
        return _compare("y", out[0], ops.linear_forward(x, W, b)[0], variants=[
            (x @ W, "you forgot to add the bias b"),
            (lambda: x @ W - b, "the bias is added, not subtracted")])

    def backward(ex, inputs=None):
        """The student's (dx, dW, db) for the cache (x, W) of the library's forward."""
        x, W, dy = inputs or (ex["x"].copy(), ex["W"].copy(), ex["dy"].copy())
        out = _student(m, "linear_backward", dy, (x, W))
        if isinstance(out, tuple) and len(out) == 3:
            raise Fail("linear_backward should return (dx, grads) with grads = "
                       "{'W': dW, 'b': db}, not three values")
        dx, grads = _pair(out, "linear_backward", "(dx, grads)")[:2]
        grads = _grad_dict(grads, "linear_backward", ("W", "b"))
        return dx, grads["W"], grads["b"]

    def numeric(ex, which):
        x, W, b, dy = (ex[k].copy() for k in ("x", "W", "b", "dy"))
        f = {"dx": lambda v: ops.linear_forward(v, W, b)[0], "dW": lambda v: ops.linear_forward(x, v, b)[0],
             "db": lambda v: ops.linear_forward(x, W, v)[0]}[which]
        return numerical_gradient_array(f, {"dx": x, "dW": W, "db": b}[which], dy)

    def against_fd(which):
        def trial(ex):
            got = dict(zip(("dx", "dW", "db"), backward(ex)))[which]
            return _compare(which, got, numeric(ex, which), FD, n=ex["x"].shape[0])
        return trial

    def against_library(ex):
        x, W, dy = ex["x"], ex["W"], ex["dy"]
        dx, g = ops.linear_backward(dy, (x, W))
        return max(_compare(k, a, b, n=x.shape[0]) for k, a, b in
                   zip(("dx", "dW", "db"), backward(ex), (dx, g["W"], g["b"])))

    def pure(ex):
        inputs = (ex["x"].copy(), ex["W"].copy(), ex["dy"].copy())
        before = _copy(dict(zip(("x", "W", "dy"), inputs)))
        backward(ex, inputs)
        _unchanged("linear_backward", before, **dict(zip(("x", "W", "dy"), inputs)))

    c = case()
    return [
        _run("linear_forward: y = x @ W + b, as tinygan.ops", c, forward),
        _run("linear_backward: dx matches finite differences", c, against_fd("dx")),
        _run("linear_backward: dW matches finite differences", c, against_fd("dW")),
        _run("linear_backward: db matches finite differences", c, against_fd("db")),
        _run("linear_backward: dx, dW, db match tinygan.ops.linear_backward", c, against_library),
        _run("linear_backward leaves dy, x and W unchanged", c, pure),
    ]


# ============================================================================ 2. activations

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")


def check_activations(m):
    st, hnp = _hypothesis()

    @st.composite
    def case(draw):
        shape = (draw(st.integers(2, 4)), draw(st.integers(1, 4)))
        return {"x": draw(_arrays(st, hnp, shape, elements=_off_kink(st))),
                "dy": draw(_arrays(st, hnp, shape)), "slope": draw(st.sampled_from([0.01, 0.1, 0.2, 0.5]))}

    def student_dx(name, ex, dy=None, y=None):
        act = ops.Activation(name, slope=ex["slope"])
        y = act.forward(ex["x"])[0] if y is None else y
        kw = {"slope": ex["slope"]} if name == "leaky_relu" else {}
        return _student(m, f"{name}_backward", ex["dy"].copy() if dy is None else dy, y, **kw), act, y

    wrong = {
        "relu": lambda dy, y, s: (dy * y, "you multiplied dy by y itself; relu's derivative is "
                                  "the indicator [y > 0] (1 where the unit is on, 0 elsewhere)"),
        "leaky_relu": lambda dy, y, s: (dy * np.where(y > 0, s, 1.0), "the slopes are swapped: "
                                        "1 where y > 0, slope where y <= 0"),
        "tanh": lambda dy, y, s: (dy * (1 - np.tanh(y) ** 2), "you applied tanh to y again: the "
                                  "cache is already the output y = tanh(x), so f'(x) = 1 - y^2"),
        "sigmoid": lambda dy, y, s: (dy * ops.sigmoid(y) * (1 - ops.sigmoid(y)), "you applied "
                                     "sigma to y again: y is already sigma(x), so f'(x) = y (1 - y)"),
    }

    def against_fd(name):
        def trial(ex):
            dx, act, y = student_dx(name, ex)
            num = numerical_gradient_array(lambda v: act.forward(v)[0], ex["x"].copy(), ex["dy"])
            variant, hint = wrong[name](ex["dy"], y, ex["slope"])
            return _compare("dx", dx, num, FD, variants=[(variant, hint)])
        return trial

    def against_library(ex):
        errs = []
        for name in ACTIVATIONS:
            dx, act, y = student_dx(name, ex)
            errs.append(_compare(f"{name}_backward's dx", dx, act.backward(ex["dy"], y),
                                 variants=[wrong[name](ex["dy"], y, ex["slope"])]))
        return max(errs)

    def pure(ex):
        for name in ACTIVATIONS:
            dy = ex["dy"].copy()
            y = ops.Activation(name, slope=ex["slope"]).forward(ex["x"])[0]
            before = {"dy": dy.copy(), "y": y.copy()}
            dx = student_dx(name, ex, dy, y)[0]
            for shown, arr in (("dy", dy), ("y", y)):
                if isinstance(dx, np.ndarray) and np.shares_memory(dx, arr):
                    raise Fail(f"{name}_backward wrote into its input `{shown}` (and returned it): "
                               f"the caller's {shown} is now changed. Compute into "
                               "a new array instead (e.g. dy * mask, np.where(...)).")
            _unchanged(f"{name}_backward", before, dy=dy, y=y)

    c = case()
    return [_run(f"{name}_backward: dx matches finite differences", c, against_fd(name))
            for name in ACTIVATIONS] + [
        _run("every backward matches tinygan.ops", c, against_library),
        _run("no backward writes into dy or y", c, pure),
    ]


# ============================================================================ 3. stable BCE

EXTREME = np.array([-1e4, -1000.0, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0, 1e4])


def _bce(logits, target):
    """The library's BCE with logits for one target t: a real batch (label-smoothed) or a fake one."""
    if target == 0:
        v, g = get_loss("minimax").d_fake(logits)
    else:
        v, g = get_loss("minimax", smooth=1.0 - target).d_real(logits)
    return v, g


def check_bce(m):
    st, hnp = _hypothesis()

    @st.composite
    def case(draw):
        n = draw(st.integers(2, 5))
        shape = draw(st.sampled_from([(n, 1), (n,)]))
        return {"logits": draw(_arrays(st, hnp, shape, elements=_off_kink(st, 0.5, 10.0, 0.5))),
                "target": draw(st.sampled_from([1.0, 0.0, 0.9, 0.75, 0.5, 0.1]))}

    def student_bce(ex, logits=None):
        logits = ex["logits"].copy() if logits is None else logits
        out = _pair(_student(m, "bce_with_logits", logits, ex["target"], numeric_hint=OVERFLOW_HINT),
                    "bce_with_logits", "(value, {'logits': dlogits})")
        return out[0], _grad_dict(out[1], "bce_with_logits", ("logits",))["logits"]

    hints = {"softplus": SOFTPLUS_HINT, "sigmoid": SIGMOID_HINT}

    def elementwise(name, reference):
        def trial(ex):
            x = ex["logits"] * 3.0
            return _compare(f"{name}(x)", _student(m, name, x.copy(), numeric_hint=hints[name]),
                            reference(x))
        return trial

    def extreme(name, reference):
        def trial():
            return _compare(f"{name}(x) at x = +-1e4", _student(m, name, EXTREME.copy(),
                            numeric_hint=hints[name]), reference(EXTREME))
        return trial

    def value(ex):
        l, t = ex["logits"], ex["target"]
        wrong_mean = t * ops.softplus(-l).sum() + (1 - t) * ops.softplus(l).sum()
        return _compare("the loss value", student_bce(ex)[0], _bce(l, t)[0], n=l.size, variants=[
            (wrong_mean, f"your loss is a sum over the batch: average it (divide by N = {l.size})")])

    def gradient(ex):
        l, t = ex["logits"], ex["target"]
        num = numerical_gradient(lambda v: _bce(v, t)[0], l.copy())
        return _compare("dlogits", student_bce(ex)[1], num, FD, n=l.size)

    def at_extremes():
        errs = []
        for t in (1.0, 0.0, 0.9):
            l = EXTREME.reshape(-1, 1)
            value, grad = student_bce({"logits": l, "target": t}, l.copy())
            want_value, want_grad = _bce(l, t)
            errs += [_compare(f"the loss at logits +-1e4 (target {t})", value, want_value),
                     _compare(f"dlogits at logits +-1e4 (target {t})", grad, want_grad, n=l.size)]
        return max(errs)

    def pure(ex):
        logits = ex["logits"].copy()
        before = {"logits": logits.copy()}
        student_bce(ex, logits)
        _unchanged("bce_with_logits", before, logits=logits)

    c = case()
    return [
        _run("softplus matches tinygan.ops.softplus for |x| <= 30", c, elementwise("softplus", ops.softplus)),
        _once("softplus is finite and exact at x = +-1e4", extreme("softplus", ops.softplus)),
        _run("sigmoid matches tinygan.ops.sigmoid for |x| <= 30", c, elementwise("sigmoid", ops.sigmoid)),
        _once("sigmoid is finite and exact at x = +-1e4", extreme("sigmoid", ops.sigmoid)),
        _run("bce_with_logits: value matches tinygan.losses", c, value),
        _run("bce_with_logits: dlogits matches finite differences", c, gradient),
        _once("bce_with_logits: finite and exact at logits +-1e4", at_extremes),
        _run("bce_with_logits leaves logits unchanged", c, pure),
    ]


# ============================================================================ 4. generator losses

G_LOSSES = ("minimax", "nonsaturating")


def check_generator_losses(m):
    st, hnp = _hypothesis()

    @st.composite
    def case(draw):
        n = draw(st.integers(2, 5))
        return {"fake_logits": draw(_arrays(st, hnp, (n, 1), elements=_off_kink(st, 0.5, 10.0, 0.5)))}

    def student_g(name, logits):
        out = _pair(_student(m, f"{name}_g", logits, numeric_hint=OVERFLOW_HINT), f"{name}_g",
                    "(value, {'fake_logits': dlogits})")
        return out[0], _grad_dict(out[1], f"{name}_g", ("fake_logits",))["fake_logits"]

    def value(name):
        other = G_LOSSES[1 - G_LOSSES.index(name)]

        def trial(ex):
            l = ex["fake_logits"]
            return _compare("the loss value", student_g(name, l.copy())[0], get_loss(name).g(l)[0],
                            n=l.size, variants=[(get_loss(other).g(l)[0],
                                                 f"this is the {other} loss, not the {name} one")])
        return trial

    def gradient(name):
        other = G_LOSSES[1 - G_LOSSES.index(name)]

        def trial(ex):
            l = ex["fake_logits"]
            num = numerical_gradient(lambda v: get_loss(name).g(v)[0], l.copy())
            return _compare("dfake_logits", student_g(name, l.copy())[1], num, FD, n=l.size, variants=[
                (get_loss(other).g(l)[1]["fake_logits"], f"this is the gradient of the {other} "
                 f"loss, not of the {name} one")])
        return trial

    def at_extremes():
        l = EXTREME.reshape(-1, 1)
        errs = []
        for name in G_LOSSES:
            v, g = student_g(name, l.copy())
            want_v, want_g = get_loss(name).g(l)
            errs += [_compare(f"{name} loss at logits +-1e4", v, want_v),
                     _compare(f"{name} gradient at logits +-1e4", g, want_g["fake_logits"], n=l.size)]
        return max(errs)

    def student_factors(logits):
        out = _student(m, "logit_factors", logits)
        return _grad_dict(out, "logit_factors", G_LOSSES)

    def factors(ex):
        l = ex["fake_logits"]
        got = student_factors(l.copy())
        return max(_compare(f"the {name} factor", got[name], l.size * get_loss(name).g(l)[1]["fake_logits"],
                            n=l.size, variants=[(get_loss(name).g(l)[1]["fake_logits"],
                                                 "that is the gradient of the batch mean; the factor "
                                                 "is per sample, without the 1/N")])
                   for name in G_LOSSES)

    def vanishing():
        l = np.array([[-40.0], [-20.0], [-12.0]])       # D(G(z)) ~ 4e-18, 2e-9, 6e-6
        got = student_factors(l.copy())
        mm = np.asarray(got["minimax"], dtype=np.float64)
        ns = np.asarray(got["nonsaturating"], dtype=np.float64)
        if mm.shape != l.shape or ns.shape != l.shape:
            raise Fail(f"each factor should have the shape of fake_logits {l.shape}")
        if not np.all(np.abs(mm) <= 1e-5) or not np.all(np.abs(ns + 1.0) <= 1e-5):
            raise Fail("where D(G(z)) ~ 0 the minimax factor -D should be ~0 and the "
                       f"non-saturating one -(1 - D) ~ -1; you have {_describe({'minimax': mm})} "
                       f"and {_describe({'nonsaturating': ns})}")
        return max(_compare("the minimax factor", mm, -ops.sigmoid(l)),
                   _compare("the non-saturating factor", ns, -ops.sigmoid(-l)))

    def pure(ex):
        for name in G_LOSSES:
            l = ex["fake_logits"].copy()
            before = {"fake_logits": l.copy()}
            student_g(name, l)
            _unchanged(f"{name}_g", before, fake_logits=l)

    c = case()
    return [
        _run("minimax_g: value matches tinygan.losses", c, value("minimax")),
        _run("minimax_g: gradient matches finite differences", c, gradient("minimax")),
        _run("nonsaturating_g: value matches tinygan.losses", c, value("nonsaturating")),
        _run("nonsaturating_g: gradient matches finite differences", c, gradient("nonsaturating")),
        _once("both losses are finite and exact at logits +-1e4", at_extremes),
        _run("logit_factors: dCost/dl per sample matches the library", c, factors),
        _once("logit_factors: -D vanishes as D(G(z)) -> 0, -(1 - D) does not", vanishing),
        _run("the generator losses leave fake_logits unchanged", c, pure),
    ]


# ============================================================================ 5. MLP

def library_mlp(params, hidden):
    """The library's MLP with the architecture of a params dict {W1, b1, ..., WL, bL}."""
    n_layers = len(params) // 2
    sizes = [params["W1"].shape[0]] + [params[f"W{l}"].shape[1] for l in range(1, n_layers + 1)]
    return MLP(sizes, hidden=hidden, output="none", dtype=params["W1"].dtype)


def check_mlp(m):
    st, _ = _hypothesis()

    def case(hiddens):
        @st.composite
        def draw_case(draw):
            n_layers = draw(st.integers(1, 3))
            sizes = [draw(st.integers(1, 4)) for _ in range(n_layers)] + [draw(st.integers(1, 2))]
            n, seed = draw(st.integers(2, 4)), draw(st.integers(0, 2**20))
            hidden = draw(st.sampled_from(hiddens))
            rng = np.random.default_rng(seed)
            params = MLP(sizes, hidden=hidden, seed=rng).params
            for key in params:
                if key.startswith("b"):
                    params[key] = 0.5 * rng.standard_normal(params[key].shape)
            return {"hidden": hidden, "sizes": tuple(sizes), "seed": seed, "params": params,
                    "x": rng.standard_normal((n, sizes[0])), "dy": rng.standard_normal((n, sizes[-1]))}
        return draw_case()

    def student_forward(ex, x=None, params=None):
        x = ex["x"].copy() if x is None else x
        params = _copy(ex["params"]) if params is None else params
        return _pair(_student(m, "mlp_forward", x, params, ex["hidden"]), "mlp_forward", "(y, cache)")

    def student_backward(ex, dy=None, x=None, params=None):
        cache = student_forward(ex, x, params)[1]
        dy = ex["dy"].copy() if dy is None else dy
        dx, grads = _pair(_student(m, "mlp_backward", dy, cache, ex["hidden"]), "mlp_backward",
                          "(dx, grads)")[:2]
        return dx, _grad_dict(grads, "mlp_backward", tuple(ex["params"]))

    def forward(ex):
        net, params = library_mlp(ex["params"], ex["hidden"]), ex["params"]
        want = net.forward(ex["x"], params)[0]
        return _compare("y", student_forward(ex)[0], want, variants=[
            (lambda: net.hidden.forward(want)[0], "the last layer has no activation: its output "
             "is the raw score (a logit), so apply the hidden activation to layers 1..L-1 only")])

    def fd_loss(ex, params, x):
        return float(np.sum(library_mlp(params, ex["hidden"]).forward(x, params)[0] * ex["dy"]))

    def dx_fd(ex):
        params, x = _copy(ex["params"]), ex["x"].copy()
        num = numerical_gradient(lambda v: fd_loss(ex, params, v), x)
        return _compare("dx", student_backward(ex)[0], num, FD)

    def params_fd(ex):
        grads = student_backward(ex)[1]
        params, errs = _copy(ex["params"]), []
        for key in params:
            num = numerical_gradient(lambda _: fd_loss(ex, params, ex["x"]), params[key])
            errs.append(_compare(f"grads[{key!r}]", grads[key], num, FD, n=ex["x"].shape[0]))
        return max(errs)

    def against_library(ex):
        net = library_mlp(ex["params"], ex["hidden"])
        want_dx, want = net.backward(ex["dy"], net.forward(ex["x"], ex["params"])[1])
        dx, grads = student_backward(ex)
        return max([_compare("dx", dx, want_dx)] + [_compare(f"grads[{k!r}]", grads[k], want[k])
                                                    for k in want])

    def pure(ex):
        x, dy, params = ex["x"].copy(), ex["dy"].copy(), _copy(ex["params"])
        before = _copy({"x": x, "dy": dy, "params": params})
        student_backward(ex, dy, x, params)
        _unchanged("mlp_forward or mlp_backward", before, x=x, dy=dy, params=params)

    smooth, kinked = case(("tanh", "sigmoid", "softplus")), case(("relu", "leaky_relu", "tanh"))
    return [
        _run("mlp_forward: y matches tinygan.mlp.MLP", kinked, forward),
        _run("mlp_backward: dx matches finite differences", smooth, dx_fd),
        _run("mlp_backward: every dW, db matches finite differences", smooth, params_fd),
        _run("mlp_backward: dx and grads match tinygan.mlp.MLP.backward", kinked, against_library),
        _run("mlp_forward and mlp_backward leave x, dy and params unchanged", kinked, pure),
    ]


# ============================================================================ 6. Adam

def _adam_mistake(start, grads, lr, betas, eps, kind):
    """What a classic wrong Adam computes: no bias correction, or a step count stuck at 1."""
    p = _copy(start)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(x) for k, x in p.items()}
    b1, b2 = betas
    for t, g in enumerate(grads, start=1):
        for k in p:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
            c1, c2 = (1.0, 1.0) if kind == "uncorrected" else (1 - b1, 1 - b2)
            p[k] = p[k] - lr * (m[k] / c1) / (np.sqrt(v[k] / c2) + eps)
    return p


def check_adam(m):
    st, _ = _hypothesis()

    def case(steps):
        @st.composite
        def draw_case(draw):
            rng = np.random.default_rng(draw(st.integers(0, 2**20)))
            rows, cols = draw(st.integers(1, 3)), draw(st.integers(1, 3))
            scale = draw(st.sampled_from([1e-3, 1.0, 10.0]))
            start = {"W": rng.standard_normal((rows, cols)), "b": rng.standard_normal(cols)}
            grads = [{k: scale * rng.standard_normal(v.shape) for k, v in start.items()}
                     for _ in range(draw(steps))]
            return {"lr": draw(st.sampled_from([1e-3, 1e-2, 0.1])),
                    "betas": (draw(st.sampled_from([0.9, 0.5, 0.0])), draw(st.sampled_from([0.999, 0.99, 0.9]))),
                    "eps": 1e-8, "start": start, "grads": grads}
        return draw_case()

    def student_run(ex, params=None, grads=None):
        opt = _call(_fn(m, "Adam"), "Adam", lr=ex["lr"], betas=ex["betas"], eps=ex["eps"])
        params = _copy(ex["start"]) if params is None else params
        for g in grads or [_copy(g) for g in ex["grads"]]:
            out = _call(_fn(opt, "step"), "Adam.step", params, g)
            if isinstance(out, dict) and not all(np.array_equal(out[k], params[k]) for k in out):
                raise Fail("Adam.step returned new parameters but left `params` unchanged: "
                           "update the dict it is given (step returns nothing)")
        return params

    def compare(ex):
        lib = optim.Adam(lr=ex["lr"], betas=ex["betas"], eps=ex["eps"])
        want = _copy(ex["start"])
        for g in ex["grads"]:
            lib.step(want, _copy(g))
        got, errs = student_run(ex), []
        for k, p0 in ex["start"].items():
            moved = [(_adam_mistake(ex["start"], ex["grads"], ex["lr"], ex["betas"], ex["eps"],
                                    "uncorrected")[k] - p0,
                      "the moves match Adam without bias correction: divide m by (1 - b1^t) and "
                      "v by (1 - b2^t), with t the number of steps so far"),
                     (_adam_mistake(ex["start"], ex["grads"], ex["lr"], ex["betas"], ex["eps"],
                                    "stuck")[k] - p0,
                      "the bias correction always uses t = 1: keep a step counter in self and "
                      "add 1 at the start of every step")]
            errs.append(_compare(f"the move of params[{k!r}]", np.asarray(got[k]) - p0, want[k] - p0,
                                 variants=moved))
        return max(errs)

    def pure(ex):
        params, grads = _copy(ex["start"]), [_copy(g) for g in ex["grads"]]
        before = [_copy(g) for g in grads]
        student_run(ex, params, grads)
        for old, g in zip(before, grads):
            _unchanged("Adam.step", {"grads": old}, grads=g)
        if all(np.array_equal(params[k], ex["start"][k]) for k in params):
            raise Fail("Adam.step left params unchanged: update params[k] for every key "
                       "(step returns nothing)")

    return [
        _run("the first step matches tinygan.optim.Adam (each weight moves ~lr)", case(st.just(1)), compare),
        _run("several steps match tinygan.optim.Adam", case(st.integers(2, 12)), compare),
        _run("Adam.step updates params and leaves grads unchanged", case(st.integers(1, 3)), pure),
    ]


# ============================================================================ 7. one D step, one G step

GAME_LOSSES = ("minimax", "nonsaturating", "wasserstein", "least_squares")


def _library_gan():
    try:
        from tinygan import gan
    except ImportError as err:
        raise Fail(f"tinygan.gan, the reference for this check, cannot be imported ({err}); "
                   "the finite-difference checks above still apply") from None
    return gan


def check_gan_steps(m):
    st, _ = _hypothesis()

    @st.composite
    def case(draw):
        rng = np.random.default_rng(draw(st.integers(0, 2**20)))
        n, dim, z_dim, width = (draw(st.integers(2, 4)), draw(st.integers(1, 3)),
                                draw(st.integers(1, 3)), draw(st.integers(1, 4)))
        D = MLP((dim, width, 1), hidden="tanh", seed=rng)
        G = MLP((z_dim, width, dim), hidden="tanh", seed=rng)
        for net in (D, G):
            for key in net.params:
                net.params[key] += 0.3 * rng.standard_normal(net.params[key].shape)
        return {"loss": draw(st.sampled_from(GAME_LOSSES)), "D": D, "G": G,
                "x_real": rng.standard_normal((n, dim)), "x_fake": rng.standard_normal((n, dim)),
                "z": rng.standard_normal((n, z_dim))}

    def student(name, ex, *args):
        out = _pair(_student(m, name, *args), name, "(value, grads)")
        net = ex["D"] if name == "d_gradients" else ex["G"]
        return out[0], _grad_dict(out[1], name, tuple(net.params))

    def d_call(ex):   # the student works on copies: only the last check looks for changes
        return student("d_gradients", ex, copy.deepcopy(ex["D"]), get_loss(ex["loss"]),
                       ex["x_real"].copy(), ex["x_fake"].copy())

    def g_call(ex):
        return student("g_gradients", ex, copy.deepcopy(ex["G"]), copy.deepcopy(ex["D"]),
                       get_loss(ex["loss"]), ex["z"].copy())

    def d_value(ex, params=None, swap=False):
        D, loss = ex["D"], get_loss(ex["loss"])
        real, fake = (ex["x_fake"], ex["x_real"]) if swap else (ex["x_real"], ex["x_fake"])
        return loss.d(D.forward(real, params)[0], D.forward(fake, params)[0])[0]

    def g_value(ex, params=None, d_loss=False):
        logits = ex["D"](ex["G"].forward(ex["z"], params)[0])
        loss = get_loss(ex["loss"])
        return loss.d_fake(logits)[0] if d_loss else loss.g(logits)[0]

    def fd(f, net):
        params = net.copy_params()
        return {k: numerical_gradient(lambda _: f(params), params[k]) for k in params}

    SWAPPED = ("real and fake are swapped: loss.d_real goes with the real batch's logits and "
               "loss.d_fake with the fake batch's, each gradient back to its own rows")
    D_LOSS = ("you used D's loss on the fakes (loss.d_fake); the generator minimises its own "
              "loss, loss.g(fake logits)")

    def d_variants(ex, which):
        if which == "value":
            return [(lambda: d_value(ex, swap=True), SWAPPED),
                    (lambda: get_loss(ex["loss"]).d_real(ex["D"](ex["x_real"]))[0],
                     "that is only the real half: L_D = loss.d_real(...) + loss.d_fake(...)")]
        swapped = fd(lambda p: d_value(ex, p, swap=True), ex["D"])
        return [(swapped[which], SWAPPED)]

    def g_variants(ex, which):
        if which == "value":
            return [(lambda: g_value(ex, d_loss=True), D_LOSS)]
        return [(fd(lambda p: g_value(ex, p, d_loss=True), ex["G"])[which], D_LOSS)]

    def d_loss_value(ex):
        return _compare("D's loss", d_call(ex)[0], d_value(ex), variants=d_variants(ex, "value"))

    def d_grads_fd(ex):
        grads, n = d_call(ex)[1], ex["x_real"].shape[0]
        want = fd(lambda p: d_value(ex, p), ex["D"])
        return max(_compare(f"D's grads[{k!r}]", grads[k], want[k], FD, n=n,
                            variants=lambda k=k: d_variants(ex, k)) for k in want)

    def g_loss_value(ex):
        return _compare("G's loss", g_call(ex)[0], g_value(ex), variants=g_variants(ex, "value"))

    def g_grads_fd(ex):
        grads, n = g_call(ex)[1], ex["z"].shape[0]
        want = fd(lambda p: g_value(ex, p), ex["G"])
        return max(_compare(f"G's grads[{k!r}]", grads[k], want[k], FD, n=n,
                            variants=lambda k=k: g_variants(ex, k)) for k in want)

    def d_library(ex):
        value, want = _library_gan().d_gradients(ex["D"], get_loss(ex["loss"]), ex["x_real"], ex["x_fake"])[:2]
        got_value, grads = d_call(ex)
        n = ex["x_real"].shape[0]
        return max([_compare("D's loss", got_value, value, variants=d_variants(ex, "value"))]
                   + [_compare(f"D's grads[{k!r}]", grads[k], want[k], n=n,
                               variants=lambda k=k: d_variants(ex, k)) for k in want])

    def g_library(ex):
        value, want = _library_gan().g_gradients(ex["G"], ex["D"], get_loss(ex["loss"]), ex["z"])[:2]
        got_value, grads = g_call(ex)
        n = ex["z"].shape[0]
        return max([_compare("G's loss", got_value, value, variants=g_variants(ex, "value"))]
                   + [_compare(f"G's grads[{k!r}]", grads[k], want[k], n=n,
                               variants=lambda k=k: g_variants(ex, k)) for k in want])

    def pure(ex):
        D, G = ex["D"], ex["G"]
        x_real, x_fake, z = ex["x_real"].copy(), ex["x_fake"].copy(), ex["z"].copy()
        before = _copy({"D.params": D.params, "G.params": G.params, "x_real": x_real,
                        "x_fake": x_fake, "z": z})
        student("d_gradients", ex, D, get_loss(ex["loss"]), x_real, x_fake)
        student("g_gradients", ex, G, D, get_loss(ex["loss"]), z)
        _unchanged("d_gradients or g_gradients", before, x_real=x_real, x_fake=x_fake, z=z,
                   **{"D.params": D.params, "G.params": G.params})

    c = case()
    return [
        _run("d_gradients: value is D's loss on the real and the fake batch", c, d_loss_value),
        _run("d_gradients: D's gradients match finite differences", c, d_grads_fd),
        _run("d_gradients: matches tinygan.gan.d_gradients", c, d_library),
        _run("g_gradients: value is G's loss on D(G(z))", c, g_loss_value),
        _run("g_gradients: G's gradients match finite differences", c, g_grads_fd),
        _run("g_gradients: matches tinygan.gan.g_gradients", c, g_library),
        _run("neither changes D's or G's parameters or the batches", c, pure),
    ]


# ============================================================================ 8. noise and penalty

def _penalty(g, lam):
    """WGAN-GP's penalty on per-sample input gradients: lam * mean_i (||g_i|| - 1)^2."""
    return lam * float(np.mean((np.linalg.norm(g, axis=1) - 1.0) ** 2))


def check_regularisers(m):
    st, hnp = _hypothesis()

    @st.composite
    def small(draw):
        n, d = draw(st.integers(2, 5)), draw(st.integers(2, 4))
        rng = np.random.default_rng(draw(st.integers(0, 2**20)))
        x_real = draw(_arrays(st, hnp, (n, d)))
        x_fake = x_real + rng.choice([-1.0, 1.0], (n, d)) * rng.uniform(0.5, 2.0, (n, d))
        grad = rng.standard_normal((n, d))
        grad *= rng.uniform(0.2, 2.0, (n, 1)) / np.linalg.norm(grad, axis=1, keepdims=True)
        return {"x_real": x_real, "x_fake": x_fake, "grad_x": grad, "seed": draw(st.integers(0, 2**20)),
                "sigma": draw(st.sampled_from([0.5, 2.0, 0.1, 3.0])), "lam": draw(st.sampled_from([10.0, 1.0, 0.1]))}

    def noise_shape(ex):
        x = ex["x_real"].copy()
        before = {"x": x.copy()}
        out = _student(m, "instance_noise", x, ex["sigma"], np.random.default_rng(ex["seed"]))
        _unchanged("instance_noise", before, x=x)
        _compare("the noisy x", out, x + 0.0 * x, tol=(np.inf, 1.0))  # shape and finiteness only
        if out is x:
            raise Fail("instance_noise returned x itself; return a new array x + noise")
        return None

    def noise_stats(ex):
        x = np.random.default_rng(ex["seed"]).uniform(-3, 3, (4000, 2))
        out = _student(m, "instance_noise", x.copy(), ex["sigma"], np.random.default_rng(ex["seed"] + 1))
        noise = np.asarray(out, dtype=np.float64) - x
        if noise.shape != x.shape:
            raise Fail(f"the noisy x has shape {noise.shape}; it should keep x's shape {x.shape}")
        std, mean, sigma = float(noise.std()), float(noise.mean()), ex["sigma"]
        err = abs(std - sigma) / sigma
        if abs(mean) > 5 * sigma / math.sqrt(noise.size):
            raise Fail(f"the noise has mean {mean:.3g}; it should have mean 0 (use a centred "
                       "Gaussian, N(0, sigma^2))", err)
        if err > 0.05:
            why = ("you scaled by sigma^2, the variance; scale the standard normal by sigma"
                   if abs(std - sigma ** 2) < 0.05 * sigma ** 2 else
                   "scale standard normal draws by sigma: x + sigma * rng.standard_normal(x.shape)")
            raise Fail(f"the noise has standard deviation {std:.3g} but sigma = {sigma:.3g}: {why}", err)
        return err

    def noise_rng(ex):
        x = ex["x_real"]
        a = _student(m, "instance_noise", x.copy(), ex["sigma"], np.random.default_rng(ex["seed"]))
        rng = np.random.default_rng(ex["seed"])
        b = _student(m, "instance_noise", x.copy(), ex["sigma"], rng)
        c = _student(m, "instance_noise", x.copy(), ex["sigma"], rng)
        if not np.array_equal(np.asarray(a), np.asarray(b)):
            raise Fail("two generators with the same seed gave different noise: draw from the "
                       "rng you are given (rng.standard_normal), never from np.random")
        if np.array_equal(np.asarray(b), np.asarray(c)):
            raise Fail("two calls with the same rng gave the same noise: draw fresh noise from "
                       "rng on every call (do not build a new generator inside)")
        z = _student(m, "instance_noise", x.copy(), 0.0, np.random.default_rng(ex["seed"]))
        return _compare("instance_noise(x, sigma=0)", z, x)

    def student_interp(ex, n_rows=None):
        x_real, x_fake = ex["x_real"], ex["x_fake"]
        out = _student(m, "interpolates", x_real.copy(), x_fake.copy(), np.random.default_rng(ex["seed"]))
        _compare("x_hat", out, x_real, tol=(np.inf, 1.0))  # shape and finiteness
        out = np.asarray(out, dtype=np.float64)
        d = x_real - x_fake
        t = np.sum((out - x_fake) * d, axis=1) / np.sum(d * d, axis=1)
        return out, t

    def interp_line(ex):
        out, t = student_interp(ex)
        want = t[:, None] * ex["x_real"] + (1 - t[:, None]) * ex["x_fake"]
        err = _error(out, want, 1e-12)
        if err > 1e-9:
            raise Fail("a row of x_hat is not on the line between its real and fake rows: draw "
                       "one eps per sample, shape (N, 1), and use it for every coordinate", err)
        if np.any(t < -1e-12) or np.any(t > 1 + 1e-12):
            raise Fail(f"x_hat = eps x_real + (1 - eps) x_fake needs 0 <= eps <= 1; you have "
                       f"eps = {t}", err)
        return err

    def interp_uniform(ex):
        rng = np.random.default_rng(ex["seed"])
        big = {"x_real": rng.standard_normal((4000, 2)), "seed": ex["seed"]}
        big["x_fake"] = big["x_real"] + 1.0
        t = student_interp(big)[1]
        if abs(t.mean() - 0.5) > 0.03 or t.min() > 0.02 or t.max() < 0.98:
            raise Fail(f"eps should be uniform on [0, 1] (rng.uniform); yours has mean "
                       f"{t.mean():.3f}, min {t.min():.3f}, max {t.max():.3f}")
        return abs(t.mean() - 0.5)

    def student_penalty(ex, g=None):
        g = ex["grad_x"].copy() if g is None else g
        out = _pair(_student(m, "gradient_penalty", g, ex["lam"]), "gradient_penalty",
                    "(value, {'grad_x': dgrad_x})")
        return out[0], _grad_dict(out[1], "gradient_penalty", ("grad_x",))["grad_x"]

    def penalty_value(ex):
        g, lam = ex["grad_x"], ex["lam"]
        return _compare("the penalty", student_penalty(ex)[0], _penalty(g, lam), n=g.shape[0], variants=[
            (lam * np.mean((np.linalg.norm(g, axis=0) - 1) ** 2), "take the norm of each row "
             "(axis=1): one input gradient per sample"),
            (lam * np.mean((np.sum(g * g, axis=1) - 1) ** 2), "use the norm ||g_i||, not its "
             "square, inside (||g_i|| - 1)^2")])

    def penalty_grad(ex):
        g = ex["grad_x"]
        num = numerical_gradient(lambda v: _penalty(v, ex["lam"]), g.copy())
        return _compare("dgrad_x", student_penalty(ex)[1], num, FD, n=g.shape[0])

    def penalty_pure(ex):
        g = ex["grad_x"].copy()
        before = {"grad_x": g.copy()}
        student_penalty(ex, g)
        _unchanged("gradient_penalty", before, grad_x=g)

    c = small()
    return [
        _run("instance_noise: a new array of x's shape; x unchanged", c, noise_shape),
        _run("instance_noise: the noise has mean 0 and std sigma", c, noise_stats, examples=4),
        _run("instance_noise: draws from the rng it is given; sigma = 0 adds nothing", c, noise_rng),
        _run("interpolates: each row is eps x_real + (1 - eps) x_fake", c, interp_line),
        _run("interpolates: eps is uniform on [0, 1]", c, interp_uniform, examples=3),
        _run("gradient_penalty: value is lam * mean (||g_i|| - 1)^2", c, penalty_value),
        _run("gradient_penalty: dgrad_x matches finite differences", c, penalty_grad),
        _run("gradient_penalty leaves grad_x unchanged", c, penalty_pure),
    ]


# ============================================================================ 9. bilinear game

def check_bilinear(m):
    st, _ = _hypothesis()

    @st.composite
    def case(draw):
        return {"x": draw(_floats(st, -2.0, 2.0)), "y": draw(_floats(st, -2.0, 2.0)),
                "eta": draw(_floats(st, 0.05, 1.0, 0.05)), "steps": draw(st.integers(0, 40))}

    def path(name, ex):
        out = _student(m, name, ex["x"], ex["y"], ex["eta"], ex["steps"])
        _compare(f"the path of {name}", out, np.zeros((ex["steps"] + 1, 2)), tol=(np.inf, 1.0))
        return np.asarray(out, dtype=np.float64)

    def reflected(method, ex):
        """The path with the players' signs swapped (x ascends, y descends)."""
        return method(ex["x"], -ex["y"], ex["eta"], ex["steps"]) * np.array([1.0, -1.0])

    swapped = ("the players are swapped: x minimises x*y, so it moves against df/dx = y "
               "(x - eta*y); y maximises, so it moves along df/dy = x (y + eta*x)")

    def simultaneous(ex):
        want = games.simultaneous_gd(ex["x"], ex["y"], ex["eta"], ex["steps"])
        return _compare("the path", path("simultaneous_gd", ex), want, variants=[
            (games.alternating_gd(ex["x"], ex["y"], ex["eta"], ex["steps"]),
             "y's update used the new x: in simultaneous GD both updates read the old point "
             "(compute both from (x, y), then assign)"),
            (reflected(games.simultaneous_gd, ex), swapped)])

    def radius(ex):
        p = path("simultaneous_gd", ex)
        r = np.hypot(p[:, 0], p[:, 1])
        want = games.simultaneous_radius(math.hypot(ex["x"], ex["y"]), ex["eta"], np.arange(len(p)))
        return _compare("the radius along your path", r, want)

    def alternating(ex):
        want = games.alternating_gd(ex["x"], ex["y"], ex["eta"], ex["steps"])
        return _compare("the path", path("alternating_gd", ex), want, variants=[
            (games.simultaneous_gd(ex["x"], ex["y"], ex["eta"], ex["steps"]),
             "this is the simultaneous update: in alternating GD, y's update uses the new x"),
            (reflected(games.alternating_gd, ex), swapped),
            (_y_first(ex), "y moved first: x moves first, then y with the new x")])

    def invariant(ex):
        p = path("alternating_gd", ex)
        h = games.alternating_invariant(p[:, 0], p[:, 1], ex["eta"])
        return _compare("x^2 + y^2 - eta*x*y along your path", h, np.full(len(p), h[0]), otherwise=(
            "alternating GD keeps x^2 + y^2 - eta*x*y exactly constant; yours drifts, so y's update "
            "is not using the new x (or a sign is off)"))

    def closed_form(ex):
        r0, t = math.hypot(ex["x"], ex["y"]) + 0.5, np.arange(ex["steps"] + 1)
        got = _student(m, "simultaneous_radius", r0, ex["eta"], t)
        want = games.simultaneous_radius(r0, ex["eta"], t)
        return _compare("simultaneous_radius", got, want, variants=[
            (r0 * (1 + ex["eta"] ** 2) ** t, "each step multiplies the radius by "
             "sqrt(1 + eta^2), not by 1 + eta^2")])

    c = case()
    return [
        _run("simultaneous_gd: path matches tinygan.games", c, simultaneous),
        _run("simultaneous_gd: radius grows by sqrt(1 + eta^2) per step", c, radius),
        _run("alternating_gd: path matches tinygan.games", c, alternating),
        _run("alternating_gd: conserves x^2 + y^2 - eta*x*y", c, invariant),
        _run("simultaneous_radius: r0 (1 + eta^2)^(t/2)", c, closed_form),
    ]


def _y_first(ex):
    """Alternating GD with y moving first: y' = y + eta x, then x' = x - eta y'."""
    x, y, eta = ex["x"], ex["y"], ex["eta"]
    out = [(x, y)]
    for _ in range(ex["steps"]):
        y = y + eta * x
        x = x - eta * y
        out.append((x, y))
    return np.array(out)


# ============================================================================ 10. mode coverage

COVERAGE_KEYS = ("modes", "high_quality", "reverse_kl")


def check_coverage(m):
    st, _ = _hypothesis()

    @st.composite
    def case(draw):
        k, radius = draw(st.integers(2, 8)), draw(st.sampled_from([1.0, 2.0]))
        std = draw(st.sampled_from([0.01, 0.02, 0.05]))
        rng = np.random.default_rng(draw(st.integers(0, 2**20)))
        used = rng.choice(k, size=draw(st.integers(1, k)), replace=False)   # some modes empty
        n = draw(st.integers(5, 60))
        spread = rng.choice([0.5, 1.5, 4.0, 20.0], size=(n, 1))            # in and out of 3 std
        centers = ring(k, radius, std).centers
        samples = centers[rng.choice(used, n)] + std * spread * rng.standard_normal((n, 2))
        return {"k": k, "radius": radius, "std": std, "samples": samples, "centers": centers}

    def student_coverage(ex, samples=None, centers=None, n_std=3.0):
        samples = ex["samples"].copy() if samples is None else samples
        centers = ex["centers"].copy() if centers is None else centers
        out = _student(m, "mode_coverage", samples, centers, ex["std"], n_std, numeric_hint=(
            "An empty mode has p_k = 0, and its term p_k log(K p_k) is 0 (0 log 0 = 0): leave "
            "empty modes out of the sum."))
        return _grad_dict(out, "mode_coverage", COVERAGE_KEYS)

    def centers_check(ex):
        k, r = ex["k"], ex["radius"]
        a = np.linspace(0, 2 * np.pi, k)
        return _compare("the centres", _student(m, "ring_centers", k, r), ring(k, r).centers, variants=[
            (r * np.stack([np.cos(a), np.sin(a)], axis=1), "linspace(0, 2 pi, K) includes both 0 "
             "and 2 pi, so the first and last centres coincide: the angles are 2 pi j / K, "
             "j = 0..K-1"),
            (lambda: ring(k, 1.0).centers, "the centres should lie on the circle of the given radius")])

    def stats(ex, n_std=3.0):
        s, c, std = ex["samples"], ex["centers"], ex["std"]
        d = np.linalg.norm(s[:, None, :] - c[None, :, :], axis=2)
        near = d.argmin(1)
        good = d.min(1) <= n_std * std
        return s, c, std, d, near, good

    def modes(ex):
        s, c, std, d, near, good = stats(ex)
        want = metrics.mode_coverage(s, c, std)["modes"]
        return _compare("modes", student_coverage(ex)["modes"], want, variants=[
            (np.unique(near).size, "you counted every mode that is nearest to some sample; a mode "
             "is captured only if a HIGH-QUALITY sample (within n_std * std) is nearest to it"),
            (c.shape[0], "you returned K, the number of modes; count the captured ones")])

    def quality(ex):
        s, c, std, d, near, good = stats(ex)
        want = metrics.mode_coverage(s, c, std)["high_quality"]
        return _compare("high_quality", student_coverage(ex)["high_quality"], want, variants=[
            (np.mean(d.min(1) ** 2 <= 3 * std), "compare the distance itself (not its square) "
             "with n_std * std"),
            (np.mean(d.min(1) <= std), "a sample is high quality within n_std * std of its "
             "nearest centre, not within one std"),
            (np.sum(good), "high_quality is a fraction of the samples, not a count")])

    def reverse_kl(ex):
        s, c, std, d, near, good = stats(ex)
        want = metrics.mode_coverage(s, c, std)["reverse_kl"]
        p = np.bincount(near, minlength=len(c)) / len(near)
        nz = p > 0
        return _compare("reverse_kl", student_coverage(ex)["reverse_kl"], want, variants=[
            (np.sum(p[nz] * np.log2(len(c) * p[nz])), "use the natural log (np.log), not log2"),
            (np.sum(p[nz] * np.log(p[nz])), "KL to the uniform distribution is sum_k p_k log(K p_k): "
             "the K inside the log is missing")])

    def pure(ex):
        s, c = ex["samples"].copy(), ex["centers"].copy()
        before = {"samples": s.copy(), "centers": c.copy()}
        student_coverage(ex, s, c)
        _unchanged("mode_coverage", before, samples=s, centers=c)

    c = case()
    return [
        _run("ring_centers: K points at angles 2 pi j / K, as tinygan.data.ring", c, centers_check),
        _run("mode_coverage: modes matches tinygan.metrics", c, modes),
        _run("mode_coverage: high_quality matches tinygan.metrics", c, quality),
        _run("mode_coverage: reverse_kl matches, finite with empty modes", c, reverse_kl),
        _run("mode_coverage leaves samples and centers unchanged", c, pure),
    ]


# ============================================================================ the exercises

class Exercise:
    """One exercise: its number, file name, title, and the function that checks a module."""

    def __init__(self, number, slug, title, check):
        self.number, self.slug, self.title, self.check = number, slug, title, check

    @property
    def filename(self):
        return f"ex{self.number:02d}_{self.slug}.py"


EXERCISES = {e.number: e for e in (
    Exercise(1, "linear_backward", "the linear layer: forward and backward", check_linear),
    Exercise(2, "activation_backward", "activation backward passes, without writing into dy",
             check_activations),
    Exercise(3, "stable_bce", "binary cross-entropy with logits, stable at any logit", check_bce),
    Exercise(4, "generator_losses", "minimax vs non-saturating generator loss: the factor that "
             "vanishes", check_generator_losses),
    Exercise(5, "mlp_backward", "backprop through a whole MLP", check_mlp),
    Exercise(6, "adam", "the Adam optimizer", check_adam),
    Exercise(7, "gan_steps", "one discriminator step and one generator step", check_gan_steps),
    Exercise(8, "regularisers", "instance noise and the WGAN-GP gradient penalty", check_regularisers),
    Exercise(9, "bilinear_game", "simultaneous vs alternating updates in the game x*y", check_bilinear),
    Exercise(10, "mode_coverage", "counting the modes a generator covers", check_coverage),
)}


def check_module(number, module):
    """Run every check of exercise `number` on a module (or any object with its functions)."""
    return EXERCISES[number].check(module)


_loaded = itertools.count()


def load_file(path):
    """Import a student's file by path under a fresh module name."""
    path = Path(path)
    spec = importlib.util.spec_from_file_location(f"tinygan_student_{next(_loaded)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_file(number, path):
    """Import the file at `path` and check it; a file that does not import is one failed check."""
    try:
        module = load_file(path)
    except Exception as err:  # noqa: BLE001 - SyntaxError, ImportError, a crash at import time
        where = "" if isinstance(err, SyntaxError) else _where(err)   # a SyntaxError names its line
        return [Result(f"{Path(path).name} imports", False, hint=f"{type(err).__name__}: {err}{where}")]
    return check_module(number, module)


def format_results(results, width=92):
    """The report: one line per check, its hint and failing input below, then a summary."""
    name_width = max(len(r.name) for r in results)
    lines = []
    for r in results:
        error = "" if r.error is None else f"rel error {r.error:.1e}"
        lines.append(f"[{'PASS' if r.passed else 'FAIL'}] {r.name:<{name_width}}  {error}".rstrip())
        for label, text in (("hint: ", r.hint), ("failing input: ", r.example)):
            if text and not r.passed:
                lines += textwrap.wrap(label + text, width, initial_indent=" " * 7,
                                       subsequent_indent=" " * 13, break_long_words=False,
                                       break_on_hyphens=False)
    passed = sum(r.passed for r in results)
    todo = sum(r.todo for r in results)
    lines.append(f"{passed} passed, {len(results) - passed} failed"
                 + (f" ({todo} not implemented yet)" if todo else ""))
    return "\n".join(lines)


# ============================================================================ the command

def _usage(message):
    from tinygan.cli import UsageError
    return UsageError(message)


def _numbers(text):
    valid = f"choose one of {min(EXERCISES)}-{max(EXERCISES)} or all"
    if text == "all":
        return sorted(EXERCISES)
    try:
        number = int(text)
    except ValueError:
        raise _usage(f"unknown exercise {text!r}; {valid}") from None
    if number not in EXERCISES:
        raise _usage(f"unknown exercise {number}; {valid}")
    return [number]


def cmd_list(args):
    folder = Path(args.dir)
    print(f"exercises (files in {folder}/; check one with `tinygan exercise check N`):")
    for e in EXERCISES.values():
        mark = "" if (folder / e.filename).is_file() else "   (file not found)"
        print(f"  {e.number:>2}  {e.filename:<28} {e.title}{mark}")
    return 0


def cmd_check(args):
    numbers = _numbers(args.number)
    if args.path and len(numbers) > 1:
        raise _usage("--path names one file; use --dir to check all exercises in a folder")
    try:
        _hypothesis()
    except RuntimeError as err:
        raise _usage(str(err)) from None
    failed = 0
    for number in numbers:
        e = EXERCISES[number]
        path = Path(args.path) if args.path else Path(args.dir) / e.filename
        if not path.is_file():
            raise _usage(f"no file {path}; run from the folder that holds exercises/, or pass "
                         "--dir DIR or --path FILE")
        print(f"exercise {number}: {e.title}\nfile: {path}\n")
        results = check_file(number, path)
        print(format_results(results) + ("\n" if len(numbers) > 1 else ""))
        failed += not all(r.passed for r in results)
    if len(numbers) > 1:
        print(f"{len(numbers) - failed} of {len(numbers)} exercises pass every check")
    return 1 if failed else 0


def add_subcommand(subparsers):
    """Add `tinygan exercise list` and `tinygan exercise check N` to the tinygan command."""
    parser = subparsers.add_parser("exercise", help="list the exercises, or check your answer to one")
    sub = parser.add_subparsers(dest="exercise_command", parser_class=type(parser))
    lister = sub.add_parser("list", help="the exercises and their files")
    lister.add_argument("--dir", default="exercises", help="the exercise folder (default exercises)")
    lister.set_defaults(func=cmd_list)
    check = sub.add_parser("check", help="check exercise N (or all) and print what passed, with hints")
    check.add_argument("number", help=f"{min(EXERCISES)}-{max(EXERCISES)}, or all")
    where = check.add_mutually_exclusive_group()
    where.add_argument("--dir", default="exercises", help="folder holding the exercise files "
                       "(default exercises)")
    where.add_argument("--path", default=None, help="the file to check, instead of DIR/exNN_*.py")
    check.set_defaults(func=cmd_check)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])
