"""One harness for the attack tests: run the tinygan command on hostile input and check the
contract a user relies on.

    outcome = attempt(["train", "--steps", "0"], tmp_path)
    outcome.clean_failure()     exit 2, one line 'tinygan: error: ...', no traceback
    outcome.success()           exit 0, no traceback

`attempt` runs the command in-process (the CLI's main), so a case costs what its work costs,
not an interpreter start; any exception that escapes main is a failure of the contract,
reported with its traceback. It also records every file under `watch` (default: the
folder it runs in) before and after, so `outcome.unchanged()` can assert that a refused
command changed nothing on disk.
"""

import contextlib
import hashlib
import io
import os
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path


def disk(folder):
    """{relative path: sha256 of the bytes (or 'dir'), plus the mode} for everything under folder."""
    folder = Path(folder)
    seen = {}
    if not folder.exists():
        return seen
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            seen[rel] = ("link", os.readlink(path))
        elif path.is_dir():
            seen[rel] = ("dir", path.stat().st_mode)
        elif not path.is_file():        # a FIFO or a device: never read (a FIFO would block)
            seen[rel] = ("special", path.stat().st_mode)
        else:
            try:
                seen[rel] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mode)
            except OSError as err:
                seen[rel] = ("unreadable", type(err).__name__)
    return seen


@dataclass
class Outcome:
    argv: list
    code: object
    out: str
    err: str
    before: dict = field(repr=False)
    after: dict = field(repr=False)

    def _where(self):
        return f"tinygan {' '.join(map(str, self.argv))}: exit {self.code}\n{self.err}"

    def clean_failure(self, *fragments):
        """Exit 2 with exactly one line on stderr, 'tinygan: error: ...', holding each fragment."""
        assert self.code == 2, self._where()
        assert self.err.startswith("tinygan: error: "), self._where()
        assert self.err.count("\n") == 1, self._where()
        assert "Traceback" not in self.err + self.out, self._where()
        for text in fragments:
            assert text in self.err, f"{text!r} not in the message\n{self._where()}"
        return self

    def success(self):
        assert self.code == 0, self._where()
        assert "Traceback" not in self.err + self.out, self._where()
        return self

    def unchanged(self):
        """Nothing under the watched folder was created, removed or modified."""
        changed = sorted(k for k in set(self.before) | set(self.after)
                         if self.before.get(k) != self.after.get(k))
        assert not changed, f"files changed by a refused command: {changed}\n{self._where()}"
        return self


def attempt(argv, cwd, watch=None, warnings_as_errors=True):
    """Run `tinygan argv` in folder `cwd` in-process; return its Outcome.

    With warnings_as_errors (the default) every warning is an exception, as under
    `python -W error`: a clean message must not be preceded by a RuntimeWarning.
    """
    from tinygan.app.cli import main

    watch = Path(cwd if watch is None else watch)
    before = disk(watch)
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings():
            if warnings_as_errors:
                warnings.simplefilter("error")
            try:
                code = main([str(a) for a in argv])
            except SystemExit as exit_:
                code = exit_.code
            except BaseException:   # noqa: BLE001 - the contract is that nothing escapes
                code = "exception"
                err.write(traceback.format_exc())
    finally:
        os.chdir(here)
    return Outcome(list(argv), code, out.getvalue(), err.getvalue(), before, disk(watch))
