"""Q6: what happens to the generator when the discriminator never sees its samples.

The proposal (REFERENCES.md, Q6): skip G's samples and train D on real data against noise,
or against noise blended into the data, `real * t + noise * (1 - t)` with t ramping up.
BlindTrainer is a Trainer whose D step uses such negatives instead of G's samples; the G
step is untouched, so G still climbs D's score by gradient ascent on log D(G(z)). Only what
D learns from changes:

    "standard"  D sees real vs G's current samples: the ordinary GAN
    "noise"     D sees real vs Gaussian noise, for the whole run
    "blend"     D sees real vs real * t + noise * (1 - t), t = step / steps ramping 0 -> 1
    "frozen"    D is trained against noise for `pretrain` steps, then never updated again

    trainer = BlindTrainer(Config(data="ring"), negatives="blend")
    trainer.train()
    trainer.evaluations[-1]          # modes, high_quality, sliced_w ... as for any run
    d_peak(trainer)                  # where D scores highest, and how many samples sit there

In the history, d_loss_fake / d_acc_fake / the D step's fake logits refer to the negatives D
was trained on (noise or blend), not to G's samples; d_fake (from the G step) is still the
mean D(G(z)).
"""

import numpy as np

from tinygan.config import Config
from tinygan.gan import Trainer, d_gradients
from tinygan.penalties import pack

NEGATIVES = ("standard", "noise", "blend", "frozen")

__all__ = ["NEGATIVES", "BlindTrainer", "d_peak", "compare"]


class BlindTrainer(Trainer):
    """A Trainer whose discriminator is trained on real data against noise, not against G.

    negatives: one of NEGATIVES (see the module docstring). The noise is Gaussian, centred on
    the data's mean, with the data's per-coordinate spread times noise_scale, so it covers the
    data and the space around it. pretrain: D steps against noise before training starts
    (used by "frozen"; allowed for the others).
    """

    def __init__(self, config=None, negatives="noise", noise_scale=1.0, pretrain=0, **overrides):
        if negatives not in NEGATIVES:
            raise ValueError(f"unknown negatives {negatives!r}; allowed: {', '.join(NEGATIVES)}")
        if not noise_scale > 0:
            raise ValueError(f"noise_scale must be positive, got {noise_scale!r}")
        if isinstance(pretrain, bool) or not isinstance(pretrain, (int, np.integer)) or pretrain < 0:
            raise ValueError(f"pretrain must be an integer >= 0, got {pretrain!r}")
        super().__init__(config, **overrides)
        self.negatives = negatives
        ref = self.data.sample(4096, np.random.default_rng(12345))    # fixed: same noise every run
        self.noise_mean = ref.mean(axis=0)
        self.noise_std = noise_scale * ref.std(axis=0)
        for _ in range(pretrain):
            self._blind_d_step(t=0.0)

    def blend_t(self):
        """The weight of real data in the negatives at this step: 0 is pure noise."""
        if self.negatives != "blend":
            return 0.0
        return min(self.step / max(self.config.steps - 1, 1), 1.0)

    def sample_negatives(self, n, t=None):
        """n negatives: real * t + noise * (1 - t), noise ~ N(data mean, (data spread)^2)."""
        t = self.blend_t() if t is None else t
        noise = self.noise_mean + self.noise_std * self.rng.standard_normal((n, self.data.dim))
        real = self.data.sample(n, self.rng)
        return (t * real + (1.0 - t) * noise).astype(self.dtype)

    def _blind_d_step(self, t=None, update=True):
        """D's loss on real vs negatives; with update, one step of D (and the config's
        penalties, noise, clipping: the same recipe as the standard D)."""
        n = self.config.batch_size
        x_real = self.data.sample(n, self.rng, dtype=self.dtype)
        x_neg = self.sample_negatives(n, t)
        if update:
            return self._d_update(self.D.params, self.opt_d, x_real, x_neg)
        m = self.config.pack
        value, _, info = d_gradients(self.D, self.loss, pack(x_real, m), pack(x_neg, m))
        return value, info

    def d_step(self):
        """The D step of the chosen variant (the frozen D is measured, never updated)."""
        if self.negatives == "standard":
            return super().d_step()
        return self._blind_d_step(update=self.negatives != "frozen")


def d_peak(trainer, samples=None, n=2500, grid=161, radius=0.1, rng=None, half=None):
    """Where D scores highest in a box, and how much of G sits near that spot.

    The box is centred on the data, half-width `half` (default: the data's extent with a
    50 % margin on each side); 2-D data only. Returns a
    dict: peak (dim,) the arg-max of D's logit on a grid x grid lattice, peak_logit, and
    near_peak, the fraction of n generated samples within `radius` times the box's half-width
    of the peak; plus spread, the mean distance of the samples to their own centroid.
    """
    if trainer.data.dim != 2:
        raise ValueError("d_peak needs 2-D data")
    rng = np.random.default_rng(0) if rng is None else rng
    x = trainer.sample(n, rng) if samples is None else np.asarray(samples)
    ref = trainer.data.sample(4096, np.random.default_rng(12345))
    lo, hi = ref.min(axis=0), ref.max(axis=0)
    half = 0.75 * (hi - lo).max() if half is None else float(half)
    mid = (lo + hi) / 2
    axis = np.linspace(-half, half, grid)
    gx, gy = np.meshgrid(mid[0] + axis, mid[1] + axis)
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(trainer.dtype)
    logits = trainer.D(pts)[:, 0]
    k = int(np.argmax(logits))
    peak = pts[k].astype(np.float64)
    dist = np.linalg.norm(x - peak, axis=1)
    return {"peak": peak, "peak_logit": float(logits[k]),
            "near_peak": float(np.mean(dist <= radius * half)),
            "spread": float(np.mean(np.linalg.norm(x - x.mean(axis=0), axis=1)))}


def compare(config=None, variants=NEGATIVES, pretrain=1000, noise_scale=1.0, callback=None):
    """Train one G per variant (same config, seed, budget); return {variant: trainer}.

    `callback(variant, trainer)` is called after each run (progress, snapshots).
    """
    config = config or Config()
    runs = {}
    for v in variants:
        trainer = BlindTrainer(config, negatives=v, noise_scale=noise_scale,
                               pretrain=pretrain if v == "frozen" else 0)
        trainer.train()
        runs[v] = trainer
        if callback is not None:
            callback(v, trainer)
    return runs
