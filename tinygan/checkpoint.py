"""Save and load the whole training state as one .npz file: plain arrays, no pickle.

What a checkpoint holds: G's and D's parameters, both optimizers' state, the random
generator's state, the step, the history, the evaluations and the config. Loading it and
training on gives the same numbers, bit for bit, as never having stopped.

Writing is atomic: the file is written under a temporary name in the same folder, flushed
to disk, then renamed over the target, so a crash or a full disk never leaves a half-written
checkpoint where the last good one was; it gets the permissions any new file would (the
umask's), like the other files of a run. write_npz does the same for any dict of arrays,
write_text for text, and replacing(path) for any writer that takes a file name (figures).
Reading uses allow_pickle=False: a .npz can carry pickled objects, and unpickling runs code
chosen by whoever wrote the file.
"""

import contextlib
import io
import json
import os
import re
import signal
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from tinygan.config import Config
from tinygan.gan import STEP_COLUMNS, Trainer

FORMAT = "tinygan-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be read: truncated, corrupt, not tinygan's, or mismatched."""


def _arrays(trainer):
    arrays = {}
    for prefix, net in (("G", trainer.G), ("D", trainer.D)):
        for key, value in net.params.items():
            arrays[f"{prefix}/{key}"] = value
    for prefix, opt in (("opt_g", trainer.opt_g), ("opt_d", trainer.opt_d)):
        for key, value in opt.state_dict().items():
            arrays[f"{prefix}/{key}"] = value
    for key, values in trainer.history.items():
        arrays[f"history/{key}"] = np.asarray(values, dtype=np.float64)
    return arrays


def _umask():
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Temporary files are named .<name>.<8 random characters>.tmp<suffix of name>, beside the file
# they will replace: hidden, recognisable as tinygan's (TEMP_PATTERN), and with the target's
# suffix kept so a writer that picks the format from the name (matplotlib) still can.
TEMP_PATTERN = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp(\.[A-Za-z0-9]+)?$")

_SIGNALS = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if s)


def _block_signals():
    """Hold back SIGINT and SIGTERM (POSIX); return the mask to restore, or None."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)


def _restore_signals(mask):
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


@contextlib.contextmanager
def replacing(path):
    """Write a file atomically: yield a temporary path beside `path` to write to; when the
    block ends normally the file is flushed to disk, given the mode a new file gets (0666
    less the umask; mkstemp makes it 0600, private) and renamed over `path`.

    A reader sees the old file or the new one, never half of one. On any exception the block
    raises (KeyboardInterrupt, and signals a caller turns into exceptions, included) the
    temporary file is removed. SIGINT and SIGTERM are held back while it is created, so one
    arriving then is raised only once the name is known and the file can be removed.
    SIGKILL cannot be caught: its leftovers match TEMP_PATTERN (see remove_stale_temps).
    """
    path = Path(path)
    tmp, mask = None, _block_signals()
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                   suffix=".tmp" + path.suffix)
        os.close(fd)
        _restore_signals(mask)   # a signal that came meanwhile is raised here, tmp known
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)  # atomic on POSIX and Windows: the old file or the new, never half
    except BaseException as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        cause = err.__context__   # an interrupt a writer's cleanup turned into another error
        while cause is not None and not isinstance(err, KeyboardInterrupt):
            if isinstance(cause, KeyboardInterrupt):
                raise cause from None
            cause = cause.__context__
        raise
    finally:
        _restore_signals(mask)


def remove_stale_temps(folder, names):
    """Remove the temporary files replacing() left in `folder` for files named in `names`
    (a process killed by SIGKILL cannot remove its own); return the names removed.
    Only safe while no other process writes into the folder (a run holds its folder's lock)."""
    removed = []
    for entry in os.scandir(folder):
        m = TEMP_PATTERN.match(entry.name)
        if m and m["name"] in names and entry.is_file(follow_symlinks=False):
            Path(entry.path).unlink(missing_ok=True)
            removed.append(entry.name)
    return removed


def write_text(path, text):
    """Write the string `text` to `path` (UTF-8) atomically (see replacing); return the path."""
    with replacing(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return str(path)


def write_npz(path, arrays):
    """Write the dict of arrays `arrays` to `path` (.npz) atomically (see replacing);
    return the path.

    The zip is built in memory with SIGINT and SIGTERM held back (a few milliseconds): an
    exception inside np.savez leaves its zip file half closed, which then raises a
    ValueError in place of the interrupt and complains again when it is collected.
    """
    buffer, mask = io.BytesIO(), _block_signals()
    try:
        np.savez(buffer, **arrays)
    finally:
        _restore_signals(mask)
    with replacing(path) as tmp, open(tmp, "wb") as f:
        f.write(buffer.getbuffer())
    return str(Path(path))


def save(trainer, path):
    """Write the trainer's whole state to `path` (a .npz) atomically; return the path."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"checkpoint path {path} is a folder; give a file name like run.npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "format": FORMAT, "version": VERSION, "step": trainer.step,
        "config": trainer.config.to_dict(),
        "rng": trainer.rng.bit_generator.state,
        "evaluations": trainer.evaluations,
    }
    arrays = _arrays(trainer)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    return write_npz(path, arrays)


def _read(path):
    """All arrays of the file, read with allow_pickle=False, or a CheckpointError saying why not."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint file at {path}")
    try:   # is_zipfile below would call a file it may not open "corrupt"
        open(path, "rb").close()
    except PermissionError:
        raise CheckpointError(f"cannot read {path} (permission denied)") from None
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"{path} is truncated or corrupt: it is not a complete .npz (zip) file")
    try:
        # opened here, not by np.load, so the file is closed even when the zip is broken
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise CheckpointError(f"{path} contains pickled objects; tinygan checkpoints are "
                                  f"plain arrays and pickles are refused (they can run code)") from None
        raise CheckpointError(f"{path} is not a readable checkpoint: {err}") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, zipfile.LargeZipFile) as err:
        raise CheckpointError(f"{path} is truncated or corrupt ({type(err).__name__}: {err}); "
                              f"it is not a complete .npz checkpoint") from None


def read_meta(path):
    """The checkpoint's metadata (format, version, step, config, rng, evaluations)."""
    return _meta(_read(path), path)


def _meta(arrays, path):
    if "meta" not in arrays:
        raise CheckpointError(f"{path} has no 'meta' entry: it is not a tinygan checkpoint")
    try:
        meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{path} has corrupt metadata: {err}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a tinygan checkpoint (format {meta.get('format')!r})")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path} is checkpoint version {meta.get('version')}; "
                              f"this tinygan reads version {VERSION}")
    return meta


def _restore_params(net, arrays, prefix, path):
    for key, value in net.params.items():
        name = f"{prefix}/{key}"
        if name not in arrays:
            raise CheckpointError(f"{path} lacks {name}: it does not match its own config")
        stored = arrays[name]
        if stored.shape != value.shape or stored.dtype != value.dtype:
            raise CheckpointError(f"{path}: {name} is {stored.dtype}{list(stored.shape)} but the "
                                  f"config builds {value.dtype}{list(value.shape)}")
        value[...] = stored


def load(path, threads=1):
    """A Trainer in exactly the state it was saved in, computing on `threads` BLAS threads
    (see Trainer). Raises CheckpointError if it cannot."""

    arrays = _read(path)
    meta = _meta(arrays, path)
    try:
        trainer = Trainer(Config.from_dict(meta["config"]), threads=threads)
    except (TypeError, ValueError, KeyError) as err:
        raise CheckpointError(f"{path} has a config this tinygan cannot build: {err}") from None
    _restore_params(trainer.G, arrays, "G", path)
    _restore_params(trainer.D, arrays, "D", path)
    for prefix, opt in (("opt_g", trainer.opt_g), ("opt_d", trainer.opt_d)):
        state = {k[len(prefix) + 1:]: v for k, v in arrays.items() if k.startswith(prefix + "/")}
        if "t" not in state:
            raise CheckpointError(f"{path} lacks the state of optimizer {prefix}")
        opt.load_state_dict(state)
    history = {}
    for key in STEP_COLUMNS:
        if f"history/{key}" not in arrays:
            raise CheckpointError(f"{path} lacks history column {key!r}")
        column = arrays[f"history/{key}"].tolist()
        history[key] = [int(v) for v in column] if key == "step" else column
    if any(len(col) != meta["step"] for col in history.values()):
        raise CheckpointError(f"{path}: history length does not match step {meta['step']}")
    trainer.history = history
    trainer.step = int(meta["step"])
    trainer.evaluations = meta.get("evaluations", [])
    try:
        trainer.rng.bit_generator.state = meta["rng"]
    except (TypeError, ValueError, KeyError) as err:
        raise CheckpointError(f"{path} has a corrupt random generator state: {err}") from None
    return trainer
