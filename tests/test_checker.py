"""The exercise checker: the library's own functions pass every check, the untouched
templates fail as "not implemented yet", and each classic mistake, written below as a wrong
answer, is caught with the hint that names it. Then the `tinygan exercise` command."""

import shutil
import types
from pathlib import Path

import numpy as np
import pytest

from tinygan import exercises as checker, metrics, ops, steps
from tinygan.questions import games
from tinygan.app.cli import main
from tinygan.data.toy import ring
from tinygan.losses import get_loss
from tinygan.optim import Adam

EXERCISES = Path(checker.__file__).resolve().parent / "templates"    # shipped in the package


# ============================================================================ the solutions
# The library is the solution. Where an exercise's signature differs from the library's, a
# one-line adapter calls the library; exercise 8 has no stand-alone library function (tinygan's
# penalties work on a whole discriminator), so its three short reference functions are here.

def _bce(logits, target):
    loss = get_loss("minimax", smooth=1.0 - target) if target > 0 else get_loss("minimax")
    value, grad = loss.d_real(logits) if target > 0 else loss.d_fake(logits)
    return value, {"logits": grad}


def _factors(fake_logits):
    return {name: fake_logits.size * get_loss(name).g(fake_logits)[1]["fake_logits"]
            for name in ("minimax", "nonsaturating")}


def _noise(x, sigma, rng):
    return x + sigma * rng.standard_normal(x.shape)


def _interpolates(x_real, x_fake, rng):
    eps = rng.uniform(size=(x_real.shape[0], 1))
    return eps * x_real + (1 - eps) * x_fake


def _penalty(grad_x, lam=10.0):
    norms = np.linalg.norm(grad_x, axis=1, keepdims=True)
    value = lam * float(np.mean((norms - 1) ** 2))
    return value, {"grad_x": 2 * lam * (norms - 1) / norms * grad_x / grad_x.shape[0]}


def _signal(D, x_real, x_fake):
    fake_logits, cache = D.forward(x_fake)
    dlogits = get_loss("rpgan").g(fake_logits, D(x_real))[1]["fake_logits"]
    return D.backward(dlogits, cache, need_params=False)[0]


REFERENCE = {
    1: dict(linear_forward=ops.linear_forward, linear_backward=ops.linear_backward),
    2: dict(relu_backward=ops.relu_backward, leaky_relu_backward=ops.leaky_relu_backward,
            tanh_backward=ops.tanh_backward, sigmoid_backward=ops.sigmoid_backward),
    3: dict(softplus=ops.softplus, sigmoid=ops.sigmoid, bce_with_logits=_bce),
    4: dict(minimax_g=get_loss("minimax").g, nonsaturating_g=get_loss("nonsaturating").g,
            logit_factors=_factors),
    5: dict(mlp_forward=lambda x, p, hidden="tanh": checker.library_mlp(p, hidden).forward(x, p),
            mlp_backward=lambda dy, c, hidden="tanh": checker.library_mlp(c[0], hidden).backward(dy, c)),
    6: dict(Adam=Adam),
    7: dict(d_gradients=steps.d_gradients, g_gradients=steps.g_gradients),
    8: dict(instance_noise=_noise, interpolates=_interpolates, gradient_penalty=_penalty),
    9: dict(simultaneous_gd=games.simultaneous_gd, alternating_gd=games.alternating_gd,
            simultaneous_radius=games.simultaneous_radius),
    10: dict(ring_centers=lambda k, radius=1.0: ring(k, radius).centers,
             mode_coverage=metrics.mode_coverage),
    11: dict(rpgan_d=get_loss("rpgan").d, rpgan_g=get_loss("rpgan").g, generator_signal=_signal),
}


def solution(number, **wrong):
    """The reference solution of an exercise, with some functions replaced by wrong ones."""
    return types.SimpleNamespace(**{**REFERENCE[number], **wrong})


@pytest.mark.parametrize("number", sorted(checker.EXERCISES))
def test_the_library_passes_every_check(number):
    results = checker.check_module(number, solution(number))
    assert len(results) >= 3
    assert all(r.passed for r in results), checker.format_results(results)


@pytest.mark.parametrize("number", sorted(checker.EXERCISES))
def test_an_untouched_template_fails_every_check_as_not_implemented(number):
    results = checker.check_file(number, EXERCISES / checker.EXERCISES[number].filename)
    report = checker.format_results(results)
    assert all(not r.passed and r.todo and "not implemented yet" in r.hint for r in results), report
    n = len(results)
    assert "Traceback" not in report and report.endswith(f"0 passed, {n} failed ({n} not implemented yet)")


# ============================================================================ wrong answers

def flipped(fn, key):
    """fn's answer with the gradient grads[key] negated: the flipped sign."""
    def wrong(*args):
        first, grads = fn(*args)[:2]
        return first, {**grads, key: -grads[key]}
    return wrong


def scaled(fn, key, factor):
    """fn's answer with grads[key] multiplied by factor (N: a missing 1/N)."""
    def wrong(*args):
        first, grads = fn(*args)[:2]
        return first, {**grads, key: grads[key] * factor(*args)}
    return wrong


def db_as_mean(dy, cache):
    dx, grads = ops.linear_backward(dy, cache)
    return dx, {**grads, "b": dy.mean(axis=0)}


def dw_transposed(dy, cache):
    dx, grads = ops.linear_backward(dy, cache)
    return dx, {**grads, "W": dy.T @ cache[0]}


def relu_in_place(dy, y):
    dy[y <= 0] = 0.0
    return dy


def tanh_of_y(dy, y):
    return dy * (1 - np.tanh(y) ** 2)


def naive_softplus(x):
    return np.log(1 + np.exp(x))


def naive_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def bce_log_sigmoid(logits, target):
    s = ops.sigmoid(logits)
    value = np.mean(-target * np.log(s) - (1 - target) * np.log(1 - s))
    return float(value), {"logits": (s - target) / logits.size}


def minimax_flipped(fake_logits):
    value, grads = get_loss("minimax").g(fake_logits)
    return -value, {"fake_logits": -grads["fake_logits"]}


def output_activation(x, params, hidden="tanh"):
    y, cache = REFERENCE[5]["mlp_forward"](x, params, hidden)
    return ops.Activation(hidden).forward(y)[0], cache


def backward_writes_dy(dy, cache, hidden="tanh"):
    out = REFERENCE[5]["mlp_backward"](dy, cache, hidden)
    dy *= 2.0
    return out


def forward_caching_preactivations(x, params, hidden="tanh"):
    act, n_layers, h, cache = ops.Activation(hidden), len(params) // 2, x, []
    for l in range(1, n_layers + 1):
        a = ops.linear_forward(h, params[f"W{l}"], params[f"b{l}"])[0]
        cache.append((h, params[f"W{l}"], a))
        h = act.forward(a)[0] if l < n_layers else a
    return h, cache


def backward_with_preactivations(dy, cache, hidden="tanh"):
    """act.backward handed the pre-activation a instead of the output h = act(a)."""
    act, grads, d = ops.Activation(hidden), {}, dy
    for l in range(len(cache), 0, -1):
        h, W, _ = cache[l - 1]
        d, g = ops.linear_backward(d, (h, W))
        grads[f"W{l}"], grads[f"b{l}"] = g["W"], g["b"]
        if l > 1:
            d = act.backward(d, cache[l - 2][2])
    return d, grads


class AdamWithoutCorrection(Adam):
    """Forgets the bias correction: with t huge, 1 - beta^t is 1."""

    def step(self, params, grads):
        self.t = 10**6
        super().step(params, grads)


class AdamStuckAtOne(Adam):
    """Never counts its steps: the correction always uses t = 1."""

    def step(self, params, grads):
        self.t = 0
        super().step(params, grads)


class AdamAscends(Adam):
    def step(self, params, grads):
        super().step(params, {k: -g for k, g in grads.items()})


class AdamZeroesGrads(Adam):
    def step(self, params, grads):
        super().step(params, grads)
        for g in grads.values():
            g[...] = 0.0


RP = get_loss("rpgan")


def rpgan_d_reversed(real_logits, fake_logits):
    """D's loss as softplus(r - f): the pairing's sign flipped (it is G's loss, swapped)."""
    return RP.g(fake_logits, real_logits)


def rpgan_d_reversed_inside(real_logits, fake_logits):
    """The right value, but gradients written with sigma(r - f) for sigma(f - r)."""
    s = ops.sigmoid(real_logits - fake_logits) / real_logits.size
    return RP.d(real_logits, fake_logits)[0], {"real_logits": -s, "fake_logits": s}


def rpgan_g_reversed(fake_logits, real_logits):
    value, grads = RP.d(real_logits, fake_logits)
    return value, {"fake_logits": grads["fake_logits"]}


def rpgan_g_through_real(fake_logits, real_logits):
    """dL/df + dL/dr, as if D(real) moved with G: the two cancel."""
    value, grads = RP.g(fake_logits, real_logits)
    return value, {"fake_logits": grads["fake_logits"] + grads["real_logits"]}


def signal_through_real(D, x_real, x_fake):
    """G's signal with the real batch's backward pass added to the fakes' (rows paired)."""
    real_logits, cache = D.forward(x_real)
    dreal = RP.g(D(x_fake), real_logits)[1]["real_logits"]
    return _signal(D, x_real, x_fake) + D.backward(dreal, cache, need_params=False)[0]


def signal_reversed(D, x_real, x_fake):
    fake_logits, cache = D.forward(x_fake)
    return D.backward(RP.d(D(x_real), fake_logits)[1]["fake_logits"], cache, need_params=False)[0]


class GLossIsDFake:
    """A loss whose g is D's loss on the fakes: the classic generator-step mix-up."""

    def __init__(self, loss):
        self.loss = loss

    def g(self, fake_logits):
        value, grad = self.loss.d_fake(fake_logits)
        return value, {"fake_logits": grad}


def d_swapped(D, loss, x_real, x_fake):
    return steps.d_gradients(D, loss, x_fake, x_real)[:2]


def g_with_d_loss(G, D, loss, z):
    return steps.g_gradients(G, D, GLossIsDFake(loss), z)[:2]


def d_steps_inside(D, loss, x_real, x_fake):
    value, grads = steps.d_gradients(D, loss, x_real, x_fake)[:2]
    for k, g in grads.items():
        D.params[k] -= 0.1 * g
    return value, grads


def noise_from_global_state(x, sigma, rng):
    return x + sigma * np.random.standard_normal(x.shape)


def noise_scaled_by_variance(x, sigma, rng):
    return x + sigma**2 * rng.standard_normal(x.shape)


def eps_per_coordinate(x_real, x_fake, rng):
    eps = rng.uniform(size=x_real.shape)
    return eps * x_real + (1 - eps) * x_fake


def alternating_is_simultaneous(x, y, eta, steps):
    return games.simultaneous_gd(x, y, eta, steps)


def players_swapped(x, y, eta, steps):
    return games.simultaneous_gd(x, -y, eta, steps) * np.array([1.0, -1.0])


def radius_squared_factor(r0, eta, t):
    return r0 * (1 + eta**2) ** np.asarray(t)


def linspace_centers(k, radius=1.0):
    a = np.linspace(0, 2 * np.pi, k)
    return radius * np.stack([np.cos(a), np.sin(a)], axis=1)


def _coverage_with(reverse_kl=None, modes=None, over_all=False):
    """The library's mode_coverage with one classic mistake: reverse_kl(q, K) computed by a
    wrong formula from the high-quality histogram q (or, with over_all, from all samples')."""
    def wrong(samples, centers, std, n_std=3.0):
        out = metrics.mode_coverage(samples, centers, std, n_std)
        counts = np.array(out["counts"] if over_all else out["hq_counts"], dtype=float)
        p = counts / max(counts.sum(), 1.0)
        if reverse_kl and (over_all or counts.sum()):   # no high-quality sample: NaN, as asked
            out["reverse_kl"] = reverse_kl(p, len(centers))
        if modes:
            nearest = np.linalg.norm(samples[:, None] - centers[None], axis=2).argmin(1)
            out["modes"] = np.unique(nearest).size
        return out
    return wrong


def batch(*args):
    return args[0].shape[0]


def size(*args):
    return args[0].size


SIGN, BATCH, MUTATED, OVERFLOW = ("opposite sign", "divide by the batch size", "wrote into its input",
                                  "overflows")

MISTAKES = [
    # (exercise, label, wrong functions, a phrase the hint must contain)
    (1, "dW with a flipped sign", dict(linear_backward=flipped(ops.linear_backward, "W")), SIGN),
    (1, "dx with a flipped sign", dict(linear_backward=lambda dy, c: (-ops.linear_backward(dy, c)[0],
                                                                      ops.linear_backward(dy, c)[1])), SIGN),
    (1, "db averaged over the batch", dict(linear_backward=db_as_mean), "times too small"),
    (1, "dW transposed", dict(linear_backward=dw_transposed), "transpose"),
    (2, "relu writes into dy", dict(relu_backward=relu_in_place), MUTATED),
    (2, "tanh applied to y again", dict(tanh_backward=tanh_of_y), "tanh to y again"),
    (3, "softplus as log(1 + exp(x))", dict(softplus=naive_softplus), OVERFLOW),
    (3, "sigmoid as 1 / (1 + exp(-x))", dict(sigmoid=naive_sigmoid), OVERFLOW),
    (3, "BCE as log(sigmoid(l))", dict(bce_with_logits=bce_log_sigmoid), "log(0)"),
    (3, "BCE gradient without 1/N", dict(bce_with_logits=scaled(_bce, "logits", size)), BATCH),
    (3, "BCE gradient with a flipped sign", dict(bce_with_logits=flipped(_bce, "logits")), SIGN),
    (4, "minimax loss with a flipped sign", dict(minimax_g=minimax_flipped), SIGN),
    (4, "non-saturating gradient without 1/N",
     dict(nonsaturating_g=scaled(get_loss("nonsaturating").g, "fake_logits", size)), BATCH),
    (4, "the two losses swapped", dict(minimax_g=get_loss("nonsaturating").g), "this is the nonsaturating"),
    (4, "factors divided by N", dict(logit_factors=lambda l: {k: v / l.size for k, v in _factors(l).items()}),
     "without the 1/N"),
    (5, "an activation on the output layer", dict(mlp_forward=output_activation), "last layer has no activation"),
    (5, "backward writes into dy", dict(mlp_backward=backward_writes_dy), MUTATED),
    (5, "dW1 with a flipped sign", dict(mlp_backward=flipped(REFERENCE[5]["mlp_backward"], "W1")), SIGN),
    (5, "act.backward given the pre-activation", dict(mlp_forward=forward_caching_preactivations,
                                                      mlp_backward=backward_with_preactivations),
     "given the pre-activation"),
    (6, "no bias correction", dict(Adam=AdamWithoutCorrection), "without bias correction"),
    (6, "the step count stuck at 1", dict(Adam=AdamStuckAtOne), "always uses t = 1"),
    (6, "gradient ascent", dict(Adam=AdamAscends), SIGN),
    (6, "writes into grads", dict(Adam=AdamZeroesGrads), MUTATED),
    (7, "real and fake swapped in the D step", dict(d_gradients=d_swapped), "real and fake are swapped"),
    (7, "the G step backpropagates D's loss", dict(g_gradients=g_with_d_loss), "loss.d_fake"),
    (7, "the D step updates D", dict(d_gradients=d_steps_inside), MUTATED),
    (7, "G's gradients divided by N again",
     dict(g_gradients=scaled(steps.g_gradients, "W1", lambda G, D, loss, z: 1.0 / z.shape[0])), "times too small"),
    (8, "noise from np.random", dict(instance_noise=noise_from_global_state), "never from np.random"),
    (8, "noise scaled by the variance", dict(instance_noise=noise_scaled_by_variance), "sigma^2"),
    (8, "one eps per coordinate", dict(interpolates=eps_per_coordinate), "one eps per sample"),
    (8, "penalty summed, not averaged", dict(gradient_penalty=lambda g, lam=10.0: (
        _penalty(g, lam)[0] * g.shape[0], _penalty(g, lam)[1])), BATCH),
    (8, "penalty gradient with a flipped sign", dict(gradient_penalty=flipped(_penalty, "grad_x")), SIGN),
    (9, "alternating = simultaneous", dict(alternating_gd=alternating_is_simultaneous), "uses the new x"),
    (9, "the players swapped", dict(simultaneous_gd=players_swapped), "players are swapped"),
    (9, "radius factor 1 + eta^2", dict(simultaneous_radius=radius_squared_factor), "not by 1 + eta^2"),
    (11, "D's pairing reversed", dict(rpgan_d=rpgan_d_reversed), "pairing is reversed"),
    (11, "D's pairing reversed inside sigma", dict(rpgan_d=rpgan_d_reversed_inside), "reversed inside sigma"),
    (11, "G's pairing reversed", dict(rpgan_g=rpgan_g_reversed), "pairing is reversed"),
    (11, "G's slope with D(real)'s derivative added", dict(rpgan_g=rpgan_g_through_real), "does not depend on G"),
    (11, "D(real)'s gradient sent into G", dict(generator_signal=signal_through_real), "D(real) term's gradient into G"),
    (11, "G's signal with the pairing reversed", dict(generator_signal=signal_reversed), "pairing is reversed"),
    (11, "D's gradients without 1/N", dict(rpgan_d=scaled(RP.d, "fake_logits", lambda r, f: r.size)), BATCH),
    (10, "ring centres from linspace", dict(ring_centers=linspace_centers), "first and last centres coincide"),
    (10, "every nearest mode counted", dict(mode_coverage=_coverage_with(modes=True)), "HIGH-QUALITY"),
    (10, "0 log 0 in the reverse KL",
     dict(mode_coverage=_coverage_with(reverse_kl=lambda p, k: float(np.sum(p * np.log(k * p))))), "0 log 0"),
    (10, "reverse KL over all samples", dict(mode_coverage=_coverage_with(
        reverse_kl=lambda p, k: float(np.sum(p[p > 0] * np.log(k * p[p > 0]))), over_all=True)),
     "high-quality samples only"),
    (10, "log base 2", dict(mode_coverage=_coverage_with(
        reverse_kl=lambda p, k: float(np.sum(p[p > 0] * np.log2(k * p[p > 0]))))), "natural log"),
]


@pytest.mark.parametrize("number, label, wrong, phrase", MISTAKES, ids=[m[1] for m in MISTAKES])
def test_each_classic_mistake_is_caught_with_its_hint(number, label, wrong, phrase):
    results = checker.check_module(number, solution(number, **wrong))
    failed = [r for r in results if not r.passed]
    assert failed, f"{label} passed every check"
    assert any(phrase in r.hint for r in failed), checker.format_results(results)


def test_a_failed_check_reports_the_error_and_the_input_it_failed_on():
    results = checker.check_module(1, solution(1, linear_backward=flipped(ops.linear_backward, "W")))
    bad = next(r for r in results if r.name.startswith("linear_backward: dW"))
    assert bad.error == pytest.approx(1.0) and "W=" in bad.example and "dy=" in bad.example
    report = checker.format_results(results)
    assert "[FAIL] linear_backward: dW matches finite differences" in report
    assert "rel error 1.0e+00" in report and report.endswith("4 passed, 2 failed")


def test_the_pre_activation_mistake_is_named_and_its_input_shown_by_value():
    results = checker.check_module(5, solution(5, mlp_forward=forward_caching_preactivations,
                                               mlp_backward=backward_with_preactivations))
    failed = [r for r in results if not r.passed]
    assert [r.name for r in failed] == ["mlp_backward: dx matches finite differences",
                                        "mlp_backward: every dW, db matches finite differences",
                                        "mlp_backward: dx and grads match tinygan.mlp.MLP.backward"]
    for r in failed:
        assert r.hint == checker.layers.PREACTIVATION_HINT
        assert "params={W1: [[" in r.example and "x=[[" in r.example and "shape" not in r.example


def test_a_crash_in_student_code_is_a_failed_check_naming_the_line(tmp_path):
    path = tmp_path / "ex01.py"
    path.write_text("def linear_forward(x, W, b):\n    return x @ W.T + b, (x, W)\n\n"
                    "from tinygan.ops import linear_backward\n")
    results = checker.check_file(1, path)
    assert not results[0].passed and "line 2" in results[0].hint and "ValueError" in results[0].hint


# ============================================================================ the command

def run(capsys, *argv):
    status = main(["exercise", *argv])
    out, err = capsys.readouterr()
    return status, out, err


RIGHT = "from tinygan.ops import linear_forward, linear_backward\n"
WRONG = ("from tinygan.ops import linear_forward\nfrom tinygan.ops import linear_backward as lb\n\n"
         "def linear_backward(dy, cache):\n    dx, g = lb(dy, cache)\n    return dx, {'W': -g['W'], 'b': g['b']}\n")


def test_list_names_every_exercise_file(capsys):
    status, out, _ = run(capsys, "list", "--dir", str(EXERCISES))
    assert status == 0
    for e in checker.EXERCISES.values():
        assert e.filename in out
    assert "not found" not in out


def test_check_exits_0_on_a_right_answer_and_1_on_a_wrong_one(capsys, tmp_path):
    (tmp_path / "right.py").write_text(RIGHT)
    (tmp_path / "wrong.py").write_text(WRONG)
    status, out, _ = run(capsys, "check", "1", "--path", str(tmp_path / "right.py"))
    assert status == 0 and "6 passed, 0 failed" in out and "[FAIL]" not in out
    status, out, _ = run(capsys, "check", "1", "--path", str(tmp_path / "wrong.py"))
    assert status == 1 and "opposite sign" in out and "4 passed, 2 failed" in out


def test_check_reads_exercises_in_the_current_folder_by_default(capsys, tmp_path, monkeypatch):
    shutil.copytree(EXERCISES, tmp_path / "exercises")
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(capsys, "check", "9")
    assert status == 1 and "not implemented yet" in out and "Traceback" not in out
    (tmp_path / "exercises" / "ex09_bilinear_game.py").write_text(
        "from tinygan.questions.games import simultaneous_gd, alternating_gd, simultaneous_radius\n")
    assert run(capsys, "check", "9")[0] == 0


def test_usage_errors_exit_2_with_one_line(capsys, tmp_path):
    for argv, phrase in ((("check", "99"), "1-11"), (("check", "one"), "1-11"),
                         (("check", "1", "--dir", str(tmp_path)), "no file"),
                         (("check", "all", "--path", "x.py"), "--dir")):
        status, out, err = run(capsys, *argv)
        assert status == 2 and phrase in err and len(err.strip().splitlines()) == 1, (argv, err)


def test_a_file_that_does_not_import_fails_with_its_error(capsys, tmp_path):
    (tmp_path / "broken.py").write_text("def linear_forward(x, W, b)\n    return x\n")
    status, out, _ = run(capsys, "check", "1", "--path", str(tmp_path / "broken.py"))
    assert status == 1 and "SyntaxError" in out and "0 passed, 1 failed" in out


# ============================================================================ shipping the exercises

def test_init_writes_the_shipped_files_and_never_overwrites_without_force(capsys, tmp_path):
    folder = tmp_path / "exercises"
    status, out, _ = run(capsys, "init", str(folder))
    assert status == 0 and "wrote 13 files" in out
    assert sorted(p.name for p in folder.iterdir()) == sorted(checker.TEMPLATE_FILES)
    for name in checker.TEMPLATE_FILES:
        assert (folder / name).read_bytes() == (EXERCISES / name).read_bytes()
    mine = folder / checker.EXERCISES[1].filename
    mine.write_text(RIGHT)
    status, _, err = run(capsys, "init", str(folder))
    assert status == 2 and "already exists" in err and "--force" in err and len(err.strip().splitlines()) == 1
    assert mine.read_text() == RIGHT
    assert run(capsys, "init", str(folder), "--force")[0] == 0
    assert mine.read_bytes() == (EXERCISES / mine.name).read_bytes()
    status, _, err = run(capsys, "init", str(mine))
    assert status == 2 and "is a file" in err and len(err.strip().splitlines()) == 1


def test_check_finds_the_exercises_in_the_current_folder_or_says_to_run_init(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, "check", "1")
    assert status == 2 and "tinygan exercise init exercises" in err and len(err.strip().splitlines()) == 1
    assert "tinygan exercise init exercises" in run(capsys, "list")[1]
    run(capsys, "init", ".")
    (tmp_path / checker.EXERCISES[1].filename).write_text(RIGHT)
    status, out, _ = run(capsys, "check", "1")     # the student is inside the exercise folder
    assert status == 0 and "6 passed, 0 failed" in out


def test_timeout_takes_positive_seconds(capsys, tmp_path):
    for value in ("0", "-1", "soon", "inf"):
        status, _, err = run(capsys, "check", "1", "--timeout", value)
        assert status == 2 and "positive number of seconds" in err and len(err.strip().splitlines()) == 1


def test_memory_takes_mebibytes_of_at_least_64(capsys, tmp_path):
    for value in ("0", "63", "-1", "lots", "nan"):
        status, _, err = run(capsys, "check", "1", "--memory", value)
        assert status == 2 and "MiB of memory" in err and len(err.strip().splitlines()) == 1


def test_setup_cfg_ships_every_template_in_the_wheel():
    import configparser
    import fnmatch
    cfg = configparser.ConfigParser()
    cfg.read(Path(__file__).resolve().parents[1] / "setup.cfg")
    patterns = [p.strip() for p in cfg["options.package_data"]["tinygan.exercises"].replace("\n", ",").split(",")
                if p.strip()]
    for name in checker.TEMPLATE_FILES:
        assert any(fnmatch.fnmatch(f"templates/{name}", p) for p in patterns), name


def _coverage_as_the_template_says(samples, centers, std, n_std=3.0):
    """Exercise 10 written from its template's text alone, step by step, as a student would:
    the checker must accept it (it once compared with a reverse KL the text did not ask for)."""
    d = np.sqrt(((samples[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2))   # step 1
    nearest, dist = d.argmin(axis=1), d.min(axis=1)
    good = dist <= n_std * std                                                      # step 2
    modes = len(set(nearest[good].tolist()))                                        # step 3
    if not good.any():                                                              # step 4
        kl = float("nan")
    else:
        q = np.bincount(nearest[good], minlength=len(centers)) / good.sum()
        kl = float(sum(qj * np.log(len(centers) * qj) for qj in q if qj > 0))
    return {"modes": modes, "high_quality": float(good.mean()), "reverse_kl": kl}


def test_a_solution_written_from_the_exercise_10_text_passes():
    results = checker.check_module(10, solution(10, mode_coverage=_coverage_as_the_template_says))
    assert all(r.passed for r in results), checker.format_results(results)


def test_exercise_10_with_no_high_quality_sample_wants_nan():
    def zero_when_empty(samples, centers, std, n_std=3.0):
        out = _coverage_as_the_template_says(samples, centers, std, n_std)
        return {**out, "reverse_kl": 0.0 if np.isnan(out["reverse_kl"]) else out["reverse_kl"]}
    results = checker.check_module(10, solution(10, mode_coverage=zero_when_empty))
    failed = [r for r in results if not r.passed]
    assert failed and "float('nan')" in failed[0].hint, checker.format_results(results)
