"""The package's shape: the engine at the bottom, the folders built on it, no import cycles,
and figures that leave matplotlib as the user set it.

    engine      tinygan/*.py and data/: what a learner reads; imports only itself
    plots/      drawing only: arrays in, figures out; imports only itself
    questions/  the six questions' experiments: engine, plots, questions
    exercises/  templates and checker: engine, questions (the bilinear game), exercises
    app/        the command, run folders, checkpoints: anything

The import graph is read from the source (every import statement, inside functions too), so
an import hidden in a function is an arrow like any other.
"""

import ast
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tinygan

ROOT = Path(tinygan.__file__).parent


def module_name(path, root):
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root=ROOT):
    """{module: set of tinygan modules it imports}, from every import statement in `root`.

    `from a.b import c` is an arrow to a.b.c when that is a module (a file or a package),
    else to a.b. Relative imports are resolved against the importing module's package.
    """
    files = {module_name(p, root): p for p in root.rglob("*.py")}
    top = root.name
    graph = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                for a in node.names:
                    full = f"{base}.{a.name}"
                    targets.add(full if full in files else base)
        graph[name] = {t for t in targets if t == top or t.startswith(top + ".")} - {name}
    return graph


def find_cycle(graph):
    """One import cycle as a list of modules [a, b, ..., a], or None."""
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for t in sorted(graph.get(m, ())):
            if state.get(t) == "open":
                return stack[stack.index(t):] + [t]
            if t not in state:
                found = visit(t)
                if found:
                    return found
        stack.pop()
        state[m] = "done"
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def floor(module):
    """Which floor a module lives on: front, engine, plots, questions, exercises or app."""
    parts = module.split(".")
    if len(parts) == 1:
        return "front"
    if parts[1] in ("plots", "questions", "exercises", "app"):
        return parts[1]
    if parts[1] == "__main__":      # `python -m tinygan` is the command
        return "app"
    return "engine"


# Who may import whom.
ALLOWED = {
    "front": {"engine"},
    "engine": {"engine"},
    "plots": {"plots"},
    "questions": {"engine", "plots", "questions"},
    "exercises": {"engine", "questions", "exercises"},
    "app": {"front", "engine", "plots", "questions", "exercises", "app"},
}


def wrong_arrows(graph):
    """Every arrow that runs up a floor or into a room it must not enter."""
    return sorted(f"{m} -> {t}" for m, targets in graph.items() for t in targets
                  if floor(t) not in ALLOWED[floor(m)])


# The engine, what a learner came to read, stays a book one can read in a sitting.
ENGINE_LINES = 2600


# ----------------------------------------------------------------------------- the package

def test_the_package_has_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_no_arrow_runs_up_a_floor():
    assert wrong_arrows(import_graph()) == []


def test_the_engine_is_the_top_level_and_fits_its_budget():
    engine = sorted(ROOT.glob("*.py"))
    lines = sum(len(p.read_text().splitlines()) for p in engine)
    assert lines <= ENGINE_LINES, f"the engine's top-level modules hold {lines} lines"
    folders = {p.name for p in ROOT.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == {"data", "plots", "questions", "exercises", "app"}, folders


def test_the_graph_sees_the_package_as_it_is():
    """The reader is not vacuous: it finds the arrows we know are there."""
    g = import_graph()
    assert "tinygan.mlp" in g["tinygan.gan"] and "tinygan.penalties" in g["tinygan.gan"]
    assert "tinygan.gan" in g["tinygan.questions.blind"]
    assert "tinygan.exercises" in g["tinygan.app.cli"]
    assert "tinygan.questions.landscape" in g["tinygan.app.run"]
    assert {floor(m) for m in g} == {"front", "engine", "plots", "questions", "exercises", "app"}


# ----------------------------------------------------------------------------- the checks fail

def _copy_with(tmp_path, file, extra):
    """A copy of the package with `extra` appended (indented into a function) to `file`."""
    root = tmp_path / "tinygan"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    with open(root / file, "a") as f:
        f.write("\n\ndef _added():\n" + textwrap.indent(extra, "    ") + "\n")
    return root


def test_a_cycle_is_found_even_inside_a_function(tmp_path):
    root = _copy_with(tmp_path, "mlp.py", "from tinygan.gan import Trainer\n")
    cycle = find_cycle(import_graph(root))
    assert cycle is not None and "tinygan.mlp" in cycle and "tinygan.gan" in cycle


@pytest.mark.parametrize("file, extra, arrow", [
    ("gan.py", "from tinygan.questions import landscape\n", "tinygan.gan -> tinygan.questions.landscape"),
    ("plots/snapshots.py", "from tinygan.gan import g_gradients\n",
     "tinygan.plots.snapshots -> tinygan.gan"),
    ("questions/sweep.py", "from tinygan.app import run\n", "tinygan.questions.sweep -> tinygan.app.run"),
    ("questions/common.py", "from tinygan.exercises import core\n", "tinygan.questions.common -> tinygan.exercises.core"),
    ("exercises/core.py", "from tinygan.app.cli import main\n", "tinygan.exercises.core -> tinygan.app.cli"),
    ("data/toy.py", "from . import base, mnist\nfrom ..questions import games\n", "tinygan.data.toy -> tinygan.questions.games"),
])
def test_an_arrow_up_a_floor_is_found(tmp_path, file, extra, arrow):
    assert arrow in wrong_arrows(import_graph(_copy_with(tmp_path, file, extra)))


# ----------------------------------------------------------------------------- matplotlib

SCRIPT = """
import matplotlib
matplotlib.use("svg")                        # a backend tinygan would never pick
import matplotlib.pyplot as plt
plt.rcParams.update({"axes.grid": False, "font.size": 13.0, "figure.dpi": 72.0})
before = (matplotlib.get_backend(), dict(plt.rcParams))

import numpy as np
import tinygan, tinygan.plots, tinygan.app.cli, tinygan.questions.landscape
from tinygan import Trainer
from tinygan.questions.landscape import snapshot
from tinygan.plots import curves, snapshots
t = Trainer(data="ring", steps=3, eval_every=3, batch_size=16, g_hidden=(8,), d_hidden=(8,),
            eval_samples=100)
t.train()
snap = snapshot(t, n=32, grid=6)
fig = snapshots.plot_snapshot(snap, path=r"{out}/s.png")
curves.plot_curves(t.history, t.evaluations, path=r"{out}/c.png")
snapshots.animate([snap, snap], r"{out}/a.gif")
after = (matplotlib.get_backend(), dict(plt.rcParams))
changed = sorted(k for k in before[1] if before[1][k] != after[1][k])
print(before[0], after[0], changed)
assert before[0] == after[0] == "svg", (before[0], after[0])
assert not changed, changed
"""


def test_drawing_leaves_the_users_backend_and_rcparams_alone(tmp_path):
    """A user's own backend and rcParams survive importing tinygan and drawing its figures."""
    r = subprocess.run([sys.executable, "-c", SCRIPT.replace("{out}", str(tmp_path))],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "s.png").stat().st_size > 0 and (tmp_path / "a.gif").stat().st_size > 0


def benchmark_import_graph(folder):
    """{module: {benchmark modules it imports}} among folder/*.py, read with ast (imports
    inside functions count too: a lazy import still makes a cycle of responsibilities)."""
    paths = sorted(folder.glob("*.py"))
    own = {p.stem for p in paths}
    graph = {}
    for p in paths:
        names = set()
        for node in ast.walk(ast.parse(p.read_text(), str(p))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        graph[p.stem] = names & own - {p.stem}
    return graph


def test_the_benchmarks_have_no_import_cycle():
    folder = ROOT.parent / "benchmarks"
    if not folder.is_dir():
        pytest.skip("no benchmarks/ folder beside the package (an installed package)")
    graph = benchmark_import_graph(folder)
    # the reader sees the imports that are there (speed.py runs its workers through workers.py)
    assert any(graph.values()), graph
    assert find_cycle(graph) is None
