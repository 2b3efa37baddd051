"""Every op's analytic backward equals central finite differences, and never writes into dy."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from strategies import ACTIVATIONS, ATOL, KINK_MARGIN, KINKED, RTOL, arrays, matrices, small

from tinygan.gradcheck import numerical_gradient_array
from tinygan.ops import Activation, linear_backward, linear_forward, sigmoid, softplus


@st.composite
def linear_case(draw):
    n, d_in, d_out = draw(small), draw(small), draw(small)
    return (draw(arrays((n, d_in))), draw(arrays((d_in, d_out))), draw(arrays((d_out,))),
            draw(arrays((n, d_out))))


@given(linear_case())
def test_linear_backward_matches_finite_differences(case):
    x, W, b, dy = case
    dy_before = dy.copy()
    y, cache = linear_forward(x, W, b)
    assert_allclose(y, x @ W + b, rtol=1e-12, atol=1e-12)
    dx, grads = linear_backward(dy, cache)
    assert_allclose(dx, numerical_gradient_array(lambda v: linear_forward(v, W, b)[0], x, dy),
                    rtol=RTOL, atol=ATOL)
    assert_allclose(grads["W"], numerical_gradient_array(lambda v: linear_forward(x, v, b)[0], W, dy),
                    rtol=RTOL, atol=ATOL)
    assert_allclose(grads["b"], numerical_gradient_array(lambda v: linear_forward(x, W, v)[0], b, dy),
                    rtol=RTOL, atol=ATOL)
    assert_array_equal(dy, dy_before)


def test_linear_backward_can_skip_what_is_not_needed():
    rng = np.random.default_rng(0)
    x, W, b, dy = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 2))
    _, cache = linear_forward(x, W, b)
    dx, grads = linear_backward(dy, cache, need_dx=False)
    assert dx is None and set(grads) == {"W", "b"}
    dx, grads = linear_backward(dy, cache, need_params=False)
    assert grads == {} and dx.shape == x.shape


@given(st.sampled_from(ACTIVATIONS), matrices(), st.floats(0.0, 0.5), st.data())
def test_activation_backward_matches_finite_differences(name, x, slope, data):
    if name in KINKED:
        assume(np.min(np.abs(x)) > KINK_MARGIN)
    act = Activation(name, slope=slope)
    dy = data.draw(arrays(x.shape))
    x_before, dy_before = x.copy(), dy.copy()
    y, cache = act.forward(x)
    dx = act.backward(dy, cache)
    num = numerical_gradient_array(lambda v: act.forward(v)[0], x.copy(), dy)
    assert_allclose(dx, num, rtol=RTOL, atol=ATOL)
    assert_array_equal(dy, dy_before)   # backward never writes into dy
    assert_array_equal(x, x_before)     # forward never writes into x


@given(st.sampled_from(ACTIVATIONS), matrices(), st.floats(0.0, 0.5))
def test_activation_second_derivative_matches_finite_differences(name, x, slope):
    """f''(x), written in terms of y, is the derivative of f'(x): double backprop needs it."""
    if name in KINKED:
        assume(np.min(np.abs(x)) > KINK_MARGIN)
    act = Activation(name, slope=slope)
    y, _ = act.forward(x)

    def fprime(v):
        return act.derivative(act.forward(v)[0])

    num = numerical_gradient_array(fprime, x.copy(), np.ones_like(x))
    assert_allclose(act.second_derivative(y), num, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_keep_float32(name):
    x = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4) + np.float32(0.05)
    act = Activation(name)
    y, cache = act.forward(x)
    assert y.dtype == np.float32
    assert act.backward(np.ones_like(x), cache).dtype == np.float32


def test_sigmoid_and_softplus_are_finite_and_exact_at_extremes():
    x = np.array([-1e4, -50.0, 0.0, 50.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s, sp = sigmoid(x), softplus(x)
    assert_allclose(s, [0.0, np.exp(-50.0), 0.5, 1.0, 1.0], rtol=1e-12, atol=0)
    assert_allclose(sp, [0.0, np.exp(-50.0), np.log(2.0), 50.0, 1e4], rtol=1e-12, atol=0)


def test_unknown_activation_names_what_is_allowed():
    with pytest.raises(ValueError, match="allowed: identity, relu"):
        Activation("swish")
    with pytest.raises(ValueError, match="slope"):
        Activation("leaky_relu", slope=1.5)
