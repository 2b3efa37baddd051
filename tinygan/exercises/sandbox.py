"""Running a student's file in a process of its own, and calling its functions from the checker.

    with Worker(timeout=60) as worker:
        module = worker.load("exercises/ex03_stable_bce.py")   # stands in for the file's module
        module.softplus(x)                                      # runs in the worker; an array back

Why a process: code imported into the checker could replace the checker's functions, its
reference values or its report, exit with status 0, or hang it. In a worker (worker.py) it
can do none of that to the checker. The inputs are drawn here, only plain values cross
(wire.py: arrays, numbers, strings, lists, dicts; no pickle), and the right answers and the
verdict are computed here, from the arrays that came back. What the student's code can still
do is answer wrongly, which is what the checks are for. Each file gets its own worker, so
one exercise cannot change another's result.

The worker also sends back the state of every argument after each call, and that state is
copied into the checker's own arguments: an input the student's code wrote into is changed
here too, an rng it drew from moves on, and an input array returned as the answer comes back
as that very array. So the checks see what they would see in-process.

Limits: the student's code may run for `timeout` seconds per exercise in all (the checker's
own work is not counted), its printed output is kept up to OUTPUT_CHARS characters, and a
message may be MAX_BYTES long. A worker that exits, crashes, overruns its time or sends a
malformed message is lost: the call that was running, and every later call, fails with one
line saying what happened. This is not a security sandbox: the student's code can still do
whatever the user running the checker can (read and delete files, use the network).
"""

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from tinygan.exercises.core import OUTPUT_CHARS, StudentError, WorkerLost
from tinygan.exercises.wire import WireError, decode, encode, frame, read_frame
from tinygan.losses import GANLoss
from tinygan.mlp import MLP

TIMEOUT = 60.0      # seconds of the student's code per exercise: generous for any honest answer

BOOT = ("import json, sys; sys.path[:0] = json.loads(sys.argv[1]); "
        "from tinygan.exercises.worker import main; main()")


class ImportFailed(Exception):
    """The student's file could not be imported; the message is the hint."""


class Worker:
    """A child process that runs one student's file; use it as a context manager."""

    def __init__(self, timeout=TIMEOUT):
        self.timeout, self.used, self.lost, self.seq = float(timeout), 0.0, None, 0
        root = str(Path(__file__).resolve().parents[2])    # the folder holding our tinygan
        paths = [root] + [p or os.getcwd() for p in sys.path]
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", BOOT, json.dumps(paths)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=os.name == "posix")
        self._replies, self._outbox = queue.Queue(), queue.Queue()
        self._output, self._output_bytes = bytearray(), 0
        self._threads = [threading.Thread(target=f, daemon=True)
                         for f in (self._read_replies, self._read_output, self._write_requests)]
        for t in self._threads:
            t.start()

    # ---------------------------------------------------------------- the process

    def _read_replies(self):
        try:
            while True:
                message = read_frame(self.proc.stdout)
                self._replies.put(("end", None) if message is None else ("frame", message))
                if message is None:
                    return
        except WireError as err:
            self._replies.put(("bad", str(err)))
        except (OSError, ValueError):
            self._replies.put(("end", None))

    def _read_output(self):
        fd = self.proc.stderr.fileno()
        try:
            while chunk := os.read(fd, 65536):
                self._output_bytes += len(chunk)
                room = 4 * OUTPUT_CHARS - len(self._output)
                if room > 0:
                    self._output += chunk[:room]
        except OSError:
            pass

    def _write_requests(self):
        try:
            while (data := self._outbox.get()) is not None:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            self.proc.stdin.close()
        except (OSError, ValueError):
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """End the worker (and anything it started) and wait for its output."""
        self._outbox.put(None)          # closes its stdin: the worker's loop ends
        self._exit_status(wait=2.0)
        self._kill()
        for t in self._threads:
            t.join(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            stream.close()

    def _exit_status(self, wait):
        """The worker's exit status (-N: killed by signal N) once it has ended, or None if it
        still runs after `wait` seconds. On POSIX it is read without reaping the worker, so
        that its process group id cannot be reused before _kill signals it."""
        if self.proc.returncode is not None:      # already reaped
            return self.proc.returncode
        deadline = time.monotonic() + wait
        while hasattr(os, "waitid"):
            info = os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
            if info is not None:
                return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status
            if time.monotonic() > deadline:
                return None
            time.sleep(0.01)
        try:
            return self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return None

    def _kill(self):
        """End the worker and whatever it started (it leads its own process group), then reap it."""
        if self.proc.returncode is None:
            try:
                if os.name == "posix":
                    os.killpg(self.proc.pid, signal.SIGKILL)
                else:
                    self.proc.kill()
            except (ProcessLookupError, PermissionError):
                pass
        self.proc.wait()

    @property
    def output(self):
        """(the first OUTPUT_CHARS characters the student's code printed, the bytes printed in
        all if that was more, else 0). Control characters are shown escaped: a file cannot
        move the terminal's cursor over the report."""
        text = bytes(self._output).decode("utf-8", errors="replace")[:OUTPUT_CHARS]
        cut = self._output_bytes if len(text.encode("utf-8", errors="replace")) < self._output_bytes else 0
        text = "".join(c if c.isprintable() or c in "\n\t" else repr(c)[1:-1] for c in text)
        return text, cut

    # ---------------------------------------------------------------- requests

    def _lose(self, reason):
        self.lost = reason
        self._kill()
        raise WorkerLost(reason)

    def request(self, header, blobs, label):
        """Send one request and wait, within the time left, for its answer (header, blobs)."""
        if self.lost:
            raise WorkerLost(self.lost)
        self.seq += 1
        self._outbox.put(frame({**header, "seq": self.seq}, blobs))
        start = time.monotonic()
        try:
            kind, message = self._replies.get(timeout=max(self.timeout - self.used, 0.0))
        except queue.Empty:
            self.used = self.timeout
            self._lose(f"your code ran past the time limit of {self.timeout:g} s for this exercise "
                       f"and was stopped during {label}: an endless loop? (the limit is set by "
                       "--timeout)")
        self.used += time.monotonic() - start
        if kind == "end":
            code = self._exit_status(wait=5.0)
            how = ("closed its channel to the checker" if code is None else
                   f"crashed (signal {-code})" if code < 0 else f"exited with status {code}")
            self._lose(f"the process running your file {how} during {label}, before it answered: "
                       "a call to sys.exit() or os._exit()? Code must return its answer")
        if kind == "bad" or message[0].get("seq") != self.seq or "error" in message[0]:
            detail = message if kind == "bad" else message[0].get("error", "an answer out of turn")
            self._lose(f"the process running your file sent a malformed answer during {label} "
                       f"({str(detail)[:200]}): does your code write to the checker's channel?")
        return message

    def load(self, path):
        """Import the student's file in the worker; a stand-in for its module."""
        try:
            header, _ = self.request({"op": "import", "path": str(Path(path).resolve())}, [],
                                     "the import of your file")
        except WorkerLost as err:
            raise ImportFailed(str(err)) from None
        if "raised" in header:
            err = _exception(header["raised"])
            text = f"{err.kind}: {err.message}{err.where}" if isinstance(err, StudentError) else \
                f"{type(err).__name__}: {err}{getattr(err, 'where', '')}"
            raise ImportFailed(text)
        return RemoteModule(self, [str(n) for n in header.get("callables", [])])

    def call(self, target, args, kwargs, label):
        """Call a function or method in the worker: its return value, as plain values."""
        args, blobs = tuple(args), []
        request = {"op": "call", "target": target,
                   "args": encode(args, blobs, self._sendable(blobs)),
                   "kwargs": encode(dict(kwargs), blobs, self._sendable(blobs))}
        header, back = self.request(request, blobs, label)
        try:
            _mirror((args, kwargs), decode(header.get("after"), back, _states(back)))
            if "raised" in header:
                error = _exception(header["raised"])
            else:
                return decode(header["value"], back, lambda tree: self._returned(tree, (args, kwargs)))
        except (WireError, KeyError, TypeError, ValueError, IndexError) as err:
            self._lose(f"the process running your file sent a malformed answer during {label} "
                       f"({type(err).__name__}: {str(err)[:200]})")
        raise error

    # ---------------------------------------------------------------- values

    def _sendable(self, blobs):
        """Encode the checker's objects for the worker: by description, never by pickle."""
        def other(obj):
            if isinstance(obj, Remote):
                return {"t": "ref", "id": obj._handle}
            if isinstance(obj, MLP):
                output = "none" if obj.output.name == "identity" else obj.output.name
                return {"t": "mlp", "sizes": list(obj.sizes), "hidden": obj.hidden.name,
                        "slope": obj.hidden.slope, "output": output, "init": obj.init,
                        "dtype": obj.dtype.name, "params": encode(dict(obj.params), blobs, other)}
            if isinstance(obj, GANLoss):
                return {"t": "loss", "name": obj.name, "smooth": obj.smooth}
            if isinstance(obj, np.random.Generator):
                return {"t": "rng", "bit_generator": type(obj.bit_generator).__name__,
                        "state": encode(obj.bit_generator.state, blobs, other)}
            raise TypeError(f"the checker cannot send a {type(obj).__name__} to the worker")
        return other

    def _returned(self, tree, inputs):
        """A tagged value in a return value: an input handed back, or an object kept there."""
        if tree.get("t") == "input":
            value = inputs
            for step in tree["path"]:
                value = value[step]
            if not isinstance(value, np.ndarray):
                raise WireError("a pointer to an input that is not an array")
            return value
        if tree.get("t") == "handle":
            return _remote_type(str(tree["type"]))(self, int(tree["id"]), [str(m) for m in tree["methods"]])
        raise WireError(f"an unknown value {tree.get('t')!r}")


# ============================================================================ stand-ins

class RemoteModule:
    """The student's module as seen from the checker: its functions, run in the worker."""

    def __init__(self, worker, callables):
        self._worker, self._callables = worker, set(callables)

    def __getattr__(self, name):
        if name.startswith("__") or name not in self._callables:
            raise AttributeError(name)
        return RemoteFunction(self._worker, {"name": name}, name)


class Remote:
    """An object the student's code made and the worker keeps (an Adam instance, a cache)."""

    def __init__(self, worker, handle, methods):
        self._worker, self._handle, self._methods = worker, handle, set(methods)

    def __getattr__(self, name):
        if name.startswith("_") or name not in self._methods:
            raise AttributeError(name)
        return RemoteFunction(self._worker, {"handle": self._handle, "method": name},
                              f"{type(self).__name__}.{name}")

    def __repr__(self):
        return f"<{type(self).__name__} object in the student's process>"


_types = {}


def _remote_type(name):
    """A Remote subclass named like the student's class, so hints name the type it returned."""
    if name not in _types:
        _types[name] = type(name if name.isidentifier() else "object", (Remote,), {})
    return _types[name]


class RemoteFunction:
    def __init__(self, worker, target, label):
        self._worker, self._target, self._label = worker, target, label

    def __call__(self, *args, **kwargs):
        return self._worker.call(self._target, args, kwargs, self._label)


def _exception(raised):
    """The exception the student's code raised, rebuilt here from its description."""
    message, where = str(raised.get("message", ""))[:1000], str(raised.get("where", ""))[:300]
    if raised.get("todo"):
        return NotImplementedError(message)
    if raised.get("numeric"):
        err = FloatingPointError(message)
        err.where = where
        return err
    return StudentError(str(raised.get("type", "Exception"))[:100], message, where)


# ============================================================================ the arguments after a call

class _NetState:
    def __init__(self, params):
        self.params = params


class _RngState:
    def __init__(self, state):
        self.state = state


def _states(blobs):
    """Decode the tags of an argument state: a network's params, an rng's state."""
    def other(tree):
        if tree.get("t") == "mlp":
            return _NetState(decode(tree["params"], blobs, other))
        if tree.get("t") == "rng":
            return _RngState(decode(tree["state"], blobs, other))
        raise WireError(f"an unknown argument state {tree.get('t')!r}")
    return other


def _mirror(mine, theirs):
    """Make the checker's argument `mine` what the worker's copy became (`theirs`), in place."""
    if isinstance(mine, np.ndarray):
        if isinstance(theirs, np.ndarray) and theirs.shape == mine.shape and \
                theirs.dtype == mine.dtype and mine.flags.writeable:
            np.copyto(mine, theirs)
    elif isinstance(mine, dict) and isinstance(theirs, dict):
        for key in [k for k in mine if k not in theirs]:
            del mine[key]
        for key, value in theirs.items():
            if key in mine and _same_kind(mine[key], value):
                _mirror(mine[key], value)
            else:
                mine[key] = value
    elif isinstance(mine, list) and isinstance(theirs, list):
        if len(mine) != len(theirs):
            mine[:] = theirs
        for i, value in enumerate(theirs):
            if _same_kind(mine[i], value):
                _mirror(mine[i], value)
            else:
                mine[i] = value
    elif isinstance(mine, tuple) and isinstance(theirs, tuple) and len(mine) == len(theirs):
        for a, b in zip(mine, theirs):
            _mirror(a, b)
    elif isinstance(mine, MLP) and isinstance(theirs, _NetState) and isinstance(theirs.params, dict):
        _mirror(mine.params, theirs.params)
    elif isinstance(mine, np.random.Generator) and isinstance(theirs, _RngState):
        try:
            mine.bit_generator.state = theirs.state
        except (TypeError, ValueError, KeyError):
            pass


def _same_kind(mine, theirs):
    if isinstance(mine, np.ndarray):
        return isinstance(theirs, np.ndarray) and (mine.shape, mine.dtype) == (theirs.shape, theirs.dtype)
    return any(isinstance(mine, t) and isinstance(theirs, s) for t, s in
               ((dict, dict), (list, list), (tuple, tuple), (MLP, _NetState), (np.random.Generator, _RngState)))
