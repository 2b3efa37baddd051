"""How fast does tinygan train small GANs, next to PyTorch (eager) and JAX (jit)?

    python benchmarks/speed.py                      # all three workloads, 1 thread each
    python benchmarks/speed.py --threads 2 --rounds 15 --workloads digits

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
                 N x 1 times 1 x D_in; tinygan and this bound both compute it by broadcasting.)
    peak         one (1024 x 1024) @ (1024 x 1024) float32 product: this machine's NumPy matmul
                 throughput, the denominator of "% of peak".

Before timing, every implementation's gradients at the initial weights are compared with a
float64 tinygan reference (the race is between equals): each must agree to float32 rounding.
Timing: `--rounds` rounds; in each round every implementation runs for about `--seconds`, in
an order that rotates from round to round. Reported: median iterations per second, the
median over rounds of the per-round ratio tinygan / peer (so that load from other processes
on a shared machine hits both sides of a ratio alike), GFLOP/s from the matmul FLOPs of one
iteration (2 m k n per product), and tinygan's fraction of the matmul-only bound.

Process settings, the same for every implementation and printed at the top: thread counts
(BLAS, OpenMP, torch, XLA) pinned to --threads; and, unless --malloc-default, glibc malloc is
told to keep freed memory instead of handing it back to the OS after each step (which costs
page faults when the next step allocates it again; it is a process-wide setting, so it
applies to all implementations alike).
"""

import argparse
import os
import statistics
import sys
import time

PARSER = argparse.ArgumentParser(description=__doc__.split("\n")[0])
PARSER.add_argument("--threads", type=int, default=1, help="threads for every implementation (default 1)")
PARSER.add_argument("--rounds", type=int, default=9, help="timing rounds (default 9)")
PARSER.add_argument("--seconds", type=float, default=0.3, help="seconds per implementation per round")
PARSER.add_argument("--workloads", nargs="+", default=["ring8", "digits", "wide"])
PARSER.add_argument("--skip", nargs="*", default=[], help="implementations to leave out: torch jax")
PARSER.add_argument("--torch-adam", choices=("fused", "for-loop"), default="fused",
                    help="torch.optim.Adam's CPU implementation (default fused, the faster)")
PARSER.add_argument("--malloc-default", action="store_true", help="leave glibc malloc's trimming on")
PARSER.add_argument("--profile", action="store_true", help="also print a profile of tinygan's step")
PARSER.add_argument("--out", help="also write the tables (Markdown) to this file")

if __name__ == "__main__":
    ARGS = PARSER.parse_args()
    # Thread pools read these when the libraries load, so they are set before any import.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)
    os.environ["XLA_FLAGS"] = (f"--xla_cpu_multi_thread_eigen={'true' if ARGS.threads > 1 else 'false'} "
                               f"intra_op_parallelism_threads={ARGS.threads}")

import numpy as np  # noqa: E402  (after the thread settings above)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tinygan  # noqa: E402
from tinygan.data import get_dataset  # noqa: E402
from tinygan.steps import d_gradients, g_gradients  # noqa: E402
from tinygan.losses import get_loss  # noqa: E402
from tinygan.mlp import MLP  # noqa: E402
from tinygan.optim import Adam  # noqa: E402

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
    """The library's own calls, as the trainer makes them."""

    name = "tinygan"

    def __init__(self, G, D):
        self.G, self.D = G, D
        self.loss = get_loss("nonsaturating")
        self.opt_g, self.opt_d = Adam(LR, BETAS, EPS), Adam(LR, BETAS, EPS)

    @staticmethod
    def tensors(*arrays):
        return arrays

    def step(self, x_real, z1, z2):
        x_fake = self.G(z1)
        _, grads, _ = d_gradients(self.D, self.loss, x_real, x_fake)
        self.opt_d.step(self.D.params, grads)
        _, grads, _ = g_gradients(self.G, self.D, self.loss, z2)
        self.opt_g.step(self.G.params, grads)

    def sync(self):
        pass

    def gradients(self, x_real, z1, z2):
        _, d, _ = d_gradients(self.D, self.loss, x_real, self.G(z1))
        _, g, _ = g_gradients(self.G, self.D, self.loss, z2)
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


# ============================================================================ process settings

def keep_freed_memory():
    """Tell glibc malloc to keep freed memory for reuse (no trimming, no per-array mmap)."""
    import ctypes
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return "malloc: not glibc, left as is"
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    ok = libc.mallopt(M_TRIM_THRESHOLD, 1 << 30) and libc.mallopt(M_MMAP_THRESHOLD, 1 << 25)
    return ("malloc: glibc keeps freed memory (M_TRIM_THRESHOLD 1 GiB, M_MMAP_THRESHOLD 32 MiB)"
            if ok else "malloc: mallopt refused, left as is")


def load_peers(args):
    """The peer classes that can be imported, and a line per peer saying what happened."""
    peers, lines = [], []
    if "torch" not in args.skip:
        try:
            import peers_torch
            lines.append(f"torch {peers_torch.VERSION}: {peers_torch.pin_threads(args.threads)}"
                         f"; torch.optim.Adam {args.torch_adam}")
            fused = args.torch_adam == "fused"
            peers.append(lambda G, D: peers_torch.TorchGAN(G, D, LR, BETAS, EPS, fused=fused))
        except ImportError as err:
            lines.append(f"torch: skipped ({err}); pip install -e '.[bench]'")
    if "jax" not in args.skip:
        try:
            import jax
            jax.config.update("jax_platforms", "cpu")
            import peers_jax
            lines.append(f"jax {peers_jax.VERSION}: XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}")
            peers.append(lambda G, D: peers_jax.JaxGAN(G, D, LR, BETAS, EPS))
        except ImportError as err:
            lines.append(f"jax: skipped ({err}); pip install -e '.[bench]'")
    return peers, lines


# ============================================================================ checking and timing

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


def check_gradients(name, impls, batch):
    """Every implementation's gradients against a float64 tinygan reference; raise if one is off.

    The reference has the float32 weights, cast. Only rows at least 1e-4 standard deviations
    from every ReLU kink take part (see kink_margin), so float32 rounding cannot flip a unit.
    """
    G, D = impls[0].G, impls[0].D
    x, z1, z2 = batch
    keep = [kink_margin(D, x) > 1e-4]
    for z in (z1, z2):
        keep.append((kink_margin(G, z) > 1e-4) & (kink_margin(D, G(z)) > 1e-4))
    k = min(int(m.sum()) for m in keep)
    batch = tuple(np.ascontiguousarray(a[m][:k]) for a, m in zip(batch, keep))
    G64, D64, _ = build(name, np.float64)
    G64.params = {key: v.astype(np.float64) for key, v in G.params.items()}
    D64.params = {key: v.astype(np.float64) for key, v in D.params.items()}
    ref_d, ref_g = Tinygan(G64, D64).gradients(*(a.astype(np.float64) for a in batch))
    parts = []
    for impl in impls:
        d, g = impl.gradients(*impl.tensors(*batch))
        err = max(max_rel_error(d, ref_d), max_rel_error(g, ref_g))
        parts.append(f"{impl.name} {err:.1e}")
        if not err < GRAD_RTOL:
            raise SystemExit(f"{name}: {impl.name}'s gradients differ from the float64 reference by "
                             f"{err:.2e} (relative to each array's largest entry); allowed {GRAD_RTOL}")
    return (f"gradients vs float64 reference on {k} of {x.shape[0]} rows (away from kinks), "
            "max rel. error: " + ", ".join(parts))


def check_one_step(impls, batch):
    """How many weights differ from tinygan's after one full iteration (Adam included).

    Adam's first step moves each weight by lr * g / (|g| + eps), about lr against the sign of
    g, so a gradient that is 0 up to rounding may move a weight by up to lr either way: this
    is reported (the share of weights off by more than lr / 100), not asserted.
    """
    for impl in impls:
        impl.step(*impl.tensors(*batch))
        impl.sync()
    ref = np.concatenate([v.ravel() for part in impls[0].weights() for v in part.values()])
    parts = []
    for impl in impls[1:]:
        w = impl.weights()
        w = np.concatenate([w[i][k].ravel() for i in (0, 1) for k in impls[0].weights()[i]])
        off = np.abs(w - ref) > LR / 100
        parts.append(f"{impl.name} {100 * off.mean():.3f} %")
    return "after one iteration, weights further than lr/100 from tinygan's: " + ", ".join(parts)


def run_block(impl, inputs, n):
    """Iterations per second over n iterations (cycling through the batches)."""
    start = time.perf_counter()
    for i in range(n):
        impl.step(*inputs[i % len(inputs)])
    impl.sync()
    return n / (time.perf_counter() - start)


def race(impls, batches, rounds, seconds):
    """{name: [it/s per round]}, implementations interleaved and their order rotated per round."""
    inputs = {impl.name: [impl.tensors(*b) for b in batches] for impl in impls}
    counts = {}
    for impl in impls:  # warm up (and compile), then size a block to about `seconds`
        run_block(impl, inputs[impl.name], 3)
        rate = run_block(impl, inputs[impl.name], 3)
        counts[impl.name] = max(2, int(rate * seconds))
    rates = {impl.name: [] for impl in impls}
    for r in range(rounds):
        order = impls[r % len(impls):] + impls[:r % len(impls)]
        for impl in order:
            rates[impl.name].append(run_block(impl, inputs[impl.name], counts[impl.name]))
    return rates


def ratio(rates, a, b):
    """Median over rounds of rate_a / rate_b."""
    return statistics.median(x / y for x, y in zip(rates[a], rates[b]))


def profile(name, seconds):
    """The top of a cProfile (CPU time) of tinygan's step on workload `name`."""
    import cProfile
    import io
    import pstats
    G, D, batches = build(name)
    impl = Tinygan(G, D)
    n = max(3, int(run_block(impl, batches, 3) * seconds))
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    run_block(impl, batches, n)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(14)
    body = out.getvalue()
    body = body[body.index("ncalls"):].rstrip()
    return f"profile of {n} tinygan iterations on {name} (CPU seconds, sorted by own time):\n{body}"


# ============================================================================ main

def main(args):
    settings = [f"threads: {args.threads} (OMP/OPENBLAS/MKL_NUM_THREADS, torch, XLA)"]
    settings.append("malloc: glibc default (trimming on)" if args.malloc_default else keep_freed_memory())
    peers, peer_lines = load_peers(args)
    settings += peer_lines
    header = [f"tinygan {tinygan.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}, "
              f"{os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.1f}",
              *settings,
              f"{args.rounds} rounds x ~{args.seconds}s per implementation, order rotated each round"]
    print("\n".join(header), flush=True)

    speed_rows, bound_rows, notes, profiles = [], [], [], []
    for name in args.workloads:
        z_dim, g_sizes, _, _, d_sizes, _, batch = WORKLOADS[name]
        G, D, batches = build(name)
        impls = [Tinygan(G, D)] + [make(G, D) for make in peers]
        notes.append(f"{name}: {check_gradients(name, impls, batches[0])}")
        notes.append(f"{name}: {check_one_step(impls, batches[0])}")
        print(notes[-2], "\n" + notes[-1], flush=True)
        rng = np.random.default_rng(0)
        shapes = matmul_shapes(g_sizes, d_sizes, batch)
        flops = sum(2.0 * m * k * n for m, k, n, _ in shapes)
        rates = race(impls + [MatmulOnly(shapes, rng), Peak(rng)], batches, args.rounds, args.seconds)
        peak = statistics.median(rates["peak"]) * 2.0 * PEAK_N ** 3 / 1e9
        for impl in impls:
            its = statistics.median(rates[impl.name])
            gflops = flops * its / 1e9
            speed_rows.append([name, impl.name, f"{its:.1f}", f"{ratio(rates, 'tinygan', impl.name):.2f}x",
                               f"{gflops:.1f}",
                               f"{100 * ratio(rates, impl.name, 'peak') * flops / (2.0 * PEAK_N ** 3):.0f} %"])
        mm = statistics.median(rates["matmul-only"])
        bound_rows.append([name, f"{len(shapes)}", f"{flops / 1e9:.3f}", f"{1e3 / mm:.2f}",
                           f"{1e3 / statistics.median(rates['tinygan']):.2f}",
                           f"{100 * ratio(rates, 'tinygan', 'matmul-only'):.0f} %", f"{peak:.0f}"])
        print(f"{name}: done", flush=True)
        if args.profile:
            profiles.append(profile(name, args.seconds))

    head = ["workload", "implementation", "it/s", "tinygan it/s / its it/s", "GFLOP/s", "% of matmul peak"]
    tables = [markdown(head, speed_rows),
              markdown(["workload", "matmuls", "GFLOP/it", "matmul-only ms/it", "tinygan ms/it",
                        "tinygan % of bound", "peak GFLOP/s"], bound_rows)]
    text = "\n".join(header) + "\n\n" + "\n\n".join(tables) + "\n\n" + "\n".join(notes)
    text += f"\nload average at end {os.getloadavg()[0]:.1f}\n"
    if profiles:
        text += "\n" + "\n\n".join(profiles) + "\n"
    print("\n" + text)
    if args.out:
        with open(args.out, "w") as f:
            f.write("```\n" + text + "```\n")


def markdown(head, rows):
    """A Markdown table with the columns padded to line up in a terminal too."""
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


if __name__ == "__main__":
    main(ARGS)
