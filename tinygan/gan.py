"""The Trainer: G, D, their optimizers, the training loop, its history, and the remedies it drives.

Each training step is d_steps calls of steps.d_gradients (one D update each) and one call of
steps.g_gradients (or, with an unrolled D, unrolled.unrolled_g_gradients) for G.

The remedies, each a Config field (so a `tinygan train --flag`) and off by default unless
the default recipe uses it: instance noise (noise, noise_schedule), label smoothing (smooth),
weight clipping (clip), gradient penalties (gp, r1, r2), packing (pack), an unrolled
discriminator (unroll), an average of G's weights (ema) and a learning-rate schedule
(lr_schedule). Config and the presets live in config.py, the penalties in penalties.py
and double_backprop.py.
"""

import dataclasses
import math

import numpy as np
from threadpoolctl import threadpool_limits

from tinygan import penalties
from tinygan.checks import check_threads, integer
from tinygan.config import Config, lr_factor
from tinygan.data import get_dataset
from tinygan.data.base import scale as data_scale
from tinygan.losses import get_loss
from tinygan.metrics import evaluate_samples
from tinygan.mlp import MLP
from tinygan.ops import sigmoid
from tinygan.steps import d_gradients, g_gradients
from tinygan.unrolled import unrolled_g_gradients


# Columns recorded at every step (one generator step and the D steps before it).
STEP_COLUMNS = (
    "step",
    "d_loss", "d_loss_real", "d_loss_fake",   # D's loss and its two parts (penalties not included)
    "g_loss",
    "d_acc_real", "d_acc_fake",               # fraction of real called real, fake called fake
    "d_real", "d_fake",                       # mean D(x_real), mean D(G(z)) (critic: mean score)
    "g_grad_norm",                            # ||dL_G/dtheta||, over all of G's parameters
    "d_input_grad_norm",                      # mean_i ||dl_G(x_i)/dx_i||: D's signal to G, per sample
)


ADVICE = "Try a smaller learning rate, a gradient penalty, or another loss."


class DivergenceError(RuntimeError):
    """Training produced NaN or inf at `step`; nothing after that step was recorded. `values`
    holds what the step computed, for tinygan.app.divergence.locate to name the first array
    that went non-finite."""

    def __init__(self, step, what="a loss, a gradient or a weight is NaN or inf", advice=ADVICE,
                 values=None):
        super().__init__(f"training diverged at step {step}: {what}." + (f" {advice}" if advice else ""))
        self.step, self.what, self.advice, self.values = step, what, advice, values


def all_finite(*values):
    """True if every number in `values` (floats, arrays, dicts of arrays) is finite. A cheap
    screen first, x . x per array, NaN or inf whenever an entry is; only if it is (or if the
    sum overflowed) is each entry looked at."""
    for value in values:
        for a in (value.values() if isinstance(value, dict) else (value,)):
            a = np.asarray(a)
            if a.dtype.kind == "f" and not math.isfinite(float(np.vdot(a, a))) \
                    and not np.isfinite(a).all():
                return False
    return True


class AveragedOptimizer:
    """An optimizer that also keeps an exponential moving average of the weights it updates.

        avg <- beta_t avg + (1 - beta_t) params,   beta_t = min(decay, (1 + t) / (10 + t))
    after every step t (Polyak averaging with exponential weights; for GANs, Yazici et al.
    2019). The ramp on beta_t (as in TensorFlow's ExponentialMovingAverage) lets the average
    forget the random initial weights fast. Keeping the average here, as an optimizer's
    state, puts it in every checkpoint through state_dict() under "ema/<param>".
    """

    def __init__(self, inner, decay, params):
        self.inner, self.decay = inner, float(decay)
        self.average = {k: p.copy() for k, p in params.items()}

    name = property(lambda self: self.inner.name)
    t = property(lambda self: self.inner.t)

    @property
    def lr(self):
        return self.inner.lr

    @lr.setter
    def lr(self, value):
        self.inner.lr = value

    def step(self, params, grads):
        self.inner.step(params, grads)
        beta = min(self.decay, (1.0 + self.inner.t) / (10.0 + self.inner.t))
        for key, p in params.items():
            self.average[key][...] = beta * self.average[key] + (1.0 - beta) * p

    def state_dict(self):
        out = self.inner.state_dict()
        out.update({f"ema/{k}": v for k, v in self.average.items()})
        return out

    def load_state_dict(self, state):
        ema = {k[4:]: v for k, v in state.items() if k.startswith("ema/")}
        if set(ema) != set(self.average):
            raise ValueError(f"the saved weight average has {sorted(ema)}, the generator {sorted(self.average)}")
        self.inner.load_state_dict({k: v for k, v in state.items() if not k.startswith("ema/")})
        self.average = {k: np.array(ema[k], copy=True) for k in self.average}


class Trainer:
    """A GAN: G, D, a loss family, one optimizer each, and the history of every step.

        trainer = Trainer(Config(data="ring", steps=2000))
        trainer.train()                 # or d_step() / g_step() by hand
        trainer.history["g_loss"]       # one value per step
        trainer.evaluations             # the distribution metrics every eval_every steps
        trainer.sample(1000)            # from the averaged generator when config.ema > 0

    Standard units. With config.standardize, G and D never see the data's own coordinates:
    D is shown x' = (x - mean) / s and G learns to produce x', where mean and s come from
    tinygan.data.base.scale (s: the data's standard deviation averaged over coordinates).
    sample() maps G's output back, mean + s * G(z), so every sample, metric and figure is in
    the data's units. What is set in D's input space (instance noise std, the gp, r1 and r2
    weights, clip) is thereby relative to the data's scale: the same preset serves a ring of
    radius 1 or 2, or a grid scaled as a whole (a grid whose modes are sharper relative to
    their spacing is another problem, not another scale). Gulrajani et al.'s script for these toy data
    divides by the data's std in the same way. to_model and to_data convert. A generator
    with a bounded output (g_output tanh or sigmoid, for images in their range) keeps the
    data's own units whatever standardize says.

    threads: BLAS threads inside train() and evaluate(); default 1, the fastest for these
    small matrices (a second thread costs more to hand work to than it saves, and on a busy
    machine far more); None leaves BLAS's own setting. It is how the run is computed, not
    what: not part of the Config, though the last bits can depend on it.
    """

    def __init__(self, config=None, threads=1, **overrides):
        config = dataclasses.replace(config or Config(), **overrides).validate()
        self.config = config
        self.threads = check_threads(threads)
        self.dtype = np.dtype(config.dtype)
        self.data = get_dataset(config.data, **config.data_options)
        self.rng = np.random.default_rng(config.seed)
        # a bounded output (tanh, sigmoid) is meant for data in its range: it keeps the units
        standard = config.standardize and config.g_output == "none"
        self.center, self.scale = data_scale(self.data) if standard else (None, 1.0)
        seeds = np.random.SeedSequence(config.seed).spawn(2)
        # the shapes the memory bound and the checkpoint reader count (Config.widths)
        g_widths, d_widths = config.widths(self.data.dim)
        self.G = MLP(g_widths, hidden=config.g_activation, output=config.g_output,
                     seed=np.random.default_rng(seeds[0]), dtype=self.dtype)
        self.D = MLP(d_widths, hidden=config.d_activation, seed=np.random.default_rng(seeds[1]),
                     dtype=self.dtype)
        if config.d_init == "data":
            self._data_init_d(np.random.default_rng(seeds[1].spawn(1)[0]))
        self.loss = get_loss(config.loss, smooth=config.smooth)
        self.opt_g = config.optimizer_for(config.g_lr)
        if config.ema:
            self.opt_g = AveragedOptimizer(self.opt_g, config.ema, self.G.params)
        self.opt_d = config.optimizer_for(config.d_lr)
        self.step = 0
        self.history = {name: [] for name in STEP_COLUMNS}
        self.evaluations = []

    def _data_init_d(self, rng):
        """Put each first-layer unit's boundary of D through a random real (packed) sample.

        With zero biases every layer of a leaky-ReLU D is positively homogeneous at the
        start: all first-layer boundaries w.x = 0 pass through the origin, and Adam moves a
        bias by about lr per step, so carving cells around modes 4 units away (the grid)
        takes thousands of steps. Setting b1_j = -w_j . p_j for a real sample p_j spreads the
        boundaries over the data from step 0 (a data-dependent initialization, in the
        spirit of Krahenbuhl et al. 2016 and Salimans & Kingma 2016). Its own random stream:
        the weights and the training stream are the same as with d_init="zero".
        If the data's values are beyond what the dtype holds (the biases would not be
        finite), D keeps zero biases and the first step reports the data's scale.
        """
        W1 = self.D.params["W1"]
        m = self.config.pack
        with np.errstate(all="ignore"):
            points = penalties.pack(self.real_batch(W1.shape[1] * m, rng), m)
            b1 = -np.sum(points * W1.T, axis=1)
        if all_finite(b1):
            self.D.params["b1"][...] = b1

    # ------------------------------------------------------------------ units
    def to_model(self, x, dtype=None):
        """Points in the data's units -> the units G and D work in: (x - mean) / s with
        standardize, else x itself. (n, dim) -> (n, dim) in `dtype` (default the trainer's)."""
        x, dtype = np.asarray(x), self.dtype if dtype is None else dtype
        if self.center is None:
            return x.astype(dtype, copy=False)
        with np.errstate(over="ignore", invalid="ignore"):   # overflow shows up as inf: the
            return ((x.astype(np.float64) - self.center) / self.scale).astype(dtype)   # step says so

    def to_data(self, y):
        """The inverse of to_model: G's outputs -> the data's units, mean + s * y."""
        if self.center is None:
            return y
        with np.errstate(over="ignore", invalid="ignore"):
            return (self.center + self.scale * np.asarray(y, dtype=np.float64)).astype(self.dtype)

    def real_batch(self, n, rng=None):
        """n real samples as D sees them (in model units), from `rng` (default: the trainer's)."""
        rng = self.rng if rng is None else rng
        # drawn in float64 and cast once, as the data sets do: without standard units this is
        # data.sample(n, rng, dtype) to the bit
        return self.to_model(self.data.sample(n, rng, dtype=np.float64))

    # ------------------------------------------------------------------ sampling
    def sample_z(self, n):
        """Latent noise z ~ N(0, I), shape (n, z_dim)."""
        return self.rng.standard_normal((n, self.config.z_dim), dtype=self.dtype)

    @property
    def g_params(self):
        """The generator weights used for sampling: the running average if ema > 0."""
        return self.opt_g.average if self.config.ema else self.G.params

    def sample(self, n, rng=None):
        """n generated samples, shape (n, data dim), in the data's units, from g_params; with
        `rng`, the trainer's stream is untouched."""
        integer("sample(n): the number of samples n", n, minimum=1)
        rng = self.rng if rng is None else rng
        return self.to_data(self.G(rng.standard_normal((n, self.config.z_dim), dtype=self.dtype),
                                   self.g_params))

    def _prob(self, logits):
        """D(x) for a sigmoid loss; the raw critic score for a critic."""
        return float(np.mean(sigmoid(logits) if self.loss.uses_sigmoid else logits))

    def noise_sigma(self, step=None):
        """Instance noise std at a step (default: the current one)."""
        c = self.config
        step = self.step if step is None else step
        return penalties.noise_sigma(c.noise, c.noise_schedule, step, c.noise_anneal_steps or c.steps)

    # ------------------------------------------------------------------ the two steps
    def _d_update(self, params, opt, x_real, x_fake):
        """One update of D's `params` by `opt` on a real and a fake batch (N, data dim):
        d_gradients with the config's remedies, the optimizer step, then weight clipping."""
        c = self.config
        value, grads, info = d_gradients(self.D, self.loss, x_real, x_fake, params, pack=c.pack,
                                         noise=self.noise_sigma(), rng=self.rng,
                                         gp=c.gp, r1=c.r1, r2=c.r2)
        opt.step(params, grads)
        if c.clip:
            penalties.clip_weights(params, c.clip)
        info["grads"] = grads
        return value, info

    def d_step(self):
        """One discriminator update on a fresh real batch and a fresh fake batch.

        Returns (value, info): D's loss and d_gradients' info, plus info["grads"], the
        gradients the update used."""
        n = self.config.batch_size
        x_real = self.real_batch(n)
        x_fake = self.G(self.sample_z(n))
        return self._d_update(self.D.params, self.opt_d, x_real, x_fake)

    def g_step(self):
        """One generator update through the current discriminator, or through D unrolled.

        A pairing loss (rpgan) scores each fake against a fresh real batch, drawn after z.
        With unroll = K > 0 (Metz et al. 2016), G's loss is taken against a copy of D advanced
        K steps of D's own optimizer on one real batch and this step's fakes G(z); D itself
        is not changed. unroll_order "second" differentiates through those K steps (how D
        would react to a change in G: unrolled.py derives it); "first" keeps only the
        gradient against the look-ahead D.
        """
        c = self.config
        z = self.sample_z(c.batch_size)
        # a real batch only where it is read (the unroll, a pairing loss such as rpgan), so
        # the other losses draw exactly what they always drew
        x_real = self.real_batch(c.batch_size) if c.unroll or self.loss.pairs else None
        if c.unroll:
            value, grads, info = unrolled_g_gradients(
                self.G, self.D, self.loss, z, x_real, c.unroll, self.opt_d,
                second_order=c.unroll_order == "second", pack=c.pack, noise=self.noise_sigma(),
                rng=self.rng, gp=c.gp, r1=c.r1, r2=c.r2, clip=c.clip)
        else:
            value, grads, info = g_gradients(self.G, self.D, self.loss, z, x_real, pack=c.pack,
                                             noise=self.noise_sigma(), rng=self.rng)
        self.opt_g.step(self.G.params, grads)
        return value, grads, info

    def train_step(self):
        """d_steps discriminator updates, one generator update, one row of history.

        NumPy's overflow warnings are off while the step computes; instead, one check at
        the end asks whether the row and everything the step leaves behind (the weights,
        the optimizers' state) is finite. If not, DivergenceError names the step, and the
        row is not recorded.
        """
        step = self.step + 1
        factor = lr_factor(self.config, self.step)
        self.opt_g.lr, self.opt_d.lr = self.config.g_lr * factor, self.config.d_lr * factor
        with np.errstate(all="ignore"):
            for _ in range(self.config.d_steps):
                d_value, d_info = self.d_step()
            g_value, g_grads, g_info = self.g_step()
            g_norm = math.sqrt(sum(float(np.vdot(g, g)) for g in g_grads.values()))
            dx = g_info["dx"]
            # dx is the gradient of the mean over D's outputs; times their number it is
            # each sample's own gradient
            dx_norm = float(np.mean(np.linalg.norm(dx, axis=1))) * g_info["fake_logits"].shape[0]
            row = {
                "step": step,
                "d_loss": d_value, "d_loss_real": d_info["loss_real"], "d_loss_fake": d_info["loss_fake"],
                "g_loss": g_value,
                "d_acc_real": float(np.mean(d_info["real_logits"] > self.loss.threshold)),
                "d_acc_fake": float(np.mean(d_info["fake_logits"] < self.loss.threshold)),
                "d_real": self._prob(d_info["real_logits"]), "d_fake": self._prob(g_info["fake_logits"]),
                "g_grad_norm": g_norm, "d_input_grad_norm": dx_norm,
            }
            if not (all(map(math.isfinite, row.values())) and all_finite(*self.state())):
                raise DivergenceError(step, values={"d": (d_value, d_info), "g": (g_value, g_grads, g_info),
                                                    "row": row})
        self.step = step
        for name, value in row.items():
            self.history[name].append(value)
        return row

    def state(self):
        """What a checkpoint holds: G's and D's weights, the optimizers' state (G's average too)."""
        return [self.G.params, self.D.params, self.opt_g.state_dict(), self.opt_d.state_dict()]

    def check_finite(self):
        """Raise DivergenceError if any weight or optimizer state is NaN or inf."""
        if not all_finite(*self.state()):
            raise DivergenceError(self.step, "the weights or the optimizers' state hold NaN or inf")

    # ------------------------------------------------------------------ the loop
    def train(self, steps=None, callback=None):
        """Run `steps` training steps (default: config.steps minus those already done).

        Every eval_every steps the distribution metrics are computed and appended to
        self.evaluations; `callback(trainer, row)` is called after every step (a progress
        line, a checkpoint: see tinygan.app). BLAS runs on self.threads threads throughout.
        Raises DivergenceError, naming the step, on NaN or inf; the state it starts from (a
        resumed checkpoint) is checked first.
        """
        steps = max(self.config.steps - self.step, 0) if steps is None else int(steps)
        if steps:
            self.check_finite()
        with threadpool_limits(limits=self.threads, user_api="blas"):
            for _ in range(steps):
                row = self.train_step()
                every = self.config.eval_every
                if every and self.step % every == 0:
                    self.evaluate()
                if callback is not None:
                    callback(self, row)
        return self.history

    def evaluate(self, n=None, record=True):
        """Distribution metrics of n fresh samples (default config.eval_samples).

        The samples come from a generator seeded by (seed, step), not from the training
        stream, so evaluating never changes the training run.
        """
        self.check_finite()
        rng = np.random.default_rng([self.config.seed, self.step, 1])
        n = n or self.config.eval_samples
        with threadpool_limits(limits=self.threads, user_api="blas"), np.errstate(all="ignore"):
            samples = self.sample(n, rng)
            if not all_finite(samples):         # finite weights whose samples overflow
                raise DivergenceError(self.step, "G's samples hold NaN or inf")
            result = {"step": self.step, **evaluate_samples(self.data, samples, rng)}
        if record:
            self.evaluations.append(result)
        return result
