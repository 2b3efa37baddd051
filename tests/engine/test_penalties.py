"""The remedies: double backprop and every gradient penalty against finite differences,
clipping, packing, instance noise, the unrolled discriminator, the presets."""

import dataclasses

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from strategies import ACTIVATIONS, ATOL, H, KINKED, OUTPUTS, RTOL, arrays, assume_off_kinks, seeds
from tinygan.double_backprop import input_gradient
from tinygan.config import CLASSIC, Config, presets
from tinygan.gan import Trainer
from tinygan.steps import d_gradients, g_gradients
from tinygan.gradcheck import numerical_gradient
from tinygan.mlp import MLP
from tinygan.penalties import (
    add_instance_noise, clip_weights, gradient_penalty, noise_sigma,
    pack, unpack,
)

SMALL = dict(data="ring", steps=30, batch_size=32, g_hidden=(16,), d_hidden=(16,), eval_every=0,
             eval_samples=200)
# the plain GAN (no remedy switched on), small: each test switches on the remedy it tests
TINY = dict(CLASSIC, **SMALL)


@st.composite
def discriminators(draw, activations=ACTIVATIONS, outputs=OUTPUTS):
    """A small float64 MLP with one output, and a batch of inputs for it."""
    d_in = draw(st.integers(1, 4))
    hidden = draw(st.lists(st.integers(1, 5), min_size=0, max_size=2))
    D = MLP((d_in, *hidden, 1), hidden=draw(st.sampled_from(activations)),
            output=draw(st.sampled_from(outputs)), seed=draw(seeds), dtype=np.float64)
    n = draw(st.integers(1, 4))
    return D, draw(arrays((n, d_in), -2.0, 2.0)), draw(arrays((n, d_in), -2.0, 2.0))


def first_order_input_gradient(D, x):
    """Per-sample grad_x D(x_i), from the plain backward pass alone (no double backprop)."""
    _, cache = D.forward(x)
    dx, _ = D.backward(np.ones((x.shape[0], 1)), cache, need_params=False)
    return dx


def check_against_finite_differences(D, P, grads):
    for key, p in D.params.items():
        numeric = numerical_gradient(P, p, H)
        assert_allclose(grads[key], numeric, rtol=RTOL, atol=ATOL, err_msg=key)


# ----------------------------------------------------------------------------- double backprop

def input_gradient_norm_penalty(D, x):
    """P = mean_i ||grad_x D(x_i)||^2 (R1 at weight 2) and dP/dparams, and the input gradient u."""
    _, cache = D.forward(x)
    u, _ = input_gradient(D, cache)
    value, grads, _ = gradient_penalty(D, "r1", 2.0, x, x)
    return value, grads, u


@given(discriminators())
def test_double_backprop_equals_finite_differences_of_the_input_gradient_norm(drawn):
    """d/dparams mean_i ||grad_x D(x_i)||^2 for every activation, against finite differences
    of that norm computed by the first-order backward pass."""
    D, x, _ = drawn
    assume_off_kinks(D, x)
    value, grads, u = input_gradient_norm_penalty(D, x)
    assert_allclose(u, first_order_input_gradient(D, x), rtol=1e-12, atol=1e-14)

    def P(_):
        g = first_order_input_gradient(D, x)
        return np.sum(g * g) / x.shape[0]

    assert value == pytest.approx(P(None), rel=1e-12, abs=1e-15)
    check_against_finite_differences(D, P, grads)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_double_backprop_covers_every_activation_on_a_deeper_net(activation):
    D = MLP((3, 6, 5, 4, 1), hidden=activation, output="none", seed=3, dtype=np.float64)
    x = np.random.default_rng(4).standard_normal((5, 3))
    if activation in KINKED:
        from strategies import pre_activations
        assert min(np.min(np.abs(a)) for a in pre_activations(D, x)[:-1]) > 1e-3
    _, grads, _ = input_gradient_norm_penalty(D, x)

    def P(_):
        g = first_order_input_gradient(D, x)
        return np.sum(g * g) / x.shape[0]

    check_against_finite_differences(D, P, grads)
    if activation in ("identity", "relu", "leaky_relu"):
        # piecewise linear: the slope does not depend on the biases
        assert all(np.all(grads[k] == 0) for k in grads if k.startswith("b"))


# ----------------------------------------------------------------------------- the penalties

@pytest.mark.parametrize("kind", ["wgan-gp", "r1", "r2"])
@given(drawn=discriminators(), weight=st.floats(0.1, 10.0), seed=seeds)
def test_each_penalty_gradient_equals_finite_differences(kind, drawn, weight, seed):
    D, x_real, x_fake = drawn
    eps = np.random.default_rng(seed).random((x_real.shape[0], 1))
    points = {"wgan-gp": eps * x_real + (1 - eps) * x_fake, "r1": x_real, "r2": x_fake}[kind]
    assume_off_kinks(D, points)
    value, grads, info = gradient_penalty(D, kind, weight, x_real, x_fake, np.random.default_rng(seed))
    u = first_order_input_gradient(D, points)
    norms = np.linalg.norm(u, axis=1)
    if kind == "wgan-gp":
        assume(np.min(norms) > 1e-3)        # ||u|| is not differentiable at u = 0
        expected = weight * np.mean((norms - 1.0) ** 2)
    else:
        expected = 0.5 * weight * np.mean(norms ** 2)
    assert value == pytest.approx(expected, rel=1e-10, abs=1e-14)
    assert info["grad_norm"] == pytest.approx(np.mean(norms), rel=1e-10, abs=1e-14)

    def P(_):
        g = np.linalg.norm(first_order_input_gradient(D, points), axis=1)
        return weight * np.mean((g - 1.0) ** 2) if kind == "wgan-gp" else 0.5 * weight * np.mean(g ** 2)

    check_against_finite_differences(D, P, grads)


def test_unknown_penalty_is_refused():
    D = MLP((2, 3, 1), seed=0)
    x = np.zeros((2, 2))
    with pytest.raises(ValueError, match="allowed: wgan-gp, r1, r2"):
        gradient_penalty(D, "r3", 1.0, x, x)


def test_input_gradient_rows_are_each_samples_own_gradient():
    D = MLP((2, 8, 1), hidden="tanh", seed=1, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((4, 2))
    u, _ = input_gradient(D, D.forward(x)[1])
    for i in range(4):
        num = numerical_gradient(lambda xi: D(xi[None])[0, 0], x[i].copy())
        assert_allclose(u[i], num, rtol=1e-6, atol=1e-9)


# ----------------------------------------------------------------------------- clipping

@given(c=st.floats(1e-4, 1.0), seed=seeds)
def test_clipping_keeps_every_weight_inside_the_box(c, seed):
    D = MLP((2, 7, 1), seed=seed, dtype=np.float64)
    for p in D.params.values():
        p += np.random.default_rng(seed).standard_normal(p.shape)
    clip_weights(D.params, c)
    assert all(np.all(np.abs(p) <= c) for p in D.params.values())


def test_the_wgan_critic_stays_clipped_through_training():
    t = Trainer(presets["wgan"](), **{**SMALL, "steps": 10})
    t.train()
    c = t.config.clip
    assert c == 0.01
    for key, p in t.D.params.items():
        assert np.all(np.abs(p) <= c), key
    assert max(np.max(np.abs(p)) for p in t.D.params.values()) == pytest.approx(c)


# ----------------------------------------------------------------------------- packing

def test_packing_concatenates_consecutive_samples_and_unpacking_inverts_it():
    x = np.arange(24.0).reshape(12, 2)
    p = pack(x, 3)
    assert p.shape == (4, 6)
    assert_array_equal(p[1], np.concatenate([x[3], x[4], x[5]]))
    assert_array_equal(unpack(p, 3, 2), x)
    assert pack(x, 1) is x


def test_packing_shapes_are_checked_with_clear_errors():
    with pytest.raises(ValueError, match="3 does not divide 10"):
        pack(np.zeros((10, 2)), 3)
    with pytest.raises(ValueError, match=r"shape \(N/2, 4\)"):
        unpack(np.zeros((3, 5)), 2, 2)
    with pytest.raises(ValueError, match="pack 3 does not divide batch_size 256; choose a batch_size"):
        Config(pack=3, batch_size=256).validate()
    with pytest.raises(ValueError, match="pack must be an integer >= 1"):
        Config(pack=0).validate()


def test_a_packing_discriminator_sees_m_samples_and_the_generator_gets_one_gradient_each():
    t = Trainer(Config(**TINY), pack=4)
    assert t.D.sizes[0] == 4 * t.data.dim
    assert t.G.sizes[-1] == t.data.dim
    _, _, info = t.g_step()
    assert info["fake_logits"].shape == (TINY["batch_size"] // 4, 1)
    assert info["dx"].shape == (TINY["batch_size"], t.data.dim)
    t.train()
    assert t.sample(10).shape == (10, 2)
    assert t.evaluate(record=False)["n_modes"] == 8   # evaluation is per sample, unpacked


def test_packed_generator_gradient_is_the_unpacked_gradient_of_the_packed_loss():
    G = MLP((3, 5, 2), seed=0, dtype=np.float64)
    D = MLP((4, 6, 1), hidden="tanh", seed=1, dtype=np.float64)
    from tinygan.losses import get_loss
    loss = get_loss("nonsaturating")
    z = np.random.default_rng(2).standard_normal((6, 3))
    _, grads, _ = g_gradients(G, D, loss, z, pack=2)

    def value(_):
        return loss.g(D(pack(G(z), 2)))[0]

    for key, p in G.params.items():
        assert_allclose(grads[key], numerical_gradient(value, p), rtol=1e-6, atol=1e-9)


# ----------------------------------------------------------------------------- instance noise

def plain_history(config, steps):
    """The plain trainer written out by hand: no noise, no packing, no penalty."""
    t = Trainer(config)
    rng, n = t.rng, config.batch_size
    losses = []
    for _ in range(steps):
        x_real = t.data.sample(n, rng, dtype=t.dtype)
        x_fake = t.G(rng.standard_normal((n, config.z_dim), dtype=t.dtype))
        d_value, grads, _ = d_gradients(t.D, t.loss, x_real, x_fake)
        t.opt_d.step(t.D.params, grads)
        g_value, grads, _ = g_gradients(t.G, t.D, t.loss, rng.standard_normal((n, config.z_dim), dtype=t.dtype))
        t.opt_g.step(t.G.params, grads)
        losses.append((d_value, g_value))
    return losses, t


@pytest.mark.parametrize("schedule", ["constant", "linear", "exponential"])
def test_instance_noise_at_sigma_zero_is_exactly_the_plain_trainer(schedule):
    config = dataclasses.replace(Config(**TINY), noise=0.0, noise_schedule=schedule)
    expected, plain = plain_history(config, TINY["steps"])
    t = Trainer(config)
    t.train()
    assert list(zip(t.history["d_loss"], t.history["g_loss"])) == expected
    for key in t.G.params:
        assert_array_equal(t.G.params[key], plain.G.params[key])
    noisy = Trainer(config, noise=0.1)
    noisy.train()
    assert noisy.history["g_loss"] != t.history["g_loss"]


def test_noise_schedules_start_at_sigma_and_anneal_to_zero():
    for schedule in ("linear", "exponential"):
        levels = [noise_sigma(0.5, schedule, s, 100) for s in range(0, 121, 10)]
        assert levels[0] == 0.5 and levels[10] == 0.0 and levels[-1] == 0.0
        assert all(a > b for a, b in zip(levels[:10], levels[1:11]))
    assert noise_sigma(0.5, "constant", 10**6, 100) == 0.5
    assert noise_sigma(0.5, "linear", 50, 100) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="allowed: constant, linear, exponential"):
        Config(noise=0.1, noise_schedule="cosine").validate()


def test_instance_noise_has_the_asked_std_and_leaves_sigma_zero_inputs_alone():
    x = np.zeros((20000, 2), dtype=np.float32)
    rng = np.random.default_rng(0)
    assert add_instance_noise(x, 0.0, rng) is x
    assert rng.random() == np.random.default_rng(0).random()    # nothing was drawn
    noisy = add_instance_noise(x, 0.3, rng)
    assert noisy.dtype == np.float32
    assert np.std(noisy) == pytest.approx(0.3, rel=0.02)


# ----------------------------------------------------------------------------- unrolled, ema, presets

@pytest.mark.parametrize("order", ["first", "second"])
def test_the_unrolled_copy_moves_but_d_itself_does_not(order):
    t = Trainer(Config(**TINY), unroll=3, unroll_order=order)
    before = t.D.copy_params()
    opt_before = {k: v.copy() for k, v in t.opt_d.state_dict().items()}
    _, _, info = t.g_step()
    for key in before:
        assert_array_equal(t.D.params[key], before[key])
        assert not np.array_equal(info["d_params"][key], before[key])
    after = t.opt_d.state_dict()
    assert after.keys() == opt_before.keys()
    for key in after:
        assert_array_equal(after[key], opt_before[key])
    t.train()
    assert len(t.history["g_loss"]) == TINY["steps"]


def test_second_order_unrolling_refuses_penalties_and_clipping():
    with pytest.raises(ValueError, match="unroll_order 'second' cannot differentiate"):
        Config(unroll=5, gp=1.0).validate()
    Config(unroll=5, gp=1.0, unroll_order="first").validate()


def test_ema_samples_from_the_average_and_survives_a_checkpoint(tmp_path):
    from tinygan.app import checkpoint

    straight = Trainer(Config(**TINY), ema=0.9)
    straight.train()
    avg = straight.opt_g.average
    assert not np.array_equal(avg["W1"], straight.G.params["W1"])
    z = np.random.default_rng(0)
    assert_array_equal(straight.sample(5, np.random.default_rng(0)),
                       straight.G(z.standard_normal((5, straight.config.z_dim), dtype=np.float32), avg))
    first = Trainer(Config(**TINY), ema=0.9)
    first.train(12)
    checkpoint.save(first, tmp_path / "ck.npz")
    resumed = checkpoint.load(tmp_path / "ck.npz")
    resumed.train()
    assert resumed.history == straight.history
    for key in avg:
        assert_array_equal(resumed.opt_g.average[key], avg[key])


def test_lr_schedule_decays_to_zero_and_resume_is_unchanged(tmp_path):
    from tinygan.app import checkpoint
    from tinygan.config import lr_factor

    c = Config(steps=100, lr_schedule="cosine", lr_decay_from=0.5)
    assert lr_factor(c, 0) == lr_factor(c, 50) == 1.0
    assert lr_factor(c, 75) == pytest.approx(0.5)
    assert lr_factor(c, 100) == pytest.approx(0.0, abs=1e-12)
    assert lr_factor(dataclasses.replace(c, lr_schedule="linear"), 75) == pytest.approx(0.5)
    straight = Trainer(Config(**TINY), lr_schedule="linear", lr_decay_from=0.2)
    straight.train()
    first = Trainer(Config(**TINY), lr_schedule="linear", lr_decay_from=0.2)
    first.train(17)
    checkpoint.save(first, tmp_path / "ck.npz")
    resumed = checkpoint.load(tmp_path / "ck.npz")
    resumed.train()
    assert resumed.history == straight.history


@pytest.mark.parametrize("name", sorted(presets))
def test_every_preset_validates_and_trains(name):
    config = presets[name]()
    assert (presets[name].__doc__ or "").strip(), "tinygan list shows the docstring"
    assert Config.from_dict(config.to_dict()) == config
    t = Trainer(config, **{**SMALL, "steps": 3})
    t.train()
    assert np.isfinite(t.history["g_loss"]).all()


def test_the_paper_presets_have_the_papers_settings():
    w = presets["wgan"]()
    assert (w.loss, w.optimizer, w.d_lr, w.g_lr, w.clip, w.d_steps) == \
        ("wasserstein", "rmsprop", 5e-5, 5e-5, 0.01, 5)
    # WGAN-GP as its authors ran it on 2-D toy data (their script: lambda 0.1, Adam betas
    # (0.5, 0.9), n_critic 5); the learning rate is tinygan's, for a 2,000-step budget
    gp = presets["wgan-gp"]()
    assert (gp.loss, gp.optimizer, gp.d_lr, gp.g_lr, gp.betas, gp.gp, gp.d_steps, gp.clip) == \
        ("wasserstein", "adam", 1e-3, 1e-3, (0.5, 0.9), 0.1, 5, 0.0)
    assert presets["best"]() == Config()


@pytest.mark.parametrize("field, value, message", [
    ("gp", -1.0, "gp must be a number >= 0"),
    ("r1", float("nan"), "r1 must be a number >= 0"),
    ("clip", -0.01, "clip must be a number >= 0"),
    ("ema", 1.0, r"ema must be in \[0, 1\)"),
    ("unroll", -1, "unroll must be an integer >= 0"),
    ("lr_schedule", "step", "allowed: constant, linear, cosine"),
    ("smooth", 0.1, "no labels to smooth"),
])
def test_bad_remedy_settings_are_refused(field, value, message):
    overrides = {field: value}
    if field == "smooth":
        overrides["loss"] = "wasserstein"
    with pytest.raises(ValueError, match=message):
        Config(**overrides).validate()


def test_data_init_moves_only_ds_first_biases_and_draws_nothing_from_the_training_stream():
    zero = Trainer(Config(**TINY))
    data = Trainer(Config(**TINY), d_init="data")
    for key in zero.D.params:
        if key != "b1":
            assert_array_equal(zero.D.params[key], data.D.params[key])
    assert not np.array_equal(zero.D.params["b1"], data.D.params["b1"])
    assert zero.rng.bit_generator.state == data.rng.bit_generator.state
    # each first-layer boundary w_j . x + b_j = 0 passes through a point of the data
    W1, b1 = data.D.params["W1"], data.D.params["b1"]
    assert np.all(np.abs(b1) <= np.linalg.norm(W1, axis=0) * 1.1)   # ring: |p| <= ~1
    with pytest.raises(ValueError, match="allowed: zero, data"):
        Config(d_init="random").validate()
