"""The unrolled GAN's second-order gradient: H v and M^T v against finite differences of
gradients, and G's gradient through K optimizer steps of D against finite differences of
the whole unrolled objective (the K inner steps recomputed for every perturbation)."""

import copy
import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from strategies import ATOL, H, KINK_MARGIN, KINKED, LOSS_NAMES, OUTPUTS, RTOL, assume_off_kinks, seeds
from tinygan.steps import d_gradients, g_gradients
from tinygan.gradcheck import numerical_gradient
from tinygan.hvp import d_loss_curvature, d_loss_hvp
from tinygan.losses import GANLoss, get_loss
from tinygan.mlp import MLP
from tinygan.optim import SGD, Adam, RMSProp
from tinygan.penalties import add_instance_noise, clip_weights, gradient_penalty, pack as pack_
from tinygan.unrolled import unrolled_g_gradients

# smooth activations, and leaky_relu with every pre-activation kept off its kink
D_ACTIVATIONS = ("tanh", "softplus", "sigmoid", "leaky_relu")
G_ACTIVATIONS = ("tanh", "softplus", "identity", "leaky_relu")


def perturbed(params, v, h):
    return {k: p + h * v[k] for k, p in params.items()}


def fake_input_gradient(D, loss, x_real, x_fake, params):
    """grad_x_fake L_D and grad_theta L_D from the plain backward pass (no second derivatives)."""
    n = x_real.shape[0]
    logits, cache = D.forward(np.concatenate([x_real, x_fake]), params)
    _, e_real = loss.d_real(logits[:n])
    _, e_fake = loss.d_fake(logits[n:])
    dx, grads = D.backward(np.concatenate([e_real, e_fake]), cache)
    return dx[n:], grads


def assume_off_hinge_kinks(loss, D, x, params):
    """Hinge's D loss max(0, 1 -+ l) has kinks at l = +-1: keep every logit away from them."""
    if loss.name == "hinge":
        logits = D(x, params)
        assume(np.min(np.abs(np.abs(logits) - 1.0)) > KINK_MARGIN)


# ----------------------------------------------------------------------------- H v, M^T v

@st.composite
def hvp_problems(draw):
    d_in = draw(st.integers(1, 4))
    hidden = draw(st.lists(st.integers(2, 5), min_size=0, max_size=2))
    D = MLP((d_in, *hidden, 1), hidden=draw(st.sampled_from(D_ACTIVATIONS + ("relu", "identity"))),
            output=draw(st.sampled_from(OUTPUTS)), seed=draw(seeds), dtype=np.float64)
    rng = np.random.default_rng(draw(seeds))
    x_real = rng.uniform(-2, 2, (draw(st.integers(1, 4)), d_in))
    x_fake = rng.uniform(-2, 2, (draw(st.integers(1, 4)), d_in))
    v = {k: rng.standard_normal(p.shape) for k, p in D.params.items()}
    loss = get_loss(draw(st.sampled_from(LOSS_NAMES)))
    return D, loss, x_real, x_fake, v


@given(hvp_problems())
def test_hvp_and_mixed_product_equal_finite_differences_of_the_gradients(problem):
    """H v = d/de grad_theta L_D(theta + e v) and M^T v = d/de grad_x_fake L_D(theta + e v),
    by central differences of the first-order backward pass, for every activation and loss."""
    D, loss, x_real, x_fake, v = problem
    x = np.concatenate([x_real, x_fake])
    assume_off_kinks(D, x)
    assume_off_hinge_kinks(loss, D, x, None)
    hv, mtv = d_loss_hvp(D, loss, x_real, x_fake, v)
    dx_plus, g_plus = fake_input_gradient(D, loss, x_real, x_fake, perturbed(D.params, v, H))
    dx_minus, g_minus = fake_input_gradient(D, loss, x_real, x_fake, perturbed(D.params, v, -H))
    for key in D.params:
        assert_allclose(hv[key], (g_plus[key] - g_minus[key]) / (2 * H), rtol=RTOL, atol=ATOL, err_msg=key)
    assert_allclose(mtv, (dx_plus - dx_minus) / (2 * H), rtol=RTOL, atol=ATOL)


def test_curvature_is_refused_for_a_loss_without_one():
    class Custom(GANLoss):
        name = "custom"
    with pytest.raises(ValueError, match="no second derivative for loss 'custom'"):
        d_loss_curvature(Custom(), np.zeros((2, 1)), "real")


# ----------------------------------------------------------------------------- the unrolled objective

def inner_optimizers(draw, kind, params):
    """D's optimizer for the unroll: SGD (momentum or not), Adam or RMSProp, cold or warm.

    A cold Adam's first step is lr g / (|g| + eps), a smoothed sign of g whose curvature is of
    order 1 / max(|g|, eps): central differences with h = 1e-5 resolve it to 1e-6 only when
    that scale is >> 1e-5 * 1e3, which gradients of these tiny nets often are not. So cold
    Adam and RMSProp are drawn with eps in [0.01, 0.1], and warm ones (a state from earlier
    steps: t0 >= 1, second moments in [1e-3, 1e-1]) with their default eps = 1e-8. The
    derivative formulas are the same in both cases.
    """
    rng = np.random.default_rng(draw(seeds))
    warm = kind in ("adam-warm", "rmsprop-warm")
    eps = 1e-8 if warm else draw(st.floats(0.01, 0.1))
    if kind == "sgd":
        return SGD(lr=draw(st.floats(0.01, 1.0)))
    if kind == "sgd-momentum":
        opt = SGD(lr=draw(st.floats(0.01, 0.5)), momentum=draw(st.floats(0.1, 0.95)))
        opt.load_state_dict({"t": np.array(draw(st.integers(0, 20))),
                             **{f"v/{k}": 0.1 * rng.standard_normal(p.shape) for k, p in params.items()}})
        return opt
    if kind.startswith("adam"):
        opt = Adam(lr=draw(st.floats(1e-3, 0.1)), betas=(draw(st.sampled_from([0.0, 0.5, 0.9])), 0.999),
                   eps=eps)
        if warm:
            state = {"t": np.array(draw(st.integers(1, 50)))}
            for k, p in params.items():
                state[f"m/{k}"] = 0.1 * rng.standard_normal(p.shape)
                state[f"v/{k}"] = rng.uniform(1e-3, 1e-1, p.shape)
            opt.load_state_dict(state)
        return opt
    opt = RMSProp(lr=draw(st.floats(1e-3, 0.1)), alpha=draw(st.sampled_from([0.9, 0.99])), eps=eps)
    if warm:
        opt.load_state_dict({"t": np.array(draw(st.integers(1, 50))),
                             **{f"s/{k}": rng.uniform(1e-3, 1e-1, p.shape) for k, p in params.items()}})
    return opt


OPTIMIZER_KINDS = ("sgd", "sgd-momentum", "adam-cold", "adam-warm", "rmsprop-cold", "rmsprop-warm")


@st.composite
def unrolled_problems(draw, kinds=OPTIMIZER_KINDS, losses=LOSS_NAMES):
    """Small float64 G and D, a batch, K in 1..4 inner steps, an inner optimizer, packing and
    instance noise (a fixed draw: the seed is part of the problem)."""
    dim, z_dim = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    m = draw(st.sampled_from([1, 2]))
    n = m * draw(st.integers(1, 3))
    g_hidden = draw(st.lists(st.integers(2, 5), min_size=0, max_size=2))
    d_hidden = draw(st.lists(st.integers(2, 5), min_size=0, max_size=2))
    G = MLP((z_dim, *g_hidden, dim), hidden=draw(st.sampled_from(G_ACTIVATIONS)), seed=draw(seeds),
            dtype=np.float64)
    D = MLP((dim * m, *d_hidden, 1), hidden=draw(st.sampled_from(D_ACTIVATIONS)), seed=draw(seeds),
            dtype=np.float64)
    rng = np.random.default_rng(draw(seeds))
    z = rng.standard_normal((n, z_dim))
    x_real = rng.uniform(-2, 2, (n, dim))
    kind = draw(st.sampled_from(kinds))
    optimizer = inner_optimizers(draw, kind, D.params)
    return dict(inner=(kind, vars(optimizer)), G=G, D=D, loss=get_loss(draw(st.sampled_from(losses))), z=z, x_real=x_real,
                steps=draw(st.integers(1, 4)), optimizer=optimizer, pack=m,
                noise=draw(st.sampled_from([0.0, 0.3])), noise_seed=draw(seeds),
                real_term=draw(st.booleans()))


def reference_unroll(D, loss, x_fake, x_real, steps, optimizer, pack=1, noise=0.0, rng=None,
                     gp=0.0, clip=0.0):
    """The trainer's unrolled D, written independently: d_gradients and the optimizer's own
    step on copies. Returns (theta_K, [the (theta_k, x_real_k, x_fake_k) D stepped on])."""
    theta, opt = copy.deepcopy(D.params), copy.deepcopy(optimizer)
    seen = []
    for _ in range(steps):
        xr = pack_(add_instance_noise(x_real, noise, rng), pack)
        xf = pack_(add_instance_noise(x_fake, noise, rng), pack)
        seen.append((copy.deepcopy(theta), xr, xf))
        _, grads, _ = d_gradients(D, loss, xr, xf, theta)
        if gp:
            _, extra, _ = gradient_penalty(D, "wgan-gp", gp, xr, xf, rng, theta)
            grads = {k: grads[k] + extra[k] for k in grads}
        opt.step(theta, grads)
        if clip:
            clip_weights(theta, clip)
    return theta, seen


def unrolled_objective(p, x_fake):
    """f = L_G(theta_K(x_fake); x_fake): the whole unroll recomputed, same noise draws."""
    rng = np.random.default_rng(p["noise_seed"])
    theta, _ = reference_unroll(p["D"], p["loss"], x_fake, p["x_real"], p["steps"], p["optimizer"],
                                p["pack"], p["noise"], rng)
    x_seen = pack_(add_instance_noise(x_fake, p["noise"], rng), p["pack"])
    value = p["loss"].g(p["D"](x_seen, theta))[0]
    if p["real_term"]:
        real_seen = pack_(add_instance_noise(p["x_real"], p["noise"], rng), p["pack"])
        value -= p["loss"].d_real(p["D"](real_seen, theta))[0]
    return value


def extrapolated_gradient(f, x):
    """Central differences with Richardson extrapolation: (4 D(h) - D(2h)) / 3, error O(h^4).

    K steps of SGD at lr up to 1 (or of Adam near its eps) make f strongly curved: measured on
    drawn problems, the plain central difference's error scaled as h^2 and reached ~1e-6 at
    h = 1e-5, above RTOL. The extrapolation cancels that h^2 term, so the reference is
    accurate enough for the shared tolerances without loosening them.
    """
    return (4.0 * numerical_gradient(f, x, H) - numerical_gradient(f, x, 2 * H)) / 3.0


def assume_smooth_everywhere(p):
    """Keep every kinked unit (G's, and D's at every inner step) and every hinge logit off
    its kink, so the objective is smooth within the finite-difference steps."""
    G, D = p["G"], p["D"]
    assume_off_kinks(G, p["z"])
    rng = np.random.default_rng(p["noise_seed"])
    theta, seen = reference_unroll(D, p["loss"], G(p["z"]), p["x_real"], p["steps"], p["optimizer"],
                                   p["pack"], p["noise"], rng)
    x_seen = pack_(add_instance_noise(G(p["z"]), p["noise"], rng), p["pack"])
    real_seen = pack_(add_instance_noise(p["x_real"], p["noise"], rng), p["pack"])
    for params, xr, xf in seen + [(theta, real_seen, x_seen)]:
        x = np.concatenate([xr, xf])
        if D.hidden.name in KINKED:
            D_k = copy.copy(D)          # the same network with theta_k in place of its weights
            D_k.params = params
            assume_off_kinks(D_k, x)
        assume_off_hinge_kinks(p["loss"], D, x, params)


def analytic(p, second_order=True):
    return unrolled_g_gradients(p["G"], p["D"], p["loss"], p["z"], p["x_real"], p["steps"], p["optimizer"],
                                second_order=second_order, real_term=p["real_term"], pack=p["pack"],
                                noise=p["noise"],
                                rng=np.random.default_rng(p["noise_seed"]))


@given(unrolled_problems())
def test_unrolled_gradient_equals_finite_differences_of_the_unrolled_objective(p):
    """df/dphi (every parameter of G) and df/dx_fake against central differences of f, the
    K inner steps recomputed for every perturbation: SGD (with and without momentum), Adam
    and RMSProp, every loss family, packing and instance noise."""
    assume_smooth_everywhere(p)
    value, grads, info = analytic(p)
    G = p["G"]
    assert value == pytest.approx(unrolled_objective(p, G(p["z"])), rel=1e-12, abs=1e-12)
    for key, param in G.params.items():
        numeric = extrapolated_gradient(lambda _: unrolled_objective(p, G(p["z"])), param)
        assert_allclose(grads[key], numeric, rtol=RTOL, atol=ATOL, err_msg=key)
    x_fake = G(p["z"])
    assert_allclose(info["dx"], extrapolated_gradient(lambda x: unrolled_objective(p, x), x_fake),
                    rtol=RTOL, atol=ATOL)


@given(unrolled_problems())
def test_zero_steps_is_the_ordinary_generator_gradient_exactly(p):
    """K = 0: no unroll, and the same bits as g_gradients (packing and noise included)."""
    value, grads, info = unrolled_g_gradients(p["G"], p["D"], p["loss"], p["z"], p["x_real"], 0,
                                              p["optimizer"], pack=p["pack"], noise=p["noise"],
                                              rng=np.random.default_rng(p["noise_seed"]))
    value0, grads0, info0 = g_gradients(p["G"], p["D"], p["loss"], p["z"], None, None, p["pack"], p["noise"],
                                        np.random.default_rng(p["noise_seed"]))
    assert value == value0
    for key in grads0:
        assert_array_equal(grads[key], grads0[key])
    assert_array_equal(info["dx"], info0["dx"])
    assert_array_equal(info["fake_logits"], info0["fake_logits"])


@given(unrolled_problems())
def test_first_order_is_the_gradient_against_the_look_ahead_discriminator(p):
    """second_order=False is g_gradients against the reference unroll's theta_K, bit for bit,
    and the second-order dx is that direct term plus the term through D's steps."""
    p = {**p, "real_term": False}
    rng = np.random.default_rng(p["noise_seed"])
    theta, _ = reference_unroll(p["D"], p["loss"], p["G"](p["z"]), p["x_real"], p["steps"], p["optimizer"],
                                p["pack"], p["noise"], rng)
    value0, grads0, info0 = g_gradients(p["G"], p["D"], p["loss"], p["z"], None, theta, p["pack"], p["noise"], rng)
    value1, grads1, info1 = analytic(p, second_order=False)
    assert value1 == value0
    for key in grads0:
        assert_array_equal(grads1[key], grads0[key])
    assert_array_equal(info1["dx"], info0["dx"])
    value2, grads2, info2 = analytic(p)
    assert value2 == value0
    assert_array_equal(info2["dx_direct"], info0["dx"])
    for key in theta:
        assert_array_equal(info2["d_params"][key], theta[key])


def test_the_second_term_is_what_the_first_order_form_misses():
    """On one fixed problem the first-order gradient is off the finite differences of the
    unrolled objective by far more than the tolerance, and the second-order one is not."""
    G = MLP((2, 4, 2), hidden="tanh", seed=3)
    D = MLP((2, 5, 1), hidden="tanh", seed=4)
    rng = np.random.default_rng(0)
    p = dict(G=G, D=D, loss=get_loss("nonsaturating"), z=rng.standard_normal((4, 2)),
             x_real=rng.standard_normal((4, 2)), steps=3, optimizer=SGD(lr=0.5), pack=1, noise=0.0,
             noise_seed=0, real_term=False)
    _, second, _ = analytic(p)
    _, first, _ = analytic(p, second_order=False)
    for key, param in G.params.items():
        numeric = numerical_gradient(lambda _: unrolled_objective(p, G(p["z"])), param, H)
        assert_allclose(second[key], numeric, rtol=RTOL, atol=ATOL)
        assert np.max(np.abs(first[key] - numeric)) > 1e-3 * np.max(np.abs(numeric))


@given(unrolled_problems())
def test_nothing_passed_in_is_changed(p):
    """D's parameters, G's and the optimizer's state are only read (the unroll runs on copies)."""
    before_d, before_g = copy.deepcopy(p["D"].params), copy.deepcopy(p["G"].params)
    before_opt = copy.deepcopy(p["optimizer"].state_dict())
    x_real, z = p["x_real"].copy(), p["z"].copy()
    analytic(p)
    for old, new in ((before_d, p["D"].params), (before_g, p["G"].params),
                     (before_opt, p["optimizer"].state_dict())):
        assert old.keys() == new.keys()
        for key in old:
            assert_array_equal(old[key], new[key])
    assert_array_equal(x_real, p["x_real"])
    assert_array_equal(z, p["z"])


def test_first_order_supports_penalties_and_clipping_as_the_trainer_does():
    """second_order=False with a WGAN-GP penalty and clipping inside the unroll: the same bits
    as the reference unroll with those remedies."""
    G, D = MLP((2, 8, 2), hidden="relu", seed=1), MLP((2, 8, 1), hidden="leaky_relu", seed=2)
    loss, opt = get_loss("wasserstein"), Adam(lr=1e-3, betas=(0.0, 0.9))
    data = np.random.default_rng(5)
    z, x_real = data.standard_normal((6, 2)), data.standard_normal((6, 2))
    rng = np.random.default_rng(9)
    theta, _ = reference_unroll(D, loss, G(z), x_real, 3, opt, 1, 0.1, rng, gp=0.1, clip=0.05)
    _, grads0, _ = g_gradients(G, D, loss, z, None, theta, 1, 0.1, rng)
    _, grads, info = unrolled_g_gradients(G, D, loss, z, x_real, 3, opt, second_order=False, noise=0.1,
                                          rng=np.random.default_rng(9), gp=0.1, clip=0.05)
    assert max(np.max(np.abs(v)) for v in info["d_params"].values()) <= 0.05
    for key in grads0:
        assert_array_equal(grads[key], grads0[key])


def test_float32_models_get_float32_gradients_without_warnings():
    G = MLP((3, 8, 2), hidden="relu", seed=1, dtype=np.float32)
    D = MLP((2, 8, 8, 1), hidden="leaky_relu", seed=2, dtype=np.float32)
    rng = np.random.default_rng(0)
    z = rng.standard_normal((16, 3), dtype=np.float32)
    x_real = rng.standard_normal((16, 2), dtype=np.float32)
    for opt in (SGD(lr=0.1, momentum=0.5), Adam(lr=1e-3, betas=(0.5, 0.999)), RMSProp(lr=1e-3)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _, grads, info = unrolled_g_gradients(G, D, get_loss("nonsaturating"), z, x_real, 3, opt,
                                                  noise=0.1, rng=rng)
        assert all(g.dtype == np.float32 for g in grads.values())
        assert info["dx"].dtype == np.float32


@pytest.mark.parametrize("options, message", [
    (dict(gp=10.0), "does not support gradient penalties"),
    (dict(r1=0.1), "does not support gradient penalties"),
    (dict(clip=0.01), "or weight clipping"),
    (dict(steps=-1), "steps must be an integer >= 0"),
    (dict(steps=2.5), "steps must be an integer >= 0"),
    (dict(optimizer="adam"), "optimizer must be a tinygan optimizer"),
    (dict(noise=0.1), "needs rng"),
])
def test_bad_settings_are_refused_with_a_clear_message(options, message):
    G, D = MLP((2, 4, 2), seed=1), MLP((2, 4, 1), seed=2)
    z = x_real = np.zeros((4, 2))
    kwargs = {"steps": 2, "optimizer": SGD(lr=0.1), **options}
    with pytest.raises(ValueError, match=message):
        unrolled_g_gradients(G, D, get_loss("nonsaturating"), z, x_real, **kwargs)


@given(unrolled_problems())
def test_the_real_term_changes_the_value_and_only_the_second_order_gradient(p):
    """f = L_G - L_D,real(theta_K): the value drops by D's real loss at theta_K; the real
    term reaches G only through theta_K, so the first-order gradient ignores it."""
    with_real = analytic({**p, "real_term": True}, second_order=False)
    without = analytic({**p, "real_term": False}, second_order=False)
    theta = without[2]["d_params"]
    rng = np.random.default_rng(p["noise_seed"])
    _, seen = reference_unroll(p["D"], p["loss"], p["G"](p["z"]), p["x_real"], p["steps"], p["optimizer"],
                               p["pack"], p["noise"], rng)
    add_instance_noise(p["G"](p["z"]), p["noise"], rng)              # the draw for G's loss
    real_seen = pack_(add_instance_noise(p["x_real"], p["noise"], rng), p["pack"])
    v_real, _ = p["loss"].d_real(p["D"](real_seen, theta))
    assert with_real[0] == pytest.approx(without[0] - v_real, rel=1e-12, abs=1e-12)
    for key in without[1]:
        assert_array_equal(with_real[1][key], without[1][key])
