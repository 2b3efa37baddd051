"""The mode benchmark's table cells (benchmarks/modes.py): mean ± standard error over the
seeds, and never a spread for a single seed, which has none to show."""

import dataclasses
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


# --set: one knob turned on a row's base (the experiments behind the presets' settings are
# reproduced with it, benchmarks/results/diagnosis.md)

def test_set_reads_python_literals_and_bare_words(modes):
    got = modes.parse_set(["gp=10", "betas=(0.0, 0.9)", "g_hidden=[128, 128, 128]",
                           "lr_schedule=cosine", "standardize=False", "loss='wasserstein'"])
    assert got == {"gp": 10, "betas": (0.0, 0.9), "g_hidden": (128, 128, 128),
                   "lr_schedule": "cosine", "standardize": False, "loss": "wasserstein"}


@pytest.mark.parametrize("item, says", [
    ("gp", "--set takes FIELD=VALUE"),
    ("=3", "--set takes FIELD=VALUE"),
    ("lambda=10", "'lambda' is not a field --set may change"),
    ("seed=3", "'seed' is not a field --set may change"),     # the benchmark sets the seeds
    ("data=grid", "'data' is not a field --set may change"),  # and the data (--data)
])
def test_set_refuses_what_it_cannot_change_in_one_line(modes, item, says):
    with pytest.raises(ValueError, match=r"^[^\n]*$") as err:
        modes.parse_set([item])
    assert says in str(err.value)


def test_set_changes_only_the_fields_it_names(modes):
    base = modes.job_config("classic", "ring", 0)
    changed = modes.job_config("classic", "ring", 0, changes=modes.parse_set(["gp=10", "d_steps=5"]))
    differ = {f.name for f in dataclasses.fields(base) if getattr(base, f.name) != getattr(changed, f.name)}
    assert differ == {"gp", "d_steps"} and (changed.gp, changed.d_steps) == (10, 5)
    # the row's own changes stay under --set unless --set names the same field
    minimax = modes.job_config("minimax", "ring", 0, changes={"gp": 1.0})
    assert minimax.loss == "minimax" and minimax.gp == 1.0
    assert modes.job_config("classic", "ring", 0, changes={}) == base


def test_set_value_the_config_refuses_is_one_line_from_the_command(modes, capsys):
    with pytest.raises(SystemExit) as stop:
        modes.main(["--configs", "classic", "--data", "ring", "--seeds", "1", "--cached-only",
                    "--set", "gp=-1"])
    assert stop.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert ": error: --set gp=-1: gp must be" in last


def test_set_is_named_beside_every_row(modes):
    result = {"preset": "classic", "data": "ring", "modes": 8, "balanced": 8, "hq": 90.0, "rkl": 0.01,
              "wall": 1.0, "cpu": 1.0}
    text = modes.table([result], ["classic"], ["ring"], {"gp": 10, "betas": (0.0, 0.9)})
    assert "**GAN (non-saturating), raw units, 2-layer G with gp=10, betas=(0.0, 0.9)**" in text
    assert "with gp" not in modes.table([result], ["classic"], ["ring"])


@pytest.mark.parametrize("page", ["modes.md", "modes_heldout.md", "modes_paper.md"])
def test_the_stored_tables_come_back_from_the_store(modes, page, tmp_path, capsys):
    """Each results page's table, made again from the stored runs by the command the page
    names: the rows' configurations, hence their keys in the store, are the ones they were."""
    stored = (PATH.parent / "results" / page).read_text()
    command = stored.split("Made by `python benchmarks/modes.py", 1)[1].split("`", 1)[0].split()
    out = tmp_path / page
    assert modes.main([*command, "--cached-only", "--out", str(out)]) == 0
    capsys.readouterr()
    table = [line for line in stored.splitlines() if line.startswith("|")]
    assert table and table == [line for line in out.read_text().splitlines() if line.startswith("|")]
