"""Running a student's file in a process of its own, and calling its functions from the checker.

    with Worker(timeout=60) as worker:
        module = worker.load("exercises/ex03_stable_bce.py")   # stands in for the file's module
        module.softplus(x)                                      # runs in the worker; an array back

Why a process: code imported into the checker could replace the checker's functions, its
reference values or its report, exit with status 0, or hang it. The inputs are drawn here,
only plain values cross (wire.py: arrays, numbers, strings, lists, dicts; no pickle), and the
right answers and the verdict are computed here: every value handed to the student's code is
a copy, and every right answer comes from the checker's own copy, computed before the call.
Each file gets its own worker, so one exercise cannot change another's result.

The worker also sends back the state of every argument after each call, and that state is
copied into the checker's own arguments: an input the student's code wrote into is changed
here too, an rng it drew from moves on, and an input array returned as the answer comes back
as that very array. So the checks see what they would see in-process (and can say "you wrote
into dy"), while the right answers never depend on it.

What it defends against:
  - a file that exits (sys.exit, os._exit), crashes, loops, prints megabytes or writes to the
    checker's channel: one failed check saying what happened;
  - a file that rebinds the checker's or the library's functions: that happens in the
    worker, whose answers are only ever compared here;
  - a file that plants modules for the checker (a secrets.py in the current folder, lines
    added to an installed file): everything the checks import is imported before the file
    runs, and while grading the checker may import nothing new (guard.py); the worker starts
    with -I (no current folder, no user site, no PYTHON* variables) and only the folders of
    tinygan and numpy added to its path; installed files of numpy, Hypothesis and tinygan
    that differ from their wheel's RECORD stop the checker before it grades;
  - a file that spawns processes: the worker leads its own session; on timeout and at the
    end its process group, every process of its session and every process still holding
    one of its pipes are killed, the pipes are read without blocking, and the verdict comes
    within the time limit plus GRACE seconds whatever was spawned;
  - a file that allocates or computes without end: the worker's address space is capped at
    `memory` MiB (MEMORY by default) and its CPU time at the time limit plus CPU_SLACK
    seconds, both as hard limits it cannot raise;
  - text meant for the terminal: the printed output and every exception message are shown
    with control characters escaped, so no escape sequence can repaint the report.

Limits: the student's code may run for `timeout` seconds per exercise in all (the checker's
own work is not counted), its printed output is kept up to OUTPUT_CHARS characters, and a
message may be MAX_BYTES long. A worker that exits, crashes, overruns its time or sends a
malformed message is lost: the call that was running, and every later call, fails with one
line saying what happened.

What it cannot do: this is not a security boundary between users. The student's code runs
as the user running the checker, so it can read and delete that user's files, use the
network, leave a process behind that closed its pipes and left the session, and edit any
file that user can write, including a tinygan installed in editable mode or run from a clone
(which have no RECORD to compare with), compiled bytecode (__pycache__) and files Python runs
at start-up (.pth files, sitecustomize.py): guard.py lists what its check does not cover. A teacher grading untrusted files should run the checker under an account
that cannot write the install, or in a container.
"""

import json
import math
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from tinygan.exercises import guard
from tinygan.exercises.core import OUTPUT_CHARS, StudentError, WorkerLost, printable
from tinygan.exercises.wire import WireError, decode, encode, frame, read_frame
from tinygan.losses import GANLoss
from tinygan.mlp import MLP

TIMEOUT = 60.0      # seconds of the student's code per exercise: generous for any honest answer
MEMORY = 2048       # MiB of address space the worker may map: ~10x what numpy and an honest answer need
CPU_SLACK = 10      # CPU seconds the worker may use beyond the time limit (its own imports, the wire)
GRACE = 3.0         # seconds to wait for a worker to end after its channel is closed

BOOT = ("import json, sys; config = json.loads(sys.argv[1]); sys.path[:0] = config['paths']; "
        "from tinygan.exercises.worker import main; main(config)")

# One BLAS thread: a predictable address space under the memory limit, and CPU time that
# matches the time the student's code ran.
THREADS = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


class ImportFailed(Exception):
    """The student's file could not be imported; the message is the hint."""


def _roots():
    """The folders holding the tinygan and numpy this process runs: the worker's only extra
    paths (never the current folder, never a user site folder)."""
    roots = []
    for module in ("tinygan", "numpy"):
        folder = str(Path(sys.modules[module].__file__).resolve().parents[1])
        if folder not in roots:
            roots.append(folder)
    return roots


class Worker:
    """A child process that runs one student's file; use it as a context manager."""

    def __init__(self, timeout=TIMEOUT, memory=MEMORY):
        guard.prepare()         # before any student code: import all the checks need, verify files
        self.timeout, self.used, self.lost, self.seq = float(timeout), 0.0, None, 0
        self.memory = memory
        cpu = min(math.ceil(self.timeout) + CPU_SLACK, 2**31 - 1)
        config = {"paths": _roots(), "memory": None if memory is None else int(memory * 2**20),
                  "cpu": cpu}
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", BOOT, json.dumps(config)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=os.name == "posix",
            env={**os.environ, **THREADS})
        self._stop, self._closed = threading.Event(), False
        self._pipes = [s.fileno() for s in (self.proc.stdin, self.proc.stdout, self.proc.stderr)]
        self._inodes = {os.fstat(fd).st_ino for fd in self._pipes}
        for fd in self._pipes:
            os.set_blocking(fd, False)
        self._replies, self._outbox = queue.Queue(), queue.Queue()
        self._output, self._output_bytes = bytearray(), 0
        self._threads = [threading.Thread(target=f, daemon=True)
                         for f in (self._read_replies, self._read_output, self._write_requests)]
        for t in self._threads:
            t.start()
        self._seal = guard.sealed()

    # ---------------------------------------------------------------- the process

    def _read_replies(self):
        stream = _Pipe(self._pipes[1], self._stop)
        try:
            while True:
                message = read_frame(stream)
                self._replies.put(("end", None) if message is None else ("frame", message))
                if message is None:
                    return
        except WireError as err:
            self._replies.put(("bad", str(err)))
        except (OSError, ValueError):
            self._replies.put(("end", None))

    def _read_output(self):
        stream = _Pipe(self._pipes[2], self._stop)
        try:
            while chunk := stream.read(65536):
                self._output_bytes += len(chunk)
                room = 4 * OUTPUT_CHARS - len(self._output)
                if room > 0:
                    self._output += chunk[:room]
        except OSError:
            pass

    def _write_requests(self):
        fd = self._pipes[0]
        try:
            while (data := self._outbox.get()) is not None:
                view = memoryview(data)
                while view and not self._stop.is_set():
                    if select.select([], [fd], [], 0.1)[1]:
                        try:
                            view = view[os.write(fd, view):]
                        except BlockingIOError:
                            pass
        except OSError:
            pass

    def __enter__(self):
        self._seal.__enter__()
        return self

    def __exit__(self, *exc):
        try:
            self.close()
        finally:
            self._seal.__exit__(None, None, None)

    def close(self):
        """End the worker (and anything it started), stop reading its pipes and close them.
        Returns within GRACE seconds and a little more, whatever the student's code spawned."""
        if self._closed:
            return
        self._closed = True
        self._outbox.put(None)
        deadline = time.monotonic() + GRACE
        while self._threads[2].is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        try:
            self.proc.stdin.close()     # the worker's loop ends at the end of its input
        except OSError:
            pass
        self._exit_status(wait=max(deadline - time.monotonic(), 0.0))
        self._kill()
        deadline = time.monotonic() + 1.0      # what was printed before the end is read
        while any(t.is_alive() for t in self._threads[:2]) and time.monotonic() < deadline:
            time.sleep(0.01)
        self._stop.set()
        for t in self._threads:
            t.join(timeout=1.0)
        for stream in (self.proc.stdout, self.proc.stderr):
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
        """End the worker, its process group, every process of its session, and every process
        still holding one of its pipes (a grandchild that left the session), then reap it."""
        if os.name != "posix":
            if self.proc.returncode is None:
                self.proc.kill()
            self.proc.wait()
            return
        if self.proc.returncode is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        # the session is looked for only while the worker is not yet reaped (its pid, the
        # session's id, cannot have been reused); pipe holders are ours whenever found
        leader = self.proc.pid if self.proc.returncode is None else None
        for pid in _strays(leader, self._inodes):
            try:
                os.kill(pid, signal.SIGKILL)
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
        return printable(text), cut

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
                   f"ran past its CPU-time limit and was stopped (signal {-code})"
                   if code == -getattr(signal, "SIGXCPU", 0) else
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



class _Pipe:
    """A pipe read without blocking: read(n) waits for data in 0.1 s slices and gives up
    (b"", the end) once `stop` is set, so no thread is left hanging on a pipe that a process
    the checker cannot see still holds open."""

    def __init__(self, fd, stop):
        self.fd, self.stop = fd, stop

    def read(self, n):
        while not self.stop.is_set():
            if select.select([self.fd], [], [], 0.1)[0]:
                try:
                    return os.read(self.fd, n)
                except BlockingIOError:
                    continue
        return b""


def _strays(leader, inodes):
    """Process ids (not this one) in the session `leader` leads, or holding a pipe whose inode
    is in `inodes`; read from /proc, so only on Linux (elsewhere: none)."""
    found, me = [], os.getpid()
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return found
    wanted = {f"pipe:[{inode}]" for inode in inodes}
    for pid in pids:
        if pid == me:
            continue
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            if leader is not None and int(fields[4]) == leader:   # after the name: state, ppid, pgrp, session
                found.append(pid)
                continue
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in wanted:
                    found.append(pid)
                    break
        except (OSError, IndexError, ValueError):
            continue
    return found


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
    message = printable(str(raised.get("message", ""))[:1000])
    where = printable(str(raised.get("where", ""))[:300])
    if raised.get("todo"):
        return NotImplementedError(message)
    if raised.get("numeric"):
        err = FloatingPointError(message)
        err.where = where
        return err
    return StudentError(printable(str(raised.get("type", "Exception"))[:100]), message, where)


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
