"""Checks for exercise 10: the ring's centres, and mode coverage on a 2-D mixture (modes
captured by a high-quality sample, the high-quality fraction, reverse KL to the uniform
distribution over modes). The solutions are tinygan.data.ring and tinygan.metrics.mode_coverage."""

import numpy as np

from tinygan import metrics
from tinygan.exercises.compare import _compare, _untouched
from tinygan.exercises.core import Fail, _grad_dict, _hypothesis, _run, _student
from tinygan.data.toy import ring

COVERAGE_KEYS = ("modes", "high_quality", "reverse_kl")


def check_coverage(m):
    st, _ = _hypothesis()

    @st.composite
    def case(draw):
        k, radius = draw(st.integers(2, 8)), draw(st.sampled_from([1.0, 2.0]))
        std = draw(st.sampled_from([0.01, 0.02, 0.05]))
        rng = np.random.default_rng(draw(st.integers(0, 2**20)))
        used = rng.choice(k, size=draw(st.integers(1, k)), replace=False)   # some modes empty
        n = draw(st.integers(5, 60))
        spread = rng.choice([0.5, 1.5, 4.0, 20.0], size=(n, 1))            # in and out of 3 std
        if draw(st.integers(0, 5)) == 0:
            spread[:] = 20.0      # (almost surely) no high-quality sample: reverse KL undefined
        centers = ring(k, radius, std).centers
        samples = centers[rng.choice(used, n)] + std * spread * rng.standard_normal((n, 2))
        return {"k": k, "radius": radius, "std": std, "samples": samples, "centers": centers}

    def student_coverage(ex, samples=None, centers=None, n_std=3.0):
        samples = ex["samples"].copy() if samples is None else samples
        centers = ex["centers"].copy() if centers is None else centers
        out = _student(m, "mode_coverage", samples, centers, ex["std"], n_std, numeric_hint=(
            "An empty mode has p_k = 0, and its term p_k log(K p_k) is 0 (0 log 0 = 0): leave "
            "empty modes out of the sum."))
        return _grad_dict(out, "mode_coverage", COVERAGE_KEYS)

    def centers_check(ex):
        k, r = ex["k"], ex["radius"]
        a = np.linspace(0, 2 * np.pi, k)
        return _compare("the centres", _student(m, "ring_centers", k, r), ring(k, r).centers, variants=[
            (r * np.stack([np.cos(a), np.sin(a)], axis=1), "linspace(0, 2 pi, K) includes both 0 "
             "and 2 pi, so the first and last centres coincide: the angles are 2 pi j / K, "
             "j = 0..K-1"),
            (lambda: ring(k, 1.0).centers, "the centres should lie on the circle of the given radius")])

    def stats(ex, n_std=3.0):
        s, c, std = ex["samples"], ex["centers"], ex["std"]
        d = np.linalg.norm(s[:, None, :] - c[None, :, :], axis=2)
        near = d.argmin(1)
        good = d.min(1) <= n_std * std
        return s, c, std, d, near, good

    def modes(ex):
        s, c, std, d, near, good = stats(ex)
        want = metrics.mode_coverage(s, c, std)["modes"]
        return _compare("modes", student_coverage(ex)["modes"], want, variants=[
            (np.unique(near).size, "you counted every mode that is nearest to some sample; a mode "
             "is captured only if a HIGH-QUALITY sample (within n_std * std) is nearest to it"),
            (c.shape[0], "you returned K, the number of modes; count the captured ones")])

    def quality(ex):
        s, c, std, d, near, good = stats(ex)
        want = metrics.mode_coverage(s, c, std)["high_quality"]
        return _compare("high_quality", student_coverage(ex)["high_quality"], want, variants=[
            (np.mean(d.min(1) ** 2 <= 3 * std), "compare the distance itself (not its square) "
             "with n_std * std"),
            (np.mean(d.min(1) <= std), "a sample is high quality within n_std * std of its "
             "nearest centre, not within one std"),
            (np.sum(good), "high_quality is a fraction of the samples, not a count")])

    def reverse_kl(ex):
        s, c, std, d, near, good = stats(ex)
        got = student_coverage(ex)["reverse_kl"]
        p = np.bincount(near, minlength=len(c)) / len(near)
        over_all = np.sum(p[p > 0] * np.log(len(c) * p[p > 0]))
        all_hint = ("you took the histogram over ALL samples; the reverse KL is over the high-quality "
                    "samples only (q_j = the share of the high-quality samples nearest to centre j), "
                    "as PacGAN computes it")
        if not good.any():      # no high-quality sample: the histogram is empty
            if isinstance(got, (float, np.floating)) and np.isnan(got):
                return 0.0
            if isinstance(got, (float, np.floating)) and np.isclose(got, over_all):
                raise Fail(all_hint)
            raise Fail(f"no sample is high quality here, so the high-quality histogram is empty and "
                       f"the reverse KL is undefined: return float('nan'), not {got!r}")
        want = metrics.mode_coverage(s, c, std)["reverse_kl"]
        q = np.bincount(near[good], minlength=len(c)) / good.sum()
        nz = q > 0
        return _compare("reverse_kl", got, want, variants=[
            (over_all, all_hint),
            (np.sum(q[nz] * np.log2(len(c) * q[nz])), "use the natural log (np.log), not log2"),
            (np.sum(q[nz] * np.log(q[nz])), "KL to the uniform distribution is sum_k q_k log(K q_k): "
             "the K inside the log is missing")])

    def pure(ex):
        _untouched("mode_coverage", lambda samples, centers: student_coverage(ex, samples, centers),
                   samples=ex["samples"], centers=ex["centers"])

    c = case()
    return [
        _run("ring_centers: K points at angles 2 pi j / K, as tinygan.data.ring", c, centers_check),
        _run("mode_coverage: modes matches tinygan.metrics", c, modes),
        _run("mode_coverage: high_quality matches tinygan.metrics", c, quality),
        _run("mode_coverage: reverse_kl over the high-quality samples matches, finite with empty modes", c,
             reverse_kl),
        _run("mode_coverage leaves samples and centers unchanged", c, pure),
    ]
