"""What the checking process does before and while a student's file runs, so that nothing the
student's code writes to disk can reach the checker.

    prepare()        once, before any student code: import every module the checks will need,
                     and verify the installed files of numpy, Hypothesis and tinygan
    sealed()         while grading: the checking process may import nothing new

Why: a student's file runs in a worker (sandbox.py) as the same user as the checker, so it can
write files. A module the checker imported lazily after that (numpy.random, secrets, hmac,
parts of Hypothesis) could be a planted copy: a `secrets.py` in the current folder, or an
installed file with extra lines. So everything the checks import is imported first, and
during grading an import of a module not yet loaded is refused (a check that needs one fails,
it never passes). A poisoned install that would poison the NEXT run is caught by comparing
the installed files with the hashes their wheel recorded (RECORD, PEP 376/627): the checker
refuses to grade, naming the changed file.

What this cannot do: a package installed in editable mode or run from a clone has no recorded
hashes, so its files are taken as they are; files Python runs at start-up that no RECORD lists
(a new .pth file, sitecustomize.py) are not looked for; the compiled bytecode beside a source
(__pycache__/*.pyc, which no RECORD hashes) is not compared with it, so a forged .pyc would
run; a changed file that Python ran before this check (numpy's own start-up modules, imported
with tinygan) has already run; and anyone with the teacher's account can edit what the
teacher runs, including this file.
"""

import base64
import hashlib
import importlib
import importlib.machinery
import importlib.metadata
import site
import sys
import sysconfig
from contextlib import contextmanager
from pathlib import Path

# Modules the checks import after a student's file has been loaded, found by running every
# exercise's checks against its template and against the library's answers (tests check this
# list stays complete). Imported up front; a missing optional one is skipped.
NEEDED = (
    "numpy.random", "numpy.typing", "secrets", "hmac", "csv", "decimal", "difflib", "fractions",
    "gc", "pprint", "unicodedata", "uuid", "zipfile", "zoneinfo", "sysconfig", "unittest",
    "importlib.abc", "importlib.metadata", "hypothesis", "hypothesis.strategies",
    "hypothesis.extra.numpy", "hypothesis.errors", "hypothesis.control", "hypothesis.core",
    "hypothesis.database", "hypothesis.statistics", "hypothesis.reporting",
    "hypothesis.internal.conjecture.engine", "hypothesis.internal.conjecture.shrinker",
    "hypothesis.internal.escalation", "hypothesis.internal.scrutineer",
    "hypothesis.internal.observability", "hypothesis.vendor.pretty",
)

VERIFIED = ("numpy", "hypothesis", "tinygan")     # the distributions whose files are hashed

_prepared = False


class InstallChanged(Exception):
    """An installed file differs from the hash its wheel recorded: one line naming it."""


def prepare(verify=True):
    """Import what the checks need and verify the install; the work is done once per process."""
    global _prepared
    if _prepared:
        return
    if verify:
        verify_install()
    saved = sys.path[:]
    sys.path[:] = _trusted_paths()
    try:
        for name in NEEDED:
            try:
                importlib.import_module(name)
            except ImportError:
                pass
        _warm_hypothesis()
    finally:
        sys.path[:] = saved
    _refuse_planted()
    _prepared = True


def _installed_roots():
    """The standard library's folders, the site-packages folders, and the folder holding
    this tinygan: where the checker's own modules may come from."""
    roots = {Path(sysconfig.get_paths()[key]).resolve()
             for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in sysconfig.get_paths()}
    roots |= {Path(p).resolve() for p in site.getsitepackages() if p}
    roots.add(Path(__file__).resolve().parents[2])
    return roots


def _trusted_paths():
    """sys.path without the current folder and any folder that is not an installed root
    (a script's or a test's folder, which may hold a student's files)."""
    roots = _installed_roots()
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    kept = []
    for entry in sys.path:
        path = Path(entry or ".").resolve()
        if path in roots or stdlib in path.parents or path.suffix == ".zip":
            kept.append(entry)
    return kept


def _refuse_planted():
    """Raise InstallChanged if a loaded module shadows an installed one: it came from a folder
    outside the installed roots (the current folder, a script's folder) while the standard
    library or site-packages holds a module of that name (a planted secrets.py, numpy.py)."""
    roots, trusted = _installed_roots(), _trusted_paths()
    for name, module in list(sys.modules.items()):
        where = getattr(module, "__file__", None)
        if not where or "." in name or name == "__main__":
            continue
        path = Path(where).resolve()
        if any(root in path.parents for root in roots):
            continue
        spec = importlib.machinery.PathFinder.find_spec(name, trusted)
        if spec is not None and spec.origin and Path(spec.origin).resolve() != path:
            raise InstallChanged(f"the module {name} was imported from {path}, where it hides the "
                                 f"installed {name}: the checker will not grade with it (remove "
                                 "that file, or run the checker from another folder)")


def _warm_hypothesis():
    """Run a passing and a failing check once, in-process: Hypothesis imports parts of itself
    (and of the standard library) the first time it generates, reports and fails."""
    from tinygan.exercises import core
    st, hnp = core._hypothesis()
    import numpy as np

    @st.composite
    def case(draw):
        return {"x": draw(core._arrays(st, hnp, (2, 2))), "k": draw(st.sampled_from([1, 2])),
                "s": draw(st.integers(0, 3)), "f": draw(core._floats(st, -1.0, 1.0))}

    def fails(ex):
        raise core.Fail("warm-up", 1.0)

    core._run("warm-up", case(), lambda ex: float(np.sum(ex["x"])) * 0.0, examples=2)
    core._run("warm-up", case(), fails, examples=2)
    core.format_results([core.Result("warm-up", False, 1.0, "a hint", "an input")])


# ============================================================================ installed files

def verify_install(names=VERIFIED):
    """Raise InstallChanged if a file of these distributions differs from its RECORD hash."""
    for name in names:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        for changed in _changed_files(dist, name):
            raise InstallChanged(
                f"the installed file {changed} differs from the one its package shipped: the "
                f"checker will not grade with a modified {name} (reinstall it: pip install "
                f"--force-reinstall {name})")


def _changed_files(dist, name):
    """The files of `dist` inside the package `name` whose sha256 is not the recorded one."""
    module = sys.modules.get(name)
    where = getattr(module, "__file__", None)
    package = Path(where).resolve().parent if where else None
    for entry in dist.files or ():
        if entry.hash is None or entry.hash.mode != "sha256":
            continue
        if not entry.parts or entry.parts[0] != name or "tests" in entry.parts \
                or not entry.name.endswith((".py", ".so", ".pyd")):
            continue        # only code the checker could import, not the package's own tests
        path = Path(dist.locate_file(entry)).resolve()
        if package is not None and package not in path.parents:
            continue       # a distribution found elsewhere on the path than the imported one
        try:
            digest = hashlib.sha256(path.read_bytes()).digest()
        except OSError:
            yield path
            continue
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != entry.hash.value:
            yield path


# ============================================================================ no imports while grading

REFUSED = []     # the modules refused while sealed, in order (the tests keep this empty)


class _NoNewImports:
    """A meta path finder that refuses every module not yet imported."""

    def find_spec(self, name, path=None, target=None):
        REFUSED.append(name)
        raise ImportError(f"the checker may not import {name} while a student's file runs "
                          "(a planted module could change the verdict)")


@contextmanager
def sealed():
    """While inside, an import of a module not already loaded raises ImportError."""
    finder = _NoNewImports()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
