"""The tinygan command: bad arguments exit 2 with one line; a run writes every file."""

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from strategies import same_evaluations
from tinygan.app.cli import main
from tinygan.app.run import GIF_FRAMES, N_FRAMES, load_frames, run_training
from tinygan.config import Config, lr_factor

FAST = ["--steps", "30", "--batch-size", "32", "--g-hidden", "16", "--d-hidden", "16",
        "--eval-every", "10", "--eval-samples", "300"]


@pytest.mark.parametrize("argv, message", [
    (["train", "--data", "cifar"], "unknown data set 'cifar'; choose one of: gaussian1d"),
    (["train", "--loss", "bce"], "unknown loss 'bce'; allowed: minimax, nonsaturating"),
    (["train", "--smooth", "1.5"], "--smooth must be in [0, 1) (the real target becomes 1 - smooth), got 1.5"),
    (["train", "--g-activation", "swish"], "unknown activation 'swish'; allowed: identity, relu"),
    (["train", "--g-output", "relu"], "unknown --g-output 'relu'; allowed: none, tanh, sigmoid"),
    (["train", "--betas", "0.9"], "betas must be two numbers (beta1, beta2), got (0.9,)"),
    (["train", "--betas", "0.9", "1.5"], "beta2 must be in [0, 1), got 1.5"),
    (["train", "--optimizer", "sgd", "--momentum", "2"], "momentum must be in [0, 1), got 2.0"),
    (["train", "--loss", "hinge", "--smooth", "0.1"], "the hinge loss has no labels to smooth"),
    (["train", "--g-lr", "-0.1"], "--g-lr must be a positive number, got -0.1"),
    (["train", "--d-lr", "0"], "--d-lr must be a positive number, got 0.0"),
    (["train", "--batch-size", "0"], "--batch-size must be an integer >= 1, got 0"),
    (["train", "--steps", "ten"], "invalid int value: 'ten'"),
    (["train", "--optimizer", "lbfgs"], "allowed: sgd, adam, rmsprop"),
    (["train", "--data-option", "k"], "KEY=VALUE"),
    (["train", "--data-option", "wobble=3"], "unknown option(s) wobble for data set 'ring'"),
    (["train", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["evaluate", "no/such/file.npz"], "no checkpoint file at no/such/file.npz"),
    (["train", "--steps", "0"], "--steps must be >= 1 (the run's total number of generator steps), got 0"),
    (["train", "--threads", "-1"], "--threads must be from 1 to 1024, or 0 for BLAS's own setting; got -1"),
    (["fly"], "invalid choice: 'fly'"),
    # issue 15: every flag checked at parse time, in the command line's words
    (["train", "--momentum", "nan"], "--momentum applies to --optimizer sgd only"),
    (["train", "--optimizer", "sgd", "--momentum", "nan"], "--momentum must be in [0, 1), got nan"),
    (["train", "--optimizer", "rmsprop", "--betas", "0.5", "0.9"], "--betas applies to --optimizer adam only"),
    (["train", "--betas", "nan", "0.9"], "--betas: beta1 must be in [0, 1), got nan"),
    (["train", "--z-dim", "1000000000"], "needs ~"),
    (["train", "--steps=--"], "argument --steps: expected an integer, got '--'"),
    (["train", "--g-lr", "-inf"], "write --flag=VALUE"),
    (["train", "--out", ""], "argument --out: expected a folder path"),
    (["train", "--resume", "--overwrite"], "argument --overwrite: not allowed with argument --resume"),
    (["train", "--data-option", "k=100000000"], "--data-option k (data set ring) must be an integer from 1 to 1,024"),
    (["train", "--data", "mnist", "--data-option", "folder=5"], "--data-option folder (data set mnist) must be a path, got 5"),
    (["evaluate", "x", "--samples", "0"], "argument --samples: expected an integer >= 1"),
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
    assert "only --steps and --threads may be given" in capsys.readouterr().err

    assert main(["evaluate", str(out / "checkpoint.npz")]) == 0
    text = capsys.readouterr().out
    assert "step 50" in text and "modes" in text and "high_quality" in text
    assert main(["evaluate", str(out)]) == 0          # the run folder will do
    assert capsys.readouterr().out.replace(str(out / "checkpoint.npz"), "") == text.replace(
        str(out / "checkpoint.npz"), "")


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
    assert "diverged at step" in err and f"last good checkpoint is kept: step 0, at {bad}" in err
    # --overwrite removed the earlier run's files first: the checkpoint kept is this run's own,
    # written at step 0 before its first step, never the earlier run's
    from tinygan.app.checkpoint import read_meta
    meta = read_meta(bad / "checkpoint.npz")
    assert meta["step"] == 0 and meta["config"]["loss"] == "wasserstein"


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


# ----------------------------------------------------------------------------- resume, extend

SMALL = Config(data="ring", steps=50, batch_size=32, g_hidden=(16,), d_hidden=(16,), eval_every=10,
               eval_samples=300)


def _stop_at(step):
    def progress(trainer, row):
        if trainer.step == step:
            raise KeyboardInterrupt
    return progress


def _gif_frames(path):
    from PIL import Image
    with Image.open(path) as im:
        return im.n_frames


def test_an_interrupted_run_resumed_has_the_same_frames_history_and_gif_as_one_that_never_stopped(tmp_path):
    straight = run_training(SMALL, tmp_path / "straight")
    with pytest.raises(KeyboardInterrupt):
        run_training(SMALL, tmp_path / "broken", progress=_stop_at(37))   # last checkpoint: step 30
    assert [f["step"] for f in load_frames(tmp_path / "broken" / "frames.npz", 50)] == list(range(2, 31, 2))
    resumed = run_training(None, tmp_path / "broken", resume=True)
    assert resumed["steps_this_run"] == 20 and same_evaluations(resumed["final"], straight["final"])
    a = load_frames(tmp_path / "straight" / "frames.npz", 50)
    b = load_frames(tmp_path / "broken" / "frames.npz", 50)
    assert [f["step"] for f in a] == list(range(2, 51, 2))      # every ceil(50/48) = 2, the last included
    assert len(a) == len(b)
    for fa, fb in zip(a, b):
        assert fa.keys() == fb.keys()
        for key in fa:
            np.testing.assert_array_equal(fa[key], fb[key], err_msg=key)
    for name in ("history.csv", "training.gif"):
        assert (tmp_path / "straight" / name).read_bytes() == (tmp_path / "broken" / name).read_bytes(), name


def test_an_extended_run_draws_its_gif_over_the_whole_run(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), *FAST]) == 0
    assert _gif_frames(out / "training.gif") == 15                      # steps 2, 4, ..., 30
    assert main(["train", "--out", str(out), "--resume", "--steps", "120"]) == 0
    steps = [f["step"] for f in load_frames(out / "frames.npz", 120)]   # 30 + 45 taken: 48 kept
    assert len(steps) == N_FRAMES and _gif_frames(out / "training.gif") == GIF_FRAMES
    assert steps[0] <= 30 and steps[-1] == 120          # from the first part to the last step
    gaps = np.diff([0, *steps])
    assert gaps.max() <= 2 * 120 / N_FRAMES, steps      # spread over the run, no long hole


def test_resume_with_nothing_to_do_says_so_and_exits_2(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), *FAST]) == 0
    before = (out / "checkpoint.npz").read_bytes()
    capsys.readouterr()
    for extra in ([], ["--steps", "30"], ["--steps", "20"]):
        assert main(["train", "--out", str(out), "--resume", *extra]) == 2
        err = capsys.readouterr().err
        assert err == ("tinygan: error: nothing to do: the run is at step 30 of 30; give --steps T > 30 "
                       "to extend it (--steps is the run's total)\n"), extra
    assert (out / "checkpoint.npz").read_bytes() == before
    assert main(["train", "--out", str(out), "--resume", "--preset", "wgan", "--steps", "40"]) == 2
    assert "only --steps and --threads may be given with it (got --preset)" in capsys.readouterr().err

    broken = tmp_path / "broken"
    with pytest.raises(KeyboardInterrupt):
        run_training(SMALL, broken, progress=_stop_at(37), figures=False)
    assert main(["train", "--out", str(broken), "--resume", "--steps", "40"]) == 2
    assert "--steps 40 is below the run's total of 50" in capsys.readouterr().err
    assert main(["train", "--out", str(broken), "--resume", "--steps", "30"]) == 2
    assert "nothing to do: the run is at step 30 of 50" in capsys.readouterr().err


def test_steps_is_documented_as_a_total(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--steps STEPS generator steps in all (a total: a resumed run trains up to it)" in out
    assert "--resume continue the run in --out, to its total or to a larger --steps" in out


def test_extending_a_run_follows_the_schedule_of_the_new_total_and_says_so(tmp_path, capsys):
    """The documented semantics (tinygan/app/run.py): from the step the run is at, the
    learning rate is that of a run planned for the new total. A 30-step cosine run has
    decayed to 0 at its end; extended to 60 steps it goes on at the 60-step plan's rate,
    not at 0, and the command says so."""
    out = tmp_path / "run"
    config = dataclasses.replace(SMALL, steps=30)
    lrs = {}

    def record(trainer, row):
        lrs[trainer.step] = trainer.opt_g.lr

    run_training(config, out, progress=record, figures=False)
    assert main(["train", "--out", str(out), "--resume", "--steps", "60"]) == 0
    err = capsys.readouterr().err
    assert ("extending the run from 30 to 60 steps: the cosine learning-rate decay (at step 30: "
            "0.00 x lr in the 30-step plan, 1.00 x lr from now on) now spans 60 steps") in err
    run_training(None, out, resume=True, steps=90, progress=record, figures=False)
    longer = dataclasses.replace(config, steps=90)
    for step in range(61, 91):      # the lr of step s was set from lr_factor at s - 1
        assert lrs[step] == config.g_lr * lr_factor(longer, step - 1), step
    assert lrs[61] > lrs[30] == config.g_lr * lr_factor(config, 29)


# ----------------------------------------------------------------------------- no tracebacks

def test_mnist_without_its_files_gives_command_line_advice(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))     # an empty cache: no MNIST files
    assert main(["train", "--data", "mnist", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tinygan: error: MNIST train file(s) not found")
    assert "--data-option folder=<where they are>" in err and "--data-option download=true" in err
    assert "pass folder=" not in err and "download=True" not in err
    assert not (tmp_path / "run").exists()


def test_a_closed_pipe_is_not_a_traceback():
    """`tinygan list | head -1`: the reader goes away; tinygan stops quietly, status 141."""
    read, write = os.pipe()
    os.close(read)                               # nobody will read: every write fails
    try:
        r = subprocess.run([sys.executable, "-m", "tinygan", "list"], stdout=write,
                           stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write)
    assert r.returncode == 141 and r.stderr == "", r.stderr
    r = subprocess.run(f"'{sys.executable}' -m tinygan list | head -1", shell=True,
                       capture_output=True, text=True, timeout=120)
    assert r.stdout.startswith("data sets") and r.stdout.count("\n") == 1 and r.stderr == ""


def test_evaluate_a_folder_without_a_run(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a folder with no checkpoint.npz in it" in err


def test_one_dimensional_data_gets_its_samples_figure_and_gif(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--data", "mixture1d", "--out", str(out), *FAST]) == 0
    for name in ("samples.png", "training.gif"):
        assert (out / name).stat().st_size > 0, name
    assert "samples" in capsys.readouterr().out


def test_help_with_a_preset_shows_the_presets_values(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--preset", "wgan", "--help"])
    assert info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "the defaults shown are preset wgan's" in out
    assert "n_critic (preset wgan: 5; without a preset 1)" in out
    assert "a resumed run trains up to it) (preset wgan: 6000; without a preset 14000)" in out
    assert "WGAN 0.01) (preset wgan: 0.01; without a preset 0.0)" in out
    assert "SGD only (default 0.0)" in out          # a value the preset leaves: as without it
    with pytest.raises(SystemExit):
        main(["train", "--preset=classic", "--help"])
    assert "n_critic (default 1)" in " ".join(capsys.readouterr().out.split())


def test_a_run_honours_the_umask_says_it_is_drawing_and_reports_progress(tmp_path, capsys):
    old = os.umask(0o027)
    try:
        assert main(["train", "--out", str(tmp_path / "run"), *FAST]) == 0
    finally:
        os.umask(old)
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in (tmp_path / "run").iterdir()}
    assert "checkpoint.npz" in modes and "frames.npz" in modes
    assert set(modes.values()) == {oct(0o640)}, modes   # every file, the checkpoint included
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "drawing figures..."
    progress = err[:-1]                        # not a terminal: a line every 5 %, for a log
    assert progress[-1].startswith("step 30/30 [") and "it/s" in progress[-1] and "done in" in progress[-1]
    assert all(len(line) < 120 for line in progress)


def test_the_samples_legend_lists_only_what_can_be_seen():
    """Generated samples are drawn over the data where G covers it: the real data must stay
    visible (open rings on top of the filled samples) and the mixture centres on top of both."""
    import matplotlib.pyplot as plt

    from tinygan import Trainer
    from tinygan.questions.landscape import snapshot
    from tinygan.plots import plot_snapshot

    t = Trainer(data="ring", steps=5, batch_size=32, g_hidden=(8,), d_hidden=(8,), eval_every=0)
    t.train()
    fig = plot_snapshot(snapshot(t, n=64, grid=10))
    ax = fig.axes[0]
    drawn = {c.get_label(): c for c in ax.collections if not c.get_label().startswith("_")}
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    plt.close(fig)
    assert {"real data", "generated G(z)", "mixture centres"} <= set(labels)
    real, fake, centres = drawn["real data"], drawn["generated G(z)"], drawn["mixture centres"]
    assert real.get_zorder() > fake.get_zorder() and len(real.get_facecolors()) == 0
    assert centres.get_zorder() > real.get_zorder()
