"""Divergence caught wherever it shows (issue 15): in the losses, the gradients, the weights,
the optimizers' state and the samples; one line naming the step and what went non-finite, no
warning before it (warnings are errors here, as under `python -W error`), and a checkpoint on
disk only from a finite state. Also the numerics of the loss families on integer and list
input. The full sweep (102 configurations) is benchmarks/divergence_sweep.py; the table
below is a sample of it covering each place a run can diverge.
"""

import re
import warnings

import numpy as np
import pytest
from clifuzz import attempt

from tinygan.app import checkpoint
from tinygan.app.divergence import first_non_finite, locate
from tinygan.gan import DivergenceError, Trainer, all_finite
from tinygan.losses import LOSSES

TINY = ["--g-hidden", "16", "16", "--d-hidden", "16", "16", "--batch-size", "64", "--steps", "60",
        "--eval-every", "10", "--eval-samples", "500", "--z-dim", "4",
        "--standardize", "false", "--noise-anneal-steps", "2400"]   # the cases were found under these

# (name, flags, what the message must name). Each diverges in a different place; the
# fragment is the first non-finite array in the order the step computed it. `refusable`
# cases use a value so extreme that a stricter flag check may refuse it up front (exit 2,
# one line), which is also a clean outcome.
CASES = [
    ("G's loss", ["--loss", "least_squares", "--optimizer", "sgd", "--g-lr", "1e6", "--d-lr", "1e6"],
     "G's loss is inf", False),
    ("D's loss", ["--dtype", "float32", "--loss", "hinge", "--optimizer", "sgd", "--g-lr", "1e3",
                  "--d-lr", "1e3"], "D's loss is inf", False),
    ("D's output", ["--loss", "hinge", "--d-steps", "5", "--optimizer", "sgd", "--g-lr", "1e4",
                    "--d-lr", "1e4"], "D's output on the real samples holds NaN", False),
    ("G's gradient norm", ["--optimizer", "sgd", "--g-lr", "1e3", "--d-lr", "1e3"],
     "the norm of G's gradient", False),
    ("D's gradient", ["--loss", "wasserstein", "--r1", "1e160"], "D's gradient for D.W1 holds", True),
    ("Adam's v, finite weights", ["--data-option", "radius=1e25"],
     "Adam state opt_d.v of D.W1 holds inf", True),
    ("RMSProp's s", ["--optimizer", "rmsprop", "--g-lr", "1e3", "--d-lr", "1e3"],
     "RMSProp state opt_d.s of D.W1 holds inf", False),
    ("samples overflow, finite weights",   # the case: it ended in a ValueError
     ["--loss", "least_squares", "--optimizer", "sgd", "--g-lr", "1e4", "--d-lr", "1e4",
      "--g-hidden", "32", "--d-hidden", "32", "--eval-every", "1"], "G's samples hold", False),
    ("G's samples in training", ["--loss", "wasserstein", "--optimizer", "sgd", "--g-lr", "1e3",
                                 "--d-lr", "1e3"], "G's samples hold inf", False),
    ("data beyond float32", ["--data-option", "radius=1e80"], "the real samples D sees hold inf", True),
    ("huge data in float64", ["--dtype", "float64", "--data-option", "radius=1e160"],
     "Adam state opt_d.v of D.W1 holds inf", True),
    ("huge std", ["--data-option", "std=1e25"], "Adam state opt_d.v of D.W1 holds inf", True),
    ("extreme noise", ["--noise", "1e300", "--noise-schedule", "constant"],
     "the real samples D sees hold inf", True),
    ("extreme gp", ["--loss", "wasserstein", "--gp", "1e25"], "Adam state opt_d.v of D.W1 holds inf", True),
    ("after a good checkpoint", ["--loss", "minimax", "--optimizer", "adam", "--g-lr", "1e3", "--d-lr", "1e3",
                                 "--eval-every", "5"], "Adam state opt_d.v of D.W1 holds inf", False),
]


@pytest.mark.parametrize("name, flags, fragment, refusable", CASES, ids=[c[0] for c in CASES])
def test_divergence_is_one_line_naming_the_step_and_what(tmp_path, name, flags, fragment, refusable):
    outcome = attempt(["train", "--out", "run", *TINY, *flags], tmp_path)   # warnings are errors
    if refusable and outcome.code == 2:
        outcome.clean_failure()
        return
    where = outcome._where()
    assert outcome.code == 1, where
    assert "Traceback" not in outcome.err + outcome.out, where
    assert "Warning" not in outcome.err, where
    said = [line for line in outcome.err.splitlines() if line.startswith("tinygan:")]
    assert len(said) == 1 and outcome.err.rstrip().endswith(said[0]), where   # progress lines may precede it
    assert re.match(r"tinygan: training diverged at step \d+: ", said[0]), where
    assert fragment in said[0], where
    kept = tmp_path / "run" / "checkpoint.npz"
    if kept.exists():
        with np.load(kept, allow_pickle=False) as npz:
            assert all(np.all(np.isfinite(npz[k])) for k in npz.files if npz[k].dtype.kind == "f"), where
        trainer = checkpoint.load(kept)
        trainer.check_finite()
        step = int(re.search(r"step (\d+)", said[0]).group(1))
        assert trainer.step < step, where


def test_a_checkpoint_is_kept_from_before_the_divergence(tmp_path):
    outcome = attempt(["train", "--out", "run", *TINY, *CASES[-1][1]], tmp_path)
    assert outcome.code == 1 and "diverged at step 7" in outcome.err, outcome._where()
    trainer = checkpoint.load(tmp_path / "run" / "checkpoint.npz")
    assert trainer.step == 5


# ----------------------------------------------------------------------------- the Trainer

SMALL = dict(data="ring", steps=20, batch_size=64, g_hidden=(16,), d_hidden=(16,), z_dim=4,
             eval_every=0, eval_samples=500)


def located(trainer, call, *args):
    """The message of the DivergenceError that call(*args) raises, located as the command
    line locates it (tinygan.app.divergence.locate)."""
    with pytest.raises(DivergenceError) as info:
        call(*args)
    return str(locate(info.value, trainer)), info.value


def test_optimizer_state_that_is_inf_under_finite_weights_is_named():
    # Adam's v can hold inf while the weights stay finite (m / sqrt(inf) = 0: D frozen)
    t = Trainer(**SMALL)
    t.train(3)
    t.opt_d.state["v"]["W2"][0, 0] = np.inf
    assert all(np.all(np.isfinite(p)) for p in t.D.params.values())
    # the state a run starts from (a resumed one) is checked first
    assert re.search(r"step 3: Adam state opt_d\.v of D\.W2 holds inf", located(t, t.train, 1)[0])
    assert "opt_d.v of D.W2" in located(t, t.evaluate)[0]    # and before every evaluation, so every save


def test_weights_that_overflow_are_named():
    # float32 SGD with lr 1e300: lr * g is inf in float32, the weights go first
    t = Trainer(**SMALL, optimizer="sgd", d_lr=1e300)
    message, error = located(t, t.train)
    assert re.search(r"step 1: D's weights D\.W1 hold", message), message
    assert error.step == 1 and t.history["step"] == []


def test_the_average_of_g_is_checked():
    t = Trainer(**SMALL, ema=0.99)
    t.train(2)
    t.opt_g.average["b1"][0] = np.nan
    assert "the average of G's weights (opt_g.ema of G.b1) holds NaN" in located(t, t.check_finite)[0]


def test_evaluate_on_overflowing_samples_raises_divergence_not_value_error():
    t = Trainer(**SMALL, ema=0.0)         # samples from G's own weights, not an average
    t.G.params["W2"][...] = 1e38        # finite weights whose sums overflow float32
    assert all(np.all(np.isfinite(p)) for p in t.G.params.values())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DivergenceError, match=r"step 0: G's samples hold"):
            t.evaluate()


def test_a_diverging_step_warns_nothing_even_when_warnings_are_errors():
    t = Trainer(**SMALL, loss="minimax", optimizer="sgd", g_lr=1e3, d_lr=1e3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DivergenceError, match=r"diverged at step 2: "):
            t.train()


# ----------------------------------------------------------------------------- the screen

def test_the_screen_and_the_exact_test():
    huge = np.full(4, 1e200)            # finite, but its squares overflow: the screen fires,
    assert all_finite(huge, {"W": huge})                      # the exact test clears it
    for bad in (np.array([1.0, np.nan]), np.array([np.inf, 0.0]), np.array([-np.inf])):
        assert not all_finite(bad) and not all_finite({"W": np.ones(2), "b": bad})
    assert all_finite(np.arange(5.0), np.arange(3), 2.0) and not all_finite(float("nan"))
    assert first_non_finite([("a {kind}", huge)]) is None
    items = [("x {kind}", np.ones(3)), ("p.{key} {kind}", {"W": np.ones(2), "b": np.array([np.inf])}),
             ("later {kind}", np.array([np.nan]))]
    assert first_non_finite(items) == "p.b inf"                  # the first in order, named
    assert first_non_finite([("loss {kind}", float("nan"))]) == "loss NaN"
    assert first_non_finite([("y {kind}", np.array([np.nan, np.inf]))]) == "y NaN and inf"


# ----------------------------------------------------------------------------- the losses' numerics

@pytest.mark.parametrize("name", sorted(n for n in LOSSES if not LOSSES[n].pairs))   # rpgan: test_rpgan.py
def test_integer_and_list_logits_give_the_float_gradients(name):
    loss = LOSSES[name]()
    ints = np.array([-3, 0, 2, 5])
    floats = ints.astype(np.float64)
    for method in ("d_real", "d_fake"):
        vi, gi = getattr(loss, method)(ints)
        vf, gf = getattr(loss, method)(floats)
        vl, gl = getattr(loss, method)(ints.tolist())
        assert gi.dtype == np.float64 and gl.dtype == np.float64
        assert vi == vf == vl
        np.testing.assert_array_equal(gi, gf)
        np.testing.assert_array_equal(gl, gf)
    vi, gi = loss.g(ints)
    vf, gf = loss.g(floats)
    assert vi == vf
    np.testing.assert_array_equal(gi["fake_logits"], gf["fake_logits"])
    assert np.any(gf["fake_logits"] != 0)       # a Wasserstein gradient of -1/N, not 0
    _, gb = loss.d(np.array([True, False]), np.array([False, True]))
    np.testing.assert_array_equal(gb["real_logits"], loss.d_real(np.array([1.0, 0.0]))[1])


def test_float32_logits_stay_float32():
    for loss in LOSSES.values():
        _, grad = loss().g(np.ones(4, dtype=np.float32), np.zeros(4, dtype=np.float32))   # real: rpgan's
        assert grad["fake_logits"].dtype == np.float32


@pytest.mark.parametrize("bad, message", [
    ([], r"shape \(N,\) or \(N, 1\) with N >= 1, got \(0,\)"),
    ("abc", "real numbers .* got str of dtype <U3"),
    (np.array([1 + 2j]), "real numbers .* got ndarray of dtype complex128"),
    ([[1.0, 2.0], [3.0]], "got a list NumPy cannot read as one"),
    (np.zeros((2, 2)), r"with N >= 1, got \(2, 2\)"),
])
def test_logits_that_are_not_a_batch_of_numbers_are_refused_saying_what_was_given(bad, message):
    with pytest.raises(ValueError, match=message):
        LOSSES["wasserstein"]().g(bad)
