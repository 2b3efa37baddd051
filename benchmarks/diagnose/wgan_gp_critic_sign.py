"""WGAN-GP on the ring: is the critic's sign locked by the penalty?

Experiment 1 (critic alone): G frozen at its random initialisation, the critic trained
with the wgan-gp preset's optimizer (Adam 1e-4, betas (0, 0.9)) for 2,000 steps, penalty
weight lambda in {10, 1, 0.1}, 5 seeds. Printed: the gap E f(real) - E f(fake) on 2,000
fresh samples each (W1 is about E|x_real| - E|x_fake| here, the best a 1-Lipschitz critic
can reach) and the mean |grad f| at the interpolates.

Experiment 2 (unlocking): the preset (lambda 10) trained 1,000 steps, then G frozen and the
critic trained 1,000 more steps with lambda 10 or lambda 0.1 from that state.

    python benchmarks/diagnose/wgan_gp_critic_sign.py
"""

import dataclasses

import numpy as np

from common import config
from tinygan import penalties
from tinygan.gan import Trainer


def gap(tr, seed=5):
    rng = np.random.default_rng(seed)
    xr = tr.data.sample(2000, rng, dtype=tr.dtype)
    xf = tr.sample(2000, rng)
    g = float(tr.D(xr).mean() - tr.D(xf).mean())
    _, _, info = penalties.gradient_penalty(tr.D, "wgan-gp", 1.0, xr, xf, rng)
    w1 = float(np.linalg.norm(xr, axis=1).mean() - np.linalg.norm(xf, axis=1).mean())
    return g, info["grad_norm"], w1


def critic_only(tr, steps):
    for _ in range(steps):
        tr.d_step()


if __name__ == "__main__":
    print("experiment 1: critic alone against the initial G (2,000 critic steps)")
    for lam in (10.0, 1.0, 0.1):
        cells = []
        for seed in range(5):
            tr = Trainer(config("wgan-gp", "ring", seed, gp=lam))
            critic_only(tr, 2000)
            g, norm, w1 = gap(tr)
            cells.append(f"{g:+.2f} (|grad| {norm:.2f})")
        print(f"  lambda {lam:>4}: gap per seed {' '.join(cells)};  radial W1 bound {w1:+.2f}")
    print("experiment 2: lambda 10 for 1,000 steps, then the critic alone 1,000 steps")
    for seed in range(3):
        tr = Trainer(config("wgan-gp", "ring", seed))
        tr.train(1000)
        before = gap(tr)
        state = ({k: v.copy() for k, v in tr.D.params.items()}, tr.opt_d.state_dict())
        out = []
        for lam in (10.0, 0.1):
            tr.D.params.update({k: v.copy() for k, v in state[0].items()})
            tr.opt_d.load_state_dict(state[1])
            tr.config = dataclasses.replace(tr.config, gp=lam)
            critic_only(tr, 1000)
            out.append(f"lambda {lam}: gap {gap(tr)[0]:+.2f}")
        print(f"  seed {seed}: after 1,000 steps gap {before[0]:+.2f} (|grad| {before[1]:.2f}); then "
              + "; ".join(out))
