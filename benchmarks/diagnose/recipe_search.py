"""Search for a default recipe that learns every ring and grid mode in the fast budget.

Each row is the default recipe (presets["best"]) with some fields changed, trained on the
ring and the grid with seeds 0, 1, 2 (never the held-out seeds 100-109). Printed per row:
mean modes, balanced modes, HQ % (and the worst seed), reverse KL over the high-quality
samples, CPU seconds per run, then modes/balanced/HQ/KL per seed.

    python benchmarks/diagnose/recipe_search.py NAME [NAME ...]     (rows from ROWS)
"""

import sys

from common import data_and_names, run

STD = dict(standardize=True)
ROWS = {
    "default": {},
    "std": STD,
    "std-noise0.3": dict(STD, noise=0.3),
    "std-noise0.5": dict(STD, noise=0.5),
    "std-pack2": dict(STD, pack=2),
    "std-pack2-noise0.3": dict(STD, pack=2, noise=0.3),
    "std-10k": dict(STD, steps=10000, noise_anneal_steps=4000),
    "std-pack2-10k": dict(STD, pack=2, steps=10000, noise_anneal_steps=4000),
    "std-d256": dict(STD, d_hidden=(256, 256)),
    "std-b512": dict(STD, batch_size=512),
    "std-lr5e-4": dict(STD, g_lr=5e-4, d_lr=5e-4),
    "std-ema0.9999": dict(STD, ema=0.9999),
    "std-g256": dict(STD, g_hidden=(256, 256)),
    "std-g3x128": dict(STD, g_hidden=(128, 128, 128)),
    "std-g3x128-d3x128": dict(STD, g_hidden=(128, 128, 128), d_hidden=(128, 128, 128)),
    "std-z2": dict(STD, z_dim=2),
    "std-14k": dict(STD, steps=14000, noise_anneal_steps=5600),
    "std-g3-z2": dict(STD, g_hidden=(128, 128, 128), z_dim=2),
    "std-g3-pack2": dict(STD, g_hidden=(128, 128, 128), pack=2),
    "std-g3-10k": dict(STD, g_hidden=(128, 128, 128), steps=10000, noise_anneal_steps=4000),
    "std-g4x128": dict(STD, g_hidden=(128, 128, 128, 128)),
    "std-g3x64": dict(STD, g_hidden=(64, 64, 64)),
    "std-g3-z2-10k": dict(STD, g_hidden=(128, 128, 128), z_dim=2, steps=10000, noise_anneal_steps=4000),
    "std-g3-z2-14k": dict(STD, g_hidden=(128, 128, 128), z_dim=2, steps=14000, noise_anneal_steps=5600),
    "std-g3-z2-10k-dec0.3": dict(STD, g_hidden=(128, 128, 128), z_dim=2, steps=10000, noise_anneal_steps=4000,
                                 lr_decay_from=0.3),
    "std-g3-z2-10k-b512": dict(STD, g_hidden=(128, 128, 128), z_dim=2, steps=10000, noise_anneal_steps=4000,
                               batch_size=512),
    "std-g3-z2-10k-d3": dict(STD, g_hidden=(128, 128, 128), d_hidden=(128, 128, 128), z_dim=2, steps=10000,
                             noise_anneal_steps=4000),
    "std-g3-z2-pack2": dict(STD, g_hidden=(128, 128, 128), z_dim=2, pack=2),
    "std-g3-z2-pack4": dict(STD, g_hidden=(128, 128, 128), z_dim=2, pack=4),
    "std-g3-z2-pack4-b1024": dict(STD, g_hidden=(128, 128, 128), z_dim=2, pack=4, batch_size=1024),
    "std-g3-z2-14k-n0.1": dict(STD, g_hidden=(128, 128, 128), z_dim=2, steps=14000, noise_anneal_steps=5600,
                               noise=0.1),
    "std-g3-z2-16k": dict(STD, g_hidden=(128, 128, 128), z_dim=2, steps=16000, noise_anneal_steps=6400),
    "std-g3-z2-14k-dec0.6": dict(STD, g_hidden=(128, 128, 128), z_dim=2, steps=14000, noise_anneal_steps=5600,
                                 lr_decay_from=0.6),
    "std-g3x192-z2-12k": dict(STD, g_hidden=(192, 192, 192), z_dim=2, steps=12000, noise_anneal_steps=4800),
    "std-g4-z2-12k": dict(STD, g_hidden=(128, 128, 128, 128), z_dim=2, steps=12000, noise_anneal_steps=4800),
    "g3-z2-14k": dict(g_hidden=(128, 128, 128), z_dim=2, steps=14000, noise_anneal_steps=5600),
    "g3-z2-10k": dict(g_hidden=(128, 128, 128), z_dim=2, steps=10000, noise_anneal_steps=4000),
    "std-g3-z2-pack2-10k": dict(STD, g_hidden=(128, 128, 128), z_dim=2, pack=2, steps=10000,
                                noise_anneal_steps=4000),
    # The second round, on the engine's own standard units (no prototype): the default
    # recipe as it is now (D's learning rate 2e-3) with one field changed. "r2-before" is
    # the recipe this round started from (d_lr 1e-3). Run on the grid: `grid r2-before ...`.
    "r2-before": dict(d_lr=1e-3),
    "r2-before-ema0.9995": dict(d_lr=1e-3, ema=0.9995),
    "r2-before-betas0.9": dict(d_lr=1e-3, betas=(0.5, 0.9)),
    "r2-before-anneal8k": dict(d_lr=1e-3, noise_anneal_steps=8000),
    "r2-dlr2e-3": {},
    "r2-dlr2e-3-betas0.9": dict(betas=(0.5, 0.9)),
    "r2-dlr3e-3": dict(d_lr=3e-3),
}

if __name__ == "__main__":
    datas, names = data_and_names(sys.argv[1:])
    for name in names:
        for data in datas:
            run("best", data, seeds=(0, 1, 2), label=f"{name:<22} {data}", **ROWS[name])
