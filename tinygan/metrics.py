"""How good are the samples? Mode coverage, reverse KL, Wasserstein distances, JS from D.

    mode_coverage(samples, centers, std)       modes / high quality / reverse KL / balanced modes
    wasserstein_1d(a, b)                       exact W1 between two 1-D sample sets
    sliced_wasserstein(a, b, rng)              mean W1 over random 1-D projections
    js_from_d_loss(d_loss)                     JS estimate from a trained discriminator
    evaluate_samples(data, samples, rng)       every metric that applies to a data set

Distances are computed in float64 whatever the input dtype, and never as an (N, K, D)
tensor, so 10,000 images x 784 pixels x 10 templates fits in a few tens of MB. What to read
these numbers against (naive samplers, real data) is tinygan.questions.baselines.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["mode_coverage", "wasserstein_1d", "sliced_wasserstein", "js_from_d_loss", "evaluate_samples"]

_CHUNK = 4096   # rows per block when computing distances


def _as_2d(name, x):
    """`x` as a finite float64 (N, D) array; a 1-D input is N samples of dimension 1."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty (N, D) array (or (N,) for 1-D), "
                         f"got shape {np.shape(x)}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or inf")
    return a


def _pairs(samples, centers):
    x, c = _as_2d("samples", samples), _as_2d("centers", centers)
    if x.shape[1] != c.shape[1]:
        raise ValueError(f"samples have dimension {x.shape[1]} but centers have dimension "
                         f"{c.shape[1]}; they must match")
    return x, c


def _sq_dist(x, c):
    """Squared Euclidean distances (n, K) = |x|^2 - 2 x.c + |c|^2, clipped at 0."""
    d2 = (x * x).sum(1)[:, None] - 2.0 * (x @ c.T) + (c * c).sum(1)[None, :]
    return np.maximum(d2, 0.0)


def _coverage(nearest, good, n_modes, balance=1.0 / 3.0):
    """The shared report from each sample's nearest mode (N,) and high-quality flag (N,).

    hq_counts[k] = number of HIGH-QUALITY samples nearest to mode k; n_hq = sum_k hq_counts[k].
        modes          = #{k : hq_counts[k] >= 1}
        high_quality   = n_hq / N
        reverse_kl     = sum_k q_k log(K q_k),  q_k = hq_counts[k] / n_hq   (0 log 0 = 0)
        balanced_modes = #{k : hq_counts[k] >= 1 and hq_counts[k] >= balance * N / K}
    reverse_kl is NaN when no sample is high quality (q is undefined).
    """
    n, k = len(nearest), int(n_modes)
    counts = np.bincount(nearest, minlength=k)
    hq_counts = np.bincount(nearest[good], minlength=k)
    n_hq = int(hq_counts.sum())
    if n_hq:
        q = hq_counts / n_hq
        nz = q > 0                                          # 0 log 0 = 0: empty modes add nothing
        reverse_kl = float((q[nz] * np.log(k * q[nz])).sum())
    else:
        reverse_kl = float("nan")
    fair = n / k                                            # a mode's share of ALL N samples
    return {
        "modes": int(np.count_nonzero(hq_counts)),
        "high_quality": n_hq / n,
        "reverse_kl": reverse_kl,
        "balanced_modes": int(np.count_nonzero((hq_counts >= 1) & (hq_counts >= balance * fair))),
        "n_modes": k,
        "hq_counts": hq_counts.tolist(),
        "counts": counts.tolist(),
    }


def _nearest(x, c):
    """Each row's nearest centre (N,) and its Euclidean distance to it (N,), chunk by chunk."""
    nearest = np.empty(len(x), dtype=np.intp)
    dist = np.empty(len(x))
    for i in range(0, len(x), _CHUNK):
        xb = x[i:i + _CHUNK]
        k = _sq_dist(xb, c).argmin(1)
        nearest[i:i + _CHUNK] = k
        dist[i:i + _CHUNK] = np.sqrt(((xb - c[k]) ** 2).sum(1))   # exact, no cancellation
    return nearest, dist


def mode_coverage(samples, centers, std, n_std=3.0, balance=1.0 / 3.0):
    """Mode coverage of samples from a Gaussian mixture: the PacGAN / VEEGAN protocol, and
    a balance-aware count beside it.

    Each sample is assigned to its nearest centre (Euclidean; all modes share one std, so
    this is also the nearest in units of std). It is HIGH QUALITY if that distance is below
    n_std * std (strictly: PacGAN's code tests `distance / std < 3`). Then, with
    hq_counts[k] the high-quality samples nearest to centre k, n_hq their total, N all samples
    and K the number of modes:

        modes          modes with at least one high-quality sample (VEEGAN, PacGAN, GDPP)
        high_quality   n_hq / N
        reverse_kl     KL(q || uniform) = sum_k q_k log(K q_k), q_k = hq_counts[k] / n_hq:
                       the histogram of the HIGH-QUALITY samples only; empty modes contribute
                       0 (0 log 0 = 0) and are not smoothed. NaN when n_hq = 0.
        balanced_modes modes whose high-quality samples number at least balance * N / K
                       (default a third of the N / K a perfect sampler gives each mode)

    Where reverse_kl comes from. PacGAN's released code for the 2-D experiments (its
    MetricLogger) counts, per mode, only the samples within 3 std of it (nearest in units of
    std), and records the mode count, the fraction of such samples and the entropy H(q) of
    that histogram normalised to sum 1 (natural log); KL(q || uniform) = log K - H(q) is
    the same number as the sum above. Its stacked-MNIST code computes KL(p || uniform)
    directly, skipping the terms with p_k = 0 and adding no smoothing. So modes the
    generator misses do not raise reverse_kl by themselves; only the imbalance between the
    modes it does hit does. A perfect sampler still scores about (K - 1) / (2 n_hq) > 0, the
    bias of a histogram of n_hq draws (0.0014 for 8 modes, 0.005 for 25, with 2,500 samples).

    What the papers' numbers cannot see, and why balanced_modes is here: a sampler that
    spreads its mass evenly everywhere (a uniform blob over the grid, a uniform circle
    through the ring) puts a high-quality sample on most modes by chance, so it scores many
    `modes`, and its high-quality histogram is even up to counting noise (the uniform circle
    scores reverse_kl ~0.01 on the ring, better than most trained GANs). Its high_quality
    is tiny, though, and so is every mode's count: balanced_modes asks each mode for a
    third of its fair share of ALL the samples, N / K, as high-quality samples, which such a
    sampler cannot reach (see uniform_blob, uniform_circle). Measured against the fair share
    of the high-quality samples only, n_hq / K, a uniform blob would pass on nearly every
    mode it touches: it is perfectly balanced, just never sharp.

    Dimension matters when comparing to papers: "within 3 std" keeps 99.7 % of a 1-D
    Gaussian but only 1 - exp(-9/2) = 98.9 % of a 2-D isotropic one (the radius of a d-dim
    Gaussian is chi-distributed); see expected_high_quality(dim). So real 2-D ring or grid
    samples score ~98.9 % high quality, not 99.7 %.

    samples (N, D) or (N,); centers (K, D) or (K,); std > 0; 0 < balance <= 1. Returns a
    dict: modes, balanced_modes (ints), high_quality (float in [0, 1]), reverse_kl (float
    or NaN), n_modes (K), hq_counts (K ints: the high-quality histogram) and counts (K ints:
    the nearest-mode histogram of all samples).
    """
    x, c = _pairs(samples, centers)
    std, n_std = float(std), float(n_std)
    if not (std > 0 and n_std > 0):
        raise ValueError(f"std and n_std must be positive, got std={std}, n_std={n_std}")
    if not 0 < balance <= 1:
        raise ValueError(f"balance must be in (0, 1] (a fraction of a mode's fair share), got {balance!r}")
    nearest, dist = _nearest(x, c)
    return _coverage(nearest, dist < n_std * std, len(c), balance)


def _w1_columns(a, b):
    """Exact W1 between column j of a (n, P) and column j of b (m, P): (P,).

    W1 = integral |F_a(x) - F_b(x)| dx. Between consecutive values of the merged sorted
    sample both CDFs are constant: F_a = i/n and F_b = j/m, where i and j count the values
    of a and b seen so far, so |F_a - F_b| = |i m - j n| / (n m) exactly (integers).
    """
    n, m = len(a), len(b)
    vals = np.concatenate([a, b], axis=0)
    order = np.argsort(vals, axis=0, kind="stable")
    sorted_vals = np.take_along_axis(vals, order, axis=0)
    i = np.cumsum(order < n, axis=0)[:-1]                   # values of a seen so far
    j = np.arange(1, n + m)[:, None] - i                    # values of b seen so far
    gap = np.abs(i * m - j * n) / (n * m)
    return (gap * np.diff(sorted_vals, axis=0)).sum(0)


def _as_1d(name, x):
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sample, shape (n,) or (n, 1), "
                         f"got shape {np.shape(x)}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or inf")
    return a


def wasserstein_1d(a, b):
    """Exact Wasserstein-1 distance between two 1-D empirical distributions.

    W1(a, b) = integral |F_a(x) - F_b(x)| dx over the empirical CDFs, computed exactly on
    the merged sorted values (sizes may differ). For equal sizes this equals
    mean |sort(a) - sort(b)|. a (n,) or (n, 1); b (m,) or (m, 1). Returns a float.
    """
    a, b = _as_1d("a", a), _as_1d("b", b)
    return float(_w1_columns(a[:, None], b[:, None])[0])


def sliced_wasserstein(a, b, rng, n_projections=128):
    """Sliced Wasserstein-1: the mean of W1 between 1-D projections on random directions.

    SW(a, b) = mean_l W1(a theta_l, b theta_l), theta_l uniform on the unit sphere (a
    normalised Gaussian vector). 0 for identical sets; grows with their separation.
    a (n, D); b (m, D); rng a numpy Generator. Returns a float.
    """
    a, b = _pairs(a, b)
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator, e.g. np.random.default_rng(0)")
    if isinstance(n_projections, bool) or not isinstance(n_projections, (int, np.integer)) \
            or n_projections < 1:
        raise ValueError(f"n_projections must be a positive integer, got {n_projections!r}")
    theta = rng.standard_normal((a.shape[1], int(n_projections)))
    theta /= np.linalg.norm(theta, axis=0, keepdims=True)
    return float(_w1_columns(a @ theta, b @ theta).mean())


def js_from_d_loss(d_loss):
    """Jensen-Shannon estimate from a discriminator's loss: JS ~= log 2 - L_D / 2.

    L_D = E_P[-log D(x)] + E_Q[-log(1 - D(x))], the SUM of the real and fake terms (not their
    mean). For the optimal D, L_D = 2 log 2 - 2 JS(P || Q) (Goodfellow et al. 2014), and any
    other D has a larger loss, so this is a lower bound on JS that is tight for an optimal D:
    0 at L_D = 2 log 2 (D at chance), log 2 as L_D -> 0 (disjoint supports). A negative value
    means D is worse than chance. Accepts a float or an array; returns the same shape.
    """
    loss = np.asarray(d_loss, dtype=np.float64)
    if not np.all(np.isfinite(loss)):
        raise ValueError("d_loss contains NaN or inf")
    js = math.log(2.0) - loss / 2.0
    return float(js) if js.ndim == 0 else js


def evaluate_samples(data, samples, rng):
    """Every metric that applies to `data` (a tinygan.data data set), on generated samples.

    Always: w1 (dim 1, wasserstein_1d) or sliced_w (dim > 1, sliced_wasserstein) against as
    many fresh real samples drawn with `rng`. Mixtures (with centers and std) add
    mode_coverage's keys (modes, high_quality, reverse_kl over the high-quality samples,
    balanced_modes, n_modes, hq_counts, counts); image sets (with templates) add their
    coverage(samples) (tinygan.data.images: the same keys, plus threshold).
    samples (N, dim). Returns a flat dict of numbers (counts is a list).
    """
    x = _as_2d("samples", samples)
    if x.shape[1] != data.dim:
        raise ValueError(f"samples have dimension {x.shape[1]}, data set {data.name!r} has "
                         f"dimension {data.dim}")
    real = data.sample(len(x), rng)
    out = {}
    if data.dim == 1:
        out["w1"] = wasserstein_1d(real, x)
    else:
        out["sliced_w"] = sliced_wasserstein(real, x, rng)
    if getattr(data, "centers", None) is not None:
        out.update(mode_coverage(x, data.centers, data.std))
    elif getattr(data, "templates", None) is not None:
        out.update(data.coverage(x))
    return out
