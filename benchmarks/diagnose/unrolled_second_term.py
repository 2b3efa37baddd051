"""What the second-order term of the unrolled gradient does to G's step (the `unrolled` preset).

The term is proven against finite differences of the unrolled objective
(tests/test_unrolled.py), yet the preset's samples stay diffuse. This script measures the
term while it trains and scales it: G steps along dx_direct + alpha (dx - dx_direct), so
alpha = 1 is the preset (Metz et al.'s full gradient) and alpha = 0 is first order.
Per G step it records, for the batch of fake samples:

- |second| / |direct|: the norms of the two parts of df/dx over the whole batch;
- cos(direct, second): their alignment over the whole batch (-1: the second term undoes
  the first);
- per-sample |total| / |direct|: how much of each sample's own push is left.

    python benchmarks/diagnose/unrolled_second_term.py [ring|grid] [seeds] [alpha ...]
    python benchmarks/diagnose/unrolled_second_term.py ring 0 1 0.5 0

Computed (ring, seeds 0, 1, 2, 1,500 steps: the fast budget; main after ee32dbb):

    alpha 1 (the preset):   6 / 7 / 8 modes,  2.8 /  1.2 /  5.7 % HQ
    alpha 0.5:              8 / 8 / 8 modes, 17.1 / 80.0 / 75.0 % HQ
    alpha 0 (first order):  8 / 8 / 8 modes, 53.2 / 82.3 / 77.5 % HQ

With the full term, |second| / |direct| stays 0.35-0.77 over the run (medians over sixths
of it), cos(direct, second) -0.74 to -0.93, and a sample keeps a median 0.40-0.57 of its
direct push: the term points against the direct one and cancels about half of it.
"""

import dataclasses
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

import numpy as np  # noqa: E402

from tinygan.config import presets  # noqa: E402
from tinygan.gan import Trainer  # noqa: E402
from tinygan.unrolled import unrolled_g_gradients  # noqa: E402


def scaled_trainer(alpha, log):
    """A Trainer whose unrolled G step moves along dx_direct + alpha (dx - dx_direct)."""

    class Scaled(Trainer):
        def g_step(self):
            c = self.config
            z = self.sample_z(c.batch_size)
            x_real = self.real_batch(c.batch_size)
            value, grads, info = unrolled_g_gradients(
                self.G, self.D, self.loss, z, x_real, c.unroll, self.opt_d, second_order=True,
                pack=c.pack, noise=self.noise_sigma(), rng=self.rng)
            direct, second = info["dx_direct"], info["dx"] - info["dx_direct"]
            total = direct + alpha * second
            nd, ns = np.linalg.norm(direct), np.linalg.norm(second)
            per_sample = np.linalg.norm(total, axis=1) / np.maximum(np.linalg.norm(direct, axis=1), 1e-30)
            log.append((ns / nd, float(np.vdot(direct, second)) / (nd * ns), float(np.median(per_sample))))
            if alpha != 1.0:
                _, cache = self.G.forward(z)
                _, grads = self.G.backward(total, cache, need_dx=False)
                info = {**info, "dx": total}
            self.opt_g.step(self.G.params, grads)
            return value, grads, info

    return Scaled


if __name__ == "__main__":
    args = sys.argv[1:]
    data = args.pop(0) if args and args[0] in ("ring", "grid") else "ring"
    seeds = [int(s) for s in args.pop(0).split(",")] if args else [0]
    alphas = [float(a) for a in args] or [1.0, 0.5, 0.0]
    for alpha in alphas:
        for seed in seeds:
            log = []
            t0 = time.process_time()
            trainer = scaled_trainer(alpha, log)(dataclasses.replace(presets["unrolled"](), data=data, seed=seed,
                                                                     eval_every=0))
            trainer.train()
            ev = trainer.evaluate(record=False)
            ev["cpu"] = time.process_time() - t0
            r = np.array(log)
            windows = np.array_split(r, 6)
            print(f"alpha {alpha:g} {data} seed {seed}: {ev['modes']} modes, {ev['balanced_modes']} balanced, "
                  f"{100 * ev['high_quality']:.1f} % HQ, reverse KL {ev['reverse_kl']:.3f} ({ev['cpu']:.0f} s CPU)")
            print("   |second|/|direct| " + " ".join(f"{np.median(w[:, 0]):.2f}" for w in windows))
            print("   cos(direct, second) " + " ".join(f"{np.median(w[:, 1]):+.2f}" for w in windows))
            print("   per-sample kept     " + " ".join(f"{np.median(w[:, 2]):.2f}" for w in windows), flush=True)
