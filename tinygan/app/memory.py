"""Memory bounds: refuse, in one line, a run or an evaluation the machine cannot hold.

    memory_needed(config, dim)     (total, parts): bytes a run needs at least, by part
    check_run_fits(config)         ValueError naming the largest part if the run cannot fit
    fits_in_memory(what, nbytes)   refuse a size the machine cannot hold, saying so
    gib(nbytes)                    a byte count of any size as 'N GiB', for messages

The command line checks every run and evaluation here before it allocates anything, so a
typo like --batch-size 10000000000 is one line, not a MemoryError after minutes.
"""

import math
import os

from tinygan.data import data_dim

# The per-step history is kept in Python lists until the run ends: gan.STEP_COLUMNS
# (11 columns) x 32 bytes (a 24-byte float object and its 8-byte list slot).
HISTORY_BYTES_PER_STEP = 11 * 32

# Assumed when the operating system does not say how much memory it has (os.sysconf is
# missing on Windows): a modest laptop's worth. There, a run estimated above 8 GiB is
# refused even on a bigger machine; the message says which figure was assumed.
FALLBACK_MEMORY = 8 * 2**30


def memory_needed(config, dim):
    """(total, parts): a lower bound on the bytes a run needs for data of dimension
    `dim`, and its parts by what they hold.

    With s bytes per number (4 for float32, 8 for float64), n = batch_size and P_G, P_D
    the parameter counts of G (z_dim -> g_hidden -> dim) and D (pack dim -> d_hidden
    -> 1), each layer in x out weights plus out biases:
      networks    s (P_G (1 + slots + [ema > 0]) + P_D (1 + slots)): the weights, the
                  optimizer's slots (adam 2, rmsprop 1, sgd 1 with momentum), G's
                  average; held for the whole run.
      history     steps x HISTORY_BYTES_PER_STEP, held until the run ends.
      batch       a training step: the gradients, s (P_G + P_D), and every unit's
                  output kept for the backward pass, s per unit, for G on n rows and
                  D on 2n (real and fake), twice with a gradient penalty, plus a
                  look-ahead copy of D per unrolled step.
      evaluation  eval_samples rows: G's widest pair of adjacent layers (s per unit),
                  or the samples and as many real ones in float64 (16 dim) plus, in
                  2-D and up, their projections on sliced_wasserstein's 128 directions
                  and those stacked (4 x 128 x 8 bytes), whichever is larger.
    A step and an evaluation never overlap: total = networks + history + the larger
    of batch and evaluation. Each part counts only arrays that must exist at once, so
    a config needing more than the machine has cannot run on it (measured peaks are
    above the total: tests/test_cli_fuzz.py). Python ints throughout: absurd sizes
    give absurd numbers, never an overflow.
    """
    s = 4 if config.dtype == "float32" else 8
    slots = {"adam": 2, "rmsprop": 1}.get(config.optimizer, 1 if config.momentum else 0)
    g_widths, d_widths = config.widths(dim)
    p_g, p_d = config.parameter_counts(dim)
    n = config.batch_size
    penalty = 2 if (config.gp or config.r1 or config.r2) else 1
    units = n * sum(g_widths) + 2 * n * dim + (2 * n // config.pack) * (sum(config.d_hidden) + 1)
    per_sample = max(s * max(a + b for a, b in zip(g_widths, g_widths[1:])),
                     16 * dim + (4 * 128 * 8 if dim > 1 else 0))
    g = f"G (z_dim {config.z_dim}, g_hidden {' '.join(map(str, config.g_hidden))})"
    d = f"D (d_hidden {' '.join(map(str, config.d_hidden))}, pack {config.pack})"
    networks = f"{g} and {d} with their optimizer state"
    batch = f"a training batch of batch_size {n} through {g} and {d}"
    evaluation = f"an evaluation of eval_samples {config.eval_samples} through {g}"
    history = f"the history of steps {config.steps}"
    parts = {
        networks: s * (p_g * (1 + slots + (config.ema > 0)) + p_d * (1 + slots)),
        batch: s * (p_g + p_d + config.unroll * p_d + units * penalty),
        evaluation: config.eval_samples * per_sample,
        history: config.steps * HISTORY_BYTES_PER_STEP,
    }
    return parts[networks] + parts[history] + max(parts[batch], parts[evaluation]), parts


def check_run_fits(config):
    """Raise ValueError if `config` cannot run on this machine, naming its largest part."""
    total, parts = memory_needed(config, data_dim(config.data, **config.data_options))
    biggest = max(parts, key=parts.get)
    fits_in_memory(f"this run ({biggest}: ~{gib(parts[biggest])})", total)   # the largest part: what to lower
    return config


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
