"""Why do the PacGAN, unrolled and classic presets score so few high-quality samples?

One change at a time to a preset, ring and grid, seeds 0, 1, 2:
  - the end of training: a cosine learning-rate decay over the second half and an average
    of G's weights (EMA 0.999); a constant lr of 1e-3 leaves G's samples jittering by more
    than 3 std (0.03 on the ring) when training stops;
  - data in standard units;
  - PacGAN's batch: 256 packed inputs of D per step (batch_size 256 * pack) rather than 256
    samples cut into 256 / pack packed inputs;
  - unrolled: the first-order unrolled G step against D advanced 5 steps, beside a plain GAN
    taking 6 D steps per G step (what the first-order form is close to).

    python benchmarks/diagnose/presets_budget.py NAME [NAME ...]
"""

import sys

from common import data_and_names, run

END = dict(lr_schedule="cosine", lr_decay_from=0.5, ema=0.999)
NEW = dict(END, standardize=True, g_hidden=(128, 128, 128), z_dim=2, steps=6000)
ROWS = {
    "classic": ("classic", {}),
    "classic-end": ("classic", END),
    "classic-end-std": ("classic", dict(END, standardize=True)),
    "pacgan": ("pacgan", {}),
    "pacgan-end": ("pacgan", END),
    "pacgan-end-std": ("pacgan", dict(END, standardize=True)),
    "pacgan-end-std-b1024": ("pacgan", dict(END, standardize=True, batch_size=1024)),
    "pacgan2-end-std": ("pacgan", dict(END, standardize=True, pack=2)),
    "unrolled": ("unrolled", {}),
    "classic-dsteps6": ("classic", dict(d_steps=6)),
    "unrolled-end-std": ("unrolled", dict(END, standardize=True)),
    # the papers' networks at tinygan's size: a 3-layer G from a 2-D z (PacGAN: 4 x 400 from
    # 2-D z; Gulrajani's toy script: 3 x 512 from 2-D z), data in standard units, 6,000 steps
    "classic-new": ("classic", dict(NEW)),
    "pacgan2-new": ("pacgan", dict(NEW, pack=2, batch_size=512)),
    "pacgan4-new": ("pacgan", dict(NEW, batch_size=1024)),
    "pacgan4-new-b256": ("pacgan", dict(NEW)),
    "classic-new-const": ("classic", dict(NEW, lr_schedule="constant", ema=0.0)),
    "unrolled-new-4k": ("unrolled", dict(NEW, steps=4000)),
    "classic-new-4k": ("classic", dict(NEW, steps=4000)),
}

if __name__ == "__main__":
    datas, names = data_and_names(sys.argv[1:])
    for name in names:
        preset, kw = ROWS[name]
        for data in datas:
            run(preset, data, seeds=(0, 1, 2), label=f"{name:<22} {data}", **kw)
