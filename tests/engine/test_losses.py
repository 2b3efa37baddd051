"""Every GAN loss: gradients equal finite differences; finite and exact at logits of +-1e4."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from strategies import ATOL, LOSS_NAMES, RTOL, arrays

from tinygan.gradcheck import numerical_gradient
from tinygan.losses import LOSSES, get_loss

SMOOTHABLE = [n for n in LOSS_NAMES if LOSSES[n].supports_smoothing]


def ref_softplus(x):
    """log(1 + e^x) by a second, independent stable formula: max(x, 0) + log1p(e^-|x|)."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


# The closed forms, written independently of losses.py, per sample: (d_real, d_fake, g).
CLOSED = {
    "minimax": (lambda l: ref_softplus(-l), lambda l: ref_softplus(l), lambda l: -ref_softplus(l)),
    "nonsaturating": (lambda l: ref_softplus(-l), lambda l: ref_softplus(l), lambda l: ref_softplus(-l)),
    "wasserstein": (lambda l: -l, lambda l: l, lambda l: -l),
    "least_squares": (lambda l: 0.5 * (l - 1) ** 2, lambda l: 0.5 * l ** 2, lambda l: 0.5 * (l - 1) ** 2),
    "hinge": (lambda l: np.maximum(0, 1 - l), lambda l: np.maximum(0, 1 + l), lambda l: -l),
}


@st.composite
def logit_pair(draw, lo=-8.0, hi=8.0):
    shape = st.sampled_from([(draw(st.integers(1, 6)),), (draw(st.integers(1, 6)), 1)])
    real = draw(arrays(draw(shape), lo, hi))
    fake = draw(arrays(draw(shape), lo, hi))
    return real, fake


@given(st.sampled_from(LOSS_NAMES), logit_pair(), st.sampled_from([0.0, 0.1, 0.3]))
def test_loss_gradients_match_finite_differences(name, pair, smooth):
    real, fake = pair
    if name == "hinge":  # keep off the hinge's kinks at +-1
        assume(np.min(np.abs(np.abs(np.concatenate([real.ravel(), fake.ravel()])) - 1)) > 1e-3)
    if smooth and name not in SMOOTHABLE:
        smooth = 0.0
    loss = get_loss(name, smooth=smooth)
    r0, f0 = real.copy(), fake.copy()
    value, grads = loss.d(real, fake)
    assert set(grads) == {"real_logits", "fake_logits"}
    assert grads["real_logits"].shape == real.shape and grads["fake_logits"].shape == fake.shape
    assert_allclose(grads["real_logits"], numerical_gradient(lambda r: loss.d(r, fake)[0], real),
                    rtol=RTOL, atol=ATOL)
    assert_allclose(grads["fake_logits"], numerical_gradient(lambda f: loss.d(real, f)[0], fake),
                    rtol=RTOL, atol=ATOL)
    g_value, g_grads = loss.g(fake)
    assert set(g_grads) == {"fake_logits"}
    assert_allclose(g_grads["fake_logits"], numerical_gradient(lambda f: loss.g(f)[0], fake),
                    rtol=RTOL, atol=ATOL)
    assert_array_equal(real, r0)
    assert_array_equal(fake, f0)
    # the parts add up to the whole
    assert value == pytest.approx(loss.d_real(real)[0] + loss.d_fake(fake)[0], rel=1e-12)


@pytest.mark.parametrize("name", LOSS_NAMES)
@given(logit_pair(lo=-1e4, hi=1e4))
def test_losses_finite_and_exact_at_extreme_logits(name, pair):
    real, fake = pair
    loss = get_loss(name)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        vr, dr = loss.d_real(real)
        vf, df = loss.d_fake(fake)
        vg, dg = loss.g(fake)
    closed_real, closed_fake, closed_g = CLOSED[name]
    assert_allclose(vr, np.mean(closed_real(real)), rtol=1e-10, atol=1e-12)
    assert_allclose(vf, np.mean(closed_fake(fake)), rtol=1e-10, atol=1e-12)
    assert_allclose(vg, np.mean(closed_g(fake)), rtol=1e-10, atol=1e-12)
    for arr in (dr, df, dg["fake_logits"]):
        assert np.all(np.isfinite(arr))


@pytest.mark.parametrize("logit", [-1e4, -1e3, 1e3, 1e4])
def test_sigmoid_family_gradients_at_extremes(logit):
    l = np.array([logit])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        _, d = get_loss("nonsaturating").d(l, l)
        _, g_ns = get_loss("nonsaturating").g(l)
        _, g_mm = get_loss("minimax").g(l)
    D = 1.0 if logit > 0 else 0.0   # sigma(l) to double precision
    assert_allclose(d["real_logits"], [D - 1.0], atol=1e-300)
    assert_allclose(d["fake_logits"], [D], atol=1e-300)
    assert_allclose(g_ns["fake_logits"], [-(1.0 - D)], atol=1e-300)
    assert_allclose(g_mm["fake_logits"], [-D], atol=1e-300)


def test_known_values():
    zero = np.zeros(4)
    log2 = np.log(2.0)
    for name in ("minimax", "nonsaturating"):
        loss = get_loss(name)
        assert loss.d_real(zero)[0] == pytest.approx(log2, rel=1e-15)   # BCE at logit 0
        assert loss.d_fake(zero)[0] == pytest.approx(log2, rel=1e-15)
        assert loss.d(zero, zero)[0] == pytest.approx(2 * log2, rel=1e-15)
    assert get_loss("minimax").g(zero)[0] == pytest.approx(-log2, rel=1e-15)
    assert get_loss("nonsaturating").g(zero)[0] == pytest.approx(log2, rel=1e-15)
    # gradient of the mean: every sample gets 1/N of the per-sample slope
    assert_allclose(get_loss("nonsaturating").g(zero)[1]["fake_logits"], np.full(4, -0.5 / 4))
    assert_allclose(get_loss("minimax").g(zero)[1]["fake_logits"], np.full(4, -0.5 / 4))
    assert get_loss("least_squares").d(zero, zero)[0] == pytest.approx(0.5)
    assert get_loss("hinge").d(zero, zero)[0] == pytest.approx(2.0)
    w = get_loss("wasserstein")
    assert w.d(np.array([3.0, 1.0]), np.array([0.5, -0.5]))[0] == pytest.approx(-2.0)
    # one-sided label smoothing at logit 0: t log 2 + (1 - t) log 2 = log 2, slope 1/2 - t
    sm = get_loss("nonsaturating", smooth=0.1)
    assert sm.d_real(zero)[0] == pytest.approx(log2)
    assert_allclose(sm.d_real(zero)[1], np.full(4, (0.5 - 0.9) / 4))
    assert_allclose(sm.d_fake(zero)[1], np.full(4, 0.5 / 4))   # the fake side is untouched


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_losses_keep_float32(name):
    l = np.linspace(-3, 3, 8, dtype=np.float32).reshape(8, 1)
    loss = get_loss(name)
    _, d = loss.d(l, l)
    _, g = loss.g(l)
    assert d["real_logits"].dtype == d["fake_logits"].dtype == g["fake_logits"].dtype == np.float32


def test_bad_loss_arguments_say_what_is_allowed():
    with pytest.raises(ValueError, match="allowed: minimax, nonsaturating, wasserstein"):
        get_loss("bce")
    with pytest.raises(ValueError, match="no labels to smooth"):
        get_loss("wasserstein", smooth=0.1)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        get_loss("minimax", smooth=1.0)
    with pytest.raises(ValueError, match=r"shape \(N,\) or \(N, 1\)"):
        get_loss("minimax").g(np.zeros((3, 2)))


def test_each_family_says_how_to_read_its_output():
    """Sigmoid families output logits (real above 0); LSGAN regresses its raw output onto
    0 (fake) and 1 (real), so its decision threshold is 0.5; critics score, real above 0."""
    assert [get_loss(n).uses_sigmoid for n in LOSS_NAMES] == [True, True, False, False, False]
    assert get_loss("least_squares").threshold == 0.5
    assert all(get_loss(n).threshold == 0.0 for n in LOSS_NAMES if n != "least_squares")
    # at the threshold, LSGAN's D is equally wrong about a real and a fake sample
    half = np.array([0.5])
    lsq = get_loss("least_squares")
    assert lsq.d_real(half)[0] == pytest.approx(lsq.d_fake(half)[0])
