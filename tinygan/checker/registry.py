"""The ten exercises (number, file name, title, check) and how a student's file is checked:
imported by path under a fresh module name, then run through its exercise's checks."""

import importlib.util
import itertools
from pathlib import Path

from tinygan.checker.bilinear import check_bilinear
from tinygan.checker.core import Result, _where
from tinygan.checker.coverage import check_coverage
from tinygan.checker.layers import check_activations, check_linear, check_mlp
from tinygan.checker.losses import check_bce, check_generator_losses
from tinygan.checker.regularisers import check_regularisers
from tinygan.checker.training import check_adam, check_gan_steps


class Exercise:
    """One exercise: its number, file name, title, and the function that checks a module."""

    def __init__(self, number, slug, title, check):
        self.number, self.slug, self.title, self.check = number, slug, title, check

    @property
    def filename(self):
        return f"ex{self.number:02d}_{self.slug}.py"


EXERCISES = {e.number: e for e in (
    Exercise(1, "linear_backward", "the linear layer: forward and backward", check_linear),
    Exercise(2, "activation_backward", "activation backward passes, without writing into dy",
             check_activations),
    Exercise(3, "stable_bce", "binary cross-entropy with logits, stable at any logit", check_bce),
    Exercise(4, "generator_losses", "minimax vs non-saturating generator loss: the factor that "
             "vanishes", check_generator_losses),
    Exercise(5, "mlp_backward", "backprop through a whole MLP", check_mlp),
    Exercise(6, "adam", "the Adam optimizer", check_adam),
    Exercise(7, "gan_steps", "one discriminator step and one generator step", check_gan_steps),
    Exercise(8, "regularisers", "instance noise and the WGAN-GP gradient penalty", check_regularisers),
    Exercise(9, "bilinear_game", "simultaneous vs alternating updates in the game x*y", check_bilinear),
    Exercise(10, "mode_coverage", "counting the modes a generator covers", check_coverage),
)}


def check_module(number, module):
    """Run every check of exercise `number` on a module (or any object with its functions)."""
    return EXERCISES[number].check(module)


_loaded = itertools.count()


def load_file(path):
    """Import a student's file by path under a fresh module name."""
    path = Path(path)
    spec = importlib.util.spec_from_file_location(f"tinygan_student_{next(_loaded)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_file(number, path):
    """Import the file at `path` and check it; a file that does not import is one failed check."""
    try:
        module = load_file(path)
    except Exception as err:  # noqa: BLE001 - SyntaxError, ImportError, a crash at import time
        where = "" if isinstance(err, SyntaxError) else _where(err)   # a SyntaxError names its line
        return [Result(f"{Path(path).name} imports", False, hint=f"{type(err).__name__}: {err}{where}")]
    return check_module(number, module)
