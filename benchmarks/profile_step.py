"""Where does one tinygan training iteration spend its time? A profile by part.

    python benchmarks/profile_step.py                 # ring8, 1 thread
    python benchmarks/profile_step.py --workloads ring8 digits wide --rounds 5

The iteration is the one benchmarks/speed.py times (a D step and a G step with Adam), built
from speed.py's workloads (this file imports speed.py; speed.py imports nothing from here). Its
time is split into parts by intercepting every NumPy call it makes: the batches are a
subclass of ndarray whose __array_ufunc__ / __array_function__ time each call (matmul, the
elementwise ufuncs, the reductions, concatenate) and name the tinygan function it came from.
The optimizer steps are timed as wholes. Parts:

    matmuls          every matrix product (D's input gradient through its one-unit output
                     layer, an outer product, is one too: linear_backward's dy @ W.T)
    bias adds        y += b in linear_forward
    bias gradients   db = sum_n dy[n] in linear_backward
    activations      the forward and backward of every activation
    loss             the loss values and their gradients (softplus, sigmoid, mean), timed as
                     wholes (the losses take np.asarray of the logits, which no subclass survives)
    optimizer        Adam.step on D and on G, all of it (its NumPy calls and its Python)
    other NumPy      anything else NumPy computes (concatenating [x_real; x_fake], ...)
    Python glue      the rest: the iteration's time without instrumentation minus the parts
                     above (the MLP loops, the checks, dicts, allocating new arrays)

The instrumented run is slower than a plain one (every NumPy call goes through Python), but
only the calls themselves are timed; "Python glue" is what a plain run spends outside them.
"""

import argparse
import os
import statistics
import sys
import time

PARSER = argparse.ArgumentParser(description=__doc__.split("\n")[0])
PARSER.add_argument("--workloads", nargs="+", default=["ring8"])
PARSER.add_argument("--rounds", type=int, default=5, help="rounds; each part's median is reported")
PARSER.add_argument("--iterations", type=int, default=0, help="iterations per round (default: ~0.5 s)")
PARSER.add_argument("--core", type=int, default=None, help="pin to this core (default: the last allowed)")

if __name__ == "__main__":
    ARGS = PARSER.parse_args()
    tuning = [var for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if var in os.environ]
    if tuning:  # as for speed.py's workers: NumPy's OpenBLAS picks its own kernel (see speed.md)
        env = {k: v for k, v in os.environ.items() if k not in tuning}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import speed  # noqa: E402
import workers  # noqa: E402
from tinygan.questions.common import blas, limit_threads  # noqa: E402

PARTS = ("matmuls", "bias adds", "bias gradients", "activations", "loss", "optimizer",
         "other NumPy", "Python glue")
ACTIVATION_FUNCTIONS = ("forward", "backward", "sigmoid", "softplus")


# CPU time of this thread, not wall time: on a shared machine a process that is preempted
# does not count the time it waits. Reading the clock costs ~0.5 us; the share of that inside
# each timed window is measured once (calibrate) and taken off every call.
now = time.thread_time


class Clock:
    """CPU seconds spent per part, accumulated, and the number of timed calls per part."""

    def __init__(self):
        self.reset()
        self.overhead = 0.0

    def reset(self):
        self.seconds = dict.fromkeys(PARTS, 0.0)
        self.calls = dict.fromkeys(PARTS, 0)

    def add(self, part, seconds):
        self.seconds[part] += seconds
        self.calls[part] += 1

    def calibrate(self, n=20000):
        """The mean reading of an empty timed window."""
        total = 0.0
        for _ in range(n):
            start = now()
            total += now() - start
        self.overhead = total / n

    def net(self, part):
        return self.seconds[part] - self.calls[part] * self.overhead


CLOCK = Clock()


_PARTS_SEEN = {}


def part_of(name, method):
    """The part a NumPy call belongs to, from the tinygan functions on the call stack.

    Remembered per call site (the code of the three innermost callers), so that the walk up
    the whole stack happens once per site, not once per call.
    """
    f = sys._getframe(2)
    site = (name, method, f.f_code, f.f_back.f_code, f.f_back.f_back.f_code)
    part = _PARTS_SEEN.get(site)
    if part is None:
        part = _PARTS_SEEN[site] = _classify(name, method, f)
    return part


def _classify(name, method, frame):
    chain = []
    while frame is not None:
        path = frame.f_code.co_filename
        if os.sep + "tinygan" + os.sep in path:
            chain.append((os.path.basename(path), frame.f_code.co_name))
        frame = frame.f_back
    files = {f for f, _ in chain}
    inner = chain[0][1] if chain else ""
    if name == "matmul":
        return "matmuls"
    if "losses.py" in files:
        return "loss"
    if inner == "linear_forward" and name == "add":
        return "bias adds"
    if inner == "linear_backward":
        return "bias gradients" if method == "reduce" else "matmuls"
    if "ops.py" in files and (inner.endswith(ACTIVATION_FUNCTIONS) or "Activation" in inner):
        return "activations"
    return "other NumPy"


class Timed(np.ndarray):
    """An ndarray whose NumPy calls are timed and charged to a part (see part_of)."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [x.view(np.ndarray) if isinstance(x, Timed) else x for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(x.view(np.ndarray) if isinstance(x, Timed) else x for x in kwargs["out"])
        part = part_of(ufunc.__name__, method)
        start = now()
        result = getattr(ufunc, method)(*plain, **kwargs)
        CLOCK.add(part, now() - start)
        return _wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        part = part_of(func.__name__, "function")
        args = [_plain(a) for a in args]
        start = now()
        result = func(*args, **{k: _plain(v) for k, v in kwargs.items()})
        CLOCK.add(part, now() - start)
        return _wrap(result)


def _plain(x):
    if isinstance(x, Timed):
        return x.view(np.ndarray)
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x)
    return x


def _wrap(result):
    if isinstance(result, np.ndarray) and not isinstance(result, Timed):
        return result.view(Timed)
    if isinstance(result, tuple):
        return tuple(_wrap(r) for r in result)
    return result


def untimed(grads):
    """Gradients as plain arrays, so that the optimizer's own calls are not intercepted."""
    if any(isinstance(g, Timed) for g in grads.values()):
        return {key: g.view(np.ndarray) for key, g in grads.items()}
    return grads


def _wrap_all(result):
    """result with every array in it (also inside tuples and dicts) viewed as Timed."""
    if isinstance(result, dict):
        return {k: _wrap_all(v) for k, v in result.items()}
    if isinstance(result, tuple):
        return tuple(_wrap_all(r) for r in result)
    return _wrap(result)


class TimedLoss:
    """A loss whose d and g are timed as wholes, their gradients handed on as Timed arrays
    (so that the backward passes they start are timed part by part, as the rest)."""

    def __init__(self, loss):
        self.inner = loss

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def d(self, *args, **kwargs):
        start = now()
        result = self.inner.d(*args, **kwargs)
        CLOCK.add("loss", now() - start)
        return _wrap_all(result)

    def g(self, *args, **kwargs):
        start = now()
        result = self.inner.g(*args, **kwargs)
        CLOCK.add("loss", now() - start)
        return _wrap_all(result)


class TimedTinygan(speed.Tinygan):
    """The benchmark's tinygan iteration with the loss and optimizer steps timed as wholes."""

    def __init__(self, G, D, lib=None):
        super().__init__(G, D, lib)
        self.loss = TimedLoss(self.loss)

    def step(self, x_real, z1, z2):
        x_fake = self.G(z1)
        _, grads, _ = self.lib.d_gradients(self.D, self.loss, x_real, x_fake)
        grads = untimed(grads)
        start = now()
        self.opt_d.step(self.D.params, grads)
        CLOCK.add("optimizer", now() - start)
        _, grads, _ = self.lib.g_gradients(self.G, self.D, self.loss, z2)
        grads = untimed(grads)
        start = now()
        self.opt_g.step(self.G.params, grads)
        CLOCK.add("optimizer", now() - start)


def run_block(impl, batches, n):
    """n iterations, cycling through the batches."""
    for i in range(n):
        impl.step(*batches[i % len(batches)])


def cpu_ms_per_iteration(impl, batches, n):
    """CPU milliseconds per iteration over n iterations."""
    start = now()
    run_block(impl, batches, n)
    return 1e3 * (now() - start) / n


def profile(name, rounds, iterations):
    """{part: median CPU ms per iteration} and the plain iteration's median CPU ms."""
    G, D, batches = speed.build(name)
    plain = speed.Tinygan(G, D)
    timed = TimedTinygan(*speed.build(name)[:2])
    timed_batches = [tuple(a.view(Timed) for a in b) for b in batches]
    run_block(plain, batches, 3)
    n = iterations or max(3, int(500 / cpu_ms_per_iteration(plain, batches, 3)))
    run_block(timed, timed_batches, 3)
    per_round = {part: [] for part in PARTS}
    totals = []
    CLOCK.calibrate()
    for _ in range(rounds):
        totals.append(cpu_ms_per_iteration(plain, batches, n))
        CLOCK.reset()
        run_block(timed, timed_batches, n)
        measured = 0.0
        for part in PARTS[:-1]:
            ms = 1e3 * CLOCK.net(part) / n
            per_round[part].append(ms)
            measured += ms
        per_round["Python glue"].append(totals[-1] - measured)
    return {part: statistics.median(v) for part, v in per_round.items()}, statistics.median(totals), n


def table(name, parts, total, n, rounds):
    lines = [f"{name}: {total:.3f} CPU ms per iteration (median of {rounds} rounds of {n} iterations, 1 thread)",
             f"| part | ms/it | % |", "|---|---|---|"]
    for part in PARTS:
        lines.append(f"| {part} | {parts[part]:.3f} | {100 * parts[part] / total:.0f} % |")
    return "\n".join(lines)


def main(args):
    core = args.core if args.core is not None else max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    workers.keep_freed_memory()
    with limit_threads(1):
        kernels = "; ".join(f"{b['library']} {b['version']} ({b['kernel']} kernel), {b['threads']} thread(s)"
                            for b in blas()) or "BLAS unknown"
        print(f"core {core}; {kernels}", flush=True)
        for name in args.workloads:
            parts, total, n = profile(name, args.rounds, args.iterations)
            print(table(name, parts, total, n, args.rounds), flush=True)


if __name__ == "__main__":
    main(ARGS)
