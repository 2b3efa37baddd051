"""Save and load the whole training state as one .npz file: plain arrays, no pickle.

What a checkpoint holds: G's and D's parameters, both optimizers' state, the random
generator's state, the step, the history, the evaluations and the config. Loading it and
training on gives the same numbers, bit for bit, as never having stopped.

Writing is atomic: the file is written under a temporary name in the same folder, flushed
to disk, then renamed over the target, so a crash or a full disk never leaves a half-written
checkpoint where the last good one was; it gets the permissions any new file would (the
umask's), like the other files of a run. write_npz does the same for any dict of arrays,
write_text for text, and replacing(path) for any writer that takes a file name (figures).

Reading treats the file as untrusted: a .npz can carry pickled objects (and unpickling runs
code chosen by whoever wrote the file), and a .npy header can declare any size. `load` checks
the whole file against the config it claims before it returns a trainer, and allocates
nothing larger than that config builds (see "reading" below); every failure is one
CheckpointError line. `evaluate` and `train --resume` both go through it.
"""

import contextlib
import io
import json
import math
import os
import re
import signal
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from tinygan.app.memory import check_run_fits, fits_in_memory
from tinygan.config import Config
from tinygan.data import get_dataset
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


# ============================================================================ reading
# A checkpoint is read as untrusted input: every size is checked before anything is
# allocated. In order: the file (readable, a zip), the member names (exactly the ones the
# format has), meta (a small JSON object with the fields and types it must have), the config
# (buildable, and of a size this machine can hold), then for every array its .npy header alone
# (dtype and shape against what the config builds), and only then its data, read to exactly
# the size the header declares (a compressed member that expands further is refused, so a
# deflate bomb costs nothing), and checked finite.

MAX_PARAMETERS = 10**8       # G and D together: 800 MB of float64, x4 with Adam and an average
MAX_META_BYTES = 1 << 26     # 64 MB of JSON: config, rng state and the evaluations
_CHUNK = 1 << 20


def _fail(path, text):
    return CheckpointError(f"{path}: {text}")


def _open_zip(path):
    """The file opened as a zip, or a CheckpointError saying why it cannot be."""
    path = Path(path)
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise CheckpointError(f"no checkpoint file at {path}") from None
    except OSError as err:      # a name too long, a link loop, no permission on a folder
        raise CheckpointError(f"{path}: cannot read ({err.strerror or err})") from None
    if not stat.S_ISREG(st.st_mode):
        raise CheckpointError(f"{path} is not a file: give a checkpoint (.npz) file")
    try:
        f = open(path, "rb")
    except PermissionError:
        raise CheckpointError(f"{path}: cannot read (permission denied); the file may be fine, "
                              f"but this user may not open it") from None
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read ({err.strerror or err})") from None
    with f:
        start = f.read(4)
    if not start:
        raise CheckpointError(f"{path} is empty: it is not a checkpoint (an interrupted copy?)")
    if start not in (b"PK\x03\x04", b"PK\x05\x06"):     # a member first, or an empty zip
        raise CheckpointError(f"{path} does not start like a zip (.npz) file: it is not a "
                              f"tinygan checkpoint, or bytes were added before its start")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as err:
        raise CheckpointError(f"{path} is truncated or corrupt ({type(err).__name__}: {err}); "
                              f"it is not a complete .npz checkpoint") from None


class _Members:
    """The .npy members of an open checkpoint zip, read header first, data to the byte."""

    def __init__(self, archive, path):
        self.zip, self.path = archive, path
        self.infos = {}
        for info in archive.infolist():
            name = info.filename
            if not name.endswith(".npy") or info.is_dir():
                raise _fail(path, f"member {name!r} is not a .npy array; a checkpoint holds "
                                  f"only .npy arrays")
            key = name[:-4]
            if key in self.infos:
                raise _fail(path, f"member {name!r} appears twice; the file is corrupt")
            self.infos[key] = info

    def header(self, key):
        """(dtype, shape, fortran_order) from the member's .npy header, its data unread."""
        with self._open(key) as f:
            return self._header(f, key)

    def _open(self, key):
        try:
            return self.zip.open(self.infos[key])
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
                EOFError, OSError, ValueError) as err:
            raise _fail(self.path, f"member {key}.npy cannot be read ({type(err).__name__}: "
                                   f"{err}); the file is truncated or corrupt") from None

    def _header(self, f, key):
        try:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f".npy version {version[0]}.{version[1]}, tinygan writes 1.0")
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as err:
            raise _fail(self.path, f"{key} is corrupt ({type(err).__name__}: {err}); the file "
                                   f"is damaged") from None
        except (ValueError, TypeError, SyntaxError, OverflowError) as err:
            raise _fail(self.path, f"{key} is not a readable .npy array ({err})") from None
        if any(d < 0 for d in shape):
            raise _fail(self.path, f"{key} is not a readable .npy array (shape {shape})")
        if dtype.hasobject:
            raise _fail(self.path, f"{key} holds pickled Python objects; tinygan checkpoints are "
                                   f"plain arrays and pickles are refused (they can run code)")
        return dtype, tuple(shape), fortran

    def read(self, key, dtype, shape, what="the config builds"):
        """The array `key`, after checking that its header declares exactly `dtype` and
        `shape` (one of several dtypes if `dtype` is a tuple of kinds, e.g. 'iu'); its data is
        read to exactly that many bytes, and a member holding more is refused."""
        with self._open(key) as f:
            found, declared, fortran = self._header(f, key)
            if shape != declared or not _same_dtype(found, dtype):
                raise _mismatch(self.path, key, found, declared, dtype, shape, what)
            nbytes = math.prod(shape) * found.itemsize
            data = np.empty(nbytes, dtype=np.uint8)      # the size the config allows, no more
            filled = 0
            try:
                while filled < nbytes:
                    piece = f.read(min(_CHUNK, nbytes - filled))
                    if not piece:
                        break
                    data[filled:filled + len(piece)] = np.frombuffer(piece, dtype=np.uint8)
                    filled += len(piece)
                extra = f.read(1)       # at the end, the zip checks the member's CRC
            except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as err:
                raise _fail(self.path, f"{key} is corrupt ({type(err).__name__}: {err})") from None
        if filled < nbytes:
            raise _fail(self.path, f"{key} is truncated: its header declares {nbytes} bytes, "
                                   f"it holds {filled}")
        if extra:
            raise _fail(self.path, f"{key} holds more data than its header declares "
                                   f"({nbytes} bytes); the file is corrupt or hostile")
        return data.view(found).reshape(shape, order="F" if fortran else "C")


def _same_dtype(found, want):
    """found is `want` (a dtype), or of one of the kinds in `want` (a string like 'iu')."""
    return found.kind in want if isinstance(want, str) else found == want


def _array_text(dtype, shape):
    """'float32[16, 8]', 'int64 scalar', 'an integer scalar' (dtype a string of kinds)."""
    kind = "an integer" if isinstance(dtype, str) else str(dtype)
    return f"{kind} scalar" if shape == () else f"{kind}{list(shape)}"


def _mismatch(path, key, dtype, shape, want_dtype, want_shape, what="the config builds"):
    """'G/W1 is float64[8, 5] but the config builds float64[8, 8]', as a CheckpointError."""
    return _fail(path, f"{key} is {_array_text(dtype, shape)} but {what} "
                       f"{_array_text(want_dtype, want_shape)}")


def read_meta(path):
    """The checkpoint's metadata (format, version, step, config, rng, evaluations), checked:
    a CheckpointError if any field is missing or of the wrong type. The arrays are not read."""
    with _open_zip(path) as archive:
        return _read_meta(_Members(archive, path), path)


def _read_meta(members, path):
    if "meta" not in members.infos:
        raise CheckpointError(f"{path} has no 'meta' entry: it is not a tinygan checkpoint")
    dtype, shape, _ = members.header("meta")
    if dtype != np.uint8 or len(shape) != 1:
        raise _fail(path, f"meta is {dtype}{list(shape)}; a checkpoint's meta is a 1-D uint8 "
                          f"array of JSON text")
    if shape[0] > MAX_META_BYTES:
        raise _fail(path, f"meta declares {shape[0]} bytes; at most {MAX_META_BYTES} are read")
    raw = members.read("meta", dtype, shape)
    return _meta(raw.tobytes(), path)


def _meta(raw, path):
    """Decode and check the JSON of meta: an object with the fields a checkpoint has."""
    try:
        meta = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise CheckpointError(f"{path} has corrupt metadata: {err}") from None
    if not isinstance(meta, dict):
        raise _fail(path, f"meta is a JSON {type(meta).__name__}; a checkpoint's meta is a JSON "
                          f"object: it is not a tinygan checkpoint")
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a tinygan checkpoint (format {meta.get('format')!r})")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path} is checkpoint version {meta.get('version')}; "
                              f"this tinygan reads version {VERSION}")
    kinds = {"step": int, "config": dict, "rng": dict, "evaluations": list}
    for key, kind in kinds.items():
        if key not in meta:
            raise _fail(path, f"meta lacks {key!r}; a checkpoint records {', '.join(kinds)}")
        value = meta[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise _fail(path, f"meta's {key!r} is {value!r:.60}, not a JSON "
                              f"{'integer' if kind is int else 'object' if kind is dict else 'list'}")
    if meta["step"] < 0:
        raise _fail(path, f"meta's step is {meta['step']}; it must be >= 0")
    if not all(isinstance(e, dict) for e in meta["evaluations"]):
        raise _fail(path, "meta's evaluations must be a list of JSON objects")
    return meta


def _config(meta, path):
    """The Config in meta, validated, and its data set; a CheckpointError if either cannot be
    built or the model would be larger than tinygan reads."""
    try:
        config = check_run_fits(Config.from_dict(meta["config"]).validate())
    except (TypeError, ValueError, KeyError, OverflowError) as err:
        raise CheckpointError(f"{path} has a config this tinygan cannot build: {err}") from None
    if config.steps < meta["step"]:
        raise _fail(path, f"meta's step {meta['step']} is past the config's total of "
                          f"{config.steps} steps; the file is corrupt")
    try:
        data = get_dataset(config.data, **config.data_options)
    except FileNotFoundError as err:
        where = err.where() if hasattr(err, "where") else str(err)
        raise _fail(path, f"its data set {config.data!r} cannot be loaded: {where}") from None
    except (TypeError, ValueError, OverflowError, MemoryError) as err:
        raise CheckpointError(f"{path} has a config this tinygan cannot build: "
                              f"{err or type(err).__name__}") from None
    n = sum(config.parameter_counts(data.dim))
    if n > MAX_PARAMETERS:
        raise _fail(path, f"its config builds {n:,} parameters; tinygan reads checkpoints of "
                          f"at most {MAX_PARAMETERS:,} (a corrupt or hostile config?)")
    # (Config.validate has already refused a batch or an evaluation the machine cannot hold)
    return config, data


def _expected(trainer, step):
    """{member: (dtype, shape)} every checkpoint of `trainer`'s config at `step` holds, and
    {member: (dtype, shape)} it may hold (optimizer slots, present once a step was taken)."""
    need, may = {}, {}
    for prefix, net in (("G", trainer.G), ("D", trainer.D)):
        for key, value in net.params.items():
            need[f"{prefix}/{key}"] = (value.dtype, value.shape)
    for prefix, opt, net in (("opt_g", trainer.opt_g, trainer.G), ("opt_d", trainer.opt_d, trainer.D)):
        need[f"{prefix}/t"] = ("iu", ())
        inner = getattr(opt, "inner", opt)
        for slot in inner.slots:
            for key, value in net.params.items():
                may[f"{prefix}/{slot}/{key}"] = (value.dtype, value.shape)
        if inner is not opt:        # the generator's weight average
            for key, value in net.params.items():
                need[f"{prefix}/ema/{key}"] = (value.dtype, value.shape)
    for key in STEP_COLUMNS:
        need[f"history/{key}"] = (np.dtype(np.float64), (step,))
    return need, may


def _check_members(members, need, may, path):
    names = set(members.infos) - {"meta"}
    for key in sorted(names - set(need) - set(may)):
        what = {"opt_g": "an optimizer slot", "opt_d": "an optimizer slot", "G": "a parameter",
                "D": "a parameter", "history": "a history column"}.get(key.split("/", 1)[0])
        if what is None:
            raise _fail(path, f"member {key}.npy is not part of a tinygan checkpoint (it holds "
                              f"meta, G/*, D/*, opt_g/*, opt_d/* and history/* only)")
        raise _fail(path, f"{key} is {what} its config does not have; the file does not "
                          f"match its own config")
    for key in sorted(set(need) - names):
        raise CheckpointError(f"{path} lacks {key}: it does not match its own config")
    slots = {k.rsplit("/", 1)[0] for k in may}
    for slot in sorted(slots):
        keys = {k for k in may if k.rsplit("/", 1)[0] == slot}
        if names & keys and not keys <= names:
            raise CheckpointError(f"{path} lacks {sorted(keys - names)[0]}: its optimizer "
                                  f"state is incomplete")
    for key in sorted(names):     # every header, before any data is read
        dtype, shape, _ = members.header(key)
        want_dtype, want_shape = need.get(key) or may[key]
        if shape != want_shape or not _same_dtype(dtype, want_dtype):
            raise _mismatch(path, key, dtype, shape, want_dtype, want_shape)
    total = sum(math.prod(s) * 8 for _, s in list(need.values()) + list(may.values()))
    try:
        fits_in_memory("its arrays", total)
    except ValueError as err:
        raise _fail(path, str(err)) from None


def load(path):
    """A Trainer in exactly the state it was saved in. Raises CheckpointError, one line saying
    what is wrong, if it cannot: the file is validated whole (see above) before the trainer
    is returned."""
    with _open_zip(path) as archive:
        members = _Members(archive, path)
        meta = _read_meta(members, path)
        config, _ = _config(meta, path)
        try:
            trainer = Trainer(config)
        except (TypeError, ValueError, KeyError, MemoryError) as err:
            raise CheckpointError(f"{path} has a config this tinygan cannot build: {err}") from None
        step = meta["step"]
        need, may = _expected(trainer, step)
        _check_members(members, need, may, path)
        arrays = {key: members.read(key, *(need.get(key) or may[key]))
                  for key in sorted(set(members.infos) - {"meta"})}
    for key, value in arrays.items():
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)) and not key.startswith("history/"):
            raise _fail(path, f"holds NaN or inf in {key}: not a state a healthy run saves")
    for prefix, net in (("G", trainer.G), ("D", trainer.D)):
        for key, value in net.params.items():
            value[...] = arrays[f"{prefix}/{key}"]
    for prefix, opt in (("opt_g", trainer.opt_g), ("opt_d", trainer.opt_d)):
        state = {k[len(prefix) + 1:]: v for k, v in arrays.items() if k.startswith(prefix + "/")}
        if state["t"] < 0:
            raise _fail(path, f"{prefix}/t is {int(state['t'])}; an optimizer's step count is >= 0")
        opt.load_state_dict(state)
    steps = arrays["history/step"]
    if not np.array_equal(steps, np.arange(1, step + 1)):
        raise _fail(path, f"history/step is not 1..{step}, one row per step; the file is corrupt")
    trainer.history = {key: arrays[f"history/{key}"].tolist() for key in STEP_COLUMNS}
    trainer.history["step"] = [int(v) for v in trainer.history["step"]]
    trainer.step = step
    trainer.evaluations = meta["evaluations"]
    try:
        trainer.rng.bit_generator.state = meta["rng"]
    except (TypeError, ValueError, KeyError, OverflowError) as err:
        raise CheckpointError(f"{path} has a corrupt random generator state: {err!r}") from None
    return trainer
