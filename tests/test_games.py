"""Tests for tinygan.questions.games: the bilinear game x*y and the Dirac-GAN, against their closed forms,
the sweeps, and the same game in a real 1-D GAN. The demo itself runs in tests/test_demos.py."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from tinygan.questions import games

etas = st.floats(1e-3, 1.0)
coords = st.floats(-5, 5).filter(lambda v: abs(v) > 1e-3)


def radius(path):
    return np.hypot(path[:, 0], path[:, 1])


# ---------------------------------------------------------------- bilinear game


@given(eta=etas, x=coords, y=coords, t=st.integers(0, 300))
def test_simultaneous_radius_law_exact(eta, x, y, t):
    r = radius(games.simultaneous_gd(x, y, eta, t))
    assert_allclose(r, games.simultaneous_radius(np.hypot(x, y), eta, np.arange(t + 1)), rtol=1e-12)


def test_simultaneous_r100_matches_paper():
    r100 = radius(games.bilinear("simultaneous", 1.0, 1.0, 0.1, 100))[-1]
    assert abs(r100 - 2.326) < 5e-4
    assert abs(games.simultaneous_radius(np.sqrt(2), 0.1, 100) - 2.326) < 5e-4


@given(eta=st.floats(1e-3, 1.95), x=coords, y=coords)
def test_alternating_conserves_invariant_and_stays_bounded(eta, x, y):
    p = games.alternating_gd(x, y, eta, 500)
    H = games.alternating_invariant(p[:, 0], p[:, 1], eta)
    assert_allclose(H, H[0], rtol=1e-10)
    # on the ellipse x^2 + y^2 - eta x y = H the radius^2 is at most H / (1 - eta/2)
    assert radius(p).max() <= np.sqrt(H[0] / (1 - eta / 2)) * (1 + 1e-9)


def test_alternating_not_bounded_beyond_eta_2():
    assert radius(games.alternating_gd(1.0, 1.0, 2.1, 200))[-1] > 1e6


def test_alternating_differs_from_simultaneous():
    # the invariant is specific to alternating updates: simultaneous GD breaks it at once
    p = games.simultaneous_gd(1.0, 0.5, 0.3, 1)
    H = games.alternating_invariant
    assert abs(H(*p[1], 0.3) - H(1.0, 0.5, 0.3)) > 1e-3


@given(eta=st.floats(1e-2, 1.5), x=coords, y=coords)
def test_extragradient_contracts_by_exact_factor(eta, x, y):
    r = radius(games.extragradient(x, y, eta, 50))
    assert_allclose(r[1:] / r[:-1], games.extragradient_factor(eta), rtol=1e-12)
    assert (games.extragradient_factor(eta) < 1) == (eta < 1)


@given(eta=st.floats(1e-2, 1.0))
def test_optimistic_factor_is_spectral_radius(eta):
    # state (x_t, y_t, x_{t-1}, y_{t-1}) evolves by this matrix
    M = np.array([[1, -2 * eta, 0, eta], [2 * eta, 1, -eta, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    # rtol 1e-7: at eta = 1/2 the root is double and eigvals only resolves it to ~sqrt(machine eps)
    assert_allclose(games.optimistic_factor(eta), np.abs(np.linalg.eigvals(M)).max(), rtol=1e-7)


@given(eta=st.floats(0.05, 0.5), x=coords, y=coords)
def test_optimistic_converges_for_small_eta(eta, x, y):
    r = radius(games.optimistic_gd(x, y, eta, 1000))
    rho = games.optimistic_factor(eta)
    assert r[-1] < 0.3 * r[0]
    assert_allclose(r[-1] / r[-2], rho, rtol=1e-3)  # late steps shrink at the predicted rate


def test_optimistic_threshold():
    edge = 1 / np.sqrt(3)
    assert games.optimistic_factor(edge - 1e-3) < 1 < games.optimistic_factor(edge + 1e-3)
    assert radius(games.optimistic_gd(1.0, 1.0, 0.7, 300))[-1] > 10


def test_bilinear_dispatch_and_errors():
    for m in games.METHODS:
        p = games.bilinear(m, 0.3, -0.2, 0.1, 7)
        assert p.shape == (8, 2) and tuple(p[0]) == (0.3, -0.2)
    assert games.bilinear("optimistic", 1, 1, 0.1, 0).shape == (1, 2)
    with pytest.raises(ValueError, match="choose one of"):
        games.bilinear("newton", 1, 1, 0.1, 5)
    for eta in (0.0, -0.1, np.nan):
        with pytest.raises(ValueError, match="positive"):
            games.bilinear("alternating", 1, 1, eta, 5)
    for steps in (-1, 2.5):
        with pytest.raises(ValueError, match="steps"):
            games.bilinear("alternating", 1, 1, 0.1, steps)


# ---------------------------------------------------------------- Dirac-GAN


def test_link_derivatives_and_extremes():
    t = np.linspace(-6, 6, 41)
    e = 1e-5
    fd = lambda fn: (fn(t + e) - fn(t - e)) / (2 * e)  # noqa: E731
    assert_allclose(games.link_grad(t), fd(games.link), atol=1e-9)
    assert_allclose(games.link_hess(t), fd(games.link_grad), atol=1e-9)
    big = np.array([-1e4, 1e4])
    assert np.all(np.isfinite(games.link(big))) and np.all(np.isfinite(games.link_hess(big)))
    assert games.link_grad(0.0) == 0.5 and games.link_hess(0.0) == -0.25


def test_gaussian_quadrature():
    assert_allclose(games.gaussian_expectation(lambda e: e**2, 0.7), 0.49, rtol=1e-12)
    assert_allclose(games.gaussian_expectation(lambda e: e**4, 0.7), 3 * 0.7**4, rtol=1e-12)
    z = np.linspace(-12, 12, 200001)                      # brute-force reference integral
    dens = np.exp(-z**2 / 2) / np.sqrt(2 * np.pi)
    ref = np.trapezoid(games.link_grad(1.3 * (0.4 + 0.7 * z)) * dens, z)
    quad = games.gaussian_expectation(lambda e: games.link_grad(1.3 * (0.4 + e)), 0.7)
    assert_allclose(quad, ref, rtol=1e-8)


PARAMS = {"wgan": st.fixed_dictionaries({"clip": st.floats(0.1, 2)}),
          "wgan_gp": st.fixed_dictionaries({"gamma": st.floats(0, 3), "g0": st.floats(0, 1.5)}),
          "instance_noise": st.fixed_dictionaries({"sigma": st.floats(0.05, 1.5)}),
          "r1": st.fixed_dictionaries({"gamma": st.floats(0, 3)}),
          "consensus": st.fixed_dictionaries({"gamma": st.floats(0, 3)}),
          "rpgan": st.fixed_dictionaries({"gamma": st.floats(0, 3)})}


@pytest.mark.parametrize("method", games.DIRAC_METHODS)
@given(data=st.data(), th=st.floats(-3, 3), ps=st.floats(-3, 3))
def test_field_is_gradient_of_objectives(method, data, th, ps):
    """v_theta = -dL_G/dtheta (generator descends), v_psi = +dL_D/dpsi (discriminator ascends)."""
    if method == "wgan_gp":
        assume(abs(ps) > 1e-3)                            # |psi| has a kink at 0
    params = data.draw(PARAMS.get(method, st.just({})))
    e = 1e-5
    obj = lambda a, b: games.dirac_objectives(method, a, b, **params)  # noqa: E731
    d_gen = (obj(th + e, ps)["generator"] - obj(th - e, ps)["generator"]) / (2 * e)
    d_dis = (obj(th, ps + e)["discriminator"] - obj(th, ps - e)["discriminator"]) / (2 * e)
    vt, vp = games.dirac_vector_field(method, th, ps, **params)
    assert_allclose([vt, vp], [-d_gen, d_dis], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("method", [m for m in games.DIRAC_METHODS if m != "wgan_gp"])
def test_equilibrium_jacobian_matches_finite_differences(method):
    params = {"instance_noise": {"sigma": 0.9}, "r1": {"gamma": 0.7},
              "consensus": {"gamma": 0.6}, "rpgan": {"gamma": 0.4}}.get(method, {})
    e = 1e-6
    J = np.empty((2, 2))
    for j, (dt, dp) in enumerate([(e, 0.0), (0.0, e)]):
        plus = games.dirac_vector_field(method, dt, dp, **params)
        minus = games.dirac_vector_field(method, -dt, -dp, **params)
        J[:, j] = (np.array(plus) - np.array(minus)) / (2 * e)
    assert_allclose(games.dirac_jacobian(method, **params), J, atol=1e-8)
    assert_allclose(games.dirac_vector_field(method, 0.0, 0.0, **params), [0.0, 0.0], atol=1e-15)


def test_plain_gan_eigenvalues_purely_imaginary():
    for m in ("gan", "nsgan"):
        assert_allclose(games.jacobian_eigenvalues(m), [-0.5j, 0.5j], atol=1e-15)
    assert_allclose(games.jacobian_eigenvalues("wgan"), [-1j, 1j], atol=1e-15)


@given(h=st.floats(1e-3, 2.0))
def test_simultaneous_step_expands_for_every_h(h):
    assert np.all(np.abs(1 + h * games.jacobian_eigenvalues("gan")) > 1)


@pytest.mark.parametrize("method,key",
                         [("r1", "gamma"), ("instance_noise", "sigma"), ("consensus", "gamma")])
@given(value=st.floats(1e-2, 5))
def test_regularisers_damp(method, key, value):
    assert np.all(games.jacobian_eigenvalues(method, **{key: value}).real < 0)


def test_r1_critical_damping_at_gamma_2fprime0():
    assert_allclose(games.jacobian_eigenvalues("r1", gamma=1.0), [-0.5, -0.5], atol=1e-7)
    assert np.all(games.jacobian_eigenvalues("r1", gamma=0.9).imag != 0)   # under-damped: spirals
    assert np.all(games.jacobian_eigenvalues("r1", gamma=1.1).imag == 0)   # over-damped


def test_wgan_gp_has_no_jacobian():
    with pytest.raises(ValueError, match="jumps"):
        games.dirac_jacobian("wgan_gp")


def test_gan_simultaneous_spirals_out():
    d = radius(games.dirac_trajectory("gan"))
    assert d[-1] > 2 * d[0]
    # near the equilibrium the field is linear: each step multiplies the radius by ~sqrt(1 + h^2/4)
    d = radius(games.dirac_trajectory("gan", 1e-4, 0.0, h=0.2, steps=100))
    assert_allclose(d[-1] / d[0], np.sqrt(1 + 0.2**2 / 4) ** 100, rtol=1e-5)


def test_gan_alternating_cycles():
    d = radius(games.dirac_trajectory("gan", integrator="alternating"))
    assert d.max() < 1.5 and d[-100:].min() > 1.3


@pytest.mark.parametrize("method,params", [("r1", {"gamma": 0.3}), ("r1", {"gamma": 1.0}),
                                           ("instance_noise", {}), ("consensus", {})])
@pytest.mark.parametrize("integrator", games.INTEGRATORS)
def test_regularised_methods_converge(method, params, integrator):
    assert radius(games.dirac_trajectory(method, integrator=integrator, **params))[-1] < 1e-3


@pytest.mark.parametrize("method", ["wgan", "wgan_gp"])
@pytest.mark.parametrize("integrator", games.INTEGRATORS)
def test_wgan_variants_do_not_converge(method, integrator):
    p = games.dirac_trajectory(method, integrator=integrator, steps=2000)
    assert radius(p)[-500:].min() > 0.1
    if method == "wgan":
        assert np.abs(p[1:, 1]).max() <= 0.3 + 1e-15          # the critic stays clipped


def test_dirac_table():
    rows = games.dirac_table(steps=500)
    assert len(rows) == 2 * len(games.DIRAC_TABLE_CONFIGS)
    conv = {(r["label"], r["integrator"]) for r in rows if r["converged"]}
    assert {label for label, _ in conv} == {"instance noise (sigma 0.7)", "R1 (gamma 0.3)", "R1 (gamma 1)",
                                            "consensus (gamma 1)", "RpGAN + R1 + R2 (gamma 0.3)"}
    assert all(r["path"].shape == (501, 2) and r["max_distance"] >= r["distance"] for r in rows)


def test_vector_field_on_grid_and_errors():
    th, ps = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-2, 2, 3))
    for m in games.DIRAC_METHODS:
        u, v = games.dirac_vector_field(m, th, ps)
        assert u.shape == v.shape == (3, 4)
    assert games.dirac_trajectory("gan", steps=3).shape == (4, 2)
    bad = [(("hinge",), {}, "choose one of"), (("gan",), {"gamma": 1.0}, "takes parameters"),
           (("r1",), {"gamma": -1.0}, ">= 0"), (("wgan",), {"clip": 0.0}, "clip > 0"),
           (("gan",), {"integrator": "leapfrog"}, "integrator"),
           (("gan",), {"h": 0.0}, "step size h"),
           (("gan",), {"steps": -2}, "steps")]
    for args, kw, msg in bad:
        with pytest.raises(ValueError, match=msg):
            games.dirac_trajectory(*args, **kw)


# ---------------------------------------------------------------- sweeps and the real 1-D GAN


def test_sweep_is_the_trajectory_run_on_a_grid():
    hs, gammas = np.array([0.1, 0.8]), np.array([0.0, 0.3, 2.0])
    final = games.dirac_sweep("r1", hs, gammas, "gamma", steps=50)
    for i, g in enumerate(gammas):
        for j, h in enumerate(hs):
            path = games.dirac_trajectory("r1", 1.0, 1.0, h, 50, gamma=g)
            assert final[i, j] == pytest.approx(np.hypot(*path[-1]), rel=1e-10)
    alt = games.dirac_sweep("instance_noise", hs[:1], [0.7], "sigma", steps=30, integrator="alternating")
    path = games.dirac_trajectory("instance_noise", 1.0, 1.0, 0.1, 30, "alternating", sigma=0.7)
    assert alt[0, 0] == pytest.approx(np.hypot(*path[-1]), rel=1e-10)


@given(st.floats(0.01, 6.0))
def test_r1_step_limit_is_where_the_spectral_radius_crosses_one(gamma):
    h = float(games.r1_step_limit(gamma))
    lam = games.jacobian_eigenvalues("r1", gamma=gamma)
    assert np.abs(1 + 0.999 * h * lam).max() < 1 < np.abs(1 + 1.001 * h * lam).max()


def test_linear_prediction_without_damping_never_converges():
    rho, pred = games.linear_prediction("r1", [0.01, 0.5, 3.0], [0.0], "gamma", steps=100)
    assert np.all(rho > 1) and np.all(pred > np.sqrt(2))
    assert games.r1_step_limit(0.0) == 0.0


def _one_d(**changes):
    from tinygan.config import Config
    base = dict(data="gaussian1d", standardize=False, data_options={"mean": 0.0, "std": 0.01}, loss="minimax", z_dim=1,
                g_hidden=(), d_hidden=(), d_init="zero", optimizer="sgd", g_lr=0.05, d_lr=0.05,
                lr_schedule="constant", batch_size=32, steps=300, noise=0.0, ema=0.0, eval_every=0,
                dtype="float64", seed=0)
    return Config(**{**base, **changes})


def test_real_1d_gan_starts_where_asked_and_circles_without_damping():
    r = games.gan_1d_trajectory(_one_d(), start=(1.0, 1.0))
    assert (r["theta"][0], r["psi"][0]) == pytest.approx((1.0, 1.0), abs=0.01)   # data mean ~0
    d = np.hypot(r["theta"], r["psi"])
    assert d.min() > 1.0 and d.max() < 1.6                          # circles, as the Dirac-GAN
    assert np.any(r["theta"] < 0) and np.any(r["psi"] < 0)          # it went round


def test_real_1d_gan_with_r1_converges():
    r = games.gan_1d_trajectory(_one_d(r1=1.0, steps=400), start=(1.0, 1.0))
    assert np.hypot(r["theta"][-1], r["psi"][-1]) < 0.05


def test_real_1d_gan_needs_linear_nets_and_1d_data():
    with pytest.raises(ValueError, match="linear"):
        games.gan_1d_trajectory(_one_d(d_hidden=(4,)))
    with pytest.raises(ValueError, match="1-D"):
        games.gan_1d_trajectory(_one_d(data="ring", data_options={}))


# ---------------------------------------------------------------- RpGAN on the Dirac-GAN

@given(th=st.floats(-3, 3), ps=st.floats(-3, 3))
def test_rpgan_without_penalty_is_the_nsgan_field_on_the_dirac_gan(th, ps):
    """The real point is 0, so D(real) = 0 and the pairing changes nothing: the same field."""
    assert_allclose(games.dirac_vector_field("rpgan", th, ps), games.dirac_vector_field("nsgan", th, ps),
                    rtol=0, atol=0)


@pytest.mark.parametrize("gamma", [0.0, 0.1, 0.3, 0.5, 1.0, 3.0])
def test_rpgan_closed_form_rate_matches_the_simulated_one(gamma):
    """(1 - measured) within 1 % of (1 - predicted): the fit's wobble for a spiral is ~0.5 %
    (gamma 0.1), the rest agrees to rounding."""
    measured, predicted = games.simulated_rate("rpgan", gamma=gamma)
    assert abs(measured - predicted) <= 1e-2 * abs(1 - predicted)
    # R1 + R2 at gamma damp as R1 alone at 2 gamma: the same Jacobian
    assert_allclose(games.dirac_jacobian("rpgan", gamma=gamma), games.dirac_jacobian("r1", gamma=2 * gamma))


@pytest.mark.parametrize("integrator", games.INTEGRATORS)
def test_rpgan_converges_with_r1_r2_and_not_without(integrator):
    assert radius(games.dirac_trajectory("rpgan", integrator=integrator, gamma=0.3))[-1] < 1e-3
    assert radius(games.dirac_trajectory("rpgan", integrator=integrator, steps=2000))[-500:].min() > 0.1
