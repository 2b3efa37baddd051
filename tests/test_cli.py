"""The tinygan command: bad arguments exit 2 with one line; a run writes every file."""

import dataclasses
import json
import subprocess
import sys

import pytest

from tinygan.app.cli import main

FAST = ["--steps", "30", "--batch-size", "32", "--g-hidden", "16", "--d-hidden", "16",
        "--eval-every", "10", "--eval-samples", "300"]


@pytest.mark.parametrize("argv, message", [
    (["train", "--data", "cifar"], "unknown data set 'cifar'; choose one of: gaussian1d"),
    (["train", "--loss", "bce"], "unknown loss 'bce'; allowed: minimax, nonsaturating"),
    (["train", "--smooth", "1.5"], "label smoothing must be in [0, 1), got 1.5"),
    (["train", "--g-activation", "swish"], "unknown activation 'swish'; allowed: identity, relu"),
    (["train", "--g-output", "relu"], "unknown g_output 'relu'; allowed: none, tanh, sigmoid"),
    (["train", "--betas", "0.9"], "betas must be two numbers (beta1, beta2), got (0.9,)"),
    (["train", "--betas", "0.9", "1.5"], "beta2 must be in [0, 1), got 1.5"),
    (["train", "--optimizer", "sgd", "--momentum", "2"], "momentum must be in [0, 1), got 2.0"),
    (["train", "--loss", "hinge", "--smooth", "0.1"], "the hinge loss has no labels to smooth"),
    (["train", "--g-lr", "-0.1"], "g_lr must be a positive number"),
    (["train", "--d-lr", "0"], "d_lr must be a positive number"),
    (["train", "--batch-size", "0"], "batch_size must be an integer >= 1"),
    (["train", "--steps", "ten"], "invalid int value: 'ten'"),
    (["train", "--optimizer", "lbfgs"], "allowed: sgd, adam, rmsprop"),
    (["train", "--data-option", "k"], "KEY=VALUE"),
    (["train", "--data-option", "wobble=3"], "unknown option(s) wobble for data set 'ring'"),
    (["train", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["evaluate", "no/such/file.npz"], "no checkpoint file at no/such/file.npz"),
    (["fly"], "invalid choice: 'fly'"),
])
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tinygan: error: ")
    assert message in err
    assert "Traceback" not in err


def test_output_folder_that_is_a_file(tmp_path, capsys):
    f = tmp_path / "afile"
    f.write_text("x")
    assert main(["train", "--out", str(f), *FAST]) == 2
    assert "is a file" in capsys.readouterr().err
    assert f.read_text() == "x"


def test_train_writes_every_file_then_resumes_and_evaluates(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), *FAST]) == 0
    for name in ("checkpoint.npz", "history.csv", "metrics.json", "samples.png", "curves.png",
                 "training.gif"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["step"] == 30 and "modes" in metrics["final"]
    assert len((out / "history.csv").read_text().splitlines()) == 31
    printed = capsys.readouterr().out
    assert "trained 30 steps" in printed and "modes" in printed

    assert main(["train", "--out", str(out), "--resume", "--steps", "50"]) == 0
    assert json.loads((out / "metrics.json").read_text())["step"] == 50
    printed = capsys.readouterr().out
    assert "trained 20 steps" in printed and "(resumed at step 30, now at 50)" in printed
    assert len((out / "history.csv").read_text().splitlines()) == 51
    capsys.readouterr()
    assert main(["train", "--out", str(out), "--resume", "--loss", "hinge"]) == 2
    assert "only --steps may be given" in capsys.readouterr().err

    assert main(["evaluate", str(out / "checkpoint.npz")]) == 0
    text = capsys.readouterr().out
    assert "step 50" in text and "modes" in text and "high_quality" in text


def test_default_out_never_replaces_an_existing_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", *FAST]) == 0
    assert main(["train", *FAST]) == 0
    assert (tmp_path / "runs" / "ring" / "checkpoint.npz").is_file()
    assert (tmp_path / "runs" / "ring-2" / "checkpoint.npz").is_file()


def test_resume_without_a_run(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "none"), "--resume"]) == 2
    assert "no checkpoint" in capsys.readouterr().err


def test_divergence_exits_1_naming_the_step_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), *FAST]) == 0
    kept = (out / "checkpoint.npz").read_bytes()
    capsys.readouterr()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "checkpoint.npz").write_bytes(kept)
    assert main(["train", "--out", str(bad), *FAST]) == 2     # a run is there: refused ...
    assert "already holds a run" in capsys.readouterr().err
    code = main(["train", "--out", str(bad), "--overwrite", "--loss", "wasserstein", "--optimizer", "sgd",
                 "--g-lr", "1e6", "--d-lr", "1e6", *FAST])
    err = capsys.readouterr().err
    assert code == 1
    assert "diverged at step" in err and "last good checkpoint is kept" in err
    assert (bad / "checkpoint.npz").read_bytes() == kept


def test_list_shows_every_registry(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for word in ("ring", "grid", "digits", "mnist", "minimax", "nonsaturating", "wasserstein",
                 "least_squares", "hinge", "adam", "rmsprop", "sgd"):
        assert word in out


def test_python_dash_m_runs_the_same_command():
    r = subprocess.run([sys.executable, "-m", "tinygan", "train", "--loss", "bce"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "allowed: minimax" in r.stderr and "Traceback" not in r.stderr


def test_train_help_explains_every_option_from_config_metadata(capsys):
    from tinygan.config import Config

    with pytest.raises(SystemExit) as info:
        main(["train", "--help"])
    assert info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "D (critic) steps per G step: n_critic (default 1)" in out
    assert "instance noise std on D's inputs (0: off) (default 0.2)" in out
    # every field carries its help in its metadata, and every flag shows it
    missing = [f.name for f in dataclasses.fields(Config) if not f.metadata.get("help")]
    assert missing == [], missing
    for f in dataclasses.fields(Config):
        if f.name != "data_options":
            assert " ".join(f.metadata["help"].split()).replace("%%", "%") in out, f.name
