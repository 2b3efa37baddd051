"""Comparing a student's answer with the right one, and naming the mistake when it differs.

    error = max_i |a_i - b_i| / max(|a_i| + |b_i|, floor)      (gradcheck.rel_error)

with floor = max(f, 1e-3 max_i |b_i|), so entries that are rounding noise next to the largest
one do not count. A wrong answer is diagnosed from itself: a classic mistake given by the
check (a variant), a constant ratio (-1, N, 1/N), a transposed or unsummed shape, nan or inf,
or an input array written into.
"""

import math

import numpy as np

from tinygan.exercises.core import LIB, Fail
from tinygan.gradcheck import rel_error


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


def _check_shape(what, got, like):
    """Fail unless got is a finite array of like's shape; its values are not compared."""
    _compare(what, got, like, tol=(np.inf, 1.0))


# ============================================================================ inputs left alone

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


def _untouched(label, call, **inputs):
    """Run call(**copies) on fresh copies of the inputs; Fail if it wrote into any of them."""
    copies = _copy(inputs)
    before = _copy(copies)
    call(**copies)
    _unchanged(label, before, **copies)
