"""Checks for exercise 9: simultaneous vs alternating gradient descent in the bilinear game
min_x max_y x*y. The solutions are tinygan.questions.games.simultaneous_gd, alternating_gd and
simultaneous_radius; the alternating path must also conserve x^2 + y^2 - eta*x*y."""

import math

import numpy as np

from tinygan.questions import games
from tinygan.exercises.compare import _check_shape, _compare
from tinygan.exercises.core import _floats, _hypothesis, _run, _student

SWAPPED_PLAYERS = ("the players are swapped: x minimises x*y, so it moves against df/dx = y "
                   "(x - eta*y); y maximises, so it moves along df/dy = x (y + eta*x)")


def _reflected(method, ex):
    """The path with the players' signs swapped (x ascends, y descends)."""
    return method(ex["x"], -ex["y"], ex["eta"], ex["steps"]) * np.array([1.0, -1.0])


def _y_first(ex):
    """Alternating GD with y moving first: y' = y + eta x, then x' = x - eta y'."""
    x, y, eta = ex["x"], ex["y"], ex["eta"]
    out = [(x, y)]
    for _ in range(ex["steps"]):
        y = y + eta * x
        x = x - eta * y
        out.append((x, y))
    return np.array(out)


def check_bilinear(m):
    st, _ = _hypothesis()

    @st.composite
    def case(draw):
        return {"x": draw(_floats(st, -2.0, 2.0)), "y": draw(_floats(st, -2.0, 2.0)),
                "eta": draw(_floats(st, 0.05, 1.0, 0.05)), "steps": draw(st.integers(0, 40))}

    def path(name, ex):
        out = _student(m, name, ex["x"], ex["y"], ex["eta"], ex["steps"])
        _check_shape(f"the path of {name}", out, np.zeros((ex["steps"] + 1, 2)))
        return np.asarray(out, dtype=np.float64)

    def simultaneous(ex):
        want = games.simultaneous_gd(ex["x"], ex["y"], ex["eta"], ex["steps"])
        return _compare("the path", path("simultaneous_gd", ex), want, variants=[
            (games.alternating_gd(ex["x"], ex["y"], ex["eta"], ex["steps"]),
             "y's update used the new x: in simultaneous GD both updates read the old point "
             "(compute both from (x, y), then assign)"),
            (_reflected(games.simultaneous_gd, ex), SWAPPED_PLAYERS)])

    def radius(ex):
        p = path("simultaneous_gd", ex)
        r = np.hypot(p[:, 0], p[:, 1])
        want = games.simultaneous_radius(math.hypot(ex["x"], ex["y"]), ex["eta"], np.arange(len(p)))
        return _compare("the radius along your path", r, want)

    def alternating(ex):
        want = games.alternating_gd(ex["x"], ex["y"], ex["eta"], ex["steps"])
        return _compare("the path", path("alternating_gd", ex), want, variants=[
            (games.simultaneous_gd(ex["x"], ex["y"], ex["eta"], ex["steps"]),
             "this is the simultaneous update: in alternating GD, y's update uses the new x"),
            (_reflected(games.alternating_gd, ex), SWAPPED_PLAYERS),
            (_y_first(ex), "y moved first: x moves first, then y with the new x")])

    def invariant(ex):
        p = path("alternating_gd", ex)
        h = games.alternating_invariant(p[:, 0], p[:, 1], ex["eta"])
        return _compare("x^2 + y^2 - eta*x*y along your path", h, np.full(len(p), h[0]), otherwise=(
            "alternating GD keeps x^2 + y^2 - eta*x*y exactly constant; yours drifts, so y's update "
            "is not using the new x (or a sign is off)"))

    def closed_form(ex):
        r0, t = math.hypot(ex["x"], ex["y"]) + 0.5, np.arange(ex["steps"] + 1)
        want = games.simultaneous_radius(r0, ex["eta"], t)     # before the call, from our own t
        got = _student(m, "simultaneous_radius", r0, ex["eta"], t.copy())
        return _compare("simultaneous_radius", got, want, variants=[
            (r0 * (1 + ex["eta"] ** 2) ** t, "each step multiplies the radius by "
             "sqrt(1 + eta^2), not by 1 + eta^2")])

    c = case()
    return [
        _run("simultaneous_gd: path matches tinygan.questions.games", c, simultaneous),
        _run("simultaneous_gd: radius grows by sqrt(1 + eta^2) per step", c, radius),
        _run("alternating_gd: path matches tinygan.questions.games", c, alternating),
        _run("alternating_gd: conserves x^2 + y^2 - eta*x*y", c, invariant),
        _run("simultaneous_radius: r0 (1 + eta^2)^(t/2)", c, closed_form),
    ]
