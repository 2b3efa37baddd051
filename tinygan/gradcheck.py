"""Finite-difference gradient checks, for the tests and the exercises alike.

    num = numerical_gradient(f, x)            # f: array -> scalar
    num = numerical_gradient_array(f, x, dy)  # f: array -> array, upstream gradient dy
    rel_error(analytic, num)                  # a number a student can read

Central differences: df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h), with error O(h^2).
Work in float64: with h = 1e-5 a float32 difference quotient is dominated by rounding.
"""

import numpy as np


def numerical_gradient(f, x, h=1e-5):
    """Central-difference gradient of a scalar function f at x (same shape as x).

    x is perturbed in place one entry at a time and restored exactly afterwards, so f may
    read x through a closure (for example a parameter inside a network's params dict).
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = float(f(x))
        x[i] = old - h
        f_minus = float(f(x))
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def numerical_gradient_array(f, x, dy, h=1e-5):
    """Central-difference gradient of sum(f(x) * dy) at x: the backward pass of f for dy.

    This is what an op's backward(dy, cache) should return (CS231n's
    eval_numerical_gradient_array idea).
    """
    return numerical_gradient(lambda z: np.sum(f(z) * dy), x, h)


def directional_derivative(f, x, direction, h=1e-5):
    """(f(x + h v) - f(x - h v)) / (2h): the slope of scalar f along v, in two evaluations.

    Compare it to np.sum(analytic_grad * v): a check that costs 2 evaluations however large
    x is.
    """
    return (float(f(x + h * direction)) - float(f(x - h * direction))) / (2.0 * h)


def random_direction_check(f, x, analytic, rng, n_directions=5, h=1e-5):
    """Compare the analytic gradient with finite differences along random unit directions.

    Returns (numeric, analytic): two arrays of n_directions slopes that should agree.
    """
    numeric, predicted = [], []
    for _ in range(n_directions):
        v = rng.standard_normal(x.shape)
        v /= np.linalg.norm(v)
        numeric.append(directional_derivative(f, x, v, h))
        predicted.append(float(np.sum(analytic * v)))
    return np.array(numeric), np.array(predicted)


def rel_error(a, b, floor=1e-8):
    """max |a - b| / max(|a| + |b|, floor), elementwise: 1e-7 or less means "agree".

    Near zero this ratio is meaningless (both sides are rounding noise), which is why the
    tests assert with assert_allclose(rtol, atol) and print rel_error for people to read.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))
