"""Argument checks, one home for the whole package: each raises one ValueError that names
the argument, says what is allowed and shows what it got.

    number(name, value, ok, allowed)   a finite real number passing `ok`, as a float
    positive(name, value)              a finite number > 0
    nonnegative(name, value)           a finite number >= 0 (0 usually turns a feature off)
    fraction(name, value)              a number in [0, 1)
    integer(name, value, minimum, maximum)   an int (not a bool) in [minimum, maximum]
    choice(what, value, allowed)       one of a fixed set of names
    check_threads(threads)             None or a thread count >= 1

Used by the optimizers, the data sets, Config and the questions' experiments, so the same mistake
reads the same wherever it is made.
"""

import math

import numpy as np

def number(name, value, ok=lambda v: True, allowed="a finite number"):
    """`value` as a Python float if it is a finite real number with ok(value); else
    ValueError("{name} must be {allowed}, got {value!r}"). Booleans are not numbers here."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be {allowed}, got {value!r}") from err
    if not (math.isfinite(v) and ok(v)):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return v


def positive(name, value):
    """A finite number > 0, as a float."""
    return number(name, value, lambda v: v > 0, "a positive number")


def nonnegative(name, value, off=False):
    """A finite number >= 0, as a float; off=True adds "(0 turns it off)" to the message."""
    return number(name, value, lambda v: v >= 0, "a number >= 0" + (" (0 turns it off)" if off else ""))


def fraction(name, value):
    """A number in [0, 1), as a float (momentum, Adam's betas, a decay rate)."""
    return number(name, value, lambda v: 0.0 <= v < 1.0, "in [0, 1)")


def integer(name, value, minimum=0, maximum=None, why=""):
    """An integer (not a bool, not a float) in [minimum, maximum], as a Python int.

    `maximum` is for values that mean nothing above it; `why` says why, in the message."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer from {minimum} to {maximum:,}{why}, got {value!r}")
    return int(value)


def choice(what, value, allowed):
    """`value` if it is one of `allowed`; else ValueError("unknown {what} ...; allowed: ...")."""
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; allowed: {', '.join(map(str, allowed))}")
    return value


def check_threads(threads):
    """None (leave BLAS's own setting) or an integer >= 1: how many threads BLAS may use."""
    return None if threads is None else integer("threads", threads, minimum=1)


class UsageError(Exception):
    """A user's mistake on the command line: printed as one line, exit status 2."""
