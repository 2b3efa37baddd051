"""Checks for exercise 8: instance noise, WGAN-GP interpolates and the gradient penalty.

tinygan's penalties work on a whole discriminator, so the penalty's reference is the formula
itself, lam * mean_i (||g_i|| - 1)^2, with its gradient taken by finite differences; the noise
and the interpolates are checked by their statistics and by the rng they draw from."""

import math

import numpy as np

from tinygan.exercises.compare import _check_shape, _compare, _error, _unchanged, _untouched
from tinygan.exercises.core import FD, Fail, _arrays, _hypothesis, _run, _student, _value_and_grad
from tinygan.gradcheck import numerical_gradient


def _penalty(g, lam):
    """WGAN-GP's penalty on per-sample input gradients: lam * mean_i (||g_i|| - 1)^2."""
    return lam * float(np.mean((np.linalg.norm(g, axis=1) - 1.0) ** 2))


def check_regularisers(m):
    st, hnp = _hypothesis()

    @st.composite
    def small(draw):
        n, d = draw(st.integers(2, 5)), draw(st.integers(2, 4))
        rng = np.random.default_rng(draw(st.integers(0, 2**20)))
        x_real = draw(_arrays(st, hnp, (n, d)))
        x_fake = x_real + rng.choice([-1.0, 1.0], (n, d)) * rng.uniform(0.5, 2.0, (n, d))
        grad = rng.standard_normal((n, d))
        grad *= rng.uniform(0.2, 2.0, (n, 1)) / np.linalg.norm(grad, axis=1, keepdims=True)
        return {"x_real": x_real, "x_fake": x_fake, "grad_x": grad, "seed": draw(st.integers(0, 2**20)),
                "sigma": draw(st.sampled_from([0.5, 2.0, 0.1, 3.0])), "lam": draw(st.sampled_from([10.0, 1.0, 0.1]))}

    def noise_shape(ex):
        x = ex["x_real"].copy()
        before = {"x": x.copy()}
        out = _student(m, "instance_noise", x, ex["sigma"], np.random.default_rng(ex["seed"]))
        _unchanged("instance_noise", before, x=x)
        _check_shape("the noisy x", out, x)
        if out is x:
            raise Fail("instance_noise returned x itself; return a new array x + noise")
        return None

    def noise_stats(ex):
        x = np.random.default_rng(ex["seed"]).uniform(-3, 3, (4000, 2))
        out = _student(m, "instance_noise", x.copy(), ex["sigma"], np.random.default_rng(ex["seed"] + 1))
        noise = np.asarray(out, dtype=np.float64) - x
        if noise.shape != x.shape:
            raise Fail(f"the noisy x has shape {noise.shape}; it should keep x's shape {x.shape}")
        std, mean, sigma = float(noise.std()), float(noise.mean()), ex["sigma"]
        err = abs(std - sigma) / sigma
        if abs(mean) > 5 * sigma / math.sqrt(noise.size):
            raise Fail(f"the noise has mean {mean:.3g}; it should have mean 0 (use a centred "
                       "Gaussian, N(0, sigma^2))", err)
        if err > 0.05:
            why = ("you scaled by sigma^2, the variance; scale the standard normal by sigma"
                   if abs(std - sigma ** 2) < 0.05 * sigma ** 2 else
                   "scale standard normal draws by sigma: x + sigma * rng.standard_normal(x.shape)")
            raise Fail(f"the noise has standard deviation {std:.3g} but sigma = {sigma:.3g}: {why}", err)
        return err

    def noise_rng(ex):
        x = ex["x_real"]
        a = _student(m, "instance_noise", x.copy(), ex["sigma"], np.random.default_rng(ex["seed"]))
        rng = np.random.default_rng(ex["seed"])
        b = _student(m, "instance_noise", x.copy(), ex["sigma"], rng)
        c = _student(m, "instance_noise", x.copy(), ex["sigma"], rng)
        if not np.array_equal(np.asarray(a), np.asarray(b)):
            raise Fail("two generators with the same seed gave different noise: draw from the "
                       "rng you are given (rng.standard_normal), never from np.random")
        if np.array_equal(np.asarray(b), np.asarray(c)):
            raise Fail("two calls with the same rng gave the same noise: draw fresh noise from "
                       "rng on every call (do not build a new generator inside)")
        z = _student(m, "instance_noise", x.copy(), 0.0, np.random.default_rng(ex["seed"]))
        return _compare("instance_noise(x, sigma=0)", z, x)

    def student_interp(ex):
        """The student's x_hat, and for each row the eps that puts it nearest to that row."""
        x_real, x_fake = ex["x_real"], ex["x_fake"]
        out = _student(m, "interpolates", x_real.copy(), x_fake.copy(), np.random.default_rng(ex["seed"]))
        _check_shape("x_hat", out, x_real)
        out = np.asarray(out, dtype=np.float64)
        d = x_real - x_fake
        t = np.sum((out - x_fake) * d, axis=1) / np.sum(d * d, axis=1)
        return out, t

    def interp_line(ex):
        out, t = student_interp(ex)
        want = t[:, None] * ex["x_real"] + (1 - t[:, None]) * ex["x_fake"]
        err = _error(out, want, 1e-12)
        if err > 1e-9:
            raise Fail("a row of x_hat is not on the line between its real and fake rows: draw "
                       "one eps per sample, shape (N, 1), and use it for every coordinate", err)
        if np.any(t < -1e-12) or np.any(t > 1 + 1e-12):
            raise Fail(f"x_hat = eps x_real + (1 - eps) x_fake needs 0 <= eps <= 1; you have "
                       f"eps = {t}", err)
        return err

    def interp_uniform(ex):
        rng = np.random.default_rng(ex["seed"])
        big = {"x_real": rng.standard_normal((4000, 2)), "seed": ex["seed"]}
        big["x_fake"] = big["x_real"] + 1.0
        t = student_interp(big)[1]
        if abs(t.mean() - 0.5) > 0.03 or t.min() > 0.02 or t.max() < 0.98:
            raise Fail(f"eps should be uniform on [0, 1] (rng.uniform); yours has mean "
                       f"{t.mean():.3f}, min {t.min():.3f}, max {t.max():.3f}")
        return abs(t.mean() - 0.5)

    def student_penalty(ex, g=None):
        g = ex["grad_x"].copy() if g is None else g
        return _value_and_grad(m, "gradient_penalty", "grad_x", g, ex["lam"])

    def penalty_value(ex):
        g, lam = ex["grad_x"], ex["lam"]
        return _compare("the penalty", student_penalty(ex)[0], _penalty(g, lam), n=g.shape[0], variants=[
            (lam * np.mean((np.linalg.norm(g, axis=0) - 1) ** 2), "take the norm of each row "
             "(axis=1): one input gradient per sample"),
            (lam * np.mean((np.sum(g * g, axis=1) - 1) ** 2), "use the norm ||g_i||, not its "
             "square, inside (||g_i|| - 1)^2")])

    def penalty_grad(ex):
        g = ex["grad_x"]
        num = numerical_gradient(lambda v: _penalty(v, ex["lam"]), g.copy())
        return _compare("dgrad_x", student_penalty(ex)[1], num, FD, n=g.shape[0])

    def penalty_pure(ex):
        _untouched("gradient_penalty", lambda grad_x: student_penalty(ex, grad_x), grad_x=ex["grad_x"])

    c = small()
    return [
        _run("instance_noise: a new array of x's shape; x unchanged", c, noise_shape),
        _run("instance_noise: the noise has mean 0 and std sigma", c, noise_stats, examples=4),
        _run("instance_noise: draws from the rng it is given; sigma = 0 adds nothing", c, noise_rng),
        _run("interpolates: each row is eps x_real + (1 - eps) x_fake", c, interp_line),
        _run("interpolates: eps is uniform on [0, 1]", c, interp_uniform, examples=3),
        _run("gradient_penalty: value is lam * mean (||g_i|| - 1)^2", c, penalty_value),
        _run("gradient_penalty: dgrad_x matches finite differences", c, penalty_grad),
        _run("gradient_penalty leaves grad_x unchanged", c, penalty_pure),
    ]
