"""MLP: gradients for every parameter and for the input equal finite differences."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from strategies import ACTIVATIONS, ATOL, OUTPUTS, RTOL, assume_off_kinks, seeds

from tinygan.gradcheck import numerical_gradient
from tinygan.mlp import MLP


@st.composite
def networks(draw, hidden=ACTIVATIONS, outputs=OUTPUTS):
    depth = draw(st.integers(1, 4))  # number of linear layers
    sizes = [draw(st.integers(1, 5)) for _ in range(depth + 1)]
    return MLP(sizes, hidden=draw(st.sampled_from(hidden)), output=draw(st.sampled_from(outputs)),
               init=draw(st.sampled_from(["he", "glorot"])), seed=draw(seeds),
               slope=draw(st.floats(0.05, 0.5)))


@given(networks(), seeds, st.integers(1, 4))
def test_mlp_gradients_match_finite_differences(mlp, seed, n):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, mlp.sizes[0]))
    dy = rng.normal(size=(n, mlp.sizes[-1]))
    assume_off_kinks(mlp, x)
    dy_before = dy.copy()

    def loss(_=None):  # a scalar whose gradient with respect to y is dy
        return np.sum(mlp.forward(x)[0] * dy)

    y, cache = mlp.forward(x)
    dx, grads = mlp.backward(dy, cache)
    assert set(grads) == set(mlp.params)
    for key, p in mlp.params.items():
        assert grads[key].shape == p.shape
        assert_allclose(grads[key], numerical_gradient(loss, p), rtol=RTOL, atol=ATOL, err_msg=key)
    assert_allclose(dx, numerical_gradient(loss, x), rtol=RTOL, atol=ATOL, err_msg="dx")
    assert_array_equal(dy, dy_before)


@given(networks(), seeds)
def test_backward_options_return_the_same_numbers(mlp, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, mlp.sizes[0]))
    dy = rng.normal(size=(3, mlp.sizes[-1]))
    y, cache = mlp.forward(x)
    dx, grads = mlp.backward(dy, cache)
    dx_only, none = mlp.backward(dy, cache, need_params=False)
    nothing, grads_only = mlp.backward(dy, cache, need_dx=False)
    assert none == {} and nothing is None
    assert_array_equal(dx_only, dx)
    for key in grads:
        assert_array_equal(grads_only[key], grads[key])


def test_forward_with_explicit_params_uses_them():
    mlp = MLP((3, 4, 2), seed=1)
    x = np.random.default_rng(0).normal(size=(5, 3))
    other = {k: v * 2 for k, v in mlp.params.items()}
    assert not np.allclose(mlp(x, other), mlp(x))
    other_net = MLP((3, 4, 2), seed=1)
    other_net.params = other
    assert_array_equal(mlp(x, other), other_net(x))


def test_same_seed_same_weights_and_generator_seeding():
    a, b = MLP((2, 16, 1), seed=7), MLP((2, 16, 1), seed=7)
    for k in a.params:
        assert_array_equal(a.params[k], b.params[k])
    c = MLP((2, 16, 1), seed=np.random.default_rng(7))
    assert_array_equal(c.params["W1"], a.params["W1"])
    assert not np.array_equal(MLP((2, 16, 1), seed=8).params["W1"], a.params["W1"])


@pytest.mark.parametrize("hidden", ["relu", "leaky_relu", "tanh", "softplus"])
@pytest.mark.parametrize("output", OUTPUTS)
def test_float32_stays_float32(hidden, output):
    mlp = MLP((4, 8, 8, 3), hidden=hidden, output=output, dtype=np.float32, seed=0)
    x = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    y, cache = mlp.forward(x)
    dx, grads = mlp.backward(np.ones_like(y), cache)
    assert y.dtype == dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())
    assert all(p.dtype == np.float32 for p in mlp.params.values())


def test_init_scales():
    he = MLP((400, 300), init="he", seed=0).params["W1"]
    assert abs(he.std() - np.sqrt(2 / 400)) < 0.02 * np.sqrt(2 / 400)
    gl = MLP((400, 300), init="glorot", seed=0).params["W1"]
    assert np.abs(gl).max() <= np.sqrt(6 / 700)
    assert abs(gl.std() - np.sqrt(2 / 700)) < 0.02 * np.sqrt(2 / 700)


def test_shape_and_dtype_errors_name_expected_and_received():
    mlp = MLP((3, 4, 2), seed=0)
    with pytest.raises(ValueError, match=r"shape \(N, 3\), got \(5, 4\)"):
        mlp.forward(np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"shape \(N, 3\), got \(3,\)"):
        mlp.forward(np.zeros(3))
    with pytest.raises(TypeError, match="float32 but this MLP is float64"):
        mlp.forward(np.zeros((5, 3), dtype=np.float32))
    y, cache = mlp.forward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"dy must have shape \(N, 2\), got \(5, 3\)"):
        mlp.backward(np.zeros((5, 3)), cache)
    with pytest.raises(ValueError, match="4 rows but the forward batch had 5"):
        mlp.backward(np.zeros((4, 2)), cache)


@pytest.mark.parametrize("kwargs, message", [
    (dict(sizes=(3,)), "at least"),
    (dict(sizes=(3, 0, 1)), "at least"),
    (dict(sizes=(3, 1), hidden="swish"), "allowed"),
    (dict(sizes=(3, 1), output="relu"), "allowed: none, tanh, sigmoid"),
    (dict(sizes=(3, 1), init="xavier"), "allowed: he, glorot"),
    (dict(sizes=(3, 1), dtype=np.int32), "float32 or float64"),
])
def test_bad_construction_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLP(**kwargs)


def test_gradients_come_in_the_parameters_order_as_new_arrays():
    mlp = MLP((3, 4, 2), seed=0)
    assert mlp.n_params() == 3 * 4 + 4 + 4 * 2 + 2
    assert mlp.params["W1"].shape == (3, 4) and mlp.params["b2"].shape == (2,)
    y, cache = mlp.forward(np.ones((5, 3)))
    _, grads = mlp.backward(np.ones_like(y), cache)
    _, again = mlp.backward(np.ones_like(y), cache)
    assert list(grads) == list(mlp.params) == ["W1", "b1", "W2", "b2"]
    assert not any(np.shares_memory(grads[k], again[k]) for k in grads)   # each call, new arrays
    copy = mlp.copy_params()
    assert not any(np.shares_memory(copy[k], mlp.params[k]) for k in copy)


def test_an_mlp_given_a_plain_dict_of_parameters_still_works():
    mlp = MLP((3, 4, 2), seed=1)
    x = np.random.default_rng(0).normal(size=(5, 3))
    y = mlp(x)
    mlp.params = {k: v.copy() for k, v in mlp.params.items()}
    assert_array_equal(mlp(x), y)
