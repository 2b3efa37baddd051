"""How fast does tinygan train small GANs, next to PyTorch (eager), JAX (jit) and NumPy's bound?

    python benchmarks/speed.py                      # all three workloads, 1 thread, 1 core
    python benchmarks/speed.py --rounds 15 --workloads digits
    python benchmarks/speed.py --baseline ../main   # also another checkout's tinygan: before/after

Where tinygan's own time goes, part by part, is benchmarks/profile_step.py's job (it imports
this file's workloads; this file imports nothing from it).

No environment to prepare: the workers get their thread flags, their core and an environment
without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE from the script itself (for a quick check by hand,
the same as `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 taskset -c 1 ...`).

Peers need the optional extra: pip install -e '.[bench]' (a missing one is skipped, said so).

One iteration = one D step and one G step, Adam (lr 2e-4, betas (0.5, 0.999), eps 1e-8),
the non-saturating loss, float32, the same initial weights and the same batches everywhere.
Each implementation does the same minimal work:

    D step  x_fake = G(z1), a forward only (no graph, no backward);
            logits = D([x_real; x_fake]) in one forward of the stacked batch;
            loss_D = mean softplus(-l_real) + mean softplus(l_fake);
            gradients w.r.t. D's parameters only (none w.r.t. D's input); Adam on D.
    G step  loss_G = mean softplus(-D(G(z2))) through the updated D;
            D is backpropagated for its input gradient only (no gradients for D's own
            parameters), G for its parameters only (none for z); Adam on G.

    tinygan      steps.d_gradients + Adam.step on D, steps.g_gradients + Adam.step on G: the calls
                 Trainer.d_step / g_step make (the trainer also samples data and z; here all
                 implementations get the same pre-made batches).
    torch        peers_torch.py: loss.backward() for D, loss.backward(inputs=G's params) for G,
                 torch.optim.Adam(fused=True), its fastest CPU form (--torch-adam for-loop:
                 the default, slower one).
    jax          peers_jax.py: the whole iteration is one jax.jit function (jax.grad w.r.t.
                 D's params, then w.r.t. G's params), Adam written out, state donated.
    matmul-only  the iteration's matrix products alone, with the same shapes and memory
                 layouts as tinygan's, into preallocated outputs: the bound NumPy cannot beat.
                 (D's input gradient through its one-unit output layer is an outer product,
                 N x 1 times 1 x D_in: this bound broadcasts it, the faster way; tinygan's
                 linear_backward writes it as the matmul dy @ W.T, like every other layer.)
    peak         one (1024 x 1024) @ (1024 x 1024) float32 product: this machine's NumPy matmul
                 throughput, the denominator of "% of peak".

Processes (workers.py): every implementation runs in its own process, pinned with
os.sched_setaffinity to the same core (--core; --threads n pins n cores), with the one-thread
flags (OMP/OPENBLAS/MKL_NUM_THREADS, torch.set_num_threads, XLA_FLAGS), glibc malloc told to
keep freed memory (--malloc-default: not), and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed
from its environment (--keep-openblas-env: not). Each worker reports its CPUs, its threads and
the BLAS library and kernel it loaded (threadpoolctl); they are printed beside the results,
with the CPU model.

Before timing, every implementation's gradients at the initial weights are compared with a
float64 tinygan reference (the race is between equals): each must agree to float32 rounding.
Timing: `--rounds` rounds; in each round every implementation runs for about `--seconds`, in
an order that rotates from round to round, one worker at a time. Reported: median iterations
per second (wall clock), CPUs used (CPU time / wall time of the worker), the median over
rounds of the per-round ratio tinygan / peer (so that load from other processes on a shared
machine hits both sides of a ratio alike) with its spread (the middle half of the per-round
ratios, 25th to 75th percentile), the same ratio per CPU-second, GFLOP/s from the matmul
FLOPs of one iteration (2 m k n per product), tinygan's fraction of the matmul-only bound,
and the project's speed targets met or missed by how much.
"""

import argparse
import functools
import os
import statistics
import sys
import types

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tinygan  # noqa: E402
import workers  # noqa: E402
from tinygan.data import get_dataset  # noqa: E402
from tinygan.steps import d_gradients, g_gradients  # noqa: E402
from tinygan.losses import get_loss  # noqa: E402
from tinygan.mlp import MLP  # noqa: E402
from tinygan.optim import Adam  # noqa: E402

PARSER = argparse.ArgumentParser(description=__doc__.split("\n")[0])
PARSER.add_argument("--threads", type=int, default=1, help="threads (and cores) for every implementation (default 1)")
PARSER.add_argument("--core", type=int, default=None,
                    help="the (first) core every worker is pinned to (default: the last one allowed)")
PARSER.add_argument("--rounds", type=int, default=9, help="timing rounds (default 9)")
PARSER.add_argument("--seconds", type=float, default=0.3, help="seconds per implementation per round")
PARSER.add_argument("--workloads", nargs="+", default=["ring8", "digits", "wide"])
PARSER.add_argument("--skip", nargs="*", default=[], help="implementations to leave out: torch jax")
PARSER.add_argument("--torch-adam", choices=("fused", "for-loop"), default="fused",
                    help="torch.optim.Adam's CPU implementation (default fused, the faster)")
PARSER.add_argument("--malloc-default", action="store_true", help="leave glibc malloc's trimming on")
PARSER.add_argument("--keep-openblas-env", action="store_true",
                    help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for the workers (default: removed)")
PARSER.add_argument("--baseline", metavar="PATH",
                    help="also time the tinygan of another checkout (e.g. main) as 'baseline'")
PARSER.add_argument("--out", help="also write the report (Markdown) to this file")

LR, BETAS, EPS = 2e-4, (0.5, 0.999), 1e-8
N_BATCHES = 4           # distinct (x_real, z1, z2) triples, cycled through by every implementation
PEAK_N = 1024           # the peak-throughput product is (PEAK_N x PEAK_N) @ (PEAK_N x PEAK_N)
GRAD_RTOL = 1e-4        # max |g - g_ref| / max |g_ref| allowed per parameter array

#            z    G sizes                G hidden      G out     D sizes               D hidden      batch
WORKLOADS = {
    "ring8":  (16,  (16, 128, 128, 2),     "relu",       "none", (2, 128, 128, 1),     "relu",       256),
    "digits": (32,  (32, 256, 256, 64),    "leaky_relu", "tanh", (64, 256, 256, 1),    "leaky_relu", 128),
    "wide":   (100, (100, 1024, 1024, 784), "relu",      "tanh", (784, 1024, 1024, 1), "leaky_relu", 256),
}
DATA = {
    "ring8": "2-D ring of 8 Gaussians (tinygan.data 'ring')",
    "digits": "8x8 pixel-font digits, 64-dim (tinygan.data 'digits')",
    "wide": "16x16 pixel-font digits centred on a 28x28 canvas, 784-dim",
}

# The project's speed targets: (what, peer or bound, minimum, workloads)
TARGETS = [("tinygan >= 1.0x JAX jit", "jax", 1.0, ("ring8", "digits")),
           ("tinygan >= 1.2x PyTorch eager", "torch", 1.2, ("ring8", "digits")),
           ("tinygan >= 85 % of the matmul-only bound", "matmul-only", 0.85, ("ring8", "digits", "wide"))]


# ============================================================================ the workloads

def real_batches(name, batch, rng):
    """N_BATCHES real batches of the workload's data, float32."""
    if name == "ring8":
        ds = get_dataset("ring")
        return [ds.sample(batch, rng, dtype=np.float32) for _ in range(N_BATCHES)]
    if name == "digits":
        ds = get_dataset("digits")
        return [ds.sample(batch, rng, dtype=np.float32) for _ in range(N_BATCHES)]
    ds = get_dataset("digits", size=16)
    out = []
    for _ in range(N_BATCHES):
        canvas = np.full((batch, 28, 28), -1.0, dtype=np.float32)  # background is -1
        canvas[:, 6:22, 6:22] = ds.sample(batch, rng, dtype=np.float32).reshape(batch, 16, 16)
        out.append(canvas.reshape(batch, 784))
    return out


def build(name, dtype=np.float32):
    """G, D (tinygan MLPs with fixed seeds) and the batches for workload `name`."""
    z_dim, g_sizes, g_act, g_out, d_sizes, d_act, batch = WORKLOADS[name]
    G = MLP(g_sizes, hidden=g_act, output=g_out, seed=1, dtype=dtype)
    D = MLP(d_sizes, hidden=d_act, seed=2, dtype=dtype)
    rng = np.random.default_rng(3)
    reals = real_batches(name, batch, rng)
    batches = [(x, rng.standard_normal((batch, z_dim), dtype=np.float32),
                rng.standard_normal((batch, z_dim), dtype=np.float32)) for x in reals]
    return G, D, batches


def matmul_shapes(g_sizes, d_sizes, batch):
    """Every product of one iteration as (m, k, n, layout): layout "nn" a @ b, "tn" a.T @ b, "nt" a @ b.T.

    Forward h @ W is "nn"; the weight gradient x^T @ dy is "tn"; the input gradient dy @ W^T is "nt".
    """
    def forward(sizes, n):
        return [(n, i, o, "nn") for i, o in zip(sizes[:-1], sizes[1:])]

    def backward(sizes, n, need_dx, need_params):
        out = []
        for l in range(len(sizes) - 1, 0, -1):
            i, o = sizes[l - 1], sizes[l]
            if need_params:
                out.append((i, n, o, "tn"))                 # dW = x^T @ dy
            if l > 1 or need_dx:
                out.append((n, o, i, "nt"))                 # dx = dy @ W^T
        return out
    d_step = forward(g_sizes, batch) + forward(d_sizes, 2 * batch) + backward(d_sizes, 2 * batch, False, True)
    g_step = (forward(g_sizes, batch) + forward(d_sizes, batch) + backward(d_sizes, batch, True, False)
              + backward(g_sizes, batch, False, True))
    return d_step + g_step


# ============================================================================ implementations

class Tinygan:
    """The library's own calls, as the trainer makes them.

    `lib` holds the functions used (d_gradients, g_gradients, Adam, get_loss): this
    checkout's by default, another checkout's for --baseline.
    """

    name = "tinygan"

    def __init__(self, G, D, lib=None):
        self.lib = lib or types.SimpleNamespace(d_gradients=d_gradients, g_gradients=g_gradients,
                                                Adam=Adam, get_loss=get_loss)
        self.G, self.D = G, D
        self.loss = self.lib.get_loss("nonsaturating")
        self.opt_g, self.opt_d = self.lib.Adam(LR, BETAS, EPS), self.lib.Adam(LR, BETAS, EPS)

    @staticmethod
    def tensors(*arrays):
        return arrays

    def step(self, x_real, z1, z2):
        x_fake = self.G(z1)
        _, grads, _ = self.lib.d_gradients(self.D, self.loss, x_real, x_fake)
        self.opt_d.step(self.D.params, grads)
        _, grads, _ = self.lib.g_gradients(self.G, self.D, self.loss, z2)
        self.opt_g.step(self.G.params, grads)

    def sync(self):
        pass

    def gradients(self, x_real, z1, z2):
        _, d, _ = self.lib.d_gradients(self.D, self.loss, x_real, self.G(z1))
        _, g, _ = self.lib.g_gradients(self.G, self.D, self.loss, z2)
        return d, g

    def weights(self):
        return self.G.copy_params(), self.D.copy_params()


class MatmulOnly:
    """The iteration's matrix products and nothing else, into preallocated outputs."""

    name = "matmul-only"

    def __init__(self, shapes, rng):
        self.products = []
        for m, k, n, layout in shapes:
            a = rng.standard_normal((k, m) if layout == "tn" else (m, k), dtype=np.float32)
            b = rng.standard_normal((n, k) if layout == "nt" else (k, n), dtype=np.float32)
            a = a.T if layout == "tn" else a
            b = b.T if layout == "nt" else b
            # an inner dimension of 1 is an outer product, which tinygan (like this) broadcasts
            op = np.multiply if k == 1 else np.matmul
            self.products.append((op, a, b, np.empty((m, n), dtype=np.float32)))

    @staticmethod
    def tensors(*arrays):
        return arrays

    def step(self, *_):
        for op, a, b, out in self.products:
            op(a, b, out=out)

    def sync(self):
        pass


class Peak(MatmulOnly):
    """One large square product: NumPy's float32 matmul throughput on this machine."""

    name = "peak"

    def __init__(self, rng):
        super().__init__([(PEAK_N, PEAK_N, PEAK_N, "nn")], rng)




# ============================================================================ inside a worker

class Runner:
    """An implementation set up on one workload, inside its worker: what the commands call."""

    def __init__(self, impl, batches):
        self.impl, self.inputs = impl, [impl.tensors(*b) for b in batches]

    def describe(self):
        return self.impl.name

    def run(self, n):
        return workers.timed_block(self.impl.step, self.impl.sync, self.inputs, n)

    def gradients(self, batch):
        d, g = self.impl.gradients(*self.impl.tensors(*batch))
        return ({k: np.asarray(v) for k, v in d.items()}, {k: np.asarray(v) for k, v in g.items()})

    def one_step(self, batch):
        self.impl.step(*self.impl.tensors(*batch))
        self.impl.sync()
        return tuple({k: np.asarray(v) for k, v in part.items()} for part in self.impl.weights())


def make_tinygan(name):
    G, D, batches = build(name)
    return Runner(Tinygan(G, D), batches)


def make_baseline(name, path):
    """The tinygan of another checkout at `path` (e.g. main), in this worker only: before and
    after a change, side by side in one run. Same seeds, same batches."""
    if not any(p == path for p in sys.path):
        for module in [m for m in sys.modules if m.split(".")[0] == "tinygan"]:
            del sys.modules[module]          # this worker forgets this checkout's tinygan
        sys.path.insert(0, path)
    import importlib
    import importlib.util
    # the steps live in tinygan.steps in today's layout, in tinygan.gan in older checkouts
    steps = "tinygan.steps" if importlib.util.find_spec("tinygan.steps") else "tinygan.gan"
    lib = types.SimpleNamespace(**{name_: getattr(importlib.import_module(module), name_) for module, name_ in (
        (steps, "d_gradients"), (steps, "g_gradients"), ("tinygan.optim", "Adam"),
        ("tinygan.losses", "get_loss"), ("tinygan.mlp", "MLP"))})
    z_dim, g_sizes, g_act, g_out, d_sizes, d_act, batch = WORKLOADS[name]
    G = lib.MLP(g_sizes, hidden=g_act, output=g_out, seed=1, dtype=np.float32)
    D = lib.MLP(d_sizes, hidden=d_act, seed=2, dtype=np.float32)
    impl = Tinygan(G, D, lib)
    impl.name = "baseline"
    return Runner(impl, build(name)[2])


def make_matmul_only(name):
    z_dim, g_sizes, _, _, d_sizes, _, batch = WORKLOADS[name]
    return Runner(MatmulOnly(matmul_shapes(g_sizes, d_sizes, batch), np.random.default_rng(0)), build(name)[2])


def make_peak(name):
    return Runner(Peak(np.random.default_rng(0)), build(name)[2])


def make_torch(name, threads, fused):
    import peers_torch
    peers_torch.pin_threads(threads)
    G, D, batches = build(name)
    return Runner(peers_torch.TorchGAN(G, D, LR, BETAS, EPS, fused=fused), batches)


def make_jax(name):
    import jax
    jax.config.update("jax_platforms", "cpu")
    import peers_jax
    G, D, batches = build(name)
    return Runner(peers_jax.JaxGAN(G, D, LR, BETAS, EPS), batches)


def peer_versions(skip):
    """{peer: version or None} for the peers that are installed (found, not imported)."""
    from importlib import metadata
    out = {}
    for peer, dist in (("torch", "torch"), ("jax", "jax")):
        if peer in skip:
            continue
        try:
            out[peer] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[peer] = None
    return out


def max_rel_error(grads, ref):
    """max over parameter arrays of max |g - g_ref| / max |g_ref|."""
    worst = 0.0
    for key, r in ref.items():
        scale = float(np.max(np.abs(r))) or 1.0
        worst = max(worst, float(np.max(np.abs(np.asarray(grads[key], np.float64) - r))) / scale)
    return worst


def kink_margin(net, x):
    """Per row of x: min over hidden units of |pre-activation| / that layer's std, in float64.

    ReLU and leaky ReLU have a kink at 0: a pre-activation within float32 rounding of 0 may
    land on either side in different (equally correct) implementations, and the gradient
    jumps. Rows far from every kink compare cleanly.
    """
    h, margin = x.astype(np.float64), np.full(x.shape[0], np.inf)
    for l in range(1, net.n_layers + 1):
        a = h @ net.params[f"W{l}"].astype(np.float64) + net.params[f"b{l}"]
        act = net.hidden if l < net.n_layers else net.output
        if act.name in ("relu", "leaky_relu"):
            margin = np.minimum(margin, np.min(np.abs(a), axis=1) / a.std())
        h = act.forward(a)[0]
    return margin


def check_gradients(name, pool, batch):
    """Every implementation's gradients against a float64 tinygan reference; stop if one is off.

    The reference has the float32 weights, cast. Only rows at least 1e-4 standard deviations
    from every ReLU kink take part (see kink_margin), so float32 rounding cannot flip a unit.
    """
    G, D, _ = build(name)
    x, z1, z2 = batch
    keep = [kink_margin(D, x) > 1e-4]
    for z in (z1, z2):
        keep.append((kink_margin(G, z) > 1e-4) & (kink_margin(D, G(z)) > 1e-4))
    k = min(int(m.sum()) for m in keep)
    batch = tuple(np.ascontiguousarray(a[m][:k]) for a, m in zip(batch, keep))
    G64, D64, _ = build(name, np.float64)
    ref_d, ref_g = Tinygan(G64, D64).gradients(*(a.astype(np.float64) for a in batch))
    parts = []
    for impl, worker in pool.items():
        if impl in BOUNDS:
            continue
        d, g = worker("gradients", batch)
        err = max(max_rel_error(d, ref_d), max_rel_error(g, ref_g))
        parts.append(f"{impl} {err:.1e}")
        if not err < GRAD_RTOL:
            raise SystemExit(f"{name}: {impl}'s gradients differ from the float64 reference by "
                             f"{err:.2e} (relative to each array's largest entry); allowed {GRAD_RTOL}")
    return (f"gradients vs float64 reference on {k} of {x.shape[0]} rows (away from kinks), "
            "max rel. error: " + ", ".join(parts))


def check_one_step(pool, batch):
    """How many weights differ from tinygan's after one full iteration (Adam included).

    Adam's first step moves each weight by lr * g / (|g| + eps), about lr against the sign of
    g, so a gradient that is 0 up to rounding may move a weight by up to lr either way: this
    is reported (the share of weights off by more than lr / 100), not asserted.
    """
    weights = {impl: worker("one_step", batch) for impl, worker in pool.items() if impl not in BOUNDS}
    order = [(i, k) for i in (0, 1) for k in weights["tinygan"][i]]
    flat = {impl: np.concatenate([w[i][k].ravel() for i, k in order]) for impl, w in weights.items()}
    parts = [f"{impl} {100 * np.mean(np.abs(w - flat['tinygan']) > LR / 100):.3f} %"
             + (" (bit for bit equal)" if np.array_equal(w.view(np.uint32), flat["tinygan"].view(np.uint32)) else "")
             for impl, w in flat.items() if impl != "tinygan"]
    return "after one iteration, weights further than lr/100 from tinygan's: " + (", ".join(parts) or "no peer")


# ============================================================================ timing

BOUNDS = ("matmul-only", "peak")


def race(pool, rounds, seconds):
    """{name: [(wall s/it, CPU s/it) per round]}: one worker at a time, order rotated per round."""
    names = list(pool)
    counts = {}
    for name in names:  # warm up (and compile), then size a block to about `seconds`
        pool[name]("run", 3)
        wall, _ = pool[name]("run", 3)
        counts[name] = max(2, int(3 / wall * seconds))
    times = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            wall, cpu = pool[name]("run", counts[name])
            times[name].append((wall / counts[name], cpu / counts[name]))
    return times


def median_ratio(times, a, b, column=0):
    """Median over rounds of (b's seconds per iteration) / (a's): how many times faster a is."""
    return statistics.median(tb[column] / ta[column] for ta, tb in zip(times[a], times[b]))


def ratio_quartiles(times, a, b, column=0):
    """The 25th and 75th percentiles over rounds of the per-round ratio median_ratio takes the
    median of: the spread of that ratio on this machine during this run."""
    ratios = sorted(tb[column] / ta[column] for ta, tb in zip(times[a], times[b]))
    if len(ratios) < 2:
        return ratios[0], ratios[0]
    q = statistics.quantiles(ratios, n=4)
    return q[0], q[2]


def verdict(value, minimum, unit, per_cpu):
    """'met, 1.23x (per CPU-second 1.25x)' or '**missed**: 0.80x, needs +25 % speed (...)'.

    The verdict is on the wall-clock ratio; the per-CPU-second one is shown beside it (they
    differ when a worker used more or less than one CPU, e.g. on a machine busy with others).
    """
    def show(v):
        return f"{100 * v:.0f} %" if unit == "%" else f"{v:.2f}x"
    also = f" (per CPU-second {show(per_cpu)})"
    if value >= minimum:
        return f"met, {show(value)}{also}"
    return f"**missed**: {show(value)}, needs +{100 * (minimum / value - 1):.0f} % speed{also}"


# ============================================================================ main

def start_workers(args, cpus, env):
    """{implementation: Worker} for tinygan, the bounds and the installed peers; a note per peer."""
    makers = {"tinygan": make_tinygan, "matmul-only": make_matmul_only, "peak": make_peak}
    notes = []
    if args.baseline:
        makers["baseline"] = functools.partial(make_baseline, path=os.path.abspath(args.baseline))
        notes.append(f"baseline: the tinygan of {os.path.abspath(args.baseline)}, in its own worker")
    for peer, version in peer_versions(args.skip).items():
        if version is None:
            notes.append(f"{peer}: skipped (not installed); pip install -e '.[bench]'")
        elif peer == "torch":
            makers[peer] = functools.partial(make_torch, threads=args.threads, fused=args.torch_adam == "fused")
        else:
            makers[peer] = make_jax
    pool = {name: workers.Worker(name, make, cpus, env, args.malloc_default) for name, make in makers.items()}
    return pool, notes


def machine_lines(args, cpus, env_note, pool, reports):
    """The header: machine, software, and what every worker runs with."""
    lines = [f"machine: {workers.cpu_model()} ({workers.cpu_flags()}), {os.cpu_count()} CPUs, "
             f"Linux {os.uname().release}, load average at start {os.getloadavg()[0]:.1f}",
             f"tinygan {tinygan.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}"
             + "".join(f", {p} {v}" for p, v in peer_versions(args.skip).items() if v),
             f"every implementation in its own process, pinned to CPU(s) {sorted(cpus)} "
             f"(os.sched_setaffinity), {args.threads} thread(s): OMP/OPENBLAS/MKL_NUM_THREADS, "
             f"torch.set_num_threads, XLA_FLAGS",
             env_note]
    for name, report in reports.items():
        lines.append(f"  {name:<12} CPUs {report['cpus']}, {report['threads']} OS threads; "
                     f"BLAS: {workers.describe_pools(report)}" + (f"; {report['engine']}" if report["engine"] else ""))
    lines.append(f"malloc in every worker: {reports['tinygan']['malloc']}")
    lines.append(f"{args.rounds} rounds x ~{args.seconds}s per implementation, one at a time, order rotated each round")
    return lines


def main(args):
    allowed = sorted(os.sched_getaffinity(0))
    first = args.core if args.core is not None else allowed[-1]
    cpus = {c for c in allowed if c >= first}
    cpus = set(sorted(cpus)[:args.threads]) if len(cpus) >= args.threads else set(allowed[-args.threads:])
    env, env_note = workers.child_environment(args.threads, args.keep_openblas_env)
    pool, notes = start_workers(args, cpus, env)
    try:
        text = run(args, pool, cpus, env_note, notes)
    finally:
        for worker in pool.values():
            worker.close()
    print("\n" + text)
    if args.out:
        with open(args.out, "w") as f:
            f.write("```\n" + text + "```\n")


def run(args, pool, cpus, env_note, notes):
    speed_rows, bound_rows, checks, reports = [], [], [], {}
    achieved = {}   # (target index, workload) -> value
    for name in args.workloads:
        z_dim, g_sizes, _, _, d_sizes, _, batch = WORKLOADS[name]
        for worker in pool.values():
            worker("setup", name)
        if not reports:  # after the first setup every library is loaded
            reports = {impl: worker("report") for impl, worker in pool.items()}
            header = machine_lines(args, cpus, env_note, pool, reports) + notes
            print("\n".join(header), flush=True)
        batches = build(name)[2]
        checks.append(f"{name}: {check_gradients(name, pool, batches[0])}")
        checks.append(f"{name}: {check_one_step(pool, batches[0])}")
        print(checks[-2] + "\n" + checks[-1], flush=True)
        shapes = matmul_shapes(g_sizes, d_sizes, batch)
        flops = sum(2.0 * m * k * n for m, k, n, _ in shapes)
        times = race(pool, args.rounds, args.seconds)
        peak_gflops = 2.0 * PEAK_N ** 3 / statistics.median(t for t, _ in times["peak"]) / 1e9
        for impl in pool:
            if impl in BOUNDS:
                continue
            wall = statistics.median(t for t, _ in times[impl])
            cpus_used = statistics.median(c / t for t, c in times[impl])
            low, high = ratio_quartiles(times, "tinygan", impl)
            speed_rows.append([name, impl, f"{1 / wall:.1f}", f"{cpus_used:.2f}",
                               f"{median_ratio(times, 'tinygan', impl):.2f}x ({low:.2f}-{high:.2f})",
                               f"{median_ratio(times, 'tinygan', impl, column=1):.2f}x",
                               f"{flops / wall / 1e9:.1f}", f"{100 * flops / wall / 1e9 / peak_gflops:.0f} %"])
        mm = statistics.median(t for t, _ in times["matmul-only"])
        share = median_ratio(times, "tinygan", "matmul-only")   # tinygan it/s / bound it/s
        bound_rows.append([name, f"{len(shapes)}", f"{flops / 1e9:.3f}", f"{1e3 * mm:.2f}",
                           f"{1e3 * statistics.median(t for t, _ in times['tinygan']):.2f}",
                           f"{100 * share:.0f} %", f"{peak_gflops:.0f}"])
        for i, (_, other, _, _) in enumerate(TARGETS):
            if other in times:
                achieved[i, name] = (median_ratio(times, "tinygan", other), median_ratio(times, "tinygan", other, 1))
        print(f"{name}: done", flush=True)

    target_rows = []
    for i, (what, other, minimum, names) in enumerate(TARGETS):
        cells = []
        for name in args.workloads:
            if (i, name) not in achieved:
                cells.append("(not run)")
                continue
            wall, per_cpu = achieved[i, name]
            if name in names:
                cells.append(verdict(wall, minimum, "%" if other == "matmul-only" else "x", per_cpu))
            else:
                cells.append(f"no target: {100 * wall:.0f} %" if other == "matmul-only" else f"no target: {wall:.2f}x")
        target_rows.append([what, *cells])
    head = ["workload", "implementation", "it/s", "CPUs used", "tinygan's speed / its (wall; middle half of rounds)",
            "same, per CPU-second", "GFLOP/s", "% of matmul peak"]
    tables = [markdown(["target", *args.workloads], target_rows),
              markdown(head, speed_rows),
              markdown(["workload", "matmuls", "GFLOP/it", "matmul-only ms/it", "tinygan ms/it",
                        "tinygan % of bound", "peak GFLOP/s"], bound_rows)]
    text = "\n".join(header) + "\n\n" + "\n\n".join(tables) + "\n\n" + "\n".join(checks)
    text += f"\nload average at end {os.getloadavg()[0]:.1f}\n"
    return text


def markdown(head, rows):
    """A Markdown table with the columns padded to line up in a terminal too."""
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


if __name__ == "__main__":
    main(PARSER.parse_args())
