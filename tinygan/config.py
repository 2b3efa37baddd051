"""What defines a training run: the Config, its validation, and the named presets.

    Config(...)            every setting of a run; each field is a `tinygan train --flag`
    Config().validate()    a ValueError naming the first bad field and what is allowed
    lr_factor(config, t)   the learning-rate multiplier at step t (lr_schedule)
    presets[name]()        a named Config (`tinygan train --preset NAME`, `tinygan list`)

The defaults of Config are the best recipe found by benchmarks/modes.py.
"""

import copy
import dataclasses
import math
import numbers

from tinygan.checks import choice, fraction, integer, nonnegative, number, positive
from tinygan.losses import get_loss
from tinygan.mlp import OUTPUTS
from tinygan.ops import Activation
from tinygan.optim import get_optimizer
from tinygan.penalties import SCHEDULES as NOISE_SCHEDULES

LR_SCHEDULES = ("constant", "linear", "cosine")
D_INITS = ("zero", "data")
UNROLL_ORDERS = ("first", "second")

# Where a larger value means nothing (the sizes are bounded by memory instead, see
# tinygan/app/memory.py). n_critic: WGAN uses 5 (100 in its first steps); beyond 1,000
# critic steps per G step G hardly moves. Unrolling: Metz et al. use up to 10 steps.
MAX_D_STEPS = 1000
MAX_UNROLL = 100
KINDS = {str: ("a string", str), float: ("a number", numbers.Real), bool: ("true or false", bool),
         tuple: ("a list", (tuple, list)), dict: ("a dict of options", dict)}


def option(default, help):
    """A Config field with its help text: `tinygan train --help` reads it from the metadata."""
    if isinstance(default, (dict, list)):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default), metadata={"help": help})
    return dataclasses.field(default=default, metadata={"help": help})


@dataclasses.dataclass
class Config:
    """Everything that defines a training run. Same config, same seed: same bits.

    Networks: G is z_dim -> g_hidden... -> data dim, D is (pack x data dim) -> d_hidden... -> 1.
    d_steps is the number of discriminator (critic) steps per generator step (n_critic).
    The defaults are the best recipe of benchmarks/modes.py (see presets["best"]).
    """

    data: str = option("ring", 'the data set (tinygan list shows them all)')
    data_options: dict = option(dict(), 'options of the data set (--data-option KEY=VALUE)')
    standardize: bool = option(True, "G and D work in the data's standard units (x - mean) / s, so noise, gp, r1, r2 and clip are relative to the data's scale (a tanh or sigmoid G keeps the data's own units: its output has a range)")
    loss: str = option("nonsaturating", 'minimax, nonsaturating, wasserstein, least_squares, hinge, rpgan')
    smooth: float = option(0.0, "one-sided label smoothing of D's real target")
    z_dim: int = option(2, 'size of the latent noise z ~ N(0, I)')
    g_hidden: tuple = option((128, 128, 128), "widths of G's hidden layers")
    d_hidden: tuple = option((128, 128), "widths of D's hidden layers")
    g_activation: str = option("relu", "G's hidden activation (relu, leaky_relu, tanh, ...)")
    d_activation: str = option("leaky_relu", "D's hidden activation")
    g_output: str = option("none", '"tanh" for images in [-1, 1]')
    d_init: str = option("data", 'D\'s first-layer biases: "zero" or "data" (see Trainer)')
    optimizer: str = option("adam", 'adam, rmsprop or sgd, one for each network')
    g_lr: float = option(1e-3, "G's learning rate")
    d_lr: float = option(2e-3, "D's learning rate; twice G's: two time scales (Heusel et al. 2017)")
    betas: tuple = option((0.5, 0.999), 'Adam only')
    momentum: float = option(0.0, 'SGD only')
    lr_schedule: str = option("cosine", 'constant, or linear or cosine decay to 0 starting at lr_decay_from')
    lr_decay_from: float = option(0.5, 'the fraction of the steps after which the learning rate decays')
    d_steps: int = option(1, 'D (critic) steps per G step: n_critic')
    batch_size: int = option(256, 'real and fake samples per step, each')
    steps: int = option(14000, 'generator steps in all (a total: a resumed run trains up to it)')
    noise: float = option(0.2, "instance noise std on D's inputs (0: off)")
    noise_schedule: str = option("linear", 'constant, or linear or exponential annealing to 0 over noise_anneal_steps')
    noise_anneal_steps: int = option(5600, 'steps over which the instance noise anneals to 0 (0: the whole run)')
    clip: float = option(0.0, "clip D's weights to [-clip, clip] (0: off; WGAN 0.01)")
    gp: float = option(0.0, 'WGAN-GP weight lambda at interpolates (0: off)')
    r1: float = option(0.0, 'R1 weight gamma: gamma/2 E||grad D(real)||^2 (0: off)')
    r2: float = option(0.0, 'R2 weight gamma: gamma/2 E||grad D(fake)||^2 (0: off)')
    pack: int = option(1, 'PacGAN: D judges this many samples at once')
    unroll: int = option(0, 'G steps against D advanced this many steps (0: off)')
    unroll_order: str = option("second", 'unrolled G gradient: "second" through D\'s steps (Metz et al.), "first" against the look-ahead D only')
    ema: float = option(0.999, "decay of the average of G's weights used to sample (0: off)")
    seed: int = option(0, 'same seed, same bits')
    dtype: str = option("float32", 'float32 (fast) or float64')
    eval_every: int = option(250, 'distribution metrics every so many steps (0: never)')
    eval_samples: int = option(2500, 'samples per evaluation (the PacGAN protocol: 2,500)')

    def validate(self):
        """Raise ValueError naming the first bad field and what is allowed."""
        for f in dataclasses.fields(self):      # each field's kind first (integer() checks the ints)
            kind, types, value = *KINDS.get(f.type, ("", object)), getattr(self, f.name)
            if not isinstance(value, types):
                shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
                raise ValueError(f"{f.name} must be {kind}, got {shown} (of type {type(value).__name__})")
        # the components check their own settings: the loss family, the activations, the
        # optimizer and its options
        number("smooth", self.smooth, lambda v: 0 <= v < 1, "in [0, 1) (the real target becomes 1 - smooth)")
        get_loss(self.loss, smooth=self.smooth)
        for name in ("g_activation", "d_activation"):
            Activation(getattr(self, name))
        choice("g_output", self.g_output, OUTPUTS)
        choice("dtype", self.dtype, ("float32", "float64"))
        choice("d_init", self.d_init, D_INITS)
        choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        choice("noise_schedule", self.noise_schedule, NOISE_SCHEDULES)
        choice("unroll_order", self.unroll_order, UNROLL_ORDERS)
        for name in ("z_dim", "batch_size", "eval_samples", "pack"):
            integer(name, getattr(self, name), minimum=1)
        integer("d_steps", self.d_steps, 1, MAX_D_STEPS, " (critic steps per G step; WGAN uses 5)")
        for name in ("steps", "eval_every", "seed", "noise_anneal_steps"):
            integer(name, getattr(self, name), minimum=0)
        integer("unroll", self.unroll, 0, MAX_UNROLL, " (unrolled D steps; Metz et al. use up to 10)")
        for name in ("g_lr", "d_lr"):
            positive(name, getattr(self, name))
        # Optimizer options are checked whichever optimizer runs (a NaN must never reach a
        # checkpoint), and one that the optimizer would ignore is refused.
        fraction("momentum", self.momentum)
        if self.momentum and self.optimizer != "sgd":
            raise ValueError(f"momentum applies to optimizer sgd only; {self.optimizer} ignores it "
                             f"(got momentum {self.momentum!r}): drop it or use optimizer sgd")
        if not isinstance(self.betas, (tuple, list)) or len(self.betas) != 2:
            raise ValueError(f"betas must be two numbers (beta1, beta2), got {self.betas!r}")
        for i, beta in enumerate(self.betas):
            fraction(f"betas: beta{i + 1}", beta)
        for name in ("g_hidden", "d_hidden"):
            widths = getattr(self, name)
            if not all(isinstance(w, int) and not isinstance(w, bool) and w >= 1 for w in widths):
                raise ValueError(f"{name} must be a list of layer widths >= 1, got {widths!r}")
        for name in ("noise", "clip", "gp", "r1", "r2"):
            nonnegative(name, getattr(self, name), off=True)
        number("ema", self.ema, lambda v: 0 <= v < 1, "in [0, 1) (0 turns it off; 0.999 is typical)")
        number("lr_decay_from", self.lr_decay_from, lambda v: 0 <= v < 1, "in [0, 1) (a fraction of the steps)")
        if self.pack > self.batch_size:
            raise ValueError(f"pack must be at most batch_size ({self.batch_size}): D judges pack "
                             f"samples at once out of each batch; got {self.pack!r}")
        if self.pack > 1 and self.batch_size % self.pack:
            fits = [self.pack * k for k in (self.batch_size // self.pack, self.batch_size // self.pack + 1) if k]
            raise ValueError(f"pack {self.pack} does not divide batch_size {self.batch_size}; choose a "
                             f"batch_size that is a multiple of {self.pack} (e.g. {' or '.join(map(str, fits))}) "
                             f"or another pack")
        if self.unroll and self.unroll_order == "second" and (self.gp or self.r1 or self.r2 or self.clip):
            raise ValueError("unroll_order 'second' cannot differentiate through gradient penalties (gp, r1, r2) "
                             "or weight clipping; use unroll_order first or turn them off")
        self.optimizer_for(min(self.g_lr, self.d_lr))
        return self

    def widths(self, dim):
        """The layer widths of G and D for data of dimension `dim`:
        (z_dim, *g_hidden, dim) and (pack * dim, *d_hidden, 1)."""
        return (self.z_dim, *self.g_hidden, dim), (dim * self.pack, *self.d_hidden, 1)

    def parameter_counts(self, dim):
        """(G's, D's) number of parameters for data of dimension `dim`, without building
        anything: per layer fan_in x fan_out weights plus fan_out biases (Python ints)."""
        return tuple(sum(a * b + b for a, b in zip(w, w[1:])) for w in self.widths(dim))

    def optimizer_for(self, lr):
        """A fresh optimizer of this config's kind and options with learning rate lr."""
        options = {"lr": lr}
        if self.optimizer == "adam":
            options["betas"] = self.betas
        elif self.optimizer == "sgd":
            options["momentum"] = self.momentum
        return get_optimizer(self.optimizer, **options)

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


def lr_factor(config, step):
    """The learning-rate multiplier at 0-based `step`: 1 until lr_decay_from * steps, then a
    linear or cosine fall to 0 at config.steps (constant: always 1). Derived from the step
    alone, so resuming changes nothing."""
    if config.lr_schedule == "constant" or config.steps == 0:
        return 1.0
    start = config.lr_decay_from * config.steps
    t = min(max((step - start) / max(config.steps - start, 1.0), 0.0), 1.0)
    if config.lr_schedule == "linear":
        return 1.0 - t
    return 0.5 * (1.0 + math.cos(math.pi * t))


# ============================================================================ presets
# Named starting configurations for `tinygan train --preset NAME`; the first docstring line
# is what `tinygan list` shows. Each returns a fresh Config; flags given beside --preset
# override it. benchmarks/modes.py runs them.

# The plain GAN every remedy is added to, pinned field by field so that changing the default
# recipe never changes the baselines.
CLASSIC = dict(standardize=False, loss="nonsaturating", smooth=0.0, z_dim=16, g_hidden=(128, 128), d_hidden=(128, 128),
               g_activation="relu", d_activation="leaky_relu", g_output="none", d_init="zero", optimizer="adam",
               g_lr=1e-3, d_lr=1e-3, momentum=0.0,
               betas=(0.5, 0.999), lr_schedule="constant", lr_decay_from=0.5, d_steps=1,
               batch_size=256, steps=2000, noise=0.0, noise_schedule="linear", noise_anneal_steps=0,
               clip=0.0, gp=0.0, r1=0.0, r2=0.0, pack=1, unroll=0, unroll_order="second", ema=0.0)

# What every remedy preset adds its remedy to: the classic GAN in the data's standard units
# (so a remedy's constants are relative to the data's scale), with the generator shape the
# papers use for these mixtures (3 hidden layers from a 2-D z; a 2-layer G from a 16-D z
# cannot carve the grid's interior modes), a cosine learning-rate decay and an average of
# G's weights. benchmarks/results/diagnosis.md has the experiments behind each choice.
BASE = {**CLASSIC, "standardize": True, "z_dim": 2, "g_hidden": (128, 128, 128),
        "lr_schedule": "cosine", "ema": 0.999, "steps": 6000}


def _preset(name):
    def register(make):
        presets[name] = make
        return make
    return register


presets = {}


@_preset("best")
def best():
    """The default recipe: every ring mode, sharply; 24.9 of the grid's 25 at 92 % high quality (D at twice G's lr); about 50 s of CPU."""
    return Config()


@_preset("classic")
def classic():
    """The plain GAN of the papers' tables: the data's own units, a 2-layer G from 16-D z, no remedy; most modes, few of them sharp."""
    # The minimax (saturating) GAN, the same with loss="minimax", is not a preset: on the
    # ring it captured 4.9 of 8 modes over 10 seeds (worst 3) at 0.4 % high quality, the level
    # of a uniform blob (benchmarks/results/modes.md). `tinygan train --preset classic --loss
    # minimax` runs it.
    return Config(**CLASSIC)


@_preset("wgan")
def wgan():
    """WGAN (Arjovsky et al. 2017): RMSProp 5e-5, weight clipping 0.01 (in standard units), n_critic 5."""
    return Config(**{**BASE, "loss": "wasserstein", "optimizer": "rmsprop", "g_lr": 5e-5,
                     "d_lr": 5e-5, "clip": 0.01, "d_steps": 5})


@_preset("plain")
def plain():
    """The remedy presets' shared base with no remedy: standard units, a 3-layer G from 2-D z, cosine decay, weight average."""
    return Config(**BASE)


@_preset("wgan-gp")
def wgan_gp():
    """WGAN-GP (Gulrajani et al. 2017) with its toy-data penalty 0.1, Adam betas (0.5, 0.9), n_critic 5, lr 1e-3."""
    # The paper's lambda = 10 is for images; its own script for these 2-D mixtures uses 0.1
    # with Adam betas (0.5, 0.9), on data divided by their std, as BASE does
    # (docs/references.md#wgan-gp). With lambda = 10 the penalty outweighs the Wasserstein
    # term by an order of magnitude here, and G ran through the ring onto its centre. The
    # learning rate is 1e-3, not the script's 1e-4: the script trains 100,000 steps.
    return Config(**{**BASE, "loss": "wasserstein", "g_lr": 1e-3, "d_lr": 1e-3, "betas": (0.5, 0.9),
                     "gp": 0.1, "d_steps": 5, "steps": 2000})


@_preset("r1")
def r1():
    """R1 penalty on real data (Mescheder et al. 2018), gamma 0.1 in the data's standard units."""
    return Config(**{**BASE, "r1": 0.1})


@_preset("instance-noise")
def instance_noise():
    """Instance noise std 0.1 (of the data's std) annealed linearly to 0 (Sonderby et al. 2016)."""
    return Config(**{**BASE, "noise": 0.1, "noise_schedule": "linear"})


@_preset("pacgan2")
def pacgan2():
    """PacGAN2: D judges 2 samples at once; the batch counts 256 packed inputs, as PacGAN counts it."""
    return Config(**{**BASE, "pack": 2, "batch_size": 512})


@_preset("pacgan")
def pacgan():
    """PacGAN4: D judges 4 samples at once; the batch counts 256 packed inputs, as PacGAN counts it."""
    return Config(**{**BASE, "pack": 4, "batch_size": 1024})


@_preset("unrolled")
def unrolled():
    """G's gradient through 5 unrolled steps of D, second term included (Metz et al. 2016); 15,000 steps, 5-8 minutes of CPU."""
    # Each step costs about 7 plain steps (5 D steps forward and back, Hessian-vector
    # products). The second term points against the direct gradient and cancels about half
    # of it, which slows sharpening: at 1,500 steps (a minute of CPU, the benchmark's fast
    # row) the ring's samples stay diffuse (2.7 % high quality over 10 seeds, below a
    # uniform circle's 7.6 %); at 15,000, 8 of 8 modes at 61-97 % on seeds 0-2
    # (benchmarks/results/diagnosis.md, benchmarks/results/modes_paper.md).
    return Config(**{**BASE, "unroll": 5, "steps": 15000})


@_preset("unrolled-first")
def unrolled_first():
    """As unrolled, but first order: G steps against the look-ahead D without differentiating D's steps; 1,500 steps."""
    return Config(**{**BASE, "unroll": 5, "unroll_order": "first", "steps": 1500})


@_preset("r3gan")
def r3gan():
    """RpGAN + R1 + R2 at one gamma, 0.01 in standard units (Huang et al. 2024), at the default recipe's budget, without instance noise."""
    # The default recipe with its loss and its remedy swapped; gamma chosen on seeds 0-2 and
    # checked on held-out seeds 100-102: docs/results.md ("the r3gan preset").
    return Config(**{**BASE, "loss": "rpgan", "r1": 0.01, "r2": 0.01, "steps": 14000, "d_lr": 2e-3,
                     "d_init": "data"})
