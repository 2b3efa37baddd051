"""Finished runs on disk: a key for every run, and an append-only file of results.

    key = run_key(Config(seed=3), task="train_one", options={"snap_steps": [500]})
    store = ResultStore("runs.jsonl")
    store.put(key, result, task="train_one", run=describe(Config(seed=3)))
    store.get(key)                    # the same result, to the bit; None if never stored

The key of a run is sha256 of one canonical JSON text (sorted keys, no spaces):

    {"options": {...the task's options...}, "run": {"config": Config.to_dict(), ...the
     run's own options...}, "task": "<the task's name>"}

so it changes whenever anything that could change the result changes: a field of the
Config (the seed is one), an option of the run, the options of the task, or the task
itself (rename the task when its output changes). Nothing else enters it: not the
machine, the time or the number of workers.

The store is one JSON Lines file, one finished run per line:
{"key": ..., "task": ..., "run": ..., "result": ...}. Lines are only ever appended, each
with one write under an exclusive lock (flock, on POSIX), so two processes appending at
once never interleave; a line cut short by a crash is skipped when read (its run is
simply trained again) and the next append starts on a fresh line. Results keep their
exact bits: floats are written with Python's round-trip repr, arrays as their raw bytes in
base64 beside dtype and shape, and tuples, numpy scalars, non-string dict keys and Configs
are tagged so that they come back as what they were (see encode/decode).
"""

import base64
import hashlib
import json
import os
import re
import struct

import numpy as np

from tinygan.config import Config

try:                        # POSIX: lock the file while appending; elsewhere O_APPEND alone
    import fcntl
except ImportError:         # pragma: no cover - Windows
    fcntl = None

__all__ = ["describe", "canonical", "run_key", "encode", "decode", "bit_difference",
           "ResultStore"]


# ----------------------------------------------------------------------------- keys

def describe(run):
    """A run as plain JSON data: {"config": Config.to_dict(), **the run's own options}.

    run: a Config, or a dict {"config": Config, ...options} (see tinygan.questions.sweep).
    """
    if isinstance(run, Config):
        return {"config": run.to_dict()}
    if not isinstance(run, dict) or not isinstance(run.get("config"), Config):
        raise TypeError(f"a run is a Config or a dict with a Config under 'config'; got {run!r:.80}")
    return {"config": run["config"].to_dict(), **{k: v for k, v in run.items() if k != "config"}}


def _plain(value):
    """numpy scalars and arrays as Python numbers and lists, for a key's JSON."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"a run's options must be JSON data (numbers, strings, lists, dicts); "
                    f"got {type(value).__name__}")


def canonical(obj):
    """One JSON text per value: sorted keys, no spaces, tuples as lists, no NaN."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False, default=_plain)


def run_key(run, task="train_one", options=None):
    """sha256 (64 hex digits) of the canonical JSON of the task, the run and the options."""
    text = canonical({"task": str(task), "run": describe(run), "options": dict(options or {})})
    return hashlib.sha256(text.encode("ascii")).hexdigest()


# ----------------------------------------------------------------------------- exact JSON

_TAGS = ("__array__", "__scalar__", "__tuple__", "__items__", "__config__")


def _b64(a):
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def encode(obj):
    """obj as JSON data that decode turns back into the same values, bit for bit.

    Python floats stay numbers (json writes repr, which reads back exactly; NaN and inf as
    the literals NaN / Infinity); ndarray -> {"__array__": {dtype, shape, data}} with data
    the raw bytes in base64; numpy scalar -> {"__scalar__": {dtype, data}}; tuple ->
    {"__tuple__": [...]}; a dict with a non-string key (or a key that looks like a tag) ->
    {"__items__": [[key, value], ...]}; Config -> {"__config__": to_dict()}.
    """
    if obj is None or isinstance(obj, (bool, str, int)) and not isinstance(obj, np.generic):
        return obj
    if isinstance(obj, float) and not isinstance(obj, np.generic):
        return obj
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise TypeError("arrays of Python objects cannot be stored; convert them first")
        return {"__array__": {"dtype": obj.dtype.str, "shape": list(obj.shape), "data": _b64(obj)}}
    if isinstance(obj, np.generic):
        return {"__scalar__": {"dtype": obj.dtype.str, "data": _b64(np.asarray(obj))}}
    if isinstance(obj, Config):
        return {"__config__": encode(obj.to_dict())}
    if isinstance(obj, tuple):
        return {"__tuple__": [encode(v) for v in obj]}
    if isinstance(obj, list):
        return [encode(v) for v in obj]
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: encode(v) for k, v in obj.items()}
        return {"__items__": [[encode(k), encode(v)] for k, v in obj.items()]}
    raise TypeError(f"cannot store a {type(obj).__name__}: results are dicts, lists, tuples, "
                    "numbers, strings, None, numpy arrays and scalars, and Configs")


def decode(data):
    """The inverse of encode."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if len(data) == 1 and next(iter(data)) in _TAGS:
        (tag, body), = data.items()
        if tag == "__array__":
            raw = base64.b64decode(body["data"])
            return np.frombuffer(raw, dtype=np.dtype(body["dtype"])).reshape(body["shape"]).copy()
        if tag == "__scalar__":
            return np.frombuffer(base64.b64decode(body["data"]), dtype=np.dtype(body["dtype"]))[0]
        if tag == "__tuple__":
            return tuple(decode(v) for v in body)
        if tag == "__items__":
            return {decode(k): decode(v) for k, v in body}
        return Config.from_dict(decode(body))
    return {k: decode(v) for k, v in data.items()}


def bit_difference(a, b, where="result"):
    """Where a and b first differ (a path like "result['history']['g_loss'][17]"), or None.

    None means the same types and the same bits all the way down: arrays of the same dtype
    and shape with equal bytes, floats with equal bit patterns (so NaN equals NaN and 0.0
    differs from -0.0), dicts with the same keys in any order.
    """
    if type(a) is not type(b):
        return f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return f"{where}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
        if a.tobytes() != b.tobytes():
            i = int(np.flatnonzero(a.reshape(-1).view(np.uint8) != b.reshape(-1).view(np.uint8))[0])
            return f"{where}: arrays differ (byte {i})"
        return None
    if isinstance(a, np.generic):
        return None if a.tobytes() == b.tobytes() else f"{where}: {a!r} vs {b!r}"
    if isinstance(a, float):
        return None if struct.pack("<d", a) == struct.pack("<d", b) else f"{where}: {a!r} vs {b!r}"
    if isinstance(a, Config):
        return bit_difference(a.to_dict(), b.to_dict(), where + ".to_dict()")
    if isinstance(a, dict):
        if set(a) != set(b):
            return f"{where}: keys {sorted(map(repr, set(a) ^ set(b)))} in one only"
        for k in a:
            found = bit_difference(a[k], b[k], f"{where}[{k!r}]")
            if found:
                return found
        return None
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return f"{where}: length {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            found = bit_difference(x, y, f"{where}[{i}]")
            if found:
                return found
        return None
    return None if a == b else f"{where}: {a!r} vs {b!r}"


# ----------------------------------------------------------------------------- the file

_KEY = re.compile(rb'\{"key": ?"([0-9a-f]{64})"')


class ResultStore:
    """An append-only JSON Lines file of finished runs, keyed by run_key.

    path: the file (created, with its folder, on the first put). Reading never locks out a
    writer; a line being written while it is read is skipped and looked at again later.
    A key stored more than once (a run trained again on purpose, or by two sweeps at the
    same time) reads as its newest whole line.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self._offsets = {}           # key -> byte offsets of its lines, oldest first
        self._scanned = 0            # bytes of the file already indexed

    def __repr__(self):
        return f"ResultStore({self.path!r})"

    def _scan(self):
        """Index the lines appended since the last scan (only whole lines)."""
        try:
            f = open(self.path, "rb")
        except FileNotFoundError:
            return
        with f:
            f.seek(self._scanned)
            offset = self._scanned
            for line in f:
                if not line.endswith(b"\n"):
                    break                    # being written, or cut short: not yet
                m = _KEY.match(line)
                if m:
                    self._offsets.setdefault(m.group(1).decode(), []).append(offset)
                offset += len(line)
            self._scanned = offset

    def _read(self, key):
        with open(self.path, "rb") as f:
            for offset in reversed(self._offsets.get(key, ())):       # the newest first
                f.seek(offset)
                try:
                    entry = json.loads(f.readline())
                    if entry.get("key") == key:
                        return decode(entry["result"])
                except (ValueError, KeyError, TypeError):
                    continue                 # a damaged line: try the next copy, if any
        return None

    def get(self, key):
        """The stored result of the run with this key, or None."""
        self._scan()                         # only what was appended since the last look
        return self._read(key) if key in self._offsets else None

    def __contains__(self, key):
        return self.get(key) is not None

    def keys(self):
        """Every key with at least one line in the file."""
        self._scan()
        return list(self._offsets)

    def __len__(self):
        return len(self.keys())

    def put(self, key, result, task=None, run=None):
        """Append one finished run: its key, task name, description (see describe) and result."""
        entry = {"key": key, "task": task, "run": run, "result": encode(result)}
        line = (json.dumps(entry, separators=(", ", ": "), default=_plain) + "\n").encode("ascii")
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line          # the last line was cut short: start a new one
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)                     # closing releases the lock

