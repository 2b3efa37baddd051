"""A run folder belongs to one run: claim it before looking at it, release it at the end.

    with claim_folder("runs/ring"):       # RunFolderError if another run holds it
        check_folder("runs/ring")         # RunFolderError if a run is already in it
        ...                               # train and write

The claim is an exclusive flock on the folder's lock file .tinygan.lock, which says who holds
it (pid, host, start time). The lock file is opened without following a symbolic link and
must be a regular file with one name; it is written over, never truncated: a lock that is a
link to a user's file, a hard link, a FIFO or a device is refused with one line, untouched. Why flock and not exclusive creation (O_CREAT | O_EXCL) of a lock
file: the kernel releases a flock when its process ends, however it ends (SIGKILL, a crash,
a power cut), so a lock is never stale and nobody is ever told to delete one by hand; an
exclusively created file outlives a killed run and then refuses every later one. Taking a
flock is one atomic act, and every question about the folder (does it hold a run? which free
runs/<data>-k to take?) is asked only under it, so two runs started together cannot both
find the folder free. Claiming also creates the folder and a probe file in it: a folder that
cannot be written is found before any work, with one line saying why.
"""

import contextlib
import errno
import json
import os
import socket
import stat
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

FRAMES = "frames.npz"
# Every file a run writes: what makes a folder "hold a run", and all that overwrite removes.
RUN_FILES = ("checkpoint.npz", "history.csv", "metrics.json", "samples.png", "curves.png",
             "training.gif", "run.html", FRAMES, "digits.png")
LOCK = ".tinygan.lock"
RECORD_BYTES = 256          # the holder's record, padded with spaces: the file is never truncated
PROBE = "tinygan-probe"   # .tinygan-probe.<random>.tmp: created and removed at once

try:                        # POSIX; elsewhere a folder is not locked (documented in claim_folder)
    import fcntl
except ImportError:         # pragma: no cover - Windows
    fcntl = None


class RunFolderError(Exception):
    """A run folder that cannot be used: held by another run, holding a run already, or not
    writable. One line, naming the folder; nothing in the folder was changed."""


class FolderInUse(RunFolderError):
    """The folder is claimed by another run."""


_held = {}                   # this process's claims: {folder's (st_dev, st_ino): [Claim, depth]}
_held_lock = threading.Lock()


def _holder_text(fd):
    """Who holds a lock file, from what it says: 'pid 123 on host, started 2026-...'."""
    for _ in range(20):      # the holder writes it just after taking the lock: wait a moment
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
        try:
            who = json.JSONDecoder().raw_decode(text)[0]
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
    holder's pid, host and start time (why flock: see the module's docstring). Of two runs
    started together, one gets it and the other is refused (FolderInUse). The releasing run
    removes the file while it still holds the lock; a claimer that opened the old file
    meanwhile finds it is no longer the file at that name and starts again, so two claimers
    can never hold two different files. Claims nest within one thread of this process (the
    CLI claims the folder before it reads it, then run_training claims it again).

    Without fcntl (Windows) the folder is created and probed but not locked.
    """
    if str(out) == "":   # Path("") would be the current folder
        raise RunFolderError("the run folder's path is empty; give a folder path")
    out = Path(out)
    try:
        if out.exists() and not out.is_dir():
            raise RunFolderError(f"{out} is a file; give a folder path (it is created if missing)")
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
    flags = os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        try:
            fd = os.open(path, flags, 0o666)
        except OSError as err:
            if err.errno == errno.ELOOP or os.path.islink(path):
                raise RunFolderError(_not_a_lock(path, "a symbolic link")) from None
            if err.errno in (errno.EISDIR, errno.ENXIO, errno.EOPNOTSUPP):
                raise RunFolderError(_not_a_lock(path, "not a regular file")) from None
            raise RunFolderError(_folder_problem(out, err)) from None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
            os.close(fd)
            what = "not a regular file" if not stat.S_ISREG(st.st_mode) else \
                f"a file with {st.st_nlink} names (a hard link)"
            raise RunFolderError(_not_a_lock(path, what))
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
            same = os.fstat(fd).st_ino == os.lstat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)         # its holder removed it as we opened it: take the new one
    started = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
    record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": started})
    os.pwrite(fd, record.encode("utf-8").ljust(RECORD_BYTES), 0)    # written over, never truncated
    return fd


def _not_a_lock(path, what):
    return (f"{path} is {what}, so it cannot be this folder's lock (a run never writes through "
            f"it); remove {path} if nothing else needs it, or choose another folder")


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
    says what to do with it, or if one of those names is not a regular file (a folder, a
    FIFO, a broken link): then nothing may be read or removed. Meaningful only under the
    folder's claim (claim_folder)."""
    found = run_files(out)
    for name in found:      # before anything is read or removed: only regular files
        path = Path(out) / name
        try:
            st = os.stat(path)
        except OSError as err:
            raise RunFolderError(f"{path} cannot be looked at ({err.strerror or err}: a broken "
                                 f"symbolic link?); remove it or choose another folder") from None
        if not stat.S_ISREG(st.st_mode):
            what = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise RunFolderError(f"{path} is {what}, where a run keeps its {name}; nothing was "
                                 f"changed: move it away or choose another folder")
    if found and not resume and not overwrite:
        raise RunFolderError(f"{out} already holds a run ({', '.join(found)}); --resume "
                             f"continues it, --overwrite replaces it, or choose another --out")


__all__ = ["claim_folder", "check_folder", "run_files", "Claim", "RunFolderError", "FolderInUse",
           "RUN_FILES", "LOCK", "PROBE"]
