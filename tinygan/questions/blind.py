"""Q6: what happens to the generator when the discriminator never sees its samples.

The proposal (docs/references.md#q6): skip G's samples and train D on real data against noise,
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
    landscape.d_peak(trainer)        # where D scores highest, and how many samples sit there

In the history, d_loss_fake / d_acc_fake / the D step's fake logits refer to the negatives D
was trained on (noise or blend), not to G's samples; d_fake (from the G step) is still the
mean D(G(z)).
"""

import numpy as np

from tinygan.checks import choice, integer, positive
from tinygan.config import Config
from tinygan.data.base import moments
from tinygan.gan import Trainer
from tinygan.steps import d_gradients

NEGATIVES = ("standard", "noise", "blend", "frozen")

__all__ = ["NEGATIVES", "BlindTrainer", "compare"]


class BlindTrainer(Trainer):
    """A Trainer whose discriminator is trained on real data against noise, not against G.

    negatives: one of NEGATIVES (see the module docstring). The noise is Gaussian, centred on
    the data's mean, with the data's per-coordinate spread times noise_scale, so it covers the
    data and the space around it. pretrain: D steps against noise before training starts
    (used by "frozen"; allowed for the others).
    """

    def __init__(self, config=None, negatives="noise", noise_scale=1.0, pretrain=0, **overrides):
        choice("negatives", negatives, NEGATIVES)
        positive("noise_scale", noise_scale)
        integer("pretrain", pretrain, minimum=0)
        super().__init__(config, **overrides)
        self.negatives = negatives
        mean, std = moments(self.data)     # in the data's units; D works in the model's
        mean = self.to_model(mean[None, :], dtype=np.float64)[0]
        self.noise_mean, self.noise_std = mean, noise_scale * std / self.scale
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
        real = self.to_model(self.data.sample(n, self.rng), dtype=np.float64)
        return (t * real + (1.0 - t) * noise).astype(self.dtype)

    def _blind_d_step(self, t=None, update=True):
        """D's loss on real vs negatives; with update, one step of D (and the config's
        penalties, noise, clipping: the same recipe as the standard D)."""
        n = self.config.batch_size
        x_real = self.real_batch(n)
        x_neg = self.sample_negatives(n, t)
        if update:
            return self._d_update(self.D.params, self.opt_d, x_real, x_neg)
        value, grads, info = d_gradients(self.D, self.loss, x_real, x_neg, pack=self.config.pack)
        return value, {**info, "grads": grads}     # as Trainer._d_update returns them

    def d_step(self):
        """The D step of the chosen variant (the frozen D is measured, never updated)."""
        if self.negatives == "standard":
            return super().d_step()
        return self._blind_d_step(update=self.negatives != "frozen")


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
