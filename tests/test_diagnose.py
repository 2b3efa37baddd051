"""The diagnosis scripts (benchmarks/diagnose/) stay runnable against the package as it is,
and the one that re-implements a training step reproduces the trainer's own step."""

import dataclasses
import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygan import Trainer, presets

FOLDER = Path(__file__).resolve().parents[1] / "benchmarks" / "diagnose"
SCRIPTS = sorted(p.stem for p in FOLDER.glob("*.py"))


@pytest.fixture
def diagnose_path(monkeypatch):
    monkeypatch.syspath_prepend(str(FOLDER))
    yield
    for name in SCRIPTS:
        sys.modules.pop(name, None)


def test_the_folder_is_there():
    assert "common" in SCRIPTS and "unrolled_second_term" in SCRIPTS, SCRIPTS


@pytest.mark.parametrize("name", SCRIPTS)
def test_each_script_imports(diagnose_path, name):
    importlib.import_module(name)


def _unrolled(**changes):
    return dataclasses.replace(presets["unrolled"](), steps=12, eval_every=0, batch_size=64, **changes)


@pytest.mark.parametrize("alpha, preset_order", [(1.0, "second"), (0.0, "first")])
def test_scaled_second_term_is_the_trainer_at_both_ends(diagnose_path, alpha, preset_order):
    """alpha 1 is the second-order preset and alpha 0 the first-order one, bit for bit: the
    script's G step computes what the trainer's does, nothing else."""
    scaled_trainer = importlib.import_module("unrolled_second_term").scaled_trainer
    log = []
    mine = scaled_trainer(alpha, log)(_unrolled())
    theirs = Trainer(_unrolled(unroll_order=preset_order))
    mine.train()
    theirs.train()
    assert len(log) == 12
    for key in theirs.G.params:
        np.testing.assert_array_equal(mine.G.params[key], theirs.G.params[key])
        np.testing.assert_array_equal(mine.g_params[key], theirs.g_params[key])
    ratio, cos, kept = np.array(log).T
    assert np.all(ratio > 0) and np.all(np.abs(cos) <= 1 + 1e-9) and np.all(kept >= 0)
