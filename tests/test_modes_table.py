"""The mode benchmark's table cells (benchmarks/modes.py): mean ± standard error over the
seeds, and never a spread for a single seed, which has none to show."""

import importlib.util
import math
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "modes.py"


@pytest.fixture(scope="module")
def modes():
    spec = importlib.util.spec_from_file_location("modes_benchmark", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_three_seeds_give_mean_and_standard_error(modes):
    # mean 2, sample std 1, standard error 1 / sqrt(3)
    assert modes._ms([1.0, 2.0, 3.0], "{:.3f}") == f"2.000 ± {1 / math.sqrt(3):.3f}"


def test_one_seed_says_so_instead_of_a_zero_spread(modes):
    assert modes._ms([95.5], "{:.1f}") == "95.5 (1 seed)"


def test_undefined_values_are_left_out_and_counted(modes):
    assert modes._ms([0.1, float("nan"), 0.3], "{:.1f}") == "0.2 ± 0.1 (1 undefined)"
    assert modes._ms([float("nan"), 0.5], "{:.1f}") == "0.5 (1 seed) (1 undefined)"
    assert modes._ms([float("nan")], "{:.1f}") == "—"
