"""A training run on disk: train, and leave a folder a person can read.

    run_training(Config(...), "runs/ring")  writes into runs/ring/:
        checkpoint.npz   the whole state (resume with resume=True, evaluate it later)
        history.csv      one row per step: losses, accuracies, D outputs, gradient norms
        metrics.json     the final metrics, every evaluation, the config and timings
        samples.png      samples against data, D's output as a heatmap, G's gradient as arrows
        curves.png       the loss curves over modes captured and distance to the data
        training.gif     the samples and D's output as training goes
        run.html         the run to scrub through in a browser: D, samples, arrows and curves
        digits.png       (image data) a grid of generated images

The checkpoint is written atomically at every evaluation, and only from a healthy state: if
training diverges, the last good checkpoint stays as it was.
"""

import csv
import json
import math
import time
from pathlib import Path

import numpy as np

from tinygan import checkpoint
from tinygan import plots as tp
from tinygan.gan import STEP_COLUMNS, Trainer
from tinygan.app.page import frame, run_meta, write_run_page
from tinygan.lab.landscape import snapshot

N_FRAMES = 48     # snapshots per run, for run.html: each costs ~20-45 ms at the defaults
GIF_FRAMES = 24   # of which the GIF draws every other one: each costs ~0.2-0.3 s of matplotlib


def write_history(history, path):
    """history.csv: one row per step, one column per recorded quantity."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(STEP_COLUMNS)
        writer.writerows(zip(*(history[c] for c in STEP_COLUMNS)))


def _figures(trainer, out, frames):
    """Draw the run's figures into `out`; return {name: path}."""
    rng = np.random.default_rng([trainer.config.seed, trainer.step, 2])
    title = f"{trainer.config.data}, {trainer.config.loss} loss"
    paths = {"curves": str(out / "curves.png")}
    tp.plot_curves(trainer.history, trainer.evaluations, path=paths["curves"], title=title,
                   loss=trainer.config.loss)
    if trainer.data.dim == 2:
        paths["samples"] = str(out / "samples.png")
        tp.plot_snapshot(snapshot(trainer, rng=rng), path=paths["samples"])
        if frames:
            every = -(-len(frames) // GIF_FRAMES)   # the last frame always in
            paths["gif"] = str(tp.animate(frames[len(frames) - 1::-every][::-1], out / "training.gif"))
    if getattr(trainer.data, "templates", None) is not None:
        paths["digits"] = str(out / "digits.png")
        size = int(round(math.sqrt(trainer.data.dim)))
        tp.plot_image_grid(trainer.sample(64, rng), size, path=paths["digits"],
                           title=f"generated digits, step {trainer.step}")
    return paths


def run_training(config, out, resume=False, steps=None, progress=None, figures=True):
    """Train `config` into folder `out`; with resume=True continue out/checkpoint.npz.

    On resume, `steps` (if larger than the saved config's) extends the run to that total.
    `progress(trainer, row)` is called every step. Returns the summary written to
    metrics.json. Raises DivergenceError (the last good checkpoint is kept).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"output folder {out} exists and is a file; choose a folder path")
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "checkpoint.npz"
    if resume:
        trainer = checkpoint.load(ckpt)
        if steps is not None and steps > trainer.config.steps:
            trainer.config.steps = steps   # resuming may extend the run
    else:
        trainer = Trainer(config)
    frames = []
    frame_every = -(-trainer.config.steps // N_FRAMES)   # ceil: at most N_FRAMES frames
    every = trainer.config.eval_every

    def on_step(tr, row):
        if figures and tr.step % frame_every == 0:
            # a diverging run may overflow here one step before the trainer reports it
            with np.errstate(over="ignore", invalid="ignore"):
                frames.append(frame(tr))
        if every and tr.step % every == 0:
            checkpoint.save(tr, ckpt)   # only reached from a finite state (train_step checked it)
        if progress is not None:
            progress(tr, row)

    start, first_step = time.perf_counter(), trainer.step
    trainer.train(callback=on_step)
    seconds = time.perf_counter() - start
    final = trainer.evaluate(record=False)
    checkpoint.save(trainer, ckpt)
    write_history(trainer.history, out / "history.csv")
    summary = {
        "step": trainer.step, "steps_this_run": trainer.step - first_step,
        "train_seconds": round(seconds, 3), "final": final,
        "evaluations": trainer.evaluations, "config": trainer.config.to_dict(),
    }
    if figures:
        summary["figures"] = _figures(trainer, out, frames)
        summary["figures"]["page"] = write_run_page(frames, trainer.history, trainer.evaluations,
                                                    run_meta(trainer), out / "run.html")
    summary["checkpoint"] = str(ckpt)
    (out / "metrics.json").write_text(json.dumps(summary, indent=2))
    return summary


__all__ = ["run_training", "write_history"]
