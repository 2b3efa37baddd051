"""The ten exercises, and a checker that grades a student's answers against the library itself.

The exercises ship inside the package (templates/, package data), from a linear layer's
backward pass to the mode-coverage metric; `tinygan exercise init DIR` writes them out with
the teacher's page (README.md) and test_exercises.py. This folder imports only the engine,
tinygan.questions (the bilinear game of exercise 9) and itself.

    tinygan exercise init exercises            # write the exercises into ./exercises
    tinygan exercise list
    tinygan exercise check 3                   # ./exercises/ex03_*.py
    tinygan exercise check 3 --path mine.py    # any file
    tinygan exercise check all --dir alice/    # every exercise in alice/
    tinygan exercise check 5 --timeout 20      # seconds the student's code may run, in all

An exercise is a file of function signatures with TODO regions. The checker runs the
student's file in a process of its own, with a time limit, and calls each function there on
inputs drawn here by Hypothesis (derandomised: the same inputs on every run, so the report is
stable); the answers come back as plain arrays, and the right answers and the verdict are
computed here, where the student's code cannot reach them. Answers are compared with central
finite differences (tinygan.gradcheck) and with the library's own functions, which are the
solutions. Every check prints PASS or FAIL with a relative error; a failure also prints a
hint diagnosed from the wrong answer itself (opposite sign, off by the batch size N,
transposed, an input written into, overflow at large logits, ...) and the input it failed on.

    error = max_i |a_i - b_i| / max(|a_i| + |b_i|, floor)      (gradcheck.rel_error)

with floor = max(f, 1e-3 max_i |b_i|), so entries that are rounding noise next to the largest
one do not count. A check passes below 1e-5 against finite differences (f = 1e-3: near zero
that allows an absolute error of 1e-8, above the ~1e-10 noise of a difference quotient) and
below 1e-8 against the library (f = 1e-6: the same formula up to rounding).

The package, one idea per module:

    core.py          results, calling student code safely, running checks, the report
    compare.py       comparing an answer with the right one and naming the mistake
    layers.py        exercises 1, 2, 5: the linear layer, activations, an MLP's backward
    losses.py        exercises 3, 4: stable BCE, minimax vs non-saturating generator loss
    training.py      exercises 6, 7: Adam, one D step and one G step
    regularisers.py  exercise 8: instance noise, interpolates, the gradient penalty
    bilinear.py      exercise 9: simultaneous vs alternating GD in the game x*y
    coverage.py      exercise 10: ring centres and mode coverage
    rpgan.py         exercise 11: the relativistic pairing loss, and what reaches G
    registry.py      the eleven exercises; check_module, check_file
    guard.py         before and while grading: imports done first, installed files verified
    sandbox.py       the student's file in a process of its own: calls, time limit, output
    worker.py        that process: imports the file, runs its functions, sends the answers
    wire.py          what crosses between the two: plain values and arrays, no pickle
    command.py       the `tinygan exercise` subcommand
    templates/       ex01_linear_backward.py ... ex10_mode_coverage.py, the teacher's page
                     README.md and test_exercises.py (package data)
"""

from tinygan.exercises.bilinear import check_bilinear
from tinygan.exercises.command import add_subcommand, cmd_check, cmd_init, cmd_list
from tinygan.exercises.core import EXAMPLES, FD, LIB, Fail, Report, Result, format_results
from tinygan.exercises.coverage import COVERAGE_KEYS, check_coverage
from tinygan.exercises.layers import ACTIVATIONS, check_activations, check_linear, check_mlp, library_mlp
from tinygan.exercises.losses import (EXTREME, G_LOSSES, OVERFLOW_HINT, SIGMOID_HINT, SOFTPLUS_HINT,
                                    check_bce, check_generator_losses)
from tinygan.exercises.regularisers import check_regularisers
from tinygan.exercises.registry import EXERCISES, TEMPLATE_FILES, Exercise, check_file, check_module, template
from tinygan.exercises.sandbox import TIMEOUT
from tinygan.exercises.training import GAME_LOSSES, check_adam, check_gan_steps

__all__ = [
    "EXERCISES", "Exercise", "check_module", "check_file", "format_results",
    "TEMPLATE_FILES", "template", "Result", "Fail", "Report", "add_subcommand", "cmd_init", "cmd_list",
    "cmd_check", "library_mlp", "TIMEOUT",
    "FD", "LIB", "EXAMPLES", "SOFTPLUS_HINT", "SIGMOID_HINT", "OVERFLOW_HINT", "EXTREME",
    "ACTIVATIONS", "G_LOSSES", "GAME_LOSSES", "COVERAGE_KEYS",
    "check_linear", "check_activations", "check_bce", "check_generator_losses", "check_mlp",
    "check_adam", "check_gan_steps", "check_regularisers", "check_bilinear", "check_coverage",
]
