"""The lab's Q1 and Q2 experiments: tinygan.questions.saturation and tinygan.questions.parallel_lines.

The demos built on them run in tests/test_demos.py (one quick tour for all six)."""

import ctypes
import glob
import math
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from tinygan.questions import saturation, parallel_lines
from tinygan.data import get_dataset
from tinygan.steps import g_gradients
from tinygan.losses import get_loss
from tinygan.mlp import MLP


# ------------------------------------------------------------------ one BLAS thread
# The probes multiply tiny matrices; on a busy 2-core machine OpenBLAS threads make them
# ~20x slower. The demos set OPENBLAS_NUM_THREADS before importing numpy, but here numpy is
# already loaded, so ask the library itself (as threadpoolctl does). No-op if not found.

def _openblas_setter():
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "*openblas*"))
    for path in libs:
        lib = ctypes.CDLL(path)
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                set_ = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                get_ = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if set_ is not None and get_ is not None:
                    get_.restype = ctypes.c_int
                    return set_, get_
    return None, None


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    set_, get_ = _openblas_setter()
    if set_ is None:
        yield
        return
    before = get_()
    set_(1)
    yield
    set_(before)


# ------------------------------------------------------------------ Goodfellow's costs

def test_costs_at_one_half_are_the_tutorials_numbers():
    assert saturation.generator_cost("minimax", 0.5) == pytest.approx(-0.347, abs=5e-4)
    assert saturation.generator_cost("nonsaturating", 0.5) == pytest.approx(0.347, abs=5e-4)
    assert saturation.generator_cost("max_likelihood", 0.5) == -0.5
    assert saturation.generator_cost("minimax", 0.5) == 0.5 * math.log(0.5)


def test_slopes_are_the_tutorials_formulas_at_one_half():
    assert saturation.generator_cost_slope("minimax", 0.5) == -0.25               # -D/2
    assert saturation.generator_cost_slope("nonsaturating", 0.5) == -0.25         # -(1-D)/2
    assert saturation.generator_cost_slope("max_likelihood", 0.5) == -0.5         # -D/(2(1-D))


@pytest.mark.parametrize("name", saturation.COSTS)
@given(st.floats(-15, 8))
def test_slope_is_the_derivative_of_the_cost_in_the_logit(name, logit):
    sig = lambda l: 1.0 / (1.0 + math.exp(-l))  # noqa: E731
    h = 1e-5
    fd = (saturation.generator_cost(name, sig(logit + h)) - saturation.generator_cost(name, sig(logit - h))) / (2 * h)
    exact = saturation.generator_cost_slope(name, sig(logit))
    assert_allclose(exact, fd, rtol=1e-6, atol=1e-8)


def test_minimax_slope_vanishes_where_nonsaturating_does_not():
    d = np.array([1e-2, 1e-4, 1e-8])
    assert_allclose(saturation.generator_cost_slope("minimax", d), -d / 2)
    assert np.all(saturation.generator_cost_slope("nonsaturating", d) < -0.49)


def test_costs_reject_bad_input():
    with pytest.raises(ValueError, match="unknown generator cost"):
        saturation.generator_cost("wasserstein", 0.5)
    for bad in (0.0, 1.0, -0.1, float("nan")):
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            saturation.generator_cost_slope("minimax", bad)


def test_library_loss_is_twice_the_tutorials_cost():
    value, grads = get_loss("minimax").g(np.zeros(1))
    assert value == pytest.approx(2 * saturation.generator_cost("minimax", 0.5), abs=1e-15)
    assert grads["fake_logits"][0] == pytest.approx(2 * saturation.generator_cost_slope("minimax", 0.5))


# ------------------------------------------------------------------ frozen generator

def test_offset_generator_sits_where_asked():
    G = saturation.offset_generator((2.0, -1.0), spread=0.3, seed=1)
    x = G(np.random.default_rng(0).standard_normal((2000, 1)))
    assert_allclose(x.mean(0), (2.0, -1.0), atol=0.3)
    assert np.all(np.abs(x - (2.0, -1.0)) < 0.3 * 2 + 1e-9)   # two tanh units of size <= spread


def test_generator_gradient_matches_g_gradients_without_noise():
    G = saturation.offset_generator((1.0, 0.0), seed=2)
    D = MLP((2, 8, 1), hidden="tanh", seed=3)
    z = np.random.default_rng(4).standard_normal((16, 1))
    for cost in ("minimax", "nonsaturating"):
        _, grads, info = g_gradients(G, D, get_loss(cost), z)
        expected = math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))
        norm, d_fake = saturation.generator_gradient(G, D, cost, z)
        assert norm == pytest.approx(expected, rel=1e-12)
        assert d_fake == pytest.approx(float(np.mean(1 / (1 + np.exp(-info["fake_logits"])))))


def test_frozen_generator_probe_records_and_leaves_g_alone():
    G = saturation.offset_generator((0.6, -0.6), seed=0)
    before = G.copy_params()
    r = saturation.train_d_against_frozen_g(G, get_dataset("line"), steps=60, d_hidden=(16,),
                                        record_every=20)
    assert list(r["step"]) == [0, 20, 40, 60]
    assert set(r["grad_norm"]) == {"minimax", "nonsaturating"}
    assert r["d_loss"][-1] < r["d_loss"][0]
    for k in before:
        assert np.array_equal(before[k], G.params[k])


def test_decay_orders_and_spread():
    s = 10.0 ** -np.linspace(0, 3, 101)
    assert saturation.decay_orders(s, head=0.01, tail=0.01) == pytest.approx(3.0)
    assert saturation.decay_orders(s[::-1], head=0.01, tail=0.01) == pytest.approx(-3.0)
    sp = saturation.spread([1.0, 3.0])
    assert (sp["mean"], sp["std"], sp["cv"]) == (2.0, 1.0, 0.5)


# ------------------------------------------------------------------ parallel lines

@given(st.floats(-50, 50, allow_nan=False))
def test_parallel_lines_closed_forms(theta):
    r = parallel_lines.parallel_lines_divergences(theta)
    assert r["w1"] == abs(theta)
    if theta == 0:
        assert (r["js"], r["kl"], r["tv"]) == (0.0, 0.0, 0.0)
    else:
        assert (r["js"], r["kl"], r["tv"]) == (math.log(2.0), math.inf, 1.0)


def test_lipschitz_and_theta_gradient_of_a_linear_critic():
    f = MLP((2, 1), seed=0)                   # f(x) = x @ w + b: Lipschitz constant ||w||
    w = f.params["W1"][:, 0]
    pts = np.random.default_rng(0).normal(size=(50, 2))
    assert parallel_lines.lipschitz_estimate(f, pts) == pytest.approx(np.linalg.norm(w))
    q = get_dataset("parallel_lines", theta=1.5)
    g = parallel_lines.theta_gradient(f, "wasserstein", q, 64, np.random.default_rng(1))
    assert g == pytest.approx(-w[0])           # L_G = -mean f(theta, z): dL/dtheta = -w_1


def test_train_scorer_rejects_unknown_kind():
    p = get_dataset("parallel_lines")
    with pytest.raises(ValueError, match="unknown scorer"):
        parallel_lines.train_scorer(p, p, "critic")


def test_js_and_w1_estimates_on_parallel_lines():
    p, q = get_dataset("parallel_lines", theta=0.0), get_dataset("parallel_lines", theta=1.0)
    D, rng = parallel_lines.train_scorer(p, q, "discriminator", steps=300)
    js, _ = parallel_lines.js_estimate(D, p, q, 2048, rng)
    assert js == pytest.approx(math.log(2.0), abs=0.03)
    f, rng = parallel_lines.train_scorer(p, q, "critic-clip", steps=300)
    est = parallel_lines.w1_estimate(f, p, q, 2048, rng, normalise=True)
    assert 0.8 <= est["w1"] <= 1.0 + 1e-9 and est["lipschitz"] > 0
    # the raw gap is the clipped critic's K-scaled W1: tiny, and bounded by K |theta|
    assert 0 < est["gap"] <= est["lipschitz"] * 1.0 + 1e-12 and est["lipschitz"] < 0.01


# ------------------------------------------------------------------ Thm 2.4, a trained G, Thm 2.5

def test_jacobian_norm_matches_finite_differences():
    G = saturation.offset_generator((0.5, -0.5), hidden=(5,), seed=3)
    z = np.random.default_rng(0).standard_normal((4, 1))
    total, h = 0.0, 1e-6
    for key, p in G.params.items():
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            up = G(z)
            p[idx] = old - h
            down = G(z)
            p[idx] = old
            total += float(np.sum(((up - down) / (2 * h)) ** 2))   # sum over samples and outputs
    assert saturation.jacobian_norm(G, z) == pytest.approx(math.sqrt(total / len(z)), rel=1e-6)


def test_thm24_bound_holds_and_bites_when_d_is_confident():
    G = saturation.offset_generator((0.6, -0.6), seed=0)
    D = MLP((2, 8, 1), hidden="leaky_relu", seed=1)
    z = np.random.default_rng(2).standard_normal((32, 1))
    b = saturation.thm24_bound(G, D, z)
    assert b["probe_grad"] <= b["bound"]
    # a D that is sure every sample is fake (large negative bias), and flat: eps is tiny
    D.params["b2"][:] = -30.0
    for k in ("W1", "W2"):
        D.params[k] *= 1e-3
    b = saturation.thm24_bound(G, D, z)
    assert b["eps"] < 1e-6 and b["probe_grad"] <= b["bound"] < 1e-5


def test_frozen_probe_records_the_bound_and_refuses_it_with_noise():
    G = saturation.offset_generator((0.6, -0.6), seed=0)
    r = saturation.train_d_against_frozen_g(G, get_dataset("line"), steps=40, d_hidden=(16,),
                                            record_every=20, bound=True)
    assert r["M"] > 0 and len(r["bound"]) == len(r["step"]) == 3
    assert np.all(r["probe_grad"] <= r["bound"])
    with pytest.raises(ValueError, match="without noise"):
        saturation.train_d_against_frozen_g(G, get_dataset("line"), steps=1, noise=0.1, bound=True)


def test_distance_to_segment():
    x = np.array([[0.0, 1.0], [2.0, 0.0], [-1.0, 0.0], [0.5, 0.0]])
    assert_allclose(saturation.distance_to_segment(x, (0, 0), (1, 0)), [1.0, 1.0, 1.0, 0.0])


def test_train_generator_moves_g_to_the_data_and_keeps_snapshots():
    data = get_dataset("line")
    G = saturation.offset_generator((0.6, -0.6), spread=0.5, seed=0)
    start = G.copy_params()
    r = saturation.train_generator(G, data, 60, keep=(0, 30, 60), record_every=30, seed=0)
    assert sorted(r["kept"]) == [0, 30, 60] and list(r["step"]) == [0, 30, 60]
    assert all(np.array_equal(start[k], r["kept"][0][k]) for k in start)
    assert all(np.array_equal(G.params[k], r["kept"][60][k]) for k in start)
    assert r["distance"][-1] < 0.5 * r["distance"][0]       # 0.85 away at the start
    assert len(r["g_grad_norm"]) == 60


def test_thm25_identity_and_goodfellow_theorem_1():
    t = saturation.thm25_check(theta0=0.5)
    assert t["lhs"] == pytest.approx(t["rhs"], rel=1e-6)
    assert t["value"] == pytest.approx(t["value_closed"], abs=1e-8)


def test_generator_objectives_know_the_data_and_rank_the_two_generators():
    d = saturation.DATA_1D
    exact = saturation.generator_objectives(d["centers"], d["std"])
    assert abs(exact["js"]) < 1e-9 and abs(exact["kl_gr"]) < 1e-9
    assert exact["minimax"] == pytest.approx(-math.log(4.0))
    one = saturation.generator_objectives((2.0,), 0.5)
    broad = saturation.generator_objectives((0.0,), 2.0)
    assert one["kl_gr"] == pytest.approx(math.log(2.0), abs=1e-3)   # half the data's mass is missing
    assert one["nonsaturating"] < broad["nonsaturating"] and one["max_likelihood"] > broad["max_likelihood"]


@given(st.floats(-3, 3), st.floats(0.05, 1.0))
def test_js_under_noise_is_symmetric_bounded_and_matches_a_direct_integral(theta, sigma):
    js = parallel_lines.js_under_noise(theta, sigma)
    assert 0.0 <= js <= math.log(2.0) + 1e-12
    assert js == pytest.approx(parallel_lines.js_under_noise(-theta, sigma), abs=1e-9)
    p = saturation.gaussian_mixture_pdf
    x = np.linspace(-12, 12, 200001)
    a, b = p(x, (0.0,), sigma)[0], p(x, (theta,), sigma)[0]
    direct = saturation.divergences_on_grid(a, b, x[1] - x[0])["js"]
    assert js == pytest.approx(direct, abs=1e-6)


def test_js_under_noise_limits_and_errors():
    assert parallel_lines.js_under_noise(0.0, 0.3) == pytest.approx(0.0, abs=1e-15)
    assert parallel_lines.js_under_noise(1.0, 0.01) == pytest.approx(math.log(2.0), abs=1e-9)
    assert parallel_lines.js_under_noise(np.array([0.5, 1.0]), 0.3).shape == (2,)
    with pytest.raises(ValueError, match="sigma"):
        parallel_lines.js_under_noise(1.0, 0.0)


def test_noisy_discriminator_reads_the_blurred_js():
    p, q = get_dataset("parallel_lines", theta=0.0), get_dataset("parallel_lines", theta=0.5)
    D, rng = parallel_lines.train_scorer(p, q, "discriminator", steps=300, noise=0.3)
    js, _ = parallel_lines.js_estimate(D, p, q, 4096, rng, noise=0.3)
    assert js == pytest.approx(parallel_lines.js_under_noise(0.5, 0.3), abs=0.05)   # 0.26
