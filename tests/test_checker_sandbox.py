"""The checker cannot be fooled by the file it checks (issue 14).

Each student file runs in a process of its own; the inputs, the right answers and the verdict
stay in the checker's. Below, every forged file from the issue fails with a one-line reason
that says what happened, a correct file still passes (also one that calls np.seterr), one
file cannot change another's result, and `pytest exercises/` gets the same protection.
Then the plumbing that makes the checks see what they saw in-process: inputs written into,
an input returned as the answer, an rng that moves on, objects kept in the worker.
"""

import os
import site
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import tinygan
from tinygan import exercises as checker

ROOT = Path(tinygan.__file__).resolve().parents[1]


def write(folder, number, source):
    path = folder / checker.EXERCISES[number].filename
    path.write_text(textwrap.dedent(source))
    return path


def check(folder, number, source, **kwargs):
    return checker.check_file(number, write(folder, number, source), **kwargs)


def hints(results):
    return [r.hint for r in results if not r.passed]


# Correct answers, written here and never in the templates.
RIGHT = {
    3: """
        import numpy as np

        def softplus(x):
            return np.logaddexp(0.0, x)

        def sigmoid(x):
            return np.exp(-np.logaddexp(0.0, -x))

        def bce_with_logits(logits, target):
            value = np.mean(target * softplus(-logits) + (1 - target) * softplus(logits))
            return float(value), {"logits": (sigmoid(logits) - target) / logits.size}
        """,
    4: """
        from tinygan.losses import get_loss

        def minimax_g(fake_logits):
            return get_loss("minimax").g(fake_logits)

        def nonsaturating_g(fake_logits):
            return get_loss("nonsaturating").g(fake_logits)

        def logit_factors(fake_logits):
            return {name: fake_logits.size * get_loss(name).g(fake_logits)[1]["fake_logits"]
                    for name in ("minimax", "nonsaturating")}
        """,
}

# Naive but otherwise right: finite for |x| <= 30, overflows at +-1e4.
NAIVE_3 = """
    def softplus(x):
        return np.log1p(np.exp(x))

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    def bce_with_logits(logits, target):
        value = np.mean(target * softplus(-logits) + (1 - target) * softplus(logits))
        return float(value), {"logits": (sigmoid(logits) - target) / logits.size}
    """

FORGED = {
    "sys.exit(0) at import": ("import sys\nsys.exit(0)\n", "sys.exit(0) was called"),
    "os._exit(0) at import": ("import os\nos._exit(0)\n", "exited with status 0 during the import"),
    "os._exit(0) in a function": ("import os\n\ndef softplus(x):\n    os._exit(0)\n",
                                  "exited with status 0 during softplus"),
    "sys.exit(0) in a function": ("import sys\n\ndef softplus(x):\n    sys.exit(0)\n",
                                  "softplus raised SystemExit"),
    "killed by a signal": ("import os\n\ndef softplus(x):\n    os.kill(os.getpid(), 9)\n",
                           "crashed (signal 9) during softplus"),
}


@pytest.mark.parametrize("label", [pytest.param(k, marks=pytest.mark.skipif(
    os.name != "posix" and "signal" in k, reason="POSIX signals")) for k in FORGED])
def test_an_early_exit_or_a_crash_fails_with_one_line_saying_so(tmp_path, label):
    source, phrase = FORGED[label]
    results = check(tmp_path, 3, source)
    report = checker.format_results(results)
    assert not any(r.passed for r in results), report
    assert any(phrase in h for h in hints(results)), report
    assert "Traceback" not in report


def test_replacing_the_checkers_result_class_and_checks_changes_nothing(tmp_path):
    results = check(tmp_path, 3, """
        import tinygan.exercises as checker
        import tinygan.exercises.core as core
        import tinygan.exercises.registry as registry

        class Result(core.Result):
            def __init__(self, name, passed, *args, **kwargs):
                super().__init__(name, True)

        core.Result = checker.Result = Result
        registry.check_module = lambda number, module: [Result(f"check {i}", True) for i in range(8)]
        """)
    assert len(results) == 8 and not any(r.passed for r in results)
    assert all("no function" in h for h in hints(results)), checker.format_results(results)


def test_rebinding_tinygan_ops_does_not_change_the_right_answers(tmp_path):
    results = check(tmp_path, 3, """
        import numpy as np
        import tinygan.ops as ops

        def softplus(x):
            return np.zeros_like(x)

        def sigmoid(x):
            return np.zeros_like(x)

        def bce_with_logits(logits, target):
            return 0.0, {"logits": np.zeros_like(logits)}

        ops.softplus, ops.sigmoid = softplus, sigmoid
        """)
    report = checker.format_results(results)
    wrong = [r for r in results if not r.passed]
    assert len(wrong) == 7 and all("all zeros" in r.hint for r in wrong), report
    assert results[-1].passed and results[-1].name.endswith("leaves logits unchanged")


def test_shrinking_the_extreme_logits_does_not_let_a_naive_softplus_pass(tmp_path):
    results = check(tmp_path, 3, textwrap.dedent("""
        import numpy as np
        import tinygan.exercises as checker
        import tinygan.exercises.losses as losses

        losses.EXTREME[:] = 0.0
        losses.EXTREME = checker.EXTREME = np.array([-1.0, 0.0, 1.0])
        """) + textwrap.dedent(NAIVE_3))
    failed = {r.name: r.hint for r in results if not r.passed}
    assert set(failed) == {"softplus is finite and exact at x = +-1e4",
                           "sigmoid is finite and exact at x = +-1e4",
                           "bce_with_logits: finite and exact at logits +-1e4"}, failed
    assert all("overflow" in h for h in failed.values())


def test_a_file_for_exercise_3_cannot_change_the_result_of_exercise_4(tmp_path):
    pass_everything = """
        import tinygan.exercises.registry as registry
        from tinygan.exercises.core import Result
        registry.check_module = lambda number, module: [Result("check", True)]
        """
    break_the_reference = """
        import numpy as np
        import tinygan.losses, tinygan.ops
        tinygan.ops.softplus = tinygan.ops.sigmoid = lambda x: np.zeros_like(x)
        tinygan.losses.get_loss = lambda *a, **k: None
        """
    template = checker.template(checker.EXERCISES[4].filename).decode()
    for patch in (pass_everything, break_the_reference):
        (tmp_path / "mine").mkdir(exist_ok=True)
        check(tmp_path / "mine", 3, patch)
        right = check(tmp_path / "mine", 4, RIGHT[4])
        assert all(r.passed for r in right), checker.format_results(right)
        untouched = check(tmp_path / "mine", 4, template)
        assert all(r.todo for r in untouched), checker.format_results(untouched)


def test_an_endless_loop_is_stopped_at_the_time_limit(tmp_path):
    start = time.monotonic()
    results = check(tmp_path, 3, RIGHT[3].replace("return np.logaddexp(0.0, x)",
                                                  "while True:\n                pass"), timeout=1.5)
    assert time.monotonic() - start < 30
    report = checker.format_results(results)
    assert not results[0].passed and "time limit of 1.5 s" in results[0].hint, report
    assert "during softplus" in results[0].hint and "endless loop" in results[0].hint
    assert not any(r.passed for r in results)     # the worker is gone: nothing later passes
    at_import = check(tmp_path, 3, "while True:\n    pass\n", timeout=1.0)
    assert len(at_import) == 1 and "during the import of your file" in at_import[0].hint


def test_a_correct_file_that_sets_seterr_raise_and_prints_a_lot_still_passes(tmp_path):
    results = check(tmp_path, 3, 'import numpy as np\nnp.seterr(all="raise")\n'
                    'print("\\x1b[2J" + "x" * 5000)\n' + textwrap.dedent(RIGHT[3]))
    report = checker.format_results(results)
    assert all(r.passed for r in results), report
    assert "your code printed (the first 2000 characters of 5005 bytes):" in report
    assert report.count("x") < 2100 and "\x1b" not in report and "\\x1b[2J" in report


def test_pytest_on_the_exercises_folder_fails_when_a_file_calls_os_exit(tmp_path):
    (tmp_path / "test_exercises.py").write_bytes(checker.template("test_exercises.py"))
    write(tmp_path, 3, FORGED["os._exit(0) at import"][0])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-m", "pytest", "test_exercises.py", "-k", "ex03", "-q",
                          "-p", "no:cacheprovider"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed" in run.stdout and "exited with status 0" in run.stdout


# ============================================================================ what crosses back

LIBRARY = {
    6: "from tinygan.optim import Adam\n",
    7: "from tinygan import d_gradients, g_gradients\n",
    8: """
        import numpy as np

        def instance_noise(x, sigma, rng):
            return x + sigma * rng.standard_normal(x.shape)

        def interpolates(x_real, x_fake, rng):
            eps = rng.uniform(size=(x_real.shape[0], 1))
            return eps * x_real + (1 - eps) * x_fake

        def gradient_penalty(grad_x, lam=10.0):
            norms = np.linalg.norm(grad_x, axis=1, keepdims=True)
            value = lam * float(np.mean((norms - 1) ** 2))
            return value, {"grad_x": 2 * lam * (norms - 1) / norms * grad_x / grad_x.shape[0]}
        """,
}


@pytest.mark.parametrize("number", sorted(LIBRARY))
def test_objects_networks_and_generators_cross_so_a_right_file_passes(tmp_path, number):
    """6 keeps an Adam in the worker, 7 sends networks and losses, 8 an rng that moves on."""
    results = check(tmp_path, number, LIBRARY[number])
    assert all(r.passed for r in results), checker.format_results(results)


WRITES = {
    "relu_backward writes into dy and returns it": (2, """
        from tinygan.ops import leaky_relu_backward, sigmoid_backward, tanh_backward

        def relu_backward(dy, y):
            dy[y <= 0] = 0.0
            return dy
        """, "wrote into its input `dy` (and returned it)"),
    "Adam.step zeroes the gradients": (6, """
        from tinygan.optim import Adam as Library

        class Adam(Library):
            def step(self, params, grads):
                super().step(params, grads)
                for g in grads.values():
                    g[...] = 0.0
        """, "wrote into its input"),
    "instance_noise returns x itself": (8, LIBRARY[8].replace(
        "return x + sigma * rng.standard_normal(x.shape)", "return x"), "returned x itself"),
    "noise from np.random": (8, LIBRARY[8].replace("rng.standard_normal(x.shape)",
                                                   "np.random.standard_normal(x.shape)"),
                             "never from np.random"),
}


@pytest.mark.parametrize("label", WRITES)
def test_what_the_students_code_does_to_its_inputs_is_seen_as_in_process(tmp_path, label):
    number, source, phrase = WRITES[label]
    results = check(tmp_path, number, source)
    assert any(phrase in h for h in hints(results)), checker.format_results(results)


def test_writing_into_an_input_cannot_change_the_right_answer(tmp_path):
    """The right answers come from the checker's own arrays, never from ones the file got."""
    results = check(tmp_path, 2, """
        from tinygan import ops

        def forged(name):
            def backward(dy, y, slope=0.2):
                y[...] = 0.5        # then answer what the library says for this y
                return ops.Activation(name, slope=slope).backward(dy, y)
            return backward

        relu_backward, leaky_relu_backward, tanh_backward, sigmoid_backward = (
            forged(name) for name in ("relu", "leaky_relu", "tanh", "sigmoid"))
        """)
    verdict = {r.name: r.passed for r in results}
    assert verdict["every backward matches tinygan.ops"] is False, checker.format_results(results)
    assert verdict["no backward writes into dy or y"] is False


def test_the_worker_sends_back_plain_values_only(tmp_path):
    """A student's object comes back as a stand-in named like its class, never unpickled."""
    results = check(tmp_path, 1, """
        class Secret:
            pass

        def linear_forward(x, W, b):
            return Secret(), None
        """)
    assert "y should be an array of shape" in results[0].hint and "got Secret" in results[0].hint, \
        results[0].hint


# ============================================================================ nothing the file touches decides

RIGHT_9 = """
    from tinygan.questions.games import alternating_gd, simultaneous_gd, simultaneous_radius
    """


def test_writing_into_t_cannot_make_a_wrong_radius_pass(tmp_path):
    """Exercise 9 used to compute the right radii from the very `t` the file had zeroed."""
    results = check(tmp_path, 9, """
        import numpy as np
        from tinygan.questions.games import alternating_gd, simultaneous_gd

        def simultaneous_radius(r0, eta, t):
            t[...] = 0
            return np.full(t.shape, float(r0))
        """)
    verdict = {r.name: r.passed for r in results}
    assert verdict["simultaneous_radius: r0 (1 + eta^2)^(t/2)"] is False, checker.format_results(results)
    right = check(tmp_path, 9, RIGHT_9)
    assert all(r.passed for r in right), checker.format_results(right)


def test_while_grading_the_checker_imports_nothing_new(tmp_path):
    """Every module the checks need is loaded before the student's file runs, so a planted
    copy (secrets.py in the current folder, an edited numpy/random/__init__.py) is never read:
    right answers and untouched templates, through every check, ask for no new module."""
    from tinygan.exercises import guard
    files = {3: RIGHT[3], 4: RIGHT[4], 9: RIGHT_9, **LIBRARY}
    files.update({n: checker.template(checker.EXERCISES[n].filename).decode()
                  for n in checker.EXERCISES if n not in files})
    del guard.REFUSED[:]
    for number, source in files.items():
        results = check(tmp_path, number, source)
        assert all(r.passed for r in results) or all(r.todo for r in results), \
            checker.format_results(results)
    assert guard.REFUSED == []


def test_an_import_while_grading_is_refused_so_a_check_fails_rather_than_passes():
    from tinygan.exercises import guard
    with guard.sealed():
        with pytest.raises(ImportError, match="may not import"):
            __import__("tinygan_module_that_does_not_exist")
    guard.REFUSED.remove("tinygan_module_that_does_not_exist")


PLANT_SECRETS = '''
import os, sysconfig
# the real secrets module, then every later result passes
exec(open(os.path.join(sysconfig.get_paths()["stdlib"], "secrets.py")).read())
import tinygan.exercises.core as _core
_init = _core.Result.__init__
def _passing(self, name, passed, *args, **kwargs):
    _init(self, name, True, *args, **kwargs)
_core.Result.__init__ = _passing
'''


def test_a_secrets_py_planted_in_the_current_folder_changes_no_result(tmp_path):
    """Under `python -m tinygan` the current folder is on sys.path: a wrong answer that drops
    secrets.py there used to make the same run report every check passed."""
    (tmp_path / checker.EXERCISES[3].filename).write_text(
        f"import numpy as np\nopen('secrets.py', 'w').write({PLANT_SECRETS!r})\n" + textwrap.dedent(NAIVE_3))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "tinygan", "exercise", "check", "3", "--dir", "."]
    first = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert (tmp_path / "secrets.py").exists()
    assert first.returncode == 1 and "5 passed, 3 failed" in first.stdout, first.stdout + first.stderr
    assert "overflow" in first.stdout
    second = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode in (1, 2), second.stdout + second.stderr
    assert "8 passed" not in second.stdout and "Traceback" not in second.stdout + second.stderr


def _fake_install(folder, name="fakepkg"):
    """A package `name` in folder, with the dist-info and RECORD a wheel install leaves."""
    import base64
    import hashlib
    (folder / name).mkdir()
    files = {f"{name}/__init__.py": b"VALUE = 1\n", f"{name}/more.py": b"def f():\n    return 2\n"}
    info = folder / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    record = []
    for rel, data in files.items():
        (folder / rel).write_bytes(data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{rel},sha256={digest},{len(data)}")
    (info / "RECORD").write_text("\n".join(record + [f"{name}-1.0.dist-info/RECORD,,"]) + "\n")
    return folder / name


def test_an_installed_file_that_differs_from_its_record_is_named(tmp_path, monkeypatch):
    from tinygan.exercises import guard
    package = _fake_install(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    guard.verify_install(["fakepkg"])                   # as installed: nothing to say
    with open(package / "more.py", "a") as f:
        f.write("import tinygan.exercises.core\n")       # the student's appended line
    with pytest.raises(guard.InstallChanged) as err:
        guard.verify_install(["fakepkg"])
    assert str(package / "more.py") in str(err.value) and "\n" not in str(err.value)


def test_a_poisoned_install_makes_the_command_refuse_to_grade_in_one_line(tmp_path):
    """A copy of Hypothesis with one line appended, first on the path: exit 2, one line."""
    import shutil
    import hypothesis
    source = Path(hypothesis.__file__).resolve().parents[1]
    site = tmp_path / "site"
    site.mkdir()
    shutil.copytree(source / "hypothesis", site / "hypothesis")
    info = next(source.glob("hypothesis-*.dist-info"))
    shutil.copytree(info, site / info.name)
    with open(site / "hypothesis" / "core.py", "a") as f:
        f.write("\nRESULTS_ALWAYS_PASS = True\n")
    write(tmp_path, 3, NAIVE_3)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    run = subprocess.run([sys.executable, "-m", "tinygan", "exercise", "check", "3", "--dir", "."],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "hypothesis" in lines[0] and "core.py" in lines[0], run.stderr
    assert "passed" not in run.stdout


# ============================================================================ the worker's limits

def test_a_detached_grandchild_holding_the_pipes_cannot_hang_the_checker(tmp_path):
    """fork, setsid, sleep: the checker used to wait for ever on the pipe the grandchild held.
    Now the verdict comes within the time limit plus a few seconds and the grandchild is gone."""
    pid_file = tmp_path / "grandchild.pid"
    source = f"""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                open({str(pid_file)!r}, "w").write(str(os.getpid()))
                time.sleep(600)
            os._exit(0)
        """
    source = textwrap.dedent(source) + textwrap.dedent(RIGHT[3])
    start = time.monotonic()
    results = check(tmp_path, 3, source, timeout=4)
    assert time.monotonic() - start < 4 + 10
    assert all(r.passed for r in results), checker.format_results(results)
    pid = int(pid_file.read_text())
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the grandchild {pid} still runs")


def test_escape_sequences_in_an_exception_cannot_paint_the_report(tmp_path):
    results = check(tmp_path, 3, '''
        def softplus(x):
            raise ValueError("\\x1b[2K\\x1b[1A[PASS] softplus \\u202e")
        ''')
    report = checker.format_results(results)
    assert "\x1b" not in report and "\u202e" not in report and "\\x1b[2K" in report, report
    assert not results[0].passed


def test_a_4_gib_allocation_fails_against_the_memory_limit(tmp_path):
    results = check(tmp_path, 3, RIGHT[3].replace(
        "return np.logaddexp(0.0, x)", "return np.logaddexp(0.0, x) + np.ones(2**29)[0] - 1.0"))
    report = checker.format_results(results)
    assert not results[0].passed and "out of memory" in results[0].hint, report
    assert "2048 MiB" in results[0].hint and "--memory" in results[0].hint


def test_the_worker_runs_isolated_with_its_limits(tmp_path, monkeypatch):
    """No current folder or user site on its path, -I set, and hard limits on memory and CPU."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "probe.py"
    path.write_text(textwrap.dedent("""
        import os, resource, site, sys
        import numpy as np

        def limits():
            return np.array(resource.getrlimit(resource.RLIMIT_AS) + resource.getrlimit(resource.RLIMIT_CPU))

        def where():
            return [os.getcwd(), sys.flags.isolated, sys.flags.no_user_site] + sys.path
        """))
    from tinygan.exercises.sandbox import Worker
    with Worker(timeout=5, memory=512) as worker:
        module = worker.load(path)
        assert module.limits().tolist() == [512 * 2**20] * 2 + [15, 15]
        cwd, isolated, no_user_site, *paths = module.where()
    assert isolated == 1 and no_user_site == 1
    assert cwd not in paths and "" not in paths and str(tmp_path) not in paths
    assert site.getusersitepackages() not in paths
