"""Every notebook in notebooks/ runs top to bottom, in a kernel running the tinygan of this checkout.

The notebooks are where students work; executing them here keeps them from rotting when the
library changes. Each runs in a fresh temporary folder (they write runs/ and exercises/), in a
kernel started from this interpreter (its kernelspec installed into a temporary prefix), with
this checkout first on PYTHONPATH. A cell that raises fails the test, naming the notebook.
"""

import os
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook tests need the test extra: pip install '.[test]'")
nbclient = pytest.importorskip("nbclient", reason="the notebook tests need the test extra: pip install '.[test]'")
pytest.importorskip("ipykernel", reason="the notebook tests need the test extra: pip install '.[test]'")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "tinygan-test"
CELL_TIMEOUT = 120      # seconds per cell; the slowest cell takes ~15 s on a busy core

# Appended to each notebook's copy in memory: where the kernel imported tinygan from.
WHERE = "import sys, tinygan; print(tinygan.__file__); print(sys.executable)"


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """A kernelspec for this interpreter, and the environment the kernel starts with."""
    from ipykernel.kernelspec import install

    prefix = tmp_path_factory.mktemp("kernel")
    install(kernel_name=KERNEL, prefix=str(prefix))
    env = dict(os.environ)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(prefix / "share" / "jupyter"),
                                                        env.get("JUPYTER_PATH")]))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = "1"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


def test_there_is_a_notebook_per_question_and_one_exercise():
    names = [p.name for p in NOTEBOOKS]
    assert [n[:2] for n in names if n.startswith("q")] == ["q1", "q2", "q3", "q4", "q5", "q6"], names
    assert any(n.startswith("ex01") for n in names), names


def test_notebooks_are_what_the_generator_writes(tmp_path, monkeypatch):
    """notebooks/make_notebooks.py is the source: the committed files hold the same cells."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_notebooks", ROOT / "notebooks" / "make_notebooks.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    monkeypatch.setattr(make, "HERE", tmp_path)
    make.main()
    written = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert written == [p.name for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        fresh, committed = (nbformat.read(p, as_version=4) for p in (tmp_path / path.name, path))
        assert ([(c.cell_type, c.source) for c in fresh.cells]
                == [(c.cell_type, c.source) for c in committed.cells]), \
            f"{path.name} differs from make_notebooks.py: rerun python notebooks/make_notebooks.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name} cell {i} has stored output"


def execute(path, env, folder):
    """Run the notebook at `path` in `folder`; return its cells with their outputs and the seconds taken."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(WHERE))
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name=KERNEL,
                                     resources={"metadata": {"path": str(folder)}})
    start = time.perf_counter()
    try:
        client.execute(env=env)
    except nbclient.exceptions.CellExecutionError as err:
        pytest.fail(f"{path.name}: a cell raised\n{err}")
    seconds = time.perf_counter() - start
    where = "".join(o.get("text", "") for o in nb.cells[-1].outputs).split()
    assert Path(where[0]).resolve().is_relative_to(ROOT / "tinygan"), f"kernel imported {where[0]}"
    assert Path(where[1]).resolve() == Path(sys.executable).resolve(), f"kernel ran {where[1]}"
    cells = [c for c in nb.cells[:-1] if c.cell_type == "code"]
    errors = [o for c in cells for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue}"
    print(f"{path.name}: {seconds:.1f} s")
    return cells, seconds


def text_of(cell):
    return "".join(o.get("text", "") for o in cell.outputs)


def cell_with(cells, source):
    found = [c for c in cells if source in c.source]
    assert len(found) == 1, f"{len(found)} code cells contain {source!r}"
    return found[0]


QUESTIONS = [p for p in NOTEBOOKS if p.name.startswith("q")]


@pytest.mark.parametrize("path", QUESTIONS, ids=[p.stem for p in QUESTIONS])
def test_question_notebook_runs(path, kernel_env, tmp_path, monkeypatch):
    for key, value in kernel_env.items():
        monkeypatch.setenv(key, value)
    cells, _ = execute(path, kernel_env, tmp_path)
    # the demo's figures are shown (as PNG files) ...
    shown = cell_with(cells, "display(Image(")
    assert sum("image/png" in o.get("data", {}) for o in shown.outputs) >= 2
    # ... and the figure functions' Figures are drawn inline, in cells that never call display
    drawn = [c for c in cells if "display(" not in c.source
             and any("image/png" in o.get("data", {}) for o in c.outputs)]
    assert len(drawn) >= 2, f"{path.name}: {len(drawn)} cells drew a figure inline"
    # Trainer.train(callback=Progress(...)) drew its line in place, and it ended with "done in"
    lines = [o.data["text/plain"] for c in cells if "callback=Progress(" in c.source for o in c.outputs
             if o.output_type == "display_data" and o.data.get("text/plain", "").startswith("step ")]
    runs = sum(c.source.count("callback=Progress(") for c in cells)
    assert len(lines) == runs and all("done in" in line for line in lines), f"{path.name}: {lines}"


EXERCISE = NOTEBOOKS[0].parent / "ex01_linear_layer.ipynb"
SOLVED = """\
from tinygan.ops import linear_backward as _lib_backward, linear_forward


def linear_backward(dy, cache):
    return _lib_backward(dy, cache)
"""


def test_exercise_notebook_on_the_template(kernel_env, tmp_path, monkeypatch):
    """Fresh folder: the notebook writes the templates and the checker says 'not implemented yet'."""
    for key, value in kernel_env.items():
        monkeypatch.setenv(key, value)
    cells, _ = execute(EXERCISE, kernel_env, tmp_path)
    assert (tmp_path / "exercises" / "ex01_linear_backward.py").is_file()
    assert "TODO" in text_of(cell_with(cells, "read_text()"))
    report = text_of(cell_with(cells, "check_file(1"))
    assert "0 passed, 6 failed (6 not implemented yet)" in report, report
    assert "not implemented yet" in text_of(cell_with(cells, "difference quotient"))


def test_exercise_notebook_keeps_and_checks_the_students_file(kernel_env, tmp_path, monkeypatch):
    """A solved file already in exercises/ is kept, and the same cells report every check passed."""
    for key, value in kernel_env.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "ex01_linear_backward.py").write_text(SOLVED)
    cells, _ = execute(EXERCISE, kernel_env, tmp_path)
    assert (tmp_path / "exercises" / "ex01_linear_backward.py").read_text() == SOLVED
    report = text_of(cell_with(cells, "check_file(1"))
    assert "6 passed" in report and "FAIL" not in report, report
    assert "difference quotient =" in text_of(cell_with(cells, "difference quotient"))
