"""The generator's gradient through D, and the vanishing gradient of the minimax game.

These are the properties the whole project is about: G learns only through D's input
gradient, and under the minimax cost that gradient is multiplied by D(G(z)), so it vanishes
exactly when G is doing badly (Goodfellow 2016, Fig. 16; Arjovsky & Bottou 2017, Thm 2.4).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from strategies import ATOL, LOSS_NAMES, RTOL, SMOOTH, seeds

from tinygan.steps import d_gradients, g_gradients
from tinygan.gradcheck import numerical_gradient
from tinygan.losses import get_loss
from tinygan.mlp import MLP
from tinygan.ops import sigmoid


@st.composite
def gan_pair(draw, hidden=SMOOTH):
    """A small generator and discriminator with smooth activations (no kinks to dodge)."""
    z_dim, x_dim = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    g_sizes = [z_dim] + [draw(st.integers(1, 6)) for _ in range(draw(st.integers(0, 2)))] + [x_dim]
    d_sizes = [x_dim] + [draw(st.integers(1, 6)) for _ in range(draw(st.integers(0, 2)))] + [1]
    G = MLP(g_sizes, hidden=draw(st.sampled_from(hidden)),
            output=draw(st.sampled_from(["none", "tanh"])), seed=draw(seeds))
    D = MLP(d_sizes, hidden=draw(st.sampled_from(hidden)), seed=draw(seeds))
    return G, D


@pytest.mark.parametrize("name", LOSS_NAMES)
@given(gan_pair(), seeds)
def test_generator_gradient_through_d_matches_finite_differences(name, nets, seed):
    G, D = nets
    loss = get_loss(name)
    z = np.random.default_rng(seed).normal(size=(3, G.sizes[0]))

    def g_loss(_=None):  # the generator's loss, by forward passes only
        return loss.g(D(G(z)))[0]

    value, grads, info = g_gradients(G, D, loss, z)
    assert value == pytest.approx(g_loss())
    for key, p in G.params.items():
        assert_allclose(grads[key], numerical_gradient(g_loss, p), rtol=RTOL, atol=ATOL, err_msg=key)


@pytest.mark.parametrize("name", LOSS_NAMES)
@given(gan_pair(), seeds)
def test_discriminator_gradient_matches_finite_differences(name, nets, seed):
    G, D = nets
    loss = get_loss(name)
    rng = np.random.default_rng(seed)
    x_real = rng.normal(size=(3, D.sizes[0]))
    x_fake = rng.normal(size=(2, D.sizes[0]))

    def d_loss(_=None):
        return loss.d(D(x_real), D(x_fake))[0]

    value, grads, info = d_gradients(D, loss, x_real, x_fake)
    assert value == pytest.approx(d_loss())
    assert value == pytest.approx(info["loss_real"] + info["loss_fake"])
    for key, p in D.params.items():
        assert_allclose(grads[key], numerical_gradient(d_loss, p), rtol=RTOL, atol=ATOL, err_msg=key)


def _flat_norm(grads):
    return float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))


def _set_output_bias_for(D, x, target):
    """Shift D's output bias so that mean D(x) = target (bisection on the shift)."""
    L = D.n_layers
    base = D(x)[:, 0] - D.params[f"b{L}"][0]        # logits without the output bias
    lo, hi = -60.0 - base.max(), 60.0 - base.min()
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if np.mean(sigmoid(base + mid)) < target else (lo, mid)
    D.params[f"b{L}"][0] = 0.5 * (lo + hi)
    return float(np.mean(sigmoid(D(x)[:, 0])))


@given(gan_pair(hidden=SMOOTH + ("relu", "leaky_relu")), seeds, st.floats(-6, 6))
def test_one_sample_ratio_is_exactly_d_over_one_minus_d(nets, seed, bias):
    """For one fake sample: grad L_minimax = -D J and grad L_ns = -(1 - D) J, the same J.

    The ratio of norms is the odds D / (1 - D) = e^l, l the logit: computed as e^l it stays
    exact where 1 - D would cancel catastrophically (D close to 1).
    """
    G, D = nets
    D.params[f"b{D.n_layers}"][0] = bias
    z = np.random.default_rng(seed).normal(size=(1, G.sizes[0]))
    _, mm, info = g_gradients(G, D, get_loss("minimax"), z)
    _, ns, _ = g_gradients(G, D, get_loss("nonsaturating"), z)
    odds = float(np.exp(info["fake_logits"][0, 0]))   # = D / (1 - D)
    n_mm, n_ns = _flat_norm(mm), _flat_norm(ns)
    if n_ns == 0.0:                  # J = 0 (e.g. a dead ReLU path): both vanish together
        assert n_mm == 0.0
        return
    assert n_mm / n_ns == pytest.approx(odds, rel=1e-9)


@given(gan_pair(), seeds)
def test_minimax_gradient_vanishes_in_proportion_to_d_while_nonsaturating_survives(nets, seed):
    G, D = nets
    z = np.random.default_rng(seed).normal(size=(8, G.sizes[0]))
    x_fake = G(z)
    targets = [1e-1, 1e-2, 1e-3, 1e-4, 1e-6, 1e-8]
    rows = []
    for target in targets:
        d_mean = _set_output_bias_for(D, x_fake, target)
        _, mm, _ = g_gradients(G, D, get_loss("minimax"), z)
        _, ns, _ = g_gradients(G, D, get_loss("nonsaturating"), z)
        rows.append((d_mean, _flat_norm(mm), _flat_norm(ns)))
    d_mean, n_mm, n_ns = map(np.array, zip(*rows))
    assert_allclose(d_mean, targets, rtol=1e-6)
    if n_ns[0] < 1e-12:               # a generator D cannot tell apart from anything: no signal
        return
    # minimax: ||grad|| / D(G(z)) tends to a constant: the norm falls in proportion to D ...
    per_d = n_mm / d_mean
    assert_allclose(per_d[2:], per_d[-1], rtol=2e-3)     # for D <= 1e-3, to 0.2 %
    assert n_mm[-1] < 1e-7 * n_ns[-1]                    # ... down to 1e-8 of the other one
    # ... while the non-saturating gradient stays of the same order all the way down
    assert np.all(n_ns / n_ns[0] > 0.5) and np.all(n_ns / n_ns[0] < 2.0)
