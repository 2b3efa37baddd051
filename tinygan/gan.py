"""One discriminator step, one generator step, and (below) the training loop.

    D step:  z -G-> x_fake;  [x_real; x_fake] -D-> logits -loss.d-> dlogits -D.backward-> D grads
    G step:  z -G-> x_fake -D-> fake_logits -loss.g-> dlogits -D.backward-> dx -G.backward-> G grads

The generator learns only through dx = dLoss/dx_fake, the discriminator's gradient with
respect to its input; D's own parameter gradients are never computed in the G step.
"""

import dataclasses
import math

import numpy as np

from tinygan.data import get_dataset
from tinygan.losses import LOSSES, get_loss
from tinygan.metrics import evaluate_samples
from tinygan.mlp import MLP
from tinygan.ops import sigmoid
from tinygan.optim import OPTIMIZERS, get_optimizer


def d_gradients(D, loss, x_real, x_fake, d_params=None):
    """The discriminator's loss on a real and a fake batch, and its parameter gradients.

    Both batches go through D in one forward pass ([x_real; x_fake] stacked), so every layer
    does one matrix product instead of two. Returns (value, grads, info) with info holding
    the real and fake parts of the loss and the logits.
    """
    n = x_real.shape[0]
    logits, cache = D.forward(np.concatenate([x_real, x_fake]), d_params)
    real_logits, fake_logits = logits[:n], logits[n:]
    v_real, d_real = loss.d_real(real_logits)
    v_fake, d_fake = loss.d_fake(fake_logits)
    _, grads = D.backward(np.concatenate([d_real, d_fake]), cache, need_dx=False)
    info = {"loss_real": v_real, "loss_fake": v_fake,
            "real_logits": real_logits, "fake_logits": fake_logits}
    return v_real + v_fake, grads, info


def g_gradients(G, D, loss, z, d_params=None):
    """The generator's loss and its parameter gradients, backpropagated through D.

    Returns (value, grads, info): info holds x_fake, the fake logits and dx, D's gradient
    with respect to the generated samples (the only signal G ever receives).
    """
    x_fake, g_cache = G.forward(z)
    logits, d_cache = D.forward(x_fake, d_params)
    value, dlogits = loss.g(logits)
    dx, _ = D.backward(dlogits["fake_logits"], d_cache, need_params=False)
    _, grads = G.backward(dx, g_cache, need_dx=False)
    return value, grads, {"x_fake": x_fake, "fake_logits": logits, "dx": dx}


# ============================================================================ the trainer

# Columns recorded at every step (one generator step and the D steps before it).
STEP_COLUMNS = (
    "step",
    "d_loss", "d_loss_real", "d_loss_fake",   # D's loss and its two parts
    "g_loss",
    "d_acc_real", "d_acc_fake",               # fraction of real called real, fake called fake
    "d_real", "d_fake",                       # mean D(x_real), mean D(G(z)) (critic: mean score)
    "g_grad_norm",                            # ||dL_G/dtheta||, over all of G's parameters
    "d_input_grad_norm",                      # mean_i ||dl_G(x_i)/dx_i||: D's signal to G, per sample
)


class DivergenceError(RuntimeError):
    """Training produced NaN or inf; `step` says where. Nothing was saved after it."""

    def __init__(self, step, what):
        super().__init__(f"training diverged at step {step}: {what} is not finite. "
                         f"Try a smaller learning rate, a gradient penalty, or another loss.")
        self.step = step


@dataclasses.dataclass
class Config:
    """Everything that defines a training run. Same config, same seed: same bits.

    Networks: G is z_dim -> g_hidden... -> data dim, D is data dim -> d_hidden... -> 1.
    d_steps is the number of discriminator (critic) steps per generator step (n_critic).
    """

    data: str = "ring"
    data_options: dict = dataclasses.field(default_factory=dict)
    loss: str = "nonsaturating"
    smooth: float = 0.0                 # one-sided label smoothing of D's real target
    z_dim: int = 16
    g_hidden: tuple = (128, 128)
    d_hidden: tuple = (128, 128)
    g_activation: str = "relu"
    d_activation: str = "leaky_relu"
    g_output: str = "none"              # "tanh" for images in [-1, 1]
    optimizer: str = "adam"
    g_lr: float = 1e-3
    d_lr: float = 1e-3
    betas: tuple = (0.5, 0.999)         # Adam only
    momentum: float = 0.0               # SGD only
    d_steps: int = 1
    batch_size: int = 256
    steps: int = 2000
    seed: int = 0
    dtype: str = "float32"
    eval_every: int = 250               # distribution metrics every so many steps (0: never)
    eval_samples: int = 2500

    def validate(self):
        """Raise ValueError naming the first bad field and what is allowed."""
        def need(ok, message):
            if not ok:
                raise ValueError(message)
        need(self.loss in LOSSES, f"unknown loss {self.loss!r}; allowed: {', '.join(LOSSES)}")
        need(self.optimizer in OPTIMIZERS,
             f"unknown optimizer {self.optimizer!r}; allowed: {', '.join(OPTIMIZERS)}")
        need(self.dtype in ("float32", "float64"), f"dtype must be float32 or float64, got {self.dtype!r}")
        for name in ("z_dim", "batch_size", "d_steps", "eval_samples"):
            value = getattr(self, name)
            need(isinstance(value, int) and value >= 1, f"{name} must be an integer >= 1, got {value!r}")
        for name in ("steps", "eval_every", "seed"):
            value = getattr(self, name)
            need(isinstance(value, int) and value >= 0, f"{name} must be an integer >= 0, got {value!r}")
        for name in ("g_lr", "d_lr"):
            value = getattr(self, name)
            need(isinstance(value, (int, float)) and math.isfinite(value) and value > 0,
                 f"{name} must be a positive number, got {value!r}")
        for name in ("g_hidden", "d_hidden"):
            need(all(isinstance(w, int) and w >= 1 for w in getattr(self, name)),
                 f"{name} must be a list of layer widths >= 1, got {getattr(self, name)!r}")
        return self

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d):
        """Inverse of to_dict (lists become tuples again); unknown keys are an error."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown config keys {sorted(unknown)}; allowed: {sorted(names)}")
        d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        return cls(**d)


def _optimizer(config, lr):
    options = {"lr": lr}
    if config.optimizer == "adam":
        options["betas"] = config.betas
    elif config.optimizer == "sgd":
        options["momentum"] = config.momentum
    return get_optimizer(config.optimizer, **options)


class Trainer:
    """A GAN: G, D, a loss family, one optimizer each, and the history of every step.

        trainer = Trainer(Config(data="ring", steps=2000))
        trainer.train()                 # or d_step() / g_step() by hand
        trainer.history["g_loss"]       # one value per step
        trainer.evaluations             # the distribution metrics every eval_every steps
    """

    def __init__(self, config=None, **overrides):
        config = dataclasses.replace(config or Config(), **overrides).validate()
        self.config = config
        self.dtype = np.dtype(config.dtype)
        self.data = get_dataset(config.data, **config.data_options)
        self.rng = np.random.default_rng(config.seed)
        seeds = np.random.SeedSequence(config.seed).spawn(2)
        self.G = MLP((config.z_dim, *config.g_hidden, self.data.dim), hidden=config.g_activation,
                     output=config.g_output, seed=np.random.default_rng(seeds[0]), dtype=self.dtype)
        self.D = MLP((self.data.dim, *config.d_hidden, 1), hidden=config.d_activation,
                     seed=np.random.default_rng(seeds[1]), dtype=self.dtype)
        self.loss = get_loss(config.loss, smooth=config.smooth)
        self.opt_g = _optimizer(config, config.g_lr)
        self.opt_d = _optimizer(config, config.d_lr)
        self.step = 0
        self.history = {name: [] for name in STEP_COLUMNS}
        self.evaluations = []

    # ------------------------------------------------------------------ sampling
    def sample_z(self, n):
        """Latent noise z ~ N(0, I), shape (n, z_dim)."""
        return self.rng.standard_normal((n, self.config.z_dim), dtype=self.dtype)

    def sample(self, n, rng=None):
        """n generated samples, shape (n, data dim); with `rng`, the trainer's stream is untouched."""
        rng = self.rng if rng is None else rng
        return self.G(rng.standard_normal((n, self.config.z_dim), dtype=self.dtype))

    def _prob(self, logits):
        """D(x) for a sigmoid loss; the raw critic score for a critic."""
        return float(np.mean(sigmoid(logits) if self.loss.uses_sigmoid else logits))

    # ------------------------------------------------------------------ the two steps
    def d_step(self):
        """One discriminator update on a fresh real batch and a fresh fake batch."""
        n = self.config.batch_size
        x_real = self.data.sample(n, self.rng, dtype=self.dtype)
        x_fake = self.G(self.sample_z(n))
        value, grads, info = d_gradients(self.D, self.loss, x_real, x_fake)
        self.opt_d.step(self.D.params, grads)
        return value, info

    def g_step(self):
        """One generator update through the current discriminator."""
        value, grads, info = g_gradients(self.G, self.D, self.loss, self.sample_z(self.config.batch_size))
        self.opt_g.step(self.G.params, grads)
        return value, grads, info

    def train_step(self):
        """d_steps discriminator updates, one generator update, one row of history.

        Overflow inside a step is not warned about: it shows up as a non-finite loss or
        gradient norm, and that raises DivergenceError naming the step.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(self.config.d_steps):
                d_value, d_info = self.d_step()
            g_value, g_grads, g_info = self.g_step()
            g_norm = math.sqrt(sum(float(np.vdot(g, g)) for g in g_grads.values()))
            dx = g_info["dx"]
            # dx is the gradient of the batch mean; times n it is each sample's own gradient
            dx_norm = float(np.mean(np.linalg.norm(dx, axis=1))) * dx.shape[0]
        self.step += 1
        row = {
            "step": self.step,
            "d_loss": d_value, "d_loss_real": d_info["loss_real"], "d_loss_fake": d_info["loss_fake"],
            "g_loss": g_value,
            "d_acc_real": float(np.mean(d_info["real_logits"] > 0)),
            "d_acc_fake": float(np.mean(d_info["fake_logits"] < 0)),
            "d_real": self._prob(d_info["real_logits"]), "d_fake": self._prob(g_info["fake_logits"]),
            "g_grad_norm": g_norm, "d_input_grad_norm": dx_norm,
        }
        for name in ("d_loss", "g_loss", "g_grad_norm"):
            if not math.isfinite(row[name]):
                raise DivergenceError(self.step, name)
        for name, value in row.items():
            self.history[name].append(value)
        return row

    # ------------------------------------------------------------------ the loop
    def train(self, steps=None, callback=None):
        """Run `steps` training steps (default: config.steps minus those already done).

        Every eval_every steps the distribution metrics are computed and appended to
        self.evaluations; `callback(trainer, row)` is called after every step (a progress
        bar, a checkpoint). Raises DivergenceError, naming the step, on NaN or inf.
        """
        steps = max(self.config.steps - self.step, 0) if steps is None else int(steps)
        for _ in range(steps):
            row = self.train_step()
            every = self.config.eval_every
            if every and self.step % every == 0:
                self.evaluate()
            if callback is not None:
                callback(self, row)
        return self.history

    def check_finite(self):
        """Raise DivergenceError if any parameter of G or D is NaN or inf."""
        for net_name, net in (("G", self.G), ("D", self.D)):
            for key, p in net.params.items():
                if not np.all(np.isfinite(p)):
                    raise DivergenceError(self.step, f"parameter {net_name}.{key}")

    def evaluate(self, n=None, record=True):
        """Distribution metrics of n fresh samples (default config.eval_samples).

        The samples come from a generator seeded by (seed, step), not from the training
        stream, so evaluating never changes the training run.
        """
        self.check_finite()
        rng = np.random.default_rng([self.config.seed, self.step, 1])
        n = n or self.config.eval_samples
        result = {"step": self.step, **evaluate_samples(self.data, self.sample(n, rng), rng)}
        if record:
            self.evaluations.append(result)
        return result


# Named starting configurations for `tinygan train --preset NAME` (filled in by the fixes).
presets = {}
