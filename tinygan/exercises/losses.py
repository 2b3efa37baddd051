"""Checks for the loss exercises: 3 (softplus, sigmoid and binary cross-entropy, finite at any
logit) and 4 (minimax vs non-saturating generator loss, and the factor that vanishes). The
solutions are tinygan.ops and tinygan.losses; extreme logits (+-1e4) are checked on their own."""

import numpy as np

from tinygan import ops
from tinygan.exercises.compare import _compare, _untouched
from tinygan.exercises.core import (FD, Fail, _arrays, _describe, _grad_dict, _hypothesis, _off_kink,
                                  _once, _run, _student, _value_and_grad)
from tinygan.gradcheck import numerical_gradient
from tinygan.losses import get_loss

SOFTPLUS_HINT = ("exp(x) overflows to inf for x > 709. For large x, log(1 + e^x) = x + log(1 + e^-x): "
                 "split on the sign of x so exp only sees -|x|, or use np.logaddexp(0, x).")
SIGMOID_HINT = ("exp(-x) overflows to inf for x < -709. For negative x write sigma(x) = e^x / (1 + e^x), "
                "so exp only sees -|x| (np.where on the sign, or exp(-softplus(-x))).")
OVERFLOW_HINT = (
    "exp(x) overflows to inf for x > 709, and sigma(l) rounds to exactly 0 or 1 at large |l|, "
    "so log(sigma(l)) becomes log(0) = -inf. Never compute exp of a large positive number or "
    "log of a rounded sigma: log(1 + e^x) is np.logaddexp(0, x), -log sigma(l) = softplus(-l), "
    "and -log(1 - sigma(l)) = softplus(l).")

EXTREME = np.array([-1e4, -1000.0, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0, 1e4])


# ============================================================================ 3. stable BCE

def _bce(logits, target):
    """The library's BCE with logits for one target t: a real batch (label-smoothed) or a fake one."""
    if target == 0:
        v, g = get_loss("minimax").d_fake(logits)
    else:
        v, g = get_loss("minimax", smooth=1.0 - target).d_real(logits)
    return v, g


def check_bce(m):
    st, hnp = _hypothesis()

    @st.composite
    def case(draw):
        n = draw(st.integers(2, 5))
        shape = draw(st.sampled_from([(n, 1), (n,)]))
        return {"logits": draw(_arrays(st, hnp, shape, elements=_off_kink(st, 0.5, 10.0, 0.5))),
                "target": draw(st.sampled_from([1.0, 0.0, 0.9, 0.75, 0.5, 0.1]))}

    def student_bce(ex, logits=None):
        logits = ex["logits"].copy() if logits is None else logits
        return _value_and_grad(m, "bce_with_logits", "logits", logits, ex["target"],
                               numeric_hint=OVERFLOW_HINT)

    hints = {"softplus": SOFTPLUS_HINT, "sigmoid": SIGMOID_HINT}

    def elementwise(name, reference):
        def trial(ex):
            x = ex["logits"] * 3.0
            return _compare(f"{name}(x)", _student(m, name, x.copy(), numeric_hint=hints[name]),
                            reference(x))
        return trial

    def extreme(name, reference):
        def trial():
            return _compare(f"{name}(x) at x = +-1e4", _student(m, name, EXTREME.copy(),
                            numeric_hint=hints[name]), reference(EXTREME))
        return trial

    def value(ex):
        l, t = ex["logits"], ex["target"]
        wrong_mean = t * ops.softplus(-l).sum() + (1 - t) * ops.softplus(l).sum()
        return _compare("the loss value", student_bce(ex)[0], _bce(l, t)[0], n=l.size, variants=[
            (wrong_mean, f"your loss is a sum over the batch: average it (divide by N = {l.size})")])

    def gradient(ex):
        l, t = ex["logits"], ex["target"]
        num = numerical_gradient(lambda v: _bce(v, t)[0], l.copy())
        return _compare("dlogits", student_bce(ex)[1], num, FD, n=l.size)

    def at_extremes():
        errs = []
        for t in (1.0, 0.0, 0.9):
            l = EXTREME.reshape(-1, 1)
            value, grad = student_bce({"logits": l, "target": t}, l.copy())
            want_value, want_grad = _bce(l, t)
            errs += [_compare(f"the loss at logits +-1e4 (target {t})", value, want_value),
                     _compare(f"dlogits at logits +-1e4 (target {t})", grad, want_grad, n=l.size)]
        return max(errs)

    def pure(ex):
        _untouched("bce_with_logits", lambda logits: student_bce(ex, logits), logits=ex["logits"])

    c = case()
    return [
        _run("softplus matches tinygan.ops.softplus for |x| <= 30", c, elementwise("softplus", ops.softplus)),
        _once("softplus is finite and exact at x = +-1e4", extreme("softplus", ops.softplus)),
        _run("sigmoid matches tinygan.ops.sigmoid for |x| <= 30", c, elementwise("sigmoid", ops.sigmoid)),
        _once("sigmoid is finite and exact at x = +-1e4", extreme("sigmoid", ops.sigmoid)),
        _run("bce_with_logits: value matches tinygan.losses", c, value),
        _run("bce_with_logits: dlogits matches finite differences", c, gradient),
        _once("bce_with_logits: finite and exact at logits +-1e4", at_extremes),
        _run("bce_with_logits leaves logits unchanged", c, pure),
    ]


# ============================================================================ 4. generator losses

G_LOSSES = ("minimax", "nonsaturating")


def check_generator_losses(m):
    st, hnp = _hypothesis()

    @st.composite
    def case(draw):
        n = draw(st.integers(2, 5))
        return {"fake_logits": draw(_arrays(st, hnp, (n, 1), elements=_off_kink(st, 0.5, 10.0, 0.5)))}

    def student_g(name, logits):
        return _value_and_grad(m, f"{name}_g", "fake_logits", logits, shown="dlogits",
                               numeric_hint=OVERFLOW_HINT)

    def other(name):
        return G_LOSSES[1 - G_LOSSES.index(name)]

    def value(name):
        def trial(ex):
            l = ex["fake_logits"]
            return _compare("the loss value", student_g(name, l.copy())[0], get_loss(name).g(l)[0],
                            n=l.size, variants=[(get_loss(other(name)).g(l)[0],
                                                 f"this is the {other(name)} loss, not the {name} one")])
        return trial

    def gradient(name):
        def trial(ex):
            l = ex["fake_logits"]
            num = numerical_gradient(lambda v: get_loss(name).g(v)[0], l.copy())
            return _compare("dfake_logits", student_g(name, l.copy())[1], num, FD, n=l.size, variants=[
                (get_loss(other(name)).g(l)[1]["fake_logits"], f"this is the gradient of the "
                 f"{other(name)} loss, not of the {name} one")])
        return trial

    def at_extremes():
        l = EXTREME.reshape(-1, 1)
        errs = []
        for name in G_LOSSES:
            v, g = student_g(name, l.copy())
            want_v, want_g = get_loss(name).g(l)
            errs += [_compare(f"{name} loss at logits +-1e4", v, want_v),
                     _compare(f"{name} gradient at logits +-1e4", g, want_g["fake_logits"], n=l.size)]
        return max(errs)

    def student_factors(logits):
        out = _student(m, "logit_factors", logits)
        return _grad_dict(out, "logit_factors", G_LOSSES)

    def factors(ex):
        l = ex["fake_logits"]
        got = student_factors(l.copy())
        return max(_compare(f"the {name} factor", got[name], l.size * get_loss(name).g(l)[1]["fake_logits"],
                            n=l.size, variants=[(get_loss(name).g(l)[1]["fake_logits"],
                                                 "that is the gradient of the batch mean; the factor "
                                                 "is per sample, without the 1/N")])
                   for name in G_LOSSES)

    def vanishing():
        l = np.array([[-40.0], [-20.0], [-12.0]])       # D(G(z)) ~ 4e-18, 2e-9, 6e-6
        got = student_factors(l.copy())
        mm = np.asarray(got["minimax"], dtype=np.float64)
        ns = np.asarray(got["nonsaturating"], dtype=np.float64)
        if mm.shape != l.shape or ns.shape != l.shape:
            raise Fail(f"each factor should have the shape of fake_logits {l.shape}")
        if not np.all(np.abs(mm) <= 1e-5) or not np.all(np.abs(ns + 1.0) <= 1e-5):
            raise Fail("where D(G(z)) ~ 0 the minimax factor -D should be ~0 and the "
                       f"non-saturating one -(1 - D) ~ -1; you have {_describe({'minimax': mm})} "
                       f"and {_describe({'nonsaturating': ns})}")
        return max(_compare("the minimax factor", mm, -ops.sigmoid(l)),
                   _compare("the non-saturating factor", ns, -ops.sigmoid(-l)))

    def pure(ex):
        for name in G_LOSSES:
            _untouched(f"{name}_g", lambda fake_logits: student_g(name, fake_logits),
                       fake_logits=ex["fake_logits"])

    c = case()
    return [
        _run("minimax_g: value matches tinygan.losses", c, value("minimax")),
        _run("minimax_g: gradient matches finite differences", c, gradient("minimax")),
        _run("nonsaturating_g: value matches tinygan.losses", c, value("nonsaturating")),
        _run("nonsaturating_g: gradient matches finite differences", c, gradient("nonsaturating")),
        _once("both losses are finite and exact at logits +-1e4", at_extremes),
        _run("logit_factors: dCost/dl per sample matches the library", c, factors),
        _once("logit_factors: -D vanishes as D(G(z)) -> 0, -(1 - D) does not", vanishing),
        _run("the generator losses leave fake_logits unchanged", c, pure),
    ]
