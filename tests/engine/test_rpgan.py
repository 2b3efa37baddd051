"""The relativistic pairing loss (RpGAN): its gradients, by finite differences, by a
complex step, through both networks; G's gradient as D grows sure; G's step with a real batch.

Three independent checks of the hand-written gradients:
  - central finite differences (tinygan.gradcheck) in float64, at ordinary logits, and with
    a step scaled to the logits at extreme ones (|l| up to 1e4);
  - the complex step, df/dx = Im f(x + i h) / h with h = 1e-30, on a second implementation
    of the loss value written here with complex arithmetic (no difference quotient, so no
    cancellation: exact to rounding, and so held to rtol 1e-12);
  - whole networks: G's and D's parameter gradients from steps.g_gradients / d_gradients
    against finite differences of forward passes alone.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from strategies import ATOL, RTOL, SMOOTH, arrays, seeds
from test_gradient_flow import gan_pair

from tinygan.gradcheck import numerical_gradient
from tinygan.losses import get_loss
from tinygan.mlp import MLP
from tinygan.optim import Adam
from tinygan.steps import d_gradients, g_gradients
from tinygan.unrolled import unrolled_g_gradients

RP = get_loss("rpgan")


@st.composite
def pairs(draw, lo=-8.0, hi=8.0):
    """Real and fake logits of one shape, (N,) or (N, 1), N in 1..6."""
    n = draw(st.integers(1, 6))
    shape = draw(st.sampled_from([(n,), (n, 1)]))
    return draw(arrays(shape, lo, hi)), draw(arrays(shape, lo, hi))


def closed_form(real, fake):
    """(L_D, L_G) written independently: softplus(x) = max(x, 0) + log1p(e^-|x|)."""
    sp = lambda x: np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))   # noqa: E731
    return np.mean(sp(fake - real)), np.mean(sp(real - fake))


def complex_softplus(x):
    """log(1 + e^x) for complex x with a small imaginary part, in the stable form by the sign
    of Re x (x + log(1 + e^-x) above 0): finite for |Re x| up to any size."""
    out = np.empty_like(x)
    pos = x.real > 0
    out[pos] = x[pos] + np.log1p(np.exp(-x[pos]))
    out[~pos] = np.log1p(np.exp(x[~pos]))
    return out


def complex_step_gradient(f, x, h=1e-30):
    """df/dx_i = Im f(x + i h e_i) / h: exact to rounding for f analytic in x."""
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        xc = x.astype(np.complex128)
        xc[i] += 1j * h
        grad[i] = f(xc).imag / h
    return grad


def scaled_numerical_gradient(f, x):
    """Central differences with a step of 1e-4 times each logit's size (at least 1e-4): the
    loss is linear in a logit far from its partner, so the quotient stays exact where a fixed
    h = 1e-5 would lose its digits to the rounding of values of size 1e4."""
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        h = 1e-4 * max(1.0, abs(float(x[i])))
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


@given(pairs())
def test_rpgan_gradients_match_finite_differences(pair):
    real, fake = pair
    r0, f0 = real.copy(), fake.copy()
    value, grads = RP.d(real, fake)
    assert set(grads) == {"real_logits", "fake_logits"}
    assert grads["real_logits"].shape == real.shape and grads["fake_logits"].shape == fake.shape
    assert_allclose(grads["real_logits"], numerical_gradient(lambda r: RP.d(r, fake)[0], real), rtol=RTOL, atol=ATOL)
    assert_allclose(grads["fake_logits"], numerical_gradient(lambda f: RP.d(real, f)[0], fake), rtol=RTOL, atol=ATOL)
    g_value, g_grads = RP.g(fake, real)
    assert set(g_grads) == {"fake_logits", "real_logits"}
    assert_allclose(g_grads["fake_logits"], numerical_gradient(lambda f: RP.g(f, real)[0], fake), rtol=RTOL, atol=ATOL)
    assert_allclose(g_grads["real_logits"], numerical_gradient(lambda r: RP.g(fake, r)[0], real), rtol=RTOL, atol=ATOL)
    assert_allclose((value, g_value), closed_form(real, fake), rtol=1e-12)
    assert_array_equal(real, r0)
    assert_array_equal(fake, f0)


@given(pairs(lo=-1e4, hi=1e4))
def test_rpgan_finite_and_exact_at_extreme_logits(pair):
    real, fake = pair
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, grads = RP.d(real, fake)
        g_value, g_grads = RP.g(fake, real)
        assert_allclose((value, g_value), closed_form(real, fake), rtol=1e-10, atol=1e-12)
        for want, got in ((lambda r: RP.d(r, fake)[0], grads["real_logits"]),
                          (lambda r: RP.g(fake, r)[0], g_grads["real_logits"])):
            assert_allclose(got, scaled_numerical_gradient(want, real), rtol=1e-6, atol=1e-7)
        for want, got in ((lambda f: RP.d(real, f)[0], grads["fake_logits"]),
                          (lambda f: RP.g(f, real)[0], g_grads["fake_logits"])):
            assert_allclose(got, scaled_numerical_gradient(want, fake), rtol=1e-6, atol=1e-7)
    for arr in (*grads.values(), *g_grads.values()):
        assert np.all(np.isfinite(arr))


@given(pairs(lo=-1e4, hi=1e4), st.booleans())
def test_rpgan_gradients_match_the_complex_step(pair, extreme):
    """An independent derivative: the complex step on a complex re-implementation of the values."""
    real, fake = pair
    if not extreme:
        real, fake = real / 1e3, fake / 1e3        # logits within +-10
    L_D = lambda r, f: np.mean(complex_softplus(f - r))   # noqa: E731
    L_G = lambda r, f: np.mean(complex_softplus(r - f))   # noqa: E731
    _, d = RP.d(real, fake)
    _, g = RP.g(fake, real)
    for got, want in ((d["real_logits"], complex_step_gradient(lambda r: L_D(r, fake), real)),
                      (d["fake_logits"], complex_step_gradient(lambda f: L_D(real, f), fake)),
                      (g["real_logits"], complex_step_gradient(lambda r: L_G(r, fake), real)),
                      (g["fake_logits"], complex_step_gradient(lambda f: L_G(real, f), fake))):
        # atol: below slopes of ~1e-278 the imaginary part h f' is subnormal and loses digits
        assert_allclose(got, want, rtol=1e-12, atol=1e-270)


@pytest.mark.parametrize("gap", [-1e4, -1e3, -40.0, 40.0, 1e3, 1e4])
def test_g_keeps_its_gradient_as_d_grows_sure(gap):
    """gap = l(fake) - l(real). D sure (gap -> -inf): each fake's slope -> -1/N, the
    non-saturating behaviour, not the minimax loss's 0. G winning (gap -> +inf): slope -> 0.
    The slope depends on the pair's difference alone, wherever the two logits sit."""
    n = 4
    real = np.array([-5e3, 0.0, 7.0, 5e3])
    fake = real + gap
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        _, g = RP.g(fake, real)
        _, d = RP.d(real, fake)
    sure = 1.0 if gap < 0 else 0.0            # sigma(-gap) to double precision (|gap| >= 40)
    assert_allclose(g["fake_logits"], np.full(n, -sure / n), rtol=1e-15, atol=1e-17)
    assert_allclose(g["real_logits"], -g["fake_logits"], rtol=0, atol=0)
    assert_allclose(d["fake_logits"], np.full(n, (1.0 - sure) / n), rtol=1e-15, atol=1e-17)
    # against the minimax loss at the same fake logits: its slope -sigma(l) vanishes as D is sure
    mm = get_loss("minimax").g(np.full(n, -1e3))[1]["fake_logits"]
    assert np.all(mm == 0.0)


def test_known_values_and_float32():
    zero = np.zeros(4)
    assert RP.d(zero, zero)[0] == pytest.approx(np.log(2.0), rel=1e-15)   # a coin flip per pair
    assert RP.g(zero, zero)[0] == pytest.approx(np.log(2.0), rel=1e-15)
    assert_allclose(RP.g(zero, zero)[1]["fake_logits"], np.full(4, -0.5 / 4))
    # shifting every score by one constant changes nothing: only differences count
    real, fake = np.array([0.3, -1.2, 2.0]), np.array([1.0, 0.5, -3.0])
    for shift in (-100.0, 7.5):
        assert RP.d(real + shift, fake + shift)[0] == pytest.approx(RP.d(real, fake)[0], rel=1e-12)
    l32 = np.linspace(-3, 3, 8, dtype=np.float32).reshape(8, 1)
    _, d = RP.d(l32, l32[::-1])
    _, g = RP.g(l32, l32[::-1])
    assert {a.dtype for a in (*d.values(), *g.values())} == {np.dtype(np.float32)}
    value, grads, parts = RP.d(real, fake, parts=True)
    assert parts["real_logits"] + parts["fake_logits"] == pytest.approx(value, rel=1e-15)


def test_rpgan_bad_input_says_what_is_allowed():
    with pytest.raises(ValueError, match="pass real_logits"):
        RP.g(np.zeros(3))
    with pytest.raises(ValueError, match=r"shapes must match, got \(3,\) and \(4,\)"):
        RP.d(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="no separate real or fake term"):
        RP.d_real(np.zeros(3))
    with pytest.raises(ValueError, match="no labels to smooth"):
        get_loss("rpgan", smooth=0.1)
    assert not RP.uses_sigmoid and RP.pairs and not get_loss("nonsaturating").pairs


# ----------------------------------------------------------------------------- through the networks

@given(gan_pair(), seeds)
def test_rpgan_generator_gradient_through_d_matches_finite_differences(nets, seed):
    """G's loss reads D(x_real), but no parameter of G reaches it: the finite differences move
    G's weights with x_real fixed, and match g_gradients, which backpropagates the fakes only."""
    G, D = nets
    rng = np.random.default_rng(seed)
    z, x_real = rng.normal(size=(3, G.sizes[0])), rng.normal(size=(3, D.sizes[0]))

    def g_loss(_=None):
        return RP.g(D(G(z)), D(x_real))[0]

    value, grads, info = g_gradients(G, D, RP, z, x_real)
    assert value == pytest.approx(g_loss())
    assert_allclose(info["real_logits"], D(x_real))
    for key, p in G.params.items():
        assert_allclose(grads[key], numerical_gradient(g_loss, p), rtol=RTOL, atol=ATOL, err_msg=key)


@given(gan_pair(), seeds)
def test_rpgan_discriminator_gradient_matches_finite_differences(nets, seed):
    G, D = nets
    rng = np.random.default_rng(seed)
    x_real, x_fake = rng.normal(size=(4, D.sizes[0])), rng.normal(size=(4, D.sizes[0]))

    def d_loss(_=None):
        return RP.d(D(x_real), D(x_fake))[0]

    value, grads, _ = d_gradients(D, RP, x_real, x_fake)
    assert value == pytest.approx(d_loss())
    for key, p in D.params.items():
        assert_allclose(grads[key], numerical_gradient(d_loss, p), rtol=RTOL, atol=ATOL, err_msg=key)


@given(gan_pair(hidden=SMOOTH), seeds, st.sampled_from(["minimax", "nonsaturating", "wasserstein",
                                                         "least_squares", "hinge"]))
def test_losses_without_pairs_ignore_the_real_batch_and_draw_nothing_for_it(nets, seed, name):
    """Bit for bit the same step with or without x_real, and the noise stream left where
    the step without it leaves it: the existing losses train exactly as before."""
    G, D = nets
    rng = np.random.default_rng(seed)
    z, x_real = rng.normal(size=(4, G.sizes[0])), rng.normal(size=(4, D.sizes[0]))
    r1, r2 = np.random.default_rng(seed), np.random.default_rng(seed)
    v1, g1, i1 = g_gradients(G, D, get_loss(name), z, noise=0.1, rng=r1)
    v2, g2, i2 = g_gradients(G, D, get_loss(name), z, x_real, noise=0.1, rng=r2)
    assert v1 == v2 and set(i1) == set(i2) == {"x_fake", "fake_logits", "dx"}
    for key in g1:
        assert_array_equal(g1[key], g2[key])
    assert r1.random() == r2.random()


def test_g_gradients_with_a_pairing_loss_needs_the_real_batch():
    G, D = MLP([2, 3, 2]), MLP([2, 3, 1])
    with pytest.raises(ValueError, match="needs x_real"):
        g_gradients(G, D, RP, np.zeros((2, G.sizes[0])))


def test_unrolled_step_pairs_too_first_order_only():
    """K = 0 unrolled is g_gradients with the same real batch, bit for bit; the second-order
    form refuses the pairing loss (its curvature couples each real logit with a fake one)."""
    G, D = MLP([2, 5, 2], seed=1), MLP([2, 5, 1], seed=2)
    rng = np.random.default_rng(3)
    z, x_real = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    v0, g0, _ = g_gradients(G, D, RP, z, x_real, noise=0.1, rng=np.random.default_rng(4))
    v1, g1, _ = unrolled_g_gradients(G, D, RP, z, x_real, 0, Adam(), second_order=False, noise=0.1,
                                     rng=np.random.default_rng(4))
    assert v0 == v1
    for key in g0:
        assert_array_equal(g0[key], g1[key])
    _, g3, _ = unrolled_g_gradients(G, D, RP, z, x_real, 3, Adam(), second_order=False)
    assert all(np.all(np.isfinite(g)) for g in g3.values())
    with pytest.raises(ValueError, match="couples each real logit with a fake one"):
        unrolled_g_gradients(G, D, RP, z, x_real, 3, Adam())


def test_a_short_rpgan_run_with_r1_and_r2_trains_and_repeats_bit_for_bit():
    """30 steps on the ring: finite, and the same seed gives the same weights (the G step's
    real batch comes from the trainer's one Generator, after z)."""
    from tinygan import Config, Trainer
    config = Config(loss="rpgan", r1=0.1, r2=0.1, steps=30, eval_every=0, noise=0.1, seed=3,
                    g_hidden=(16, 16), d_hidden=(16,), batch_size=64)
    runs = [Trainer(config) for _ in range(2)]
    for t in runs:
        t.train()
    assert all(np.all(np.isfinite(p)) for p in runs[0].G.params.values())
    for key in runs[0].G.params:
        assert_array_equal(runs[0].G.params[key], runs[1].G.params[key])
    assert len(runs[0].history["g_loss"]) == 30


def test_integer_boolean_and_list_logits_give_float_gradients():
    ints, other = np.array([-3, 0, 2, 5]), np.array([1, 1, -2, 0])
    _, want = RP.d(ints.astype(np.float64), other.astype(np.float64))
    for real, fake in ((ints, other), (ints.tolist(), other.tolist())):
        value, grads = RP.d(real, fake)
        assert value == RP.d(np.asarray(real, float), np.asarray(fake, float))[0]
        for key in grads:
            assert grads[key].dtype == np.float64
            assert_array_equal(grads[key], want[key])
    _, gb = RP.d(np.array([True, False]), np.array([False, True]))
    assert_array_equal(gb["fake_logits"], RP.d(np.array([1.0, 0.0]), np.array([0.0, 1.0]))[1]["fake_logits"])
    assert RP.g(other, ints)[1]["fake_logits"].dtype == np.float64
