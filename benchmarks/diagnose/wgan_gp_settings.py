"""WGAN-GP on the ring and grid: which setting makes it work within the fast budget?

Rows: the preset (lambda 10, Adam 1e-4 betas (0, 0.9), n_critic 5, 2,000 steps), then one
change at a time: the toy script's lambda 0.1 and betas (0.5, 0.9); more critic steps at
lambda 10 (the toy script's comment: a smaller lambda "isn't necessary if you increase
CRITIC_ITERS enough"); a 10x larger learning rate (the budget); data in standard units.
Three seeds each (0, 1, 2). Columns: modes / balanced modes / HQ % / reverse KL per seed.

    python benchmarks/diagnose/wgan_gp_settings.py [ring|grid] [row numbers...]
"""

import sys

from common import run

ROWS = [
    ("preset (lambda 10)", {}),
    ("lambda 10, 25 critic steps", dict(d_steps=25, steps=1000)),
    ("lambda 0.1, betas (0.5, 0.9)", dict(gp=0.1, betas=(0.5, 0.9))),
    ("lambda 0.1, betas (0.5, 0.9), lr 1e-3", dict(gp=0.1, betas=(0.5, 0.9), g_lr=1e-3, d_lr=1e-3)),
    ("lambda 1, betas (0.5, 0.9), lr 1e-3", dict(gp=1.0, betas=(0.5, 0.9), g_lr=1e-3, d_lr=1e-3)),
    ("lambda 10, betas (0.5, 0.9), lr 1e-3", dict(gp=10.0, betas=(0.5, 0.9), g_lr=1e-3, d_lr=1e-3)),
    ("lambda 0.1, b (0.5, 0.9), lr 1e-3, standard units",
     dict(gp=0.1, betas=(0.5, 0.9), g_lr=1e-3, d_lr=1e-3, standardize=True)),
    ("lambda 1, b (0.5, 0.9), lr 1e-3, standard units",
     dict(gp=1.0, betas=(0.5, 0.9), g_lr=1e-3, d_lr=1e-3, standardize=True)),
    ("lambda 0.1, b (0.5, 0.9), lr 1e-3, standard units, cosine decay + EMA",
     dict(gp=0.1, betas=(0.5, 0.9), g_lr=1e-3, d_lr=1e-3, standardize=True, lr_schedule="cosine", ema=0.999)),
    ("as [8] with G 3x128, z_dim 2",
     dict(gp=0.1, betas=(0.5, 0.9), g_lr=1e-3, d_lr=1e-3, standardize=True, lr_schedule="cosine", ema=0.999,
          g_hidden=(128, 128, 128), z_dim=2)),
    ("lambda 10, critic lr 1e-3, G lr 1e-4 (critic 10x faster)", dict(d_lr=1e-3)),
    ("lambda 10, critic lr 1e-3, G lr 1e-4, betas (0.5, 0.9)", dict(d_lr=1e-3, betas=(0.5, 0.9))),
]

if __name__ == "__main__":
    data = sys.argv[1] if len(sys.argv) > 1 else "ring"
    pick = [int(a) for a in sys.argv[2:]] or range(len(ROWS))
    for i in pick:
        label, kw = ROWS[i]
        run("wgan-gp", data, seeds=(0, 1, 2), label=f"[{i}] {data} {label}", **kw)
