"""Divergence: where a training step first went NaN or inf, found every step, cheaply.

A step is healthy when everything it computed and everything it leaves behind is finite:
the batches D saw, D's outputs, the losses, the gradients, the weights of G and D, and the
optimizers' state (Adam's m and v, RMSProp's s, SGD's momentum, the average of G's weights).
Each can go non-finite while the others stay finite: a gradient whose square overflows
makes Adam's v inf while the weights stay finite (the update m / sqrt(v) is then 0, and
the network silently stops learning); finite weights can give samples that overflow. The
Trainer looks after every D update and after the G update, in two passes:

  screen  every update, cheap: is the sum of squares s = x . x of each array finite?
          (np.vdot: one BLAS call over a whole flat buffer.) s is NaN or inf whenever any
          x_i is (NaN propagates; inf^2 = inf; the terms are >= 0, so no inf - inf can
          cancel), and also when some x_i^2 overflows. A finite s for the gradient g thus
          proves every g_i and g_i^2 finite, and then the optimizers' state stays finite
          without being looked at: Adam's m and v, RMSProp's s and the average of G's
          weights are convex combinations of finite numbers (old state, g, g^2, weights),
          SGD's momentum v <- mu v + g is bounded by max |g| / (1 - mu). So the screen
          reads the small arrays of the step (batches, outputs, losses), the gradient and
          the weights, not the optimizers' state.
  locate  only when the screen fires: walk everything the update computed and left behind,
          the optimizers' state included, in the order it was computed, with an exact test
          (np.isfinite), and name the first array that is not finite, so the message says
          where the divergence started, not where it ended up. A screen that fired on
          finite numbers (a sum of squares that overflowed: |x_i| beyond ~1e154 in float64,
          ~1e19 in float32, with all x_i^2 finite) finds nothing, and training goes on.

The screen's argument needs the state to be finite before the update; Trainer.train checks
all of it exactly once when it starts (a resumed checkpoint), and Trainer.evaluate before
every evaluation, so a checkpoint is only ever saved from a state checked number by number.
On the default ring recipe the checks cost ~1-2 % of a step (measured by
benchmarks/divergence_sweep.py --cost).
"""

import math

import numpy as np

from tinygan.flat import flat_view

__all__ = ["DivergenceError", "ADVICE", "squares_finite", "finite", "kind_of", "first_non_finite"]

ADVICE = "Try a smaller learning rate, a gradient penalty, or another loss."


class DivergenceError(RuntimeError):
    """Training produced NaN or inf. `step` is the step it happened at, `what` names what
    went non-finite; nothing was saved after that step."""

    def __init__(self, step, what, advice=ADVICE):
        super().__init__(f"training diverged at step {step}: {what}." + (f" {advice}" if advice else ""))
        self.step, self.what = step, what


def _arrays(x):
    """The arrays to look at for x: a Packed dict's one flat buffer, a dict's arrays, or x."""
    if isinstance(x, dict):
        flat = flat_view(x)
        return (flat,) if flat is not None else tuple(x.values())
    return (x,)


def squares_finite(x):
    """The screen: True if x . x is finite, for an array, a float or a dict of arrays.

    True proves every entry and its square finite; False means some entry is NaN or inf,
    or the sum overflowed (ask `finite` which)."""
    if isinstance(x, float):
        return math.isfinite(x)
    for a in _arrays(x):
        if a.dtype.kind == "f" and not math.isfinite(float(np.vdot(a, a))):
            return False
    return True


def finite(x):
    """The exact test: True if every entry of x (an array, a float, a dict of arrays) is finite."""
    if isinstance(x, float):
        return math.isfinite(x)
    return all(squares_finite(a) or bool(np.isfinite(a).all()) for a in _arrays(x))


def kind_of(x):
    """'NaN', 'inf' or 'NaN and inf': what the non-finite entries of x are."""
    x = np.asarray(x)
    nan, inf = bool(np.isnan(x).any()), bool(np.isinf(x).any())
    return "NaN and inf" if nan and inf else "NaN" if nan else "inf"


def first_non_finite(items):
    """What is the first entry of `items` that is not finite? A sentence, or None if all are.

    items: (description, value) pairs in the order a step computed them. A value is an
    array, a float, or a dict of named arrays (weights, gradients, an optimizer's slot). A
    description is a format string with {kind} (NaN, inf) and, for a dict, {key}:
    "D's gradient for D.{key} holds {kind}".
    """
    for description, value in items:
        if finite(value):
            continue
        if not isinstance(value, dict):
            return description.format(kind=kind_of(value))
        for key, array in value.items():
            if not finite(array):
                return description.format(key=key, kind=kind_of(array))
    return None
