"""Tests for tinygan.metrics."""

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

from tinygan.data import get_dataset
from tinygan.data.toy import grid, ring
from tinygan.data.images import calibrate_threshold, digit_coverage
from tinygan.questions.baselines import baselines, expected_high_quality, uniform_blob, uniform_circle
from tinygan.metrics import (evaluate_samples, js_from_d_loss, mode_coverage, sliced_wasserstein,
                             wasserstein_1d)

finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)
samples_1d = arrays(np.float64, st.integers(1, 30), elements=finite)


# ----------------------------------------------------------------------------- mode coverage

def test_expected_high_quality_closed_forms():
    x = 4.5                                                       # 3^2 / 2
    assert expected_high_quality(1) == pytest.approx(math.erf(3 / math.sqrt(2)), abs=1e-12)
    assert expected_high_quality(1) == pytest.approx(0.9973, abs=1e-4)
    assert expected_high_quality(2) == pytest.approx(1 - math.exp(-x), abs=1e-12)
    assert expected_high_quality(2) == pytest.approx(0.9889, abs=1e-4)
    assert expected_high_quality(3) == pytest.approx(
        math.erf(3 / math.sqrt(2)) - math.sqrt(2 / math.pi) * 3 * math.exp(-x), abs=1e-12)
    assert expected_high_quality(4) == pytest.approx(1 - math.exp(-x) * (1 + x), abs=1e-12)
    assert expected_high_quality(2, n_std=1.0) == pytest.approx(1 - math.exp(-0.5), abs=1e-12)
    assert expected_high_quality(784) < 1e-100


@pytest.mark.parametrize("dim", [1, 2, 5])
def test_high_quality_matches_chi_distribution(dim):
    rng = np.random.default_rng(dim)
    x = 0.1 * rng.standard_normal((100_000, dim))
    hq = mode_coverage(x, np.zeros((1, dim)), std=0.1)["high_quality"]
    p = expected_high_quality(dim)
    assert abs(hq - p) < 4 * math.sqrt(p * (1 - p) / 100_000)


@pytest.mark.parametrize("ds", [ring(), grid(), ring(radius=2.0, std=0.02), grid(spacing=4.0)],
                         ids=["ring", "grid", "ring r2", "grid spacing 4"])
def test_a_perfect_sampler_scores_every_mode(ds):
    x = ds.sample(2500, np.random.default_rng(0))
    r = mode_coverage(x, ds.centers, ds.std)
    k = len(ds.centers)
    p = expected_high_quality(2)                                   # 0.989 in 2-D, not 0.997
    assert r["modes"] == r["balanced_modes"] == r["n_modes"] == k
    assert abs(r["high_quality"] - p) < 4 * math.sqrt(p * (1 - p) / 2500)
    assert sum(r["counts"]) == 2500 and len(r["counts"]) == len(r["hq_counts"]) == k
    assert sum(r["hq_counts"]) == round(r["high_quality"] * 2500)
    # a histogram of n draws from the uniform over K has E[KL] ~ (K - 1) / (2 n): 0.0014 on
    # the ring, 0.0049 on the grid; 0.02 is several of its standard deviations above both
    assert 0 <= r["reverse_kl"] < 0.02


def test_uniform_blob_scores_modes_but_no_balanced_mode():
    ds = grid()
    blob = uniform_blob(ds.centers, 2500, np.random.default_rng(0))
    assert blob.min() >= -5 and blob.max() <= 5 and blob.min() < -4.9 and blob.max() > 4.9
    r = mode_coverage(blob, ds.centers, ds.std)
    # each mode's high-quality disc (radius 0.15) holds 2500 pi 0.15^2 / 100 = 1.77 blob
    # points on average, so ~1 - e^-1.77 = 83 % of the modes get one; a balanced mode needs
    # 2500 / 25 / 3 = 33.3 of them
    assert r["modes"] >= 15 and r["balanced_modes"] == 0
    assert r["high_quality"] < 0.03


def test_uniform_circle_scores_every_ring_mode_but_no_balanced_mode():
    ds = ring()
    circle = uniform_circle(ds.centers, 2500, np.random.default_rng(0))
    np.testing.assert_allclose(np.linalg.norm(circle, axis=1), 1.0, rtol=1e-12)
    r = mode_coverage(circle, ds.centers, ds.std)
    # an arc of +-0.03 rad around each centre: 8 x 0.06 / (2 pi) = 7.6 % of the circle,
    # 24 samples per mode on average against the 104 a balanced mode needs
    assert r["modes"] == 8 and r["balanced_modes"] == 0
    assert abs(r["high_quality"] - 0.48 / (2 * math.pi)) < 4 * math.sqrt(0.0764 * 0.9236 / 2500)
    assert r["reverse_kl"] < 0.05                                  # even: the papers' KL is fooled


def test_baselines_apply_where_they_mean_something():
    rings, grids = baselines(ring(radius=2.0, std=0.02)), baselines(grid())
    assert set(rings) == {"uniform blob", "uniform circle"} and set(grids) == {"uniform blob"}
    assert rings["uniform circle"]["modes"] == 8
    assert all(r["balanced_modes"] == 0 for r in (*rings.values(), *grids.values()))
    with pytest.raises(ValueError, match="on one circle"):
        uniform_circle(grid().centers, 10, np.random.default_rng(0))
    box = uniform_blob(np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 6.0]]), 4000,
                       np.random.default_rng(0))                    # margin 1: [-1, 3] x [-1, 7]
    assert box.min(0) == pytest.approx([-1, -1], abs=0.01) and box.max(0) == pytest.approx([3, 7], abs=0.01)


def test_reverse_kl_and_balance_on_hand_built_histograms():
    c = ring().centers                                             # K = 8, std 0.01
    far = 1.5 * c[:1]                                              # nearest mode 0, not high quality
    x = np.concatenate([np.repeat(c[:1], 6, 0), np.repeat(c[1:2], 2, 0), np.repeat(far, 10, 0)])
    r = mode_coverage(x, c, 0.01)
    # q = (6/8, 2/8, 0, ...): KL = 3/4 log(8 * 3/4) + 1/4 log(8 * 1/4); far samples do not count
    assert r["reverse_kl"] == pytest.approx(0.75 * math.log(6) + 0.25 * math.log(2), abs=1e-12)
    assert r["hq_counts"] == [6, 2, 0, 0, 0, 0, 0, 0] and r["counts"] == [16, 2, 0, 0, 0, 0, 0, 0]
    assert r["modes"] == 2 and r["high_quality"] == pytest.approx(8 / 18)
    # fair share N / K = 18 / 8 = 2.25, a third of it 0.75: both hit modes are balanced
    assert r["balanced_modes"] == 2
    c4 = grid(k=2).centers                                         # 4 modes, spacing 2
    x = np.concatenate([np.repeat(c4[:1], 30, 0), c4[1:2], np.repeat(c4[2:3], 3, 0)])
    r = mode_coverage(x, c4, 0.05)
    # N / K = 34 / 4 = 8.5, a third 2.83: mode 0 (30) and mode 2 (3) count, mode 1 (1) does not
    assert r["modes"] == 3 and r["balanced_modes"] == 2
    q = np.array([30, 1, 3]) / 34
    assert r["reverse_kl"] == pytest.approx(float(np.sum(q * np.log(4 * q))), abs=1e-12)
    assert mode_coverage(x, c4, 0.05, balance=0.1)["balanced_modes"] == 3   # 0.1 x 8.5 = 0.85


@pytest.mark.parametrize("name", ["ring", "grid"])
def test_collapse_to_one_mode(name):
    ds = get_dataset(name)
    k = len(ds.centers)
    x = ds.centers[3] + ds.std * np.random.default_rng(0).standard_normal((500, 2)) * 0.5
    r = mode_coverage(x, ds.centers, ds.std)
    assert r["modes"] == r["balanced_modes"] == 1 and r["high_quality"] == 1.0
    assert r["reverse_kl"] == pytest.approx(math.log(k), abs=1e-12)
    assert r["counts"][3] == r["hq_counts"][3] == 500


def test_reverse_kl_half_the_modes_and_no_high_quality_sample():
    centers = get_dataset("ring").centers
    x = np.repeat(centers[:4], 25, axis=0)                         # 4 of 8 modes, evenly
    r = mode_coverage(x, centers, 0.01)
    assert r["modes"] == 4 and r["reverse_kl"] == pytest.approx(math.log(2), abs=1e-12)
    assert mode_coverage(np.repeat(centers, 3, 0), centers, 0.01)["reverse_kl"] == 0.0
    far = 1.5 * centers[:2]                                        # nearest modes 0 and 1
    r = mode_coverage(far, centers, 0.01)
    assert r["modes"] == r["balanced_modes"] == 0 and r["high_quality"] == 0.0
    assert r["counts"][:2] == [1, 1] and math.isnan(r["reverse_kl"])   # q is undefined


def test_high_quality_is_strictly_within_n_std():
    # PacGAN's code tests distance / std < 3; at exactly 3 std a sample is not high quality
    c = np.zeros((1, 2))
    assert mode_coverage([[1.5, 0.0]], c, 0.5)["high_quality"] == 0.0
    assert mode_coverage([[1.4999, 0.0]], c, 0.5)["high_quality"] == 1.0


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200), k=st.integers(1, 9))
def test_mode_coverage_invariants(seed, n, k):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, 3))
    x = rng.normal(size=(n, 3))
    r = mode_coverage(x, centers, std=rng.uniform(0.1, 1.0))
    assert sum(r["counts"]) == n and r["n_modes"] == k
    assert 0 <= r["balanced_modes"] <= r["modes"] <= min(k, n)
    assert 0 <= r["high_quality"] <= 1 and sum(r["hq_counts"]) == round(r["high_quality"] * n)
    assert all(h <= a for h, a in zip(r["hq_counts"], r["counts"]))
    if r["high_quality"] == 0:
        assert math.isnan(r["reverse_kl"])
    else:
        assert -1e-12 <= r["reverse_kl"] <= math.log(k) + 1e-12


def test_mode_coverage_matches_brute_force_across_chunks():
    rng = np.random.default_rng(0)
    x, c = rng.normal(size=(5000, 3)), rng.normal(size=(6, 3))     # 5000 > one 4096 chunk
    d = np.linalg.norm(x[:, None] - c[None], axis=-1)
    nearest, good = d.argmin(1), d.min(1) < 3 * 0.2
    r = mode_coverage(x.astype(np.float32), c, 0.2)
    assert r["counts"] == np.bincount(nearest, minlength=6).tolist()
    assert np.abs(np.array(r["hq_counts"]) - np.bincount(nearest[good], minlength=6)).sum() <= 2
    assert r["high_quality"] == pytest.approx(good.mean(), abs=2 / 5000)
    assert r["modes"] == np.unique(nearest[good]).size


def test_mode_coverage_large_images():
    # 10k x 784 x 10 must not build a (N, K, D) tensor; nearest template must be right
    rng = np.random.default_rng(0)
    t = rng.uniform(-1, 1, size=(10, 784))
    labels = rng.integers(10, size=10_000)
    x = (t[labels] + 0.05 * rng.standard_normal((10_000, 784))).astype(np.float32)
    r = mode_coverage(x, t, std=0.05, n_std=3.0 * math.sqrt(784) / 3)   # radius 0.05*sqrt(D)
    assert r["counts"] == np.bincount(labels, minlength=10).tolist()
    assert r["modes"] == 10


def test_mode_coverage_errors():
    with pytest.raises(ValueError, match="dimension 3 but centers have dimension 2"):
        mode_coverage(np.zeros((4, 3)), np.zeros((2, 2)), 0.1)
    with pytest.raises(ValueError, match="positive"):
        mode_coverage(np.zeros((4, 2)), np.zeros((2, 2)), 0.0)
    with pytest.raises(ValueError, match="NaN"):
        mode_coverage(np.full((4, 2), np.nan), np.zeros((2, 2)), 0.1)
    with pytest.raises(ValueError, match="balance must be in"):
        mode_coverage(np.zeros((4, 2)), np.zeros((2, 2)), 0.1, balance=0.0)


# ----------------------------------------------------------------------------- digits

@pytest.fixture(scope="module")
def digits8():
    return get_dataset("digits", size=8)


def test_real_digits_are_covered(digits8):
    x, labels = digits8.sample_with_labels(3000, np.random.default_rng(7))
    r = digit_coverage(x, digits8.templates, digits8.threshold)
    assert r["modes"] == 10 and r["n_modes"] == 10
    assert 0.97 <= r["high_quality"] <= 1.0
    assert r["reverse_kl"] < 0.01
    # nearest-template assignment recovers the labels (the histogram matches)
    assert np.abs(np.array(r["counts"]) - np.bincount(labels, minlength=10)).sum() < 0.02 * 3000


def test_junk_images_are_not_high_quality(digits8):
    rng = np.random.default_rng(0)
    thr = digits8.threshold
    noise = rng.uniform(-1, 1, size=(500, 64))
    blank = -np.ones((5, 64))
    assert digit_coverage(noise, digits8.templates, thr)["high_quality"] == 0.0
    assert digit_coverage(blank, digits8.templates, thr)["high_quality"] == 0.0


def test_collapsed_digits_and_shift_alignment(digits8):
    x = np.repeat(digits8.templates[7:8], 40, axis=0)
    r = digit_coverage(x, digits8.templates, digits8.threshold)
    assert r["modes"] == 1 and r["reverse_kl"] == pytest.approx(math.log(10), abs=1e-12)
    # the template moved one pixel left still matches exactly when alignment is on
    t = digits8.templates[2].reshape(8, 8)
    moved = np.full((8, 8), -1.0)
    moved[:, :-1] = t[:, 1:]
    assert np.all(t[:, 0] == -1)                                     # nothing pushed out
    r = digit_coverage(moved.reshape(1, 64), digits8.templates, 1e-9)
    assert r["counts"][2] == 1 and r["high_quality"] == 1.0
    r0 = digit_coverage(moved.reshape(1, 64), digits8.templates, 1e-9, max_shift=0)
    assert r0["high_quality"] == 0.0
    with pytest.raises(ValueError, match="not square"):
        digit_coverage(np.zeros((2, 10)), np.zeros((3, 10)), 0.5)


def test_calibrate_threshold_is_a_quantile(digits8):
    x = digits8.sample(1000, np.random.default_rng(3))
    thr = calibrate_threshold(x, digits8.templates, quantile=0.9)
    hq = digit_coverage(x, digits8.templates, thr)["high_quality"]
    assert hq == pytest.approx(0.9, abs=0.002)
    assert thr < calibrate_threshold(x, digits8.templates, quantile=0.99)


# ----------------------------------------------------------------------------- Wasserstein

def test_w1_closed_forms():
    assert wasserstein_1d([0.0], [3.0]) == 3.0                     # two point masses
    assert wasserstein_1d([0.0, 0.0], [0.0, 1.0]) == 0.5
    assert wasserstein_1d([0.0], [0.0, 1.0]) == 0.5                # different sizes
    assert wasserstein_1d([0.0, 1.0, 2.0], [1.0]) == pytest.approx(2 / 3)
    assert wasserstein_1d(np.array([[1.0], [2.0]]), [1.5]) == 0.5  # (n, 1) accepted
    # U[0,1] vs U[0,1] + 0.25, and vs a point mass at 0: W1 = 0.25 and 0.5
    u = np.linspace(0, 1, 2001)
    assert wasserstein_1d(u, u + 0.25) == pytest.approx(0.25, abs=1e-12)
    assert wasserstein_1d(u, [0.0]) == pytest.approx(0.5, abs=1e-12)


@given(a=samples_1d, c=st.floats(-10, 10))
def test_w1_shift_is_the_shift(a, c):
    assert wasserstein_1d(a, a + c) == pytest.approx(abs(c), abs=1e-9)


@given(a=samples_1d, b=samples_1d)
def test_w1_symmetric_and_matches_equal_size_form(a, b):
    w = wasserstein_1d(a, b)
    assert w == pytest.approx(wasserstein_1d(b, a), rel=1e-12, abs=1e-12)
    assert w >= abs(a.mean() - b.mean()) - 1e-9                  # W1 >= |mean difference|
    # repeating a m times and b n times leaves both distributions unchanged and makes
    # the sizes equal, where W1 = mean |sorted - sorted|
    ra, rb = np.sort(np.repeat(a, len(b))), np.sort(np.repeat(b, len(a)))
    assert w == pytest.approx(np.abs(ra - rb).mean(), rel=1e-9, abs=1e-9)


def test_w1_errors():
    with pytest.raises(ValueError, match="1-D sample"):
        wasserstein_1d(np.zeros((3, 2)), [1.0])
    with pytest.raises(ValueError, match="1-D sample"):
        wasserstein_1d([], [1.0])


def test_sliced_wasserstein():
    rng = np.random.default_rng(0)
    a = get_dataset("grid").sample(500, rng)
    assert sliced_wasserstein(a, a, np.random.default_rng(1)) == 0.0
    # a shift by s e1 moves every projection by s |theta_1|: SW = s mean|theta_1|
    theta = np.random.default_rng(1).standard_normal((2, 128))
    mean_abs = np.abs(theta[0] / np.linalg.norm(theta, axis=0)).mean()
    previous = 0.0
    for s in (0.5, 1.0, 2.0, 4.0):
        sw = sliced_wasserstein(a, a + [s, 0.0], np.random.default_rng(1))
        assert sw == pytest.approx(s * mean_abs, rel=1e-9)
        assert sw > previous
        previous = sw
    assert mean_abs == pytest.approx(2 / math.pi, abs=0.06)         # E|cos phi| in 2-D
    x = rng.normal(size=(300, 1))
    y = rng.normal(size=(200, 1)) + 1
    assert sliced_wasserstein(x, y, rng, 4) == pytest.approx(wasserstein_1d(x, y), rel=1e-12)
    with pytest.raises(ValueError, match="n_projections"):
        sliced_wasserstein(a, a, rng, 0)


# ----------------------------------------------------------------------------- D-based

def test_js_from_d_loss():
    assert js_from_d_loss(2 * math.log(2)) == pytest.approx(0.0, abs=1e-15)
    assert js_from_d_loss(0.0) == pytest.approx(math.log(2))
    # D = 0.8 on real and 0.2 on fake: L_D = -2 log 0.8
    assert js_from_d_loss(-2 * math.log(0.8)) == pytest.approx(math.log(2) + math.log(0.8))
    np.testing.assert_allclose(js_from_d_loss(np.array([0.0, 2 * math.log(2)])),
                               [math.log(2), 0.0], atol=1e-15)


# ----------------------------------------------------------------------------- all at once

def test_evaluate_samples_picks_the_metrics_that_apply():
    rng = np.random.default_rng(0)
    ring = get_dataset("ring")
    good = evaluate_samples(ring, ring.sample(1000, rng), np.random.default_rng(1))
    collapsed = evaluate_samples(ring, np.tile(ring.centers[:1], (1000, 1)),
                                 np.random.default_rng(1))
    assert good["modes"] == 8 and collapsed["modes"] == 1 and good["n_modes"] == 8
    assert good["balanced_modes"] == 8 and collapsed["balanced_modes"] == 1
    assert good["reverse_kl"] < 0.02 and collapsed["reverse_kl"] == pytest.approx(math.log(8))
    assert good["sliced_w"] < 0.05 < collapsed["sliced_w"] and "w1" not in good
    g = get_dataset("gaussian1d")
    r = evaluate_samples(g, g.sample(2000, rng) + 1.0, np.random.default_rng(1))
    assert r["w1"] == pytest.approx(1.0, abs=0.05) and "sliced_w" not in r
    d = get_dataset("digits")
    r = evaluate_samples(d, d.sample(300, rng), np.random.default_rng(1))
    assert r["modes"] == 10 and r["high_quality"] > 0.95 and r["threshold"] == d.threshold
    line = get_dataset("line")
    assert set(evaluate_samples(line, line.sample(50, rng), rng)) == {"sliced_w"}
    with pytest.raises(ValueError, match="dimension 3"):
        evaluate_samples(ring, np.zeros((5, 3)), rng)
