"""Optimizers: Adam's first step, descent on a convex quadratic, no mutation, dtype kept."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from strategies import seeds

from tinygan.optim import SGD, Adam, RMSProp, get_optimizer

OPTIMIZERS = [
    lambda: SGD(lr=0.05),
    lambda: SGD(lr=0.05, momentum=0.9),
    lambda: Adam(lr=0.05),
    lambda: RMSProp(lr=0.01),
]


@given(seeds, st.floats(1e-4, 1e-1))
def test_adam_first_step_moves_each_weight_by_lr_against_the_sign(seed, lr):
    rng = np.random.default_rng(seed)
    g = rng.normal(size=(4, 3))
    g[np.abs(g) < 1e-2] = 1e-2            # |g| >= 1e-2: eps / |g| <= 1e-6
    params = {"W": rng.normal(size=(4, 3))}
    before = params["W"].copy()
    Adam(lr=lr, betas=(0.5, 0.999)).step(params, {"W": g})
    assert_allclose(before - params["W"], lr * np.sign(g), rtol=1e-5)


def quadratic(seed, n=6):
    """f(p) = 1/2 p^T A p - b^T p with A symmetric positive definite; minimum at A^-1 b."""
    rng = np.random.default_rng(seed)
    Q = rng.normal(size=(n, n))
    A = Q @ Q.T / n + 0.5 * np.eye(n)
    b = rng.normal(size=n)
    return A, b, np.linalg.solve(A, b)


@pytest.mark.parametrize("make", OPTIMIZERS, ids=["sgd", "momentum", "adam", "rmsprop"])
@given(seeds)
def test_each_optimizer_minimises_a_convex_quadratic(make, seed):
    A, b, p_star = quadratic(seed)

    def f(p):
        return 0.5 * p @ A @ p - b @ p

    opt = make()
    params = {"p": np.zeros_like(b)}
    f0 = f(params["p"])
    for _ in range(1500):
        opt.step(params, {"p": A @ params["p"] - b})
    # from f0 to within 1 % of the optimal gap, and near the minimiser
    assert f(params["p"]) - f(p_star) < 0.01 * (f0 - f(p_star))
    assert np.linalg.norm(params["p"] - p_star) < 0.1 * np.linalg.norm(p_star) + 0.05


@pytest.mark.parametrize("make", OPTIMIZERS, ids=["sgd", "momentum", "adam", "rmsprop"])
def test_grads_untouched_and_float32_kept(make):
    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(3, 2)).astype(np.float32), "b": np.zeros(2, np.float32)}
    grads = {"W": rng.normal(size=(3, 2)).astype(np.float32), "b": np.ones(2, np.float32)}
    before = {k: v.copy() for k, v in grads.items()}
    opt = make()
    for _ in range(3):
        opt.step(params, grads)
    for k in grads:
        assert_array_equal(grads[k], before[k])
        assert params[k].dtype == np.float32
    assert all(arr.dtype == np.float32 for table in opt.state.values() for arr in table.values())


@pytest.mark.parametrize("make", OPTIMIZERS, ids=["sgd", "momentum", "adam", "rmsprop"])
def test_state_dict_round_trip_continues_bit_for_bit(make):
    rng = np.random.default_rng(1)
    grads = [{"W": rng.normal(size=(3, 2))} for _ in range(6)]
    a, pa = make(), {"W": np.ones((3, 2))}
    for g in grads[:3]:
        a.step(pa, g)
    b, pb = make(), {"W": pa["W"].copy()}
    b.load_state_dict({k: v.copy() for k, v in a.state_dict().items()})
    for g in grads[3:]:
        a.step(pa, g)
        b.step(pb, g)
    assert_array_equal(pa["W"], pb["W"])


def test_sgd_momentum_is_heavy_ball():
    params = {"p": np.array([0.0])}
    opt = SGD(lr=0.1, momentum=0.5)
    opt.step(params, {"p": np.array([1.0])})   # v = 1,    p = -0.1
    opt.step(params, {"p": np.array([1.0])})   # v = 1.5,  p = -0.25
    assert_allclose(params["p"], [-0.25])


@pytest.mark.parametrize("name, options, message", [
    ("adam", dict(lr=-1e-3), "lr must be a positive number"),
    ("adam", dict(lr=0.0), "lr must be a positive number"),
    ("adam", dict(betas=(0.9, 1.0)), r"beta2 must be in \[0, 1\)"),
    ("sgd", dict(momentum=-0.1), r"momentum must be in \[0, 1\)"),
    ("rmsprop", dict(eps=0), "eps must be a positive number"),
    ("lbfgs", dict(), "allowed: sgd, adam, rmsprop"),
    ("adam", dict(momentum=0.9), "bad option for adam"),
])
def test_bad_optimizer_arguments(name, options, message):
    with pytest.raises(ValueError, match=message):
        get_optimizer(name, **options)


def test_missing_or_misshapen_grads_are_reported():
    opt = Adam()
    with pytest.raises(KeyError, match="no entry for parameters"):
        opt.step({"W": np.zeros(2), "b": np.zeros(1)}, {"W": np.zeros(2)})
    with pytest.raises(ValueError, match=r"grad 'W' has shape \(3,\), parameter has \(2,\)"):
        opt.step({"W": np.zeros(2)}, {"W": np.zeros(3)})


def test_plain_sgd_keeps_no_state():
    params = {"p": np.zeros(3)}
    opt = SGD(lr=0.1)
    opt.step(params, {"p": np.ones(3)})
    assert list(opt.state_dict()) == ["t"]
