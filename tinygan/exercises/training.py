"""Checks for the training exercises: 6 (the Adam optimizer) and 7 (one discriminator step and
one generator step). The solutions are tinygan.optim.Adam and tinygan.steps.d_gradients /
g_gradients; a few classic mistakes are recognised by their exact wrong answer."""

import copy

import numpy as np

from tinygan import optim, steps
from tinygan.exercises.compare import _compare, _copy, _unchanged
from tinygan.exercises.core import FD, LIB, Fail, _call, _fn, _grad_dict, _hypothesis, _pair, _run, _student
from tinygan.gradcheck import numerical_gradient
from tinygan.losses import get_loss
from tinygan.mlp import MLP


# ============================================================================ 6. Adam

def _adam_mistake(start, grads, lr, betas, eps, kind):
    """What a classic wrong Adam computes: no bias correction, or a step count stuck at 1."""
    p = _copy(start)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(x) for k, x in p.items()}
    b1, b2 = betas
    for t, g in enumerate(grads, start=1):
        for k in p:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
            c1, c2 = (1.0, 1.0) if kind == "uncorrected" else (1 - b1, 1 - b2)
            p[k] = p[k] - lr * (m[k] / c1) / (np.sqrt(v[k] / c2) + eps)
    return p


def check_adam(m):
    st, _ = _hypothesis()

    def case(steps):
        @st.composite
        def draw_case(draw):
            rng = np.random.default_rng(draw(st.integers(0, 2**20)))
            rows, cols = draw(st.integers(1, 3)), draw(st.integers(1, 3))
            scale = draw(st.sampled_from([1e-3, 1.0, 10.0]))
            start = {"W": rng.standard_normal((rows, cols)), "b": rng.standard_normal(cols)}
            grads = [{k: scale * rng.standard_normal(v.shape) for k, v in start.items()}
                     for _ in range(draw(steps))]
            return {"lr": draw(st.sampled_from([1e-3, 1e-2, 0.1])),
                    "betas": (draw(st.sampled_from([0.9, 0.5, 0.0])), draw(st.sampled_from([0.999, 0.99, 0.9]))),
                    "eps": 1e-8, "start": start, "grads": grads}
        return draw_case()

    def student_run(ex, params=None, grads=None):
        opt = _call(_fn(m, "Adam"), "Adam", lr=ex["lr"], betas=ex["betas"], eps=ex["eps"])
        params = _copy(ex["start"]) if params is None else params
        for g in grads or [_copy(g) for g in ex["grads"]]:
            out = _call(_fn(opt, "step"), "Adam.step", params, g)
            if isinstance(out, dict) and not all(np.array_equal(out[k], params[k]) for k in out):
                raise Fail("Adam.step returned new parameters but left `params` unchanged: "
                           "update the dict it is given (step returns nothing)")
        return params

    def compare(ex):
        lib = optim.Adam(lr=ex["lr"], betas=ex["betas"], eps=ex["eps"])
        want = _copy(ex["start"])
        for g in ex["grads"]:
            lib.step(want, _copy(g))
        got, errs = student_run(ex), []
        setting = (ex["start"], ex["grads"], ex["lr"], ex["betas"], ex["eps"])
        uncorrected, stuck = _adam_mistake(*setting, "uncorrected"), _adam_mistake(*setting, "stuck")
        for k, p0 in ex["start"].items():
            moved = [(uncorrected[k] - p0,
                      "the moves match Adam without bias correction: divide m by (1 - b1^t) and "
                      "v by (1 - b2^t), with t the number of steps so far"),
                     (stuck[k] - p0,
                      "the bias correction always uses t = 1: keep a step counter in self and "
                      "add 1 at the start of every step")]
            errs.append(_compare(f"the move of params[{k!r}]", np.asarray(got[k]) - p0, want[k] - p0,
                                 variants=moved))
        return max(errs)

    def pure(ex):
        params, grads = _copy(ex["start"]), [_copy(g) for g in ex["grads"]]
        before = [_copy(g) for g in grads]
        student_run(ex, params, grads)
        for old, g in zip(before, grads):
            _unchanged("Adam.step", {"grads": old}, grads=g)
        if all(np.array_equal(params[k], ex["start"][k]) for k in params):
            raise Fail("Adam.step left params unchanged: update params[k] for every key "
                       "(step returns nothing)")

    return [
        _run("the first step matches tinygan.optim.Adam (each weight moves ~lr)", case(st.just(1)), compare),
        _run("several steps match tinygan.optim.Adam", case(st.integers(2, 12)), compare),
        _run("Adam.step updates params and leaves grads unchanged", case(st.integers(1, 3)), pure),
    ]


# ============================================================================ 7. one D step, one G step

GAME_LOSSES = ("minimax", "nonsaturating", "wasserstein", "least_squares")

SWAPPED = ("real and fake are swapped: loss.d_real goes with the real batch's logits and "
           "loss.d_fake with the fake batch's, each gradient back to its own rows")
D_LOSS = ("you used D's loss on the fakes (loss.d_fake); the generator minimises its own "
          "loss, loss.g(fake logits)")


def _library_gan():
    return steps


def _grads_match(who, grads, want, n, variants, tol=LIB):
    """The worst error over every parameter: `who`'s grads[k] against want[k]."""
    return max(_compare(f"{who}'s grads[{k!r}]", grads[k], want[k], tol, n=n,
                        variants=lambda k=k: variants(k)) for k in want)


def check_gan_steps(m):
    st, _ = _hypothesis()

    @st.composite
    def case(draw):
        rng = np.random.default_rng(draw(st.integers(0, 2**20)))
        n, dim, z_dim, width = (draw(st.integers(2, 4)), draw(st.integers(1, 3)),
                                draw(st.integers(1, 3)), draw(st.integers(1, 4)))
        D = MLP((dim, width, 1), hidden="tanh", seed=rng)
        G = MLP((z_dim, width, dim), hidden="tanh", seed=rng)
        for net in (D, G):
            for key in net.params:
                net.params[key] += 0.3 * rng.standard_normal(net.params[key].shape)
        return {"loss": draw(st.sampled_from(GAME_LOSSES)), "D": D, "G": G,
                "x_real": rng.standard_normal((n, dim)), "x_fake": rng.standard_normal((n, dim)),
                "z": rng.standard_normal((n, z_dim))}

    def student(name, ex, *args):
        out = _pair(_student(m, name, *args), name, "(value, grads)")
        net = ex["D"] if name == "d_gradients" else ex["G"]
        return out[0], _grad_dict(out[1], name, tuple(net.params))

    def d_call(ex):   # the student works on copies: only the last check looks for changes
        return student("d_gradients", ex, copy.deepcopy(ex["D"]), get_loss(ex["loss"]),
                       ex["x_real"].copy(), ex["x_fake"].copy())

    def g_call(ex):
        return student("g_gradients", ex, copy.deepcopy(ex["G"]), copy.deepcopy(ex["D"]),
                       get_loss(ex["loss"]), ex["z"].copy())

    def d_value(ex, params=None, swap=False):
        D, loss = ex["D"], get_loss(ex["loss"])
        real, fake = (ex["x_fake"], ex["x_real"]) if swap else (ex["x_real"], ex["x_fake"])
        return loss.d(D.forward(real, params)[0], D.forward(fake, params)[0])[0]

    def g_value(ex, params=None, d_loss=False):
        logits = ex["D"](ex["G"].forward(ex["z"], params)[0])
        loss = get_loss(ex["loss"])
        return loss.d_fake(logits)[0] if d_loss else loss.g(logits)[0]

    def fd(f, net):
        params = net.copy_params()
        return {k: numerical_gradient(lambda _: f(params), params[k]) for k in params}

    def d_variants(ex, which):
        if which == "value":
            return [(lambda: d_value(ex, swap=True), SWAPPED),
                    (lambda: get_loss(ex["loss"]).d_real(ex["D"](ex["x_real"]))[0],
                     "that is only the real half: L_D = loss.d_real(...) + loss.d_fake(...)")]
        swapped = fd(lambda p: d_value(ex, p, swap=True), ex["D"])
        return [(swapped[which], SWAPPED)]

    def g_variants(ex, which):
        if which == "value":
            return [(lambda: g_value(ex, d_loss=True), D_LOSS)]
        return [(fd(lambda p: g_value(ex, p, d_loss=True), ex["G"])[which], D_LOSS)]

    def d_loss_value(ex):
        return _compare("D's loss", d_call(ex)[0], d_value(ex), variants=d_variants(ex, "value"))

    def d_grads_fd(ex):
        grads, n = d_call(ex)[1], ex["x_real"].shape[0]
        return _grads_match("D", grads, fd(lambda p: d_value(ex, p), ex["D"]), n,
                            lambda k: d_variants(ex, k), FD)

    def g_loss_value(ex):
        return _compare("G's loss", g_call(ex)[0], g_value(ex), variants=g_variants(ex, "value"))

    def g_grads_fd(ex):
        grads, n = g_call(ex)[1], ex["z"].shape[0]
        return _grads_match("G", grads, fd(lambda p: g_value(ex, p), ex["G"]), n,
                            lambda k: g_variants(ex, k), FD)

    def d_library(ex):
        value, want = _library_gan().d_gradients(ex["D"], get_loss(ex["loss"]), ex["x_real"], ex["x_fake"])[:2]
        got_value, grads = d_call(ex)
        return max(_compare("D's loss", got_value, value, variants=d_variants(ex, "value")),
                   _grads_match("D", grads, want, ex["x_real"].shape[0], lambda k: d_variants(ex, k)))

    def g_library(ex):
        value, want = _library_gan().g_gradients(ex["G"], ex["D"], get_loss(ex["loss"]), ex["z"])[:2]
        got_value, grads = g_call(ex)
        return max(_compare("G's loss", got_value, value, variants=g_variants(ex, "value")),
                   _grads_match("G", grads, want, ex["z"].shape[0], lambda k: g_variants(ex, k)))

    def pure(ex):
        D, G = ex["D"], ex["G"]
        x_real, x_fake, z = ex["x_real"].copy(), ex["x_fake"].copy(), ex["z"].copy()
        before = _copy({"D.params": D.params, "G.params": G.params, "x_real": x_real,
                        "x_fake": x_fake, "z": z})
        student("d_gradients", ex, D, get_loss(ex["loss"]), x_real, x_fake)
        student("g_gradients", ex, G, D, get_loss(ex["loss"]), z)
        _unchanged("d_gradients or g_gradients", before, x_real=x_real, x_fake=x_fake, z=z,
                   **{"D.params": D.params, "G.params": G.params})

    c = case()
    return [
        _run("d_gradients: value is D's loss on the real and the fake batch", c, d_loss_value),
        _run("d_gradients: D's gradients match finite differences", c, d_grads_fd),
        _run("d_gradients: matches tinygan.steps.d_gradients", c, d_library),
        _run("g_gradients: value is G's loss on D(G(z))", c, g_loss_value),
        _run("g_gradients: G's gradients match finite differences", c, g_grads_fd),
        _run("g_gradients: matches tinygan.steps.g_gradients", c, g_library),
        _run("neither changes D's or G's parameters or the batches", c, pure),
    ]
