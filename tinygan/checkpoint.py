"""Save and load the whole training state as one .npz file: plain arrays, no pickle.

What a checkpoint holds: G's and D's parameters, both optimizers' state, the random
generator's state, the step, the history, the evaluations and the config. Loading it and
training on gives the same numbers, bit for bit, as never having stopped.

Writing is atomic: the file is written under a temporary name in the same folder, flushed
to disk, then renamed over the target, so a crash or a full disk never leaves a half-written
checkpoint where the last good one was; it gets the permissions any new file would (the
umask's), like the other files of a run. write_npz does the same for any dict of arrays. Reading uses allow_pickle=False: a .npz can carry
pickled objects, and unpickling runs code chosen by whoever wrote the file.
"""

import json
import os
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


def write_npz(path, arrays):
    """Write the dict of arrays `arrays` to `path` (.npz) atomically; return the path.

    A temporary file in the same folder is written, flushed to disk, given the mode a new
    file gets (0666 less the umask: mkstemp makes it 0600, private) and renamed over `path`.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)  # atomic on POSIX and Windows: the old file or the new, never half
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return str(path)


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
