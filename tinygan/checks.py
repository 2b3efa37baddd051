"""Argument checks, one home for the whole package: each raises one ValueError that names
the argument, says what is allowed and shows what it got.

    number(name, value, ok, allowed)   a finite real number passing `ok`, as a float
    positive(name, value)              a finite number > 0
    nonnegative(name, value)           a finite number >= 0 (0 usually turns a feature off)
    fraction(name, value)              a number in [0, 1)
    integer(name, value, minimum, maximum)   an int (not a bool) in [minimum, maximum]
    choice(what, value, allowed)       one of a fixed set of names
    machine_memory()                   the machine's total memory in bytes
    fits_in_memory(what, nbytes)       refuse a size the machine cannot hold, saying so
    gib(nbytes)                        a byte count of any size as 'N GiB', for messages

Used by the optimizers, the data sets, Config and the lab's experiments, so the same mistake
reads the same wherever it is made.
"""

import math
import os

import numpy as np

# Assumed when the operating system does not say how much memory it has (os.sysconf is
# missing on Windows): a modest laptop's worth. There, a run estimated above 8 GiB is
# refused even on a bigger machine; the message says which figure was assumed.
FALLBACK_MEMORY = 8 * 2**30


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


def machine_memory():
    """Total physical memory in bytes: page size x number of pages where the operating
    system reports them (Linux, macOS), else FALLBACK_MEMORY."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return FALLBACK_MEMORY
    return total if total > 0 else FALLBACK_MEMORY


def gib(nbytes):
    """A byte count for a message: '0.5 GiB', '477 GiB', '9.3e+12 GiB'; any int, however
    large (log10 from the bit length: no float overflow, no 4,300-digit limit of str)."""
    if nbytes < 2**30:
        return f"{nbytes / 2**30:.2g} GiB"
    g = int(nbytes) // 2**30
    if g < 10**6:
        return f"{g:,} GiB"
    shift = max(g.bit_length() - 53, 0)
    exponent = math.log10(g >> shift) + shift * math.log10(2)
    whole = math.floor(exponent)
    return f"{10 ** (exponent - whole):.1f}e+{whole:02d} GiB"


def fits_in_memory(what, nbytes, limit=None):
    """Refuse `nbytes` above `limit` (default: the machine's total memory) with a ValueError
    "{what} needs ~N GiB of memory; this machine has M GiB". `nbytes` is an estimate from
    below, so a refusal is certain to be right; passing does not promise the run fits."""
    limit = machine_memory() if limit is None else limit
    if nbytes > limit:
        raise ValueError(f"{what} needs ~{gib(nbytes)} of memory; this machine has {gib(limit)}")
    return nbytes
