"""Exercise 9: simultaneous vs alternating updates in the game min_x max_y x*y.

Learning goal: see, in the smallest possible game, why gradient descent on two players does
not find the equilibrium that gradient descent on one loss would find.

Player x minimises f(x, y) = x*y, player y maximises it. The only equilibrium is (0, 0).
Each player takes gradient steps of size eta on f: x DEscends (df/dx = y), y AScends
(df/dy = x).

    simultaneous:  both players step from the same, old point (x, y)
    alternating:   x steps first; then y steps, already seeing the new x

Run both from (1, 1) with eta = 0.1 and look at the radius sqrt(x^2 + y^2) along the path.
For the simultaneous update, write one step as a 2x2 matrix acting on (x, y) and compute how
much it stretches lengths: the radius after t steps has a closed form r_t = r_0 * c^t.
(The alternating update keeps x^2 + y^2 - eta*x*y exactly constant: the checker tests that on
your path. Can you prove it?)

Check your work:  tinygan exercise check 9     (or: pytest exercises/ -k ex09)
"""

import numpy as np  # noqa: F401  (you will need it)


def simultaneous_gd(x, y, eta, steps):
    """Simultaneous gradient descent-ascent on f = x*y from (x, y).

    x, y: floats; eta > 0: the step size; steps: an int >= 0.
    Returns the path, an array of shape (steps + 1, 2): row 0 is (x, y), row t the point
    after t steps.
    """
    # TODO
    raise NotImplementedError


def alternating_gd(x, y, eta, steps):
    """Alternating gradient descent-ascent on f = x*y: x moves first, y sees the new x.

    Arguments and return value as simultaneous_gd.
    """
    # TODO
    raise NotImplementedError


def simultaneous_radius(r0, eta, t):
    """The exact radius after t simultaneous steps from radius r0: r_t = r0 * c(eta)^t.

    r0: float; eta: float; t: an int or an array of ints. Returns a float or an array like t.
    """
    # TODO: derive c(eta) from the 2x2 matrix of one step.
    raise NotImplementedError
