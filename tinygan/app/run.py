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

A run folder belongs to one run. run_training first claims the folder (claim_folder): an
exclusive lock (flock) on its lock file .tinygan.lock, held until the run ends; a second run
into the same folder is refused (RunFolderError naming the run that holds it). Only under the
lock does it look at what the folder holds: a folder holding any of RUN_FILES is refused
unless resume=True (continue it) or overwrite=True (remove those files first, and nothing
else of the folder). Claiming also creates the folder and a probe file in it, so a folder
that cannot be written is found before the first step.

Every file is written atomically (tinygan.checkpoint.replacing: a temporary file beside it,
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
import errno
import io
import json
import math
import os
import signal
import socket
import tempfile
import threading
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from tinygan import checkpoint
from tinygan import plots as tp
from tinygan.app.page import frame, render_run_page, run_meta
from tinygan.gan import STEP_COLUMNS, DivergenceError, Trainer
from tinygan.lab.landscape import snapshot
from tinygan.threads import blas, limit_threads

N_FRAMES = 48     # snapshots per run, for run.html: each costs ~20-45 ms at the defaults
GIF_FRAMES = 24   # of which the GIF draws every other one: each costs ~0.2-0.3 s of matplotlib
FRAMES = "frames.npz"
# Every file a run writes: what makes a folder "hold a run", and all that overwrite removes.
RUN_FILES = ("checkpoint.npz", "history.csv", "metrics.json", "samples.png", "curves.png",
             "training.gif", "run.html", FRAMES, "digits.png")
LOCK = ".tinygan.lock"
PROBE = "tinygan-probe"   # .tinygan-probe.<random>.tmp: created and removed at once

try:                        # POSIX; elsewhere a folder is not locked (documented in claim_folder)
    import fcntl
except ImportError:         # pragma: no cover - Windows
    fcntl = None


class RunFolderError(Exception):
    """A run folder that cannot be used: held by another run, holding a run already, or not
    writable. One line, naming the folder; nothing in the folder was changed."""


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


# ----------------------------------------------------------------------------- the folder's lock

_held = {}                   # this process's claims: {folder's (st_dev, st_ino): [Claim, depth]}
_held_lock = threading.Lock()


def _holder_text(fd):
    """Who holds a lock file, from what it says: 'pid 123 on host, started 2026-...'."""
    for _ in range(20):      # the holder writes it just after taking the lock: wait a moment
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
        try:
            who = json.loads(text)
            return f"pid {who['pid']} on {who['host']}, started {who['started']}"
        except (ValueError, KeyError, TypeError):
            time.sleep(0.05)
    return "a run that is starting"


def _folder_problem(out, err):
    """One line saying why `out` cannot be a run folder, from the OSError that said so."""
    what = {errno.EROFS: "it is on a read-only file system",
            errno.EACCES: "permission denied", errno.EPERM: "operation not permitted",
            errno.ELOOP: "it goes through a symbolic link loop",
            errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
            errno.ENAMETOOLONG: "the name is too long"}.get(err.errno)
    if what is None and out.is_symlink() and not out.exists():
        what = "it is a broken symbolic link or a symbolic link loop"
    if what is None and err.errno in (errno.ENOTDIR, errno.EEXIST):
        what = "a file is in its path (each part of a folder path must be a folder)"
    if what is None and err.errno == errno.ENOENT:
        what = "its file system does not let a folder be created there"
    return (f"cannot use {out} as a run folder: {what or err.strerror or err}; "
            f"give a folder you can write to (it is created if missing)")


class Claim:
    """This process's exclusive claim on a run folder: claim_folder(out) returns one."""

    def __init__(self, out, fd, key):
        self.out, self._fd, self._key = out, fd, key
        self.thread = threading.get_ident()

    def release(self):
        with _held_lock:
            entry = _held.get(self._key)
            if entry is None or entry[0] is not self:
                return
            entry[1] -= 1
            if entry[1]:
                return
            del _held[self._key]
        if self._fd is not None:
            # removed while still locked: whoever opened this file meanwhile finds it gone
            # when it checks (see claim_folder) and tries again with a new one
            with contextlib.suppress(OSError):
                os.unlink(self.out / LOCK)
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def claim_folder(out, create=True):
    """Claim the run folder `out` for this process (creating it if `create`); a Claim to
    release (or use as a context manager), or RunFolderError.

    The claim is an exclusive, non-blocking flock on out/.tinygan.lock, which records the
    holder's pid, host and start time. flock, not exclusive creation: the kernel drops the
    lock when its process ends, however it ends (SIGKILL, a crash, a power cut), so a lock
    is never stale and never needs deleting by hand. Taking it is one atomic act: of two
    runs started together, one gets it and the other is refused. The releasing run removes
    the file while it still holds the lock; a claimer that opened the old file meanwhile
    finds it is no longer the file at that name and starts again, so two claimers can
    never hold two different files. Claims nest within one thread of this process (the
    CLI claims the folder before it reads it, then run_training claims it again).

    Without fcntl (Windows) the folder is created and probed but not locked.
    """
    out = Path(out)
    if str(out) == "":
        raise RunFolderError("the run folder path is empty; give a folder path")
    if out.exists() and not out.is_dir():
        raise RunFolderError(f"{out} is a file; give a folder path (it is created if missing)")
    try:
        if create:
            out.mkdir(parents=True, exist_ok=True)
        st = os.stat(out)
    except OSError as err:
        raise RunFolderError(_folder_problem(out, err)) from None
    key = (st.st_dev, st.st_ino)
    with _held_lock:
        entry = _held.get(key)
        if entry is not None:
            if entry[0].thread != threading.get_ident():
                raise FolderInUse(f"{out} is in use by another run in this process; "
                                     f"choose another folder")
            entry[1] += 1
            return entry[0]
    fd = _lock(out) if fcntl is not None else None
    try:
        _probe(out)
    except BaseException:
        if fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(out / LOCK)
            os.close(fd)
        raise
    claim = Claim(out, fd, key)
    with _held_lock:
        _held[key] = [claim, 1]
    return claim


def _lock(out):
    """The file descriptor of out/.tinygan.lock, exclusively locked by this process."""
    path = out / LOCK
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as err:
            raise RunFolderError(_folder_problem(out, err)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = _holder_text(fd)
            os.close(fd)
            raise FolderInUse(f"{out} is in use by another run ({who}); wait for it to end "
                                 f"or choose another folder") from None
        except OSError as err:
            os.close(fd)
            raise RunFolderError(f"cannot lock {out} ({err.strerror}): its file system does "
                                 f"not support locks; choose a folder on another") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)         # its holder removed it as we opened it: take the new one
    started = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
    record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": started})
    os.ftruncate(fd, 0)
    os.pwrite(fd, record.encode("utf-8"), 0)
    return fd


def _probe(out):
    """Create and remove a file in `out`, or RunFolderError: writable, found before any work."""
    try:
        fd, name = tempfile.mkstemp(dir=out, prefix=f".{PROBE}.", suffix=".tmp")
        os.close(fd)
        os.unlink(name)
    except OSError as err:
        raise RunFolderError(_folder_problem(out, err)) from None


def run_files(out):
    """The RUN_FILES present in folder `out`, in RUN_FILES' order."""
    return [name for name in RUN_FILES if os.path.lexists(Path(out) / name)]


def check_folder(out, resume=False, overwrite=False):
    """RunFolderError if `out` holds a run (any of RUN_FILES) and neither resume nor overwrite
    says what to do with it. Meaningful only under the folder's claim (claim_folder)."""
    found = run_files(out)
    if found and not resume and not overwrite:
        raise RunFolderError(f"{out} already holds a run ({', '.join(found)}); --resume "
                             f"continues it, --overwrite replaces it, or choose another --out")


class FolderInUse(RunFolderError):
    """The folder is claimed by another run."""


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


def _figures(trainer, out, frames, save):
    """Draw the run's figures into `out`, each atomically (through `save`); return {name: path}."""
    rng = np.random.default_rng([trainer.config.seed, trainer.step, 2])
    title = f"{trainer.config.data}, {trainer.config.loss} loss"
    paths = {"curves": _drawn(save, out / "curves.png", tp.plot_curves, trainer.history,
                              trainer.evaluations, title=title, loss=trainer.config.loss)}
    if trainer.data.dim in (1, 2):
        paths["samples"] = _drawn(save, out / "samples.png", tp.plot_snapshot,
                                  snapshot(trainer, rng=rng))
        if frames:
            every = -(-len(frames) // GIF_FRAMES)   # counted back from the last frame: it is always in
            paths["gif"] = _drawn(save, out / "training.gif", tp.animate,
                                  frames[len(frames) - 1::-every][::-1])
    if getattr(trainer.data, "templates", None) is not None:
        size = int(round(math.sqrt(trainer.data.dim)))
        paths["digits"] = _drawn(save, out / "digits.png", tp.plot_image_grid,
                                 trainer.sample(64, rng), size,
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
    out = Path(out)
    with claim_folder(out, create=not resume), _sigterm_raises(), limit_threads(threads):
        check_folder(out, resume, overwrite)
        if overwrite:
            for name in run_files(out):
                (out / name).unlink()
        checkpoint.remove_stale_temps(out, set(RUN_FILES) | {PROBE})
        return _run(config, out, resume, steps, progress, figures, threads, status)


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
        trainer = checkpoint.load(ckpt, threads=threads)
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
    except DivergenceError as err:
        err.kept = save.kept
        raise
    seconds = time.perf_counter() - start
    final = trainer.evaluate(record=False)
    if drawn:
        frames[:] = pick_frames(frames, total)
        save(frames_path, save_frames, frames, frames_path)
    save.checkpoint(trainer)
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


__all__ = ["run_training", "write_history", "pick_frames", "save_frames", "load_frames",
           "claim_folder", "check_folder", "run_files", "strict_json", "FolderInUse", "RUN_FILES", "RunFolderError", "SaveError",
           "Terminated"]
