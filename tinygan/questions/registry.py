"""Which demos there are, in the order of the questions, and how to load one by name."""

import importlib

TOUR = (
    ("Q1", "perfect_discriminator"),
    ("Q2", "js_vs_wasserstein"),
    ("Q3", "mode_collapse"),
    ("Q4", "nash_equilibrium"),
    ("Q5", "loss_curves"),
    ("Q6", "why_d_sees_g"),
)
NAMES = tuple(name for _, name in TOUR)


def load(name):
    """The demo module called `name` (one of NAMES)."""
    if name not in NAMES:
        raise ValueError(f"unknown demo {name!r}; choose one of: {', '.join(NAMES)}")
    return importlib.import_module(f"tinygan.questions.{name}")
