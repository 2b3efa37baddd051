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

The checkpoint (and frames.npz with it) is written at every evaluation, and only from a
healthy state: if training diverges, the last good checkpoint of this run stays as it was.
A fresh run also writes one at step 0, before its first step: the folder proves it takes a
checkpoint before any work is done, and a run stopped early can be resumed from there.

A run folder belongs to one run. run_training first claims the folder (tinygan.app.folder:
an exclusive flock on its lock file .tinygan.lock, held until the run ends); a second run
into the same folder is refused (RunFolderError naming the run that holds it). Only under the
lock does it look at what the folder holds: a folder holding any of RUN_FILES is refused
unless resume=True (continue it) or overwrite=True (remove those files first, and nothing
else of the folder). Claiming also creates the folder and a probe file in it, so a folder
that cannot be written is found before the first step.

Every file is written atomically (tinygan.app.checkpoint.replacing: a temporary file beside it,
renamed over it), so a reader, or a run killed mid-save, sees each file whole, old or new.
SIGTERM is turned into an exception (Terminated) for the length of a run, so a terminated run
removes its temporary files as Ctrl-C does; a SIGKILLed run's leftovers are removed by the
next run that claims the folder. metrics.json is written after the checkpoint and history
and again after the figures, so a run stopped while drawing leaves the three at one step.

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

import contextlib
import csv
import io
import json
import math
import signal
import threading
import time
import zipfile
from pathlib import Path

import numpy as np

from tinygan.app import checkpoint
from tinygan import plots as tp
from tinygan.app.folder import (FRAMES, PROBE, RUN_FILES, RunFolderError,
                                check_folder, claim_folder, run_files)
from tinygan.app.page import frame, render_run_page, run_meta
from tinygan.app.divergence import locate
from tinygan.gan import DivergenceError
from tinygan.gan import STEP_COLUMNS, Trainer
from tinygan.questions.landscape import snapshot
from tinygan.questions.common import blas, limit_threads

N_FRAMES = 48     # snapshots per run, for run.html: each costs ~20-45 ms at the defaults
GIF_FRAMES = 24   # of which the GIF draws every other one: each costs ~0.2-0.3 s of matplotlib


class SaveError(RuntimeError):
    """A file of the run could not be written (a full disk, say). The message names the file
    and the last checkpoint of this run that is on disk."""


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived during a run: raised as a kind of KeyboardInterrupt, so every cleanup
    that Ctrl-C runs (temporary files removed, the lock released) runs for it too."""


def write_history(history, path):
    """history.csv: one row per step, one column per recorded quantity (written atomically)."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(STEP_COLUMNS)
    writer.writerows(zip(*(history[c] for c in STEP_COLUMNS)))
    with checkpoint.replacing(path) as tmp, open(tmp, "w", newline="") as f:
        f.write(text.getvalue())


def strict_json(value):
    """`value` as strict JSON text (RFC 8259): NaN, inf and -inf, which JSON cannot hold,
    become null (a metric that is undefined, e.g. reverse KL with no good sample, reads
    null); then json.dumps(allow_nan=False), so nothing non-standard can slip through."""
    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        if isinstance(v, np.generic):
            return clean(v.item())
        return v
    return json.dumps(clean(value), indent=2, allow_nan=False)


@contextlib.contextmanager
def _sigterm_raises():
    """For the block: SIGTERM raises Terminated (once; a second SIGTERM during the cleanup it
    starts is ignored). Only in the main thread, where Python runs signal handlers."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield
        return
    fired = []

    def handler(signum, frame_):
        if not fired:
            fired.append(signum)
            raise Terminated("terminated by SIGTERM")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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


def _drawn(save, path, draw, *args, **kwargs):
    """draw(*args, path=<temporary file>, **kwargs), then the file renamed to `path`."""
    def write():
        with checkpoint.replacing(path) as tmp:
            draw(*args, path=tmp, **kwargs)
    save(path, write)
    return str(path)


def _figures(trainer, out, frames, save, only=None):
    """Draw the run's figures into `out`, each atomically (through `save`); return {name: path}.
    only: the file names to draw (None: all); the others are named but left as they are."""
    rng = np.random.default_rng([trainer.config.seed, trainer.step, 2])
    title = f"{trainer.config.data}, {trainer.config.loss} loss"

    def drawn(name, *args, **kwargs):
        path = out / name
        return _drawn(save, path, *args, **kwargs) if only is None or name in only else str(path)

    paths = {"curves": drawn("curves.png", tp.plot_curves, trainer.history,
                             trainer.evaluations, title=title, loss=trainer.config.loss)}
    if trainer.data.dim in (1, 2):
        paths["samples"] = drawn("samples.png", tp.plot_snapshot, snapshot(trainer, rng=rng))
        if frames:
            every = -(-len(frames) // GIF_FRAMES)   # counted back from the last frame: it is always in
            paths["gif"] = drawn("training.gif", tp.animate, frames[len(frames) - 1::-every][::-1])
    if getattr(trainer.data, "templates", None) is not None:
        size = int(round(math.sqrt(trainer.data.dim)))
        paths["digits"] = drawn("digits.png", tp.plot_image_grid, trainer.sample(64, rng), size,
                                title=f"generated digits, step {trainer.step}")
    return paths


def run_training(config, out, resume=False, steps=None, progress=None, figures=True, threads=1,
                 status=None, overwrite=False):
    """Train `config` into folder `out`; with resume=True continue out/checkpoint.npz.

    The folder is claimed first (claim_folder): another run in it, a folder that cannot be
    written, or one that already holds a run (any of RUN_FILES) without resume or overwrite
    raises RunFolderError before any work. overwrite=True removes the old run's RUN_FILES
    (nothing else) before this run writes; resume and overwrite together are refused.
    On resume, `steps` (if larger than the saved config's) extends the run to that total
    (see the module's docstring for what that does to the schedules).
    `progress(trainer, row)` is called every step, `status(text)` before a slow phase
    (drawing the figures). BLAS runs on `threads` threads throughout (None: its own
    setting). Returns the summary written to metrics.json. Raises DivergenceError, with
    `kept` set to (path, step) of this run's last checkpoint on disk (None if none);
    SaveError if a file cannot be written; Terminated on SIGTERM (main thread only).
    """
    if resume and overwrite:
        raise RunFolderError("resume and overwrite exclude each other: resume continues the run "
                             "in the folder, overwrite replaces it")
    if str(out) == "":   # Path("") would be the current folder
        raise RunFolderError("the run folder's path is empty; give a folder path")
    out = Path(out)
    with claim_folder(out, create=not resume), _sigterm_raises(), limit_threads(threads):
        check_folder(out, resume, overwrite)
        if overwrite:
            for name in run_files(out):
                (out / name).unlink()
        checkpoint.remove_stale_temps(out, set(RUN_FILES) | {PROBE})
        if resume:
            saved = checkpoint.load(out / "checkpoint.npz")
            _same_config(config, saved.config, steps)
            if saved.step >= max(saved.config.steps, steps or 0):
                return _finish(saved, out, figures, status)
        return _run(config, out, resume, steps, progress, figures, threads, status)


def _same_config(config, saved, steps):
    """Refuse (ValueError, naming the fields) a config given to resume that is not the saved
    one; config None means the saved one. Its steps may differ when `steps` says the same."""
    if config is None:
        return
    given, kept = config.to_dict(), saved.to_dict()
    differ = [k for k in kept if given.get(k) != kept[k] and not (k == "steps" and given[k] == steps)]
    if differ:
        shown = ", ".join(f"{k} (saved {kept[k]!r}, given {given.get(k)!r})" for k in differ[:4])
        more = f" and {len(differ) - 4} more" if len(differ) > 4 else ""
        raise ValueError(f"resume=True continues the saved configuration, and the config given "
                         f"differs in {shown}{more}; pass config=None (or the saved one), and "
                         f"steps=T to extend the run")


def missing(trainer, out, frames):
    """The files a finished run at `out` should hold but lacks (history, metrics, figures,
    the page), given its trainer and frames; metrics.json counts as missing while it does
    not list the figures."""
    want = ["history.csv", "metrics.json", "curves.png", "run.html"]
    if trainer.data.dim in (1, 2):
        want += ["samples.png"] + (["training.gif"] if frames else [])
    if getattr(trainer.data, "templates", None) is not None:
        want.append("digits.png")
    gone = [name for name in want if not (out / name).is_file()]
    if "metrics.json" not in gone and "figures" not in _summary(out, trainer.step):
        gone.append("metrics.json")
    return gone


def _summary(out, step):
    """metrics.json as written at `step`, or {} if it is missing, unreadable or of another step."""
    try:
        summary = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return summary if isinstance(summary, dict) and summary.get("step") == step else {}


def _finish(trainer, out, figures, status):
    """Complete a finished run whose last files were not all written (it was stopped while
    drawing, say): write what is missing from the checkpoint and frames.npz, which are the
    same data an uninterrupted run drew from, and leave every file that is there as it is."""
    frames = load_frames(out / FRAMES, upto=trainer.step) if figures else []
    gone = missing(trainer, out, frames)
    save = _Saver(out, trainer.step)
    if "history.csv" in gone:
        save(out / "history.csv", write_history, trainer.history, out / "history.csv")
    summary = _summary(out, trainer.step)
    if not summary:          # the run's timings went with the file: they are not known
        summary = {"step": trainer.step, "steps_this_run": None, "train_seconds": None,
                   "final": trainer.evaluate(record=False), "evaluations": trainer.evaluations,
                   "config": trainer.config.to_dict(), "threads": None, "blas": blas(),
                   "checkpoint": str(out / "checkpoint.npz")}
    metrics = out / "metrics.json"
    if figures:
        if status is not None and len(gone) > 1:
            status("drawing the missing figures...")
        paths = _figures(trainer, out, frames, save, only=set(gone))
        page = out / "run.html"
        if "run.html" in gone:
            save(page, checkpoint.write_text, page,
                 render_run_page(frames, trainer.history, trainer.evaluations, run_meta(trainer)))
        summary["figures"] = {**paths, "page": str(page)}
    save(metrics, checkpoint.write_text, metrics, strict_json(summary))
    summary["finished"] = gone
    return summary


class _Saver:
    """The run's writes, each turning an OSError into a SaveError that says what is kept."""

    def __init__(self, out, step):
        """step: that of this run's checkpoint already on disk (a resumed run's), or None."""
        self.ckpt = out / "checkpoint.npz"
        self.kept = None if step is None else (self.ckpt, step)

    def __call__(self, path, write, *args):
        try:
            write(*args)
        except OSError as err:
            kept = (f"the checkpoint of step {self.kept[1]} is kept at {self.kept[0]}" if self.kept
                    else "no checkpoint of this run is on disk")
            raise SaveError(f"cannot write {path} ({err.strerror or err}); {kept}") from None

    def checkpoint(self, trainer):
        self(self.ckpt, checkpoint.save, trainer, self.ckpt)
        self.kept = (self.ckpt, trainer.step)


def _run(config, out, resume, steps, progress, figures, threads, status):
    ckpt, frames_path = out / "checkpoint.npz", out / FRAMES
    if resume:
        trainer = checkpoint.load(ckpt)
        trainer.threads = threads
        if steps is not None and steps > trainer.config.steps:
            trainer.config.steps = steps   # resuming may extend the run
        frames = load_frames(frames_path, upto=trainer.step)
        save = _Saver(out, trainer.step)
    else:
        trainer = Trainer(config, threads=threads)
        frames = []
        save = _Saver(out, None)
        save.checkpoint(trainer)   # step 0: the folder takes a checkpoint before any work
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
                save(frames_path, save_frames, frames, frames_path)
            save.checkpoint(tr)
        if progress is not None:
            progress(tr, row)

    start, first_step = time.perf_counter(), trainer.step
    try:
        trainer.train(callback=on_step)
        seconds = time.perf_counter() - start
        final = trainer.evaluate(record=False)
    except DivergenceError as err:
        located = locate(err, trainer)     # the first array that went NaN or inf, and advice
        located.kept = save.kept           # this run's last checkpoint on disk, or None
        raise located from None
    # the checkpoint first here: should the disk be full, the run itself is what must not be
    # lost (with eval_every 0 there is no other), and frames.npz is twenty times its size; a
    # frames.npz a save behind only costs a resumed run's GIF some frames
    save.checkpoint(trainer)
    if drawn:
        frames[:] = pick_frames(frames, total)
        save(frames_path, save_frames, frames, frames_path)
    save(out / "history.csv", write_history, trainer.history, out / "history.csv")
    summary = {
        "step": trainer.step, "steps_this_run": trainer.step - first_step,
        "train_seconds": round(seconds, 3), "final": final,
        "evaluations": trainer.evaluations, "config": trainer.config.to_dict(),
        "threads": threads, "blas": blas(),
        "checkpoint": str(ckpt),
    }
    metrics = out / "metrics.json"
    save(metrics, checkpoint.write_text, metrics, strict_json(summary))   # at the checkpoint's step
    if figures:
        if status is not None:
            status("drawing figures...")
        paths = _figures(trainer, out, frames, save)
        page = out / "run.html"
        save(page, checkpoint.write_text, page,
             render_run_page(frames, trainer.history, trainer.evaluations, run_meta(trainer)))
        summary["figures"] = {**paths, "page": str(page)}
        save(metrics, checkpoint.write_text, metrics, strict_json(summary))
    return summary


__all__ = ["run_training", "write_history", "strict_json", "pick_frames", "save_frames",
           "load_frames", "SaveError", "Terminated"]
