"""The gradient checker itself is checked against functions with known derivatives."""

import numpy as np
import pytest
from hypothesis import given
from numpy.testing import assert_allclose, assert_array_equal
from strategies import matrices, seeds

from tinygan.gradcheck import (directional_derivative, numerical_gradient,
                               numerical_gradient_array, random_direction_check, rel_error)


@given(matrices())
def test_numerical_gradient_of_known_functions_and_x_is_restored(x):
    x0 = x.copy()
    assert_allclose(numerical_gradient(lambda v: np.sum(v ** 2), x), 2 * x, rtol=1e-7, atol=1e-8)
    assert_allclose(numerical_gradient(lambda v: np.sum(np.sin(v)), x), np.cos(x), rtol=1e-6, atol=1e-8)
    assert_array_equal(x, x0)


@given(matrices(), seeds)
def test_numerical_gradient_array_is_a_backward_pass(x, seed):
    dy = np.random.default_rng(seed).normal(size=x.shape)
    assert_allclose(numerical_gradient_array(np.tanh, x, dy), dy * (1 - np.tanh(x) ** 2),
                    rtol=1e-6, atol=1e-8)


def test_random_direction_check_agrees_for_the_right_gradient_only():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 40))

    def f(v):
        return np.sum(np.sin(v) * v)

    right = np.cos(x) * x + np.sin(x)
    num, ana = random_direction_check(f, x, right, rng)
    assert_allclose(num, ana, rtol=1e-6, atol=1e-8)
    num, ana = random_direction_check(f, x, -right, rng)
    assert not np.allclose(num, ana, rtol=1e-3)
    v = np.ones_like(x)
    assert directional_derivative(f, x, v) == pytest.approx(np.sum(right), rel=1e-6)


def test_rel_error():
    assert rel_error(1.0, 1.0) == 0.0
    assert rel_error(1.0, 3.0) == pytest.approx(0.5)
    assert rel_error([1.0, 1e-12], [1.0, 0.0]) == pytest.approx(1e-4)   # floor 1e-8
