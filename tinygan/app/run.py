"""A training run on disk: train, and leave a folder a person can read.

    run_training(Config(...), "runs/ring")  writes into runs/ring/:
        checkpoint.npz   the whole state (resume with resume=True, evaluate it later)
        history.csv      one row per step: losses, accuracies, D outputs, gradient norms
        metrics.json     the final metrics, every evaluation, the config and timings
        samples.png      samples against data, D's output as a heatmap, G's gradient as arrows
                         (1-D data: histograms and D's curve)
        curves.png       the loss curves over modes captured and distance to the data
        training.gif     the samples and D's output as training goes, over the whole run
        run.html         the run to scrub through in a browser: D, samples, arrows and curves
        frames.npz       the snapshots behind the GIF and run.html, so a resumed run can draw
                         all of them again
        digits.png       (image data) a grid of generated images

The checkpoint (and frames.npz with it) is written atomically at every evaluation, and only
from a healthy state: if training diverges, the last good checkpoint stays as it was.

Resuming and extending. A resumed run continues bit for bit: the same numbers as a run that
never stopped, its learning-rate schedule and noise annealing included (they are functions
of the step and the run's total). Extending a run (resume with steps larger than its total)
makes the new total the run's total: from the step it is at, every schedule that spans the
run (a linear or cosine learning-rate decay; noise annealing with noise_anneal_steps 0) is
that of a run planned for the new total. A finished run with a decayed learning rate thus
goes on at the new plan's rate at that step (extending 6,000 steps to 8,000 with the cosine
decay from half-way: 0.5 x lr at step 6,000, decaying to 0 at 8,000), not at 0, where
training would stand still. The GIF covers the whole run: at most N_FRAMES frames, spread
over all of it, the last step included.
"""

import csv
import json
import math
import time
import zipfile
from pathlib import Path

import numpy as np

from tinygan import checkpoint
from tinygan import plots as tp
from tinygan.app.page import frame, run_meta, write_run_page
from tinygan.gan import STEP_COLUMNS, Trainer
from tinygan.lab.landscape import snapshot
from tinygan.threads import blas, limit_threads

N_FRAMES = 48     # snapshots per run, for run.html: each costs ~20-45 ms at the defaults
GIF_FRAMES = 24   # of which the GIF draws every other one: each costs ~0.2-0.3 s of matplotlib
FRAMES = "frames.npz"


def write_history(history, path):
    """history.csv: one row per step, one column per recorded quantity."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(STEP_COLUMNS)
        writer.writerows(zip(*(history[c] for c in STEP_COLUMNS)))


def pick_frames(frames, total, n=N_FRAMES):
    """At most n of `frames` (snapshots sorted by step), spread over steps 1..total.

    All of them when there are n or fewer; else, for each of the n evenly spaced steps
    total * k / n (k = 1..n), the nearest frame not yet taken. The last target is `total`
    itself, so a frame of the final step is always kept.
    """
    if len(frames) <= n:
        return list(frames)
    steps = np.array([f["step"] for f in frames], dtype=np.float64)
    taken = set()
    for k in range(1, n + 1):
        order = np.argsort(np.abs(steps - total * k / n), kind="stable")
        taken.add(next(int(i) for i in order if int(i) not in taken))
    return [frames[i] for i in sorted(taken)]


def save_frames(frames, path):
    """frames.npz: each snapshot's entries as 'i/key' arrays (strings and numbers 0-d)."""
    arrays = {f"{i}/{k}": np.asarray(v) for i, snap in enumerate(frames) for k, v in snap.items()}
    arrays["count"] = np.asarray(len(frames))
    checkpoint.write_npz(path, arrays)


def load_frames(path, upto):
    """The snapshots saved in frames.npz up to step `upto` ([] if there is no readable file)."""
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        frames = [{} for _ in range(int(arrays.pop("count")))]
        for name, value in arrays.items():
            i, key = name.split("/", 1)
            frames[int(i)][key] = value.item() if value.ndim == 0 else value
    except (OSError, ValueError, EOFError, KeyError, IndexError, zipfile.BadZipFile):   # missing, not ours
        return []
    return [f for f in frames if f.get("step", math.inf) <= upto]


def _figures(trainer, out, frames):
    """Draw the run's figures into `out`; return {name: path}."""
    rng = np.random.default_rng([trainer.config.seed, trainer.step, 2])
    title = f"{trainer.config.data}, {trainer.config.loss} loss"
    paths = {"curves": str(out / "curves.png")}
    tp.plot_curves(trainer.history, trainer.evaluations, path=paths["curves"], title=title,
                   loss=trainer.config.loss)
    if trainer.data.dim in (1, 2):
        paths["samples"] = str(out / "samples.png")
        tp.plot_snapshot(snapshot(trainer, rng=rng), path=paths["samples"])
        if frames:
            every = -(-len(frames) // GIF_FRAMES)   # counted back from the last frame: it is always in
            paths["gif"] = str(tp.animate(frames[len(frames) - 1::-every][::-1], out / "training.gif"))
    if getattr(trainer.data, "templates", None) is not None:
        paths["digits"] = str(out / "digits.png")
        size = int(round(math.sqrt(trainer.data.dim)))
        tp.plot_image_grid(trainer.sample(64, rng), size, path=paths["digits"],
                           title=f"generated digits, step {trainer.step}")
    return paths


def run_training(config, out, resume=False, steps=None, progress=None, figures=True, threads=1,
                 status=None):
    """Train `config` into folder `out`; with resume=True continue out/checkpoint.npz.

    On resume, `steps` (if larger than the saved config's) extends the run to that total
    (see the module's docstring for what that does to the schedules).
    `progress(trainer, row)` is called every step, `status(text)` before a slow phase
    (drawing the figures). BLAS runs on `threads` threads throughout (None: its own
    setting). Returns the summary written to metrics.json. Raises DivergenceError (the last
    good checkpoint is kept).
    """
    with limit_threads(threads):
        return _run(config, Path(out), resume, steps, progress, figures, threads, status)


def _run(config, out, resume, steps, progress, figures, threads, status):
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"output folder {out} exists and is a file; choose a folder path")
    out.mkdir(parents=True, exist_ok=True)
    ckpt, frames_path = out / "checkpoint.npz", out / FRAMES
    if resume:
        trainer = checkpoint.load(ckpt, threads=threads)
        if steps is not None and steps > trainer.config.steps:
            trainer.config.steps = steps   # resuming may extend the run
        frames = load_frames(frames_path, upto=trainer.step)
    else:
        trainer = Trainer(config, threads=threads)
        frames_path.unlink(missing_ok=True)   # another run's frames (--overwrite)
        frames = []
    total = trainer.config.steps
    frame_every = -(-total // N_FRAMES)   # ceil: at most N_FRAMES frames in this stretch
    drawn = figures          # frames for run.html (any data) and the GIF (1-D and 2-D data)
    every = trainer.config.eval_every

    def on_step(tr, row):
        if drawn and (tr.step % frame_every == 0 or tr.step == total):
            # a diverging run may overflow here one step before the trainer reports it
            with np.errstate(over="ignore", invalid="ignore"):
                frames.append(frame(tr))
        if every and tr.step % every == 0:
            # only reached from a finite state (train_step checked it); the frames first, so
            # a checkpoint never has fewer frames on disk than its step
            if drawn:
                frames[:] = pick_frames(frames, total)
                save_frames(frames, frames_path)
            checkpoint.save(tr, ckpt)
        if progress is not None:
            progress(tr, row)

    start, first_step = time.perf_counter(), trainer.step
    trainer.train(callback=on_step)
    seconds = time.perf_counter() - start
    final = trainer.evaluate(record=False)
    if drawn:
        frames[:] = pick_frames(frames, total)
        save_frames(frames, frames_path)
    checkpoint.save(trainer, ckpt)
    write_history(trainer.history, out / "history.csv")
    summary = {
        "step": trainer.step, "steps_this_run": trainer.step - first_step,
        "train_seconds": round(seconds, 3), "final": final,
        "evaluations": trainer.evaluations, "config": trainer.config.to_dict(),
        "threads": threads, "blas": blas(),
    }
    if figures:
        if status is not None:
            status("drawing figures...")
        summary["figures"] = _figures(trainer, out, frames)
        summary["figures"]["page"] = write_run_page(frames, trainer.history, trainer.evaluations,
                                                    run_meta(trainer), out / "run.html")
    summary["checkpoint"] = str(ckpt)
    (out / "metrics.json").write_text(json.dumps(summary, indent=2))
    return summary


__all__ = ["run_training", "write_history", "pick_frames", "save_frames", "load_frames"]
