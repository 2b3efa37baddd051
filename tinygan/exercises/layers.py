"""Checks for the layer exercises: 1 (the linear layer), 2 (activation backward passes) and
5 (backprop through a whole MLP). Gradients are compared with central finite differences and
with tinygan.ops and tinygan.mlp, the solutions."""

import numpy as np

from tinygan import ops
from tinygan.exercises.compare import _compare, _copy, _unchanged, _untouched
from tinygan.exercises.core import (FD, Fail, _arrays, _grad_dict, _hypothesis, _off_kink, _pair, _run,
                                  _student)
from tinygan.gradcheck import numerical_gradient, numerical_gradient_array
from tinygan.mlp import MLP


# ============================================================================ 1. linear layer

def check_linear(m):
    st, hnp = _hypothesis()

    @st.composite
    def case(draw):
        n, d_in, d_out = draw(st.integers(2, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
        return {"x": draw(_arrays(st, hnp, (n, d_in))), "W": draw(_arrays(st, hnp, (d_in, d_out))),
                "b": draw(_arrays(st, hnp, (d_out,))), "dy": draw(_arrays(st, hnp, (n, d_out)))}

    def forward(ex):
        x, W, b = ex["x"], ex["W"], ex["b"]
        out = _pair(_student(m, "linear_forward", x.copy(), W.copy(), b.copy()),
                    "linear_forward", "(y, cache)")
        return _compare("y", out[0], ops.linear_forward(x, W, b)[0], variants=[
            (x @ W, "you forgot to add the bias b"),
            (lambda: x @ W - b, "the bias is added, not subtracted")])

    def backward(ex, inputs=None):
        """The student's (dx, dW, db) for the cache (x, W) of the library's forward."""
        x, W, dy = inputs or (ex["x"].copy(), ex["W"].copy(), ex["dy"].copy())
        out = _student(m, "linear_backward", dy, (x, W))
        if isinstance(out, tuple) and len(out) == 3:
            raise Fail("linear_backward should return (dx, grads) with grads = "
                       "{'W': dW, 'b': db}, not three values")
        dx, grads = _pair(out, "linear_backward", "(dx, grads)")[:2]
        grads = _grad_dict(grads, "linear_backward", ("W", "b"))
        return dx, grads["W"], grads["b"]

    def numeric(ex, which):
        x, W, b, dy = (ex[k].copy() for k in ("x", "W", "b", "dy"))
        f = {"dx": lambda v: ops.linear_forward(v, W, b)[0], "dW": lambda v: ops.linear_forward(x, v, b)[0],
             "db": lambda v: ops.linear_forward(x, W, v)[0]}[which]
        return numerical_gradient_array(f, {"dx": x, "dW": W, "db": b}[which], dy)

    def against_fd(which):
        def trial(ex):
            got = dict(zip(("dx", "dW", "db"), backward(ex)))[which]
            return _compare(which, got, numeric(ex, which), FD, n=ex["x"].shape[0])
        return trial

    def against_library(ex):
        x, W, dy = ex["x"], ex["W"], ex["dy"]
        dx, g = ops.linear_backward(dy, (x, W))
        return max(_compare(k, a, b, n=x.shape[0]) for k, a, b in
                   zip(("dx", "dW", "db"), backward(ex), (dx, g["W"], g["b"])))

    def pure(ex):
        _untouched("linear_backward", lambda x, W, dy: backward(ex, (x, W, dy)),
                   x=ex["x"], W=ex["W"], dy=ex["dy"])

    c = case()
    return [
        _run("linear_forward: y = x @ W + b, as tinygan.ops", c, forward),
        _run("linear_backward: dx matches finite differences", c, against_fd("dx")),
        _run("linear_backward: dW matches finite differences", c, against_fd("dW")),
        _run("linear_backward: db matches finite differences", c, against_fd("db")),
        _run("linear_backward: dx, dW, db match tinygan.ops.linear_backward", c, against_library),
        _run("linear_backward leaves dy, x and W unchanged", c, pure),
    ]


# ============================================================================ 2. activations

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")


def check_activations(m):
    st, hnp = _hypothesis()

    @st.composite
    def case(draw):
        shape = (draw(st.integers(2, 4)), draw(st.integers(1, 4)))
        return {"x": draw(_arrays(st, hnp, shape, elements=_off_kink(st))),
                "dy": draw(_arrays(st, hnp, shape)), "slope": draw(st.sampled_from([0.01, 0.1, 0.2, 0.5]))}

    def student_dx(name, ex, dy=None, y=None):
        """The student's dx, the activation, and y; the student gets copies unless given dy, y."""
        act = ops.Activation(name, slope=ex["slope"])
        mine = act.forward(ex["x"])[0] if y is None else y
        kw = {"slope": ex["slope"]} if name == "leaky_relu" else {}
        dx = _student(m, f"{name}_backward", ex["dy"].copy() if dy is None else dy,
                      mine.copy() if y is None else y, **kw)
        return dx, act, mine

    wrong = {
        "relu": lambda dy, y, s: (dy * y, "you multiplied dy by y itself; relu's derivative is "
                                  "the indicator [y > 0] (1 where the unit is on, 0 elsewhere)"),
        "leaky_relu": lambda dy, y, s: (dy * np.where(y > 0, s, 1.0), "the slopes are swapped: "
                                        "1 where y > 0, slope where y <= 0"),
        "tanh": lambda dy, y, s: (dy * (1 - np.tanh(y) ** 2), "you applied tanh to y again: the "
                                  "cache is already the output y = tanh(x), so f'(x) = 1 - y^2"),
        "sigmoid": lambda dy, y, s: (dy * ops.sigmoid(y) * (1 - ops.sigmoid(y)), "you applied "
                                     "sigma to y again: y is already sigma(x), so f'(x) = y (1 - y)"),
    }

    def against_fd(name):
        def trial(ex):
            dx, act, y = student_dx(name, ex)
            num = numerical_gradient_array(lambda v: act.forward(v)[0], ex["x"].copy(), ex["dy"])
            variant, hint = wrong[name](ex["dy"], y, ex["slope"])
            return _compare("dx", dx, num, FD, variants=[(variant, hint)])
        return trial

    def against_library(ex):
        errs = []
        for name in ACTIVATIONS:
            dx, act, y = student_dx(name, ex)
            errs.append(_compare(f"{name}_backward's dx", dx, act.backward(ex["dy"], y),
                                 variants=[wrong[name](ex["dy"], y, ex["slope"])]))
        return max(errs)

    def pure(ex):
        for name in ACTIVATIONS:
            dy = ex["dy"].copy()
            y = ops.Activation(name, slope=ex["slope"]).forward(ex["x"])[0]
            before = {"dy": dy.copy(), "y": y.copy()}
            dx = student_dx(name, ex, dy, y)[0]
            for shown, arr in (("dy", dy), ("y", y)):
                if isinstance(dx, np.ndarray) and np.shares_memory(dx, arr):
                    raise Fail(f"{name}_backward wrote into its input `{shown}` (and returned it): "
                               f"the caller's {shown} is now changed. Compute into "
                               "a new array instead (e.g. dy * mask, np.where(...)).")
            _unchanged(f"{name}_backward", before, dy=dy, y=y)

    c = case()
    return [_run(f"{name}_backward: dx matches finite differences", c, against_fd(name))
            for name in ACTIVATIONS] + [
        _run("every backward matches tinygan.ops", c, against_library),
        _run("no backward writes into dy or y", c, pure),
    ]


# ============================================================================ 5. MLP

PREACTIVATION_HINT = (
    "act.backward was given the pre-activation a = h @ W + b, but it takes the activation's "
    "OUTPUT h = act(a), as in exercise 2 (tanh's derivative is 1 - h^2, not 1 - a^2): keep "
    "each hidden layer's output in the cache and pass that to act.backward")


def _preactivation_backward(params, hidden, x, dy):
    """(dx, grads) of an MLP whose backward hands act.backward the pre-activation a instead
    of the output h = act(a): the classic mistake, recognised by its exact wrong answer.
    For relu and leaky relu it changes nothing (a and h have the same sign)."""
    act, n_layers = ops.Activation(hidden), len(params) // 2
    hs, pre = [x], []
    for l in range(1, n_layers + 1):
        a = ops.linear_forward(hs[-1], params[f"W{l}"], params[f"b{l}"])[0]
        pre.append(a)
        hs.append(act.forward(a)[0] if l < n_layers else a)
    grads, d = {}, dy
    for l in range(n_layers, 0, -1):
        d, g = ops.linear_backward(d, (hs[l - 1], params[f"W{l}"]))
        grads[f"W{l}"], grads[f"b{l}"] = g["W"], g["b"]
        if l > 1:
            d = act.backward(d, pre[l - 2])      # the mistake: a_{l-1} where h_{l-1} belongs
    return d, grads


def library_mlp(params, hidden):
    """The library's MLP with the architecture of a params dict {W1, b1, ..., WL, bL}."""
    n_layers = len(params) // 2
    sizes = [params["W1"].shape[0]] + [params[f"W{l}"].shape[1] for l in range(1, n_layers + 1)]
    return MLP(sizes, hidden=hidden, output="none", dtype=params["W1"].dtype)


def check_mlp(m):
    st, _ = _hypothesis()

    def case(hiddens):
        @st.composite
        def draw_case(draw):
            n_layers = draw(st.integers(1, 3))
            sizes = [draw(st.integers(1, 4)) for _ in range(n_layers)] + [draw(st.integers(1, 2))]
            n, seed = draw(st.integers(2, 4)), draw(st.integers(0, 2**20))
            hidden = draw(st.sampled_from(hiddens))
            rng = np.random.default_rng(seed)
            params = MLP(sizes, hidden=hidden, seed=rng).params
            for key in params:
                if key.startswith("b"):
                    params[key] = 0.5 * rng.standard_normal(params[key].shape)
            x, dy = rng.standard_normal((n, sizes[0])), rng.standard_normal((n, sizes[-1]))
            return {"hidden": hidden, "sizes": tuple(sizes), "x": x, "dy": dy, "params": params,
                    "seed": seed}
        return draw_case()

    def student_forward(ex, x=None, params=None):
        x = ex["x"].copy() if x is None else x
        params = _copy(ex["params"]) if params is None else params
        return _pair(_student(m, "mlp_forward", x, params, ex["hidden"]), "mlp_forward", "(y, cache)")

    def student_backward(ex, dy=None, x=None, params=None):
        cache = student_forward(ex, x, params)[1]
        dy = ex["dy"].copy() if dy is None else dy
        dx, grads = _pair(_student(m, "mlp_backward", dy, cache, ex["hidden"]), "mlp_backward",
                          "(dx, grads)")[:2]
        return dx, _grad_dict(grads, "mlp_backward", tuple(ex["params"]))

    def forward(ex):
        net, params = library_mlp(ex["params"], ex["hidden"]), ex["params"]
        want = net.forward(ex["x"], params)[0]
        return _compare("y", student_forward(ex)[0], want, variants=[
            (lambda: net.hidden.forward(want)[0], "the last layer has no activation: its output "
             "is the raw score (a logit), so apply the hidden activation to layers 1..L-1 only")])

    def fd_loss(ex, params, x):
        return float(np.sum(library_mlp(params, ex["hidden"]).forward(x, params)[0] * ex["dy"]))

    def preactivation(ex, key):
        """The pre-activation mistake's dx (key None) or grads[key], as a variant for _compare."""
        def variants():
            dx, grads = _preactivation_backward(ex["params"], ex["hidden"], ex["x"], ex["dy"])
            return [(dx if key is None else grads[key], PREACTIVATION_HINT)]
        return variants

    def dx_fd(ex):
        params, x = _copy(ex["params"]), ex["x"].copy()
        num = numerical_gradient(lambda v: fd_loss(ex, params, v), x)
        return _compare("dx", student_backward(ex)[0], num, FD, variants=preactivation(ex, None))

    def params_fd(ex):
        grads = student_backward(ex)[1]
        params, errs = _copy(ex["params"]), []
        for key in params:
            num = numerical_gradient(lambda _: fd_loss(ex, params, ex["x"]), params[key])
            errs.append(_compare(f"grads[{key!r}]", grads[key], num, FD, n=ex["x"].shape[0],
                                 variants=preactivation(ex, key)))
        return max(errs)

    def against_library(ex):
        net = library_mlp(ex["params"], ex["hidden"])
        want_dx, want = net.backward(ex["dy"], net.forward(ex["x"], ex["params"])[1])
        dx, grads = student_backward(ex)
        return max([_compare("dx", dx, want_dx, variants=preactivation(ex, None))]
                   + [_compare(f"grads[{k!r}]", grads[k], want[k], variants=preactivation(ex, k))
                      for k in want])

    def pure(ex):
        _untouched("mlp_forward or mlp_backward",
                   lambda x, dy, params: student_backward(ex, dy, x, params),
                   x=ex["x"], dy=ex["dy"], params=ex["params"])

    smooth, kinked = case(("tanh", "sigmoid", "softplus")), case(("relu", "leaky_relu", "tanh"))
    return [
        _run("mlp_forward: y matches tinygan.mlp.MLP", kinked, forward),
        _run("mlp_backward: dx matches finite differences", smooth, dx_fd),
        _run("mlp_backward: every dW, db matches finite differences", smooth, params_fd),
        _run("mlp_backward: dx and grads match tinygan.mlp.MLP.backward", kinked, against_library),
        _run("mlp_forward and mlp_backward leave x, dy and params unchanged", kinked, pure),
    ]
