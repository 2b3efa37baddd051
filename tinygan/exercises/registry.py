"""The exercises (number, file name, title, check), the files that ship with them, and how
a student's file is checked: in a process of its own (sandbox.py), through its exercise's checks.

The exercise files, the teacher's page and test_exercises.py live in templates/, package data
that a wheel carries, so that `tinygan exercise init DIR` works without a clone."""

from importlib import resources
from pathlib import Path

from tinygan.exercises.bilinear import check_bilinear
from tinygan.exercises.core import Report, Result
from tinygan.exercises.coverage import check_coverage
from tinygan.exercises.layers import check_activations, check_linear, check_mlp
from tinygan.exercises.losses import check_bce, check_generator_losses
from tinygan.exercises.regularisers import check_regularisers
from tinygan.exercises.rpgan import check_rpgan
from tinygan.exercises.sandbox import MEMORY, TIMEOUT, ImportFailed, Worker
from tinygan.exercises.training import check_adam, check_gan_steps


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
    Exercise(11, "rpgan", "the relativistic pairing loss: both gradients, and what reaches G", check_rpgan),
)}


TEMPLATE_FILES = tuple(e.filename for e in EXERCISES.values()) + ("README.md", "test_exercises.py")


def template(name):
    """The bytes of one shipped file: an exercise, README.md or test_exercises.py."""
    if name not in TEMPLATE_FILES:
        raise ValueError(f"no template {name!r}; the templates are {', '.join(TEMPLATE_FILES)}")
    return (resources.files("tinygan.exercises") / "templates" / name).read_bytes()


def check_module(number, module):
    """Run every check of exercise `number` on a module (or any object with its functions).

    The module's code runs in this process: use it for code you trust (the library itself,
    in the tests). A student's file goes through check_file.
    """
    return EXERCISES[number].check(module)


def check_file(number, path, timeout=TIMEOUT, memory=MEMORY):
    """Check the student's file at `path` in a process of its own -> Report (a list of Results).

    The file's functions run in the worker with `timeout` seconds for the whole exercise and
    `memory` MiB of address space (None: no limit); the inputs, the right answers and the verdict come from this process. A file that does not
    import, or whose process exits, crashes or times out while importing, is one failed check.
    """
    with Worker(timeout, memory) as worker:
        try:
            results = check_module(number, worker.load(path))
        except ImportFailed as err:
            results = [Result(f"{Path(path).name} imports", False, hint=str(err))]
    return Report(results, *worker.output)
