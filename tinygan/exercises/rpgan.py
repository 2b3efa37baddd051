"""Checks for exercise 11: the relativistic pairing loss (RpGAN), D's and G's gradients, and the
signal G receives through D. The solution is tinygan.losses.get_loss("rpgan"); the classic
mistakes, recognised by their exact wrong answer: the pairing reversed (softplus(r - f) where
softplus(f - r) belongs, or the other way round), and the D(real) term's gradient sent into G."""

import copy

import numpy as np

from tinygan.exercises.compare import _compare, _copy, _unchanged, _untouched
from tinygan.exercises.core import FD, Fail, _arrays, _grad_dict, _hypothesis, _once, _pair, _run, _student
from tinygan.exercises.losses import EXTREME, OVERFLOW_HINT
from tinygan.gradcheck import numerical_gradient
from tinygan.losses import get_loss
from tinygan.mlp import MLP

RP = get_loss("rpgan")

REVERSED = ("the pairing is reversed: you have softplus({have}) where the loss is "
            "softplus({want}) (D pays when a fake outscores its real partner, G when it does not)")
THROUGH_REAL = ("you sent the D(real) term's gradient into G: dL_G/dr_i, backpropagated through D, "
                "is a gradient with respect to x_real, which G did not make; only the fakes' "
                "backward pass reaches G")
CANCELLED = ("your gradient is zero: d/df of softplus(r - f) plus d/dr of the same term cancel. "
             "r_i does not depend on G, so only the derivative in f_i counts")


def check_rpgan(m):
    st, hnp = _hypothesis()

    @st.composite
    def case(draw):
        n = draw(st.integers(2, 5))
        logits = lambda: draw(_arrays(st, hnp, (n, 1), -6.0, 6.0))   # noqa: E731
        rng = np.random.default_rng(draw(st.integers(0, 2**20)))
        dim = draw(st.integers(1, 3))
        D = MLP((dim, draw(st.integers(1, 4)), 1), hidden="tanh", seed=rng)
        return {"real": logits(), "fake": logits(), "D": D,
                "x_real": rng.standard_normal((n, dim)), "x_fake": rng.standard_normal((n, dim))}

    def d_call(real, fake):
        out = _pair(_student(m, "rpgan_d", real.copy(), fake.copy(), numeric_hint=OVERFLOW_HINT),
                    "rpgan_d", "(value, grads)")
        return out[0], _grad_dict(out[1], "rpgan_d", ("real_logits", "fake_logits"))

    def g_call(fake, real):
        out = _pair(_student(m, "rpgan_g", fake.copy(), real.copy(), numeric_hint=OVERFLOW_HINT),
                    "rpgan_g", "(value, grads)")
        return out[0], _grad_dict(out[1], "rpgan_g", ("fake_logits",))["fake_logits"]

    def d_value(ex):
        r, f = ex["real"], ex["fake"]
        return _compare("L_D", d_call(r, f)[0], RP.d(r, f)[0], n=r.size, variants=[
            (RP.g(f, r)[0], REVERSED.format(have="r - f", want="f - r"))])

    def d_grads(ex):
        r, f = ex["real"], ex["fake"]
        grads = d_call(r, f)[1]
        wrong = RP.g(f, r)[1]      # the reversed pairing's gradients: -+sigma(r - f) / N
        hint = REVERSED.format(have="r - f", want="f - r")
        inside = ("the pairing is reversed inside sigma: your gradients use sigma(r - f) where "
                  "dL_D/df_i = sigma(f_i - r_i) / N = -dL_D/dr_i")
        return max(
            _compare("dL_D/dreal_logits", grads["real_logits"],
                     numerical_gradient(lambda v: RP.d(v, f)[0], r.copy()), FD, n=r.size,
                     variants=[(wrong["real_logits"], hint), (wrong["fake_logits"], inside)]),
            _compare("dL_D/dfake_logits", grads["fake_logits"],
                     numerical_gradient(lambda v: RP.d(r, v)[0], f.copy()), FD, n=r.size,
                     variants=[(wrong["fake_logits"], hint), (wrong["real_logits"], inside)]))

    def g_value(ex):
        r, f = ex["real"], ex["fake"]
        return _compare("L_G", g_call(f, r)[0], RP.g(f, r)[0], n=r.size, variants=[
            (RP.d(r, f)[0], REVERSED.format(have="f - r", want="r - f") + "; that is D's loss")])

    def g_grad(ex):
        r, f = ex["real"], ex["fake"]
        reversed_ = RP.d(r, f)[1]["fake_logits"]
        return _compare("dL_G/dfake_logits", g_call(f, r)[1],
                        numerical_gradient(lambda v: RP.g(v, r)[0], f.copy()), FD, n=r.size,
                        variants=[(np.zeros_like(f), CANCELLED),
                                  (reversed_, REVERSED.format(have="f - r", want="r - f"))])

    def at_extremes():
        r = EXTREME.reshape(-1, 1)
        f = r[::-1].copy()                      # pairs far apart both ways, and one tie at 0
        v, g = d_call(r, f)
        want_v, want_g = RP.d(r, f)
        gv, gg = g_call(f, r)
        want_gv, want_gg = RP.g(f, r)
        return max(_compare("L_D at logits +-1e4", v, want_v),
                   _compare("dL_D/dreal_logits at logits +-1e4", g["real_logits"], want_g["real_logits"], n=r.size),
                   _compare("dL_D/dfake_logits at logits +-1e4", g["fake_logits"], want_g["fake_logits"], n=r.size),
                   _compare("L_G at logits +-1e4", gv, want_gv),
                   _compare("dL_G/dfake_logits at logits +-1e4", gg, want_gg["fake_logits"], n=r.size))

    def sure():
        r, f = np.zeros((3, 1)), np.array([[-40.0], [-20.0], [-12.0]])    # D sure: f far below r
        slope = 3 * np.asarray(g_call(f, r)[1], dtype=np.float64)
        if slope.shape != f.shape or not np.all(np.abs(slope + 1.0) <= 1e-5):
            raise Fail("where D is sure (f_i far below r_i) each fake's slope N dL_G/df_i should be "
                       f"-sigma(r_i - f_i) ~ -1, the non-saturating behaviour; you have {slope.ravel()}")
        return _compare("N dL_G/dfake_logits where D is sure", slope, -1.0 / (1.0 + np.exp(f)))

    def signal(ex):
        D, xr, xf = ex["D"], ex["x_real"], ex["x_fake"]
        got = _student(m, "generator_signal", copy.deepcopy(D), xr.copy(), xf.copy())
        n = xr.shape[0]
        want = numerical_gradient(lambda x: RP.g(D(x), D(xr))[0], xf.copy())
        # the mistakes, computed exactly: D(real)'s backward added, and the reversed pairing
        lr, cr = D.forward(xr)
        through_real = want + D.backward(RP.g(D(xf), lr)[1]["real_logits"], cr)[0]
        lf, cf = D.forward(xf)
        reversed_ = D.backward(RP.d(lr, lf)[1]["fake_logits"], cf)[0]
        return _compare("dL_G/dx_fake", got, want, FD, n=n, variants=[
            (through_real, THROUGH_REAL), (reversed_, REVERSED.format(have="f - r", want="r - f"))])

    def pure(ex):
        _untouched("rpgan_d", lambda real, fake: d_call(real, fake), real=ex["real"], fake=ex["fake"])
        _untouched("rpgan_g", lambda real, fake: g_call(fake, real), real=ex["real"], fake=ex["fake"])
        D, xr, xf = ex["D"], ex["x_real"].copy(), ex["x_fake"].copy()
        before = _copy({"D.params": D.params, "x_real": xr, "x_fake": xf})
        D = copy.deepcopy(D)
        _student(m, "generator_signal", D, xr, xf)
        _unchanged("generator_signal", before, **{"D.params": D.params, "x_real": xr, "x_fake": xf})

    c = case()
    return [
        _run("rpgan_d: value matches tinygan.losses", c, d_value),
        _run("rpgan_d: both gradients match finite differences", c, d_grads),
        _run("rpgan_g: value matches tinygan.losses", c, g_value),
        _run("rpgan_g: dfake_logits matches finite differences", c, g_grad),
        _once("both losses are finite and exact at logits +-1e4", at_extremes),
        _once("rpgan_g: G's slope stays ~ -1 per sample as D grows sure", sure),
        _run("generator_signal: dL_G/dx_fake matches finite differences, x_real held fixed", c, signal),
        _run("nothing changes its inputs", c, pure),
    ]
