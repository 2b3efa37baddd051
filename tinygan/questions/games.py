"""Two-player games small enough to solve by hand: the bilinear game x*y and the Dirac-GAN.

Both answer one question (Q4 in docs/references.md#q4): why does simultaneous gradient descent not
find the Nash equilibrium of a GAN, and what does?

Bilinear game  min_x max_y f(x, y) = x*y.  Its only equilibrium is (0, 0). The gradient
field (-df/dx, +df/dy) = (-y, x) is a pure rotation: following it never gets closer.

Dirac-GAN (Mescheder, Geiger, Nowozin 2018, "Which Training Methods for GANs do actually
Converge?"). Data = point mass at 0, generator = point mass at theta, discriminator
D(x) = psi * x. With the link f(t) = -log(1 + exp(-t)) the GAN objective is
    L(theta, psi) = f(D(fake)) + f(-D(real)) = f(psi * theta) + f(0),
the generator minimises it and the discriminator maximises it. Equilibrium: (0, 0).
The training vector field (what gradient steps follow) is
    v(theta, psi) = (-dL_G/dtheta, +dL_D/dpsi) = (-psi f'(psi theta), theta f'(psi theta)).
"""

import numpy as np

# ---------------------------------------------------------------- the bilinear game x*y


def _start(x, y, eta, steps, name="eta"):
    """Validate the arguments and return an empty trajectory with row 0 = (x, y)."""
    if not np.isfinite(eta) or eta <= 0:
        raise ValueError(f"step size {name} must be a positive number, got {eta!r}")
    if int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, got {steps!r}")
    path = np.empty((int(steps) + 1, 2))
    path[0] = x, y
    return path


def simultaneous_gd(x, y, eta, steps):
    """Simultaneous gradient descent-ascent on f = x*y; returns the path, shape (steps+1, 2).

    x' = x - eta * y     (x descends df/dx = y)
    y' = y + eta * x     (y ascends df/dy = x), both read the old point.
    The map is a rotation times sqrt(1 + eta^2): the radius grows every step.
    """
    path = _start(x, y, eta, steps)
    for t in range(len(path) - 1):
        x, y = x - eta * y, y + eta * x
        path[t + 1] = x, y
    return path


def alternating_gd(x, y, eta, steps):
    """Alternating gradient descent-ascent on f = x*y; returns the path, shape (steps+1, 2).

    x' = x - eta * y
    y' = y + eta * x'    (y already sees the new x)
    The map has determinant 1 and conserves x^2 + y^2 - eta*x*y (see alternating_invariant).
    """
    path = _start(x, y, eta, steps)
    for t in range(len(path) - 1):
        x = x - eta * y
        y = y + eta * x
        path[t + 1] = x, y
    return path


def extragradient(x, y, eta, steps):
    """Extragradient (Korpelevich 1976) on f = x*y; returns the path, shape (steps+1, 2).

    look-ahead:  x~ = x - eta * y,   y~ = y + eta * x
    update:      x' = x - eta * y~,  y' = y + eta * x~    (gradient read at the look-ahead)
    Written out: x' = (1 - eta^2) x - eta y, y' = eta x + (1 - eta^2) y: a rotation times
    sqrt(1 - eta^2 + eta^4), which is < 1 for 0 < eta < 1 (see extragradient_factor).
    """
    path = _start(x, y, eta, steps)
    for t in range(len(path) - 1):
        xa, ya = x - eta * y, y + eta * x          # look-ahead step
        x, y = x - eta * ya, y + eta * xa          # real step, look-ahead gradient
        path[t + 1] = x, y
    return path


def optimistic_gd(x, y, eta, steps):
    """Optimistic gradient descent-ascent (Daskalakis et al. 2018); path shape (steps+1, 2).

    x_{t+1} = x_t - 2 eta y_t + eta y_{t-1}
    y_{t+1} = y_t + 2 eta x_t - eta x_{t-1}
    i.e. a gradient step plus a correction eta*(g_t - g_{t-1}) that anticipates the rotation.
    Convention: (x_{-1}, y_{-1}) = (x_0, y_0), so the first step is plain simultaneous GD.
    """
    path = _start(x, y, eta, steps)
    xp, yp = x, y
    for t in range(len(path) - 1):
        x, y, xp, yp = x - 2 * eta * y + eta * yp, y + 2 * eta * x - eta * xp, x, y
        path[t + 1] = x, y
    return path


METHODS = {
    "simultaneous": simultaneous_gd,
    "alternating": alternating_gd,
    "extragradient": extragradient,
    "optimistic": optimistic_gd,
}


def bilinear(method, x0, y0, eta, steps):
    """Run `method` (a key of METHODS) on f = x*y from (x0, y0); path shape (steps+1, 2)."""
    if method not in METHODS:
        raise ValueError(f"unknown bilinear method {method!r}; choose one of {sorted(METHODS)}")
    return METHODS[method](float(x0), float(y0), float(eta), steps)


def simultaneous_radius(r0, eta, t):
    """Exact radius after t simultaneous steps: r_t = r0 * (1 + eta^2)^(t/2). Broadcasts."""
    return np.asarray(r0, float) * (1.0 + np.asarray(eta, float) ** 2) ** (np.asarray(t) / 2)


def alternating_invariant(x, y, eta):
    """The quantity alternating GD conserves: H = x^2 + y^2 - eta*x*y. Broadcasts.

    Proof: with x' = x - eta y and y' = y + eta x' we have y' - eta x' = y and x' + eta y = x, so
    H(x', y') = x'^2 + y'(y' - eta x') = x'^2 + y'y = x'(x' + eta y) + y^2 = x'x + y^2 = H(x, y).
    H is a positive-definite ellipse exactly when eta^2 < 4, so for eta < 2 the orbit is bounded.
    """
    return x * x + y * y - eta * x * y


def extragradient_factor(eta):
    """Per-step radius factor of extragradient on x*y: sqrt(1 - eta^2 + eta^4).

    The step is (1 - eta^2) * identity + eta * rotation, i.e. multiplication by (1 - eta^2) + i eta
    in complex form, whose modulus is sqrt((1 - eta^2)^2 + eta^2) = sqrt(1 - eta^2 + eta^4).
    """
    eta = np.asarray(eta, float)
    return np.sqrt(1.0 - eta**2 + eta**4)


def optimistic_factor(eta):
    """Asymptotic per-step radius factor of optimistic GD on x*y (its spectral radius).

    In complex form z = x + i y the update is z_{t+1} = (1 + 2 i eta) z_t - i eta z_{t-1},
    with characteristic roots lambda = ((1 + 2 i eta) +- sqrt(1 - 4 eta^2)) / 2. The factor is
    max |lambda| = sqrt((1 + sqrt(1 - 4 eta^2)) / 2) for eta <= 1/2; it is < 1 iff eta < 1/sqrt(3).
    """
    eta = np.asarray(eta, float)
    disc = np.sqrt((1.0 - 4.0 * eta**2).astype(complex))
    roots = np.stack([(1 + 2j * eta + disc) / 2, (1 + 2j * eta - disc) / 2])
    return np.abs(roots).max(axis=0)


# ---------------------------------------------------------------- the Dirac-GAN


def link(t):
    """GAN link f(t) = -log(1 + exp(-t)) = log sigmoid(t), stable for any t."""
    return -np.logaddexp(0.0, -t)


def link_grad(t):
    """f'(t) = 1 / (1 + exp(t)) = sigmoid(-t); f'(0) = 1/2."""
    return np.exp(-np.logaddexp(0.0, t))


def link_hess(t):
    """f''(t) = -sigmoid(t) sigmoid(-t); f''(0) = -1/4."""
    return -np.exp(-np.logaddexp(0.0, t) - np.logaddexp(0.0, -t))


# Expectations over Gaussian noise use fixed Gauss-Hermite quadrature: sum_k w_k g(z_k) ~= E g(Z),
# Z ~ N(0, 1), exact for polynomials of degree < 2*41. Unlike Monte Carlo (the paper's notebook
# draws 1000 samples per step) it is deterministic and smooth, so trajectories are reproducible
# and the field is exactly the derivative of the quadrature objective.
_GH_Z, _GH_W = np.polynomial.hermite_e.hermegauss(41)
_GH_W = _GH_W / np.sqrt(2 * np.pi)


def gaussian_expectation(g, sigma):
    """E g(sigma * Z), Z ~ N(0, 1), by 41-point Gauss-Hermite quadrature; g maps eps -> array."""
    return sum(w * g(sigma * z) for z, w in zip(_GH_Z, _GH_W))


# Defaults, notebook-like (h = 0.2, theta0 = psi0 = 1, 500 steps):
#   wgan:            critic weight clipped to [-clip, clip], clip 0.3
#   wgan_gp:         penalty gamma/2 (|psi| - g0)^2 (the paper's form; Gulrajani's lambda = gamma/2)
#   instance_noise:  N(0, sigma^2) noise on real and fake inputs of D, sigma 0.7
#   r1:              gamma/2 psi^2 on real data, gamma 0.3 (in the Dirac-GAN, R2 is the same term)
#   consensus:       v - gamma * grad(|v|^2 / 2) on the GAN field, gamma 1
#   rpgan:           the relativistic pairing loss (each fake against a real partner), with
#                    R1 and R2 at one weight gamma (0: no penalty). Here the real point is 0, so
#                    D(real) = psi * 0 = 0 and the pairing D(fake) - D(real) is psi theta itself:
#                    G minimises softplus(-psi theta) read in D's sign, which is the NS-GAN's
#                    -f(-psi theta), and D maximises f(psi theta). R1 (at the real point) and R2
#                    (at the fake one) each add -gamma/2 psi^2 to D's objective: |dD/dx| = |psi|
#                    wherever D looks.
DIRAC_DEFAULTS = {
    "gan": {},
    "nsgan": {},
    "wgan": {"clip": 0.3},
    "wgan_gp": {"gamma": 1.0, "g0": 0.3},
    "instance_noise": {"sigma": 0.7},
    "r1": {"gamma": 0.3},
    "consensus": {"gamma": 1.0},
    "rpgan": {"gamma": 0.0},
}
DIRAC_METHODS = tuple(DIRAC_DEFAULTS)
INTEGRATORS = ("simultaneous", "alternating")


def _params(method, given):
    """Merge `given` into the method's defaults; raise ValueError on unknown names or values."""
    if method not in DIRAC_DEFAULTS:
        raise ValueError(f"unknown Dirac-GAN method {method!r}; "
                         f"choose one of {list(DIRAC_METHODS)}")
    p = dict(DIRAC_DEFAULTS[method])
    extra = set(given) - set(p)
    if extra:
        raise ValueError(f"{method!r} takes parameters {sorted(p) or 'none'}, got {sorted(extra)}")
    p.update(given)
    for k, val in p.items():
        if not np.isfinite(val) or val < 0 or (k == "clip" and val == 0):
            raise ValueError(f"{method!r}: {k} must be a finite number >= 0 (clip > 0), "
                             f"got {val!r}")
    return p


def _gan_field_and_jacobian(th, ps):
    """Plain GAN field v and its Jacobian J = dv/d(theta, psi), with s = psi theta:
    v = (-psi f'(s), theta f'(s))
    J = [[-psi^2 f''(s), -(f'(s) + s f''(s))], [f'(s) + s f''(s), theta^2 f''(s)]]."""
    s = ps * th
    a, b = link_grad(s), link_hess(s)
    v = (-ps * a, th * a)
    J = ((-ps * ps * b, -(a + s * b)), (a + s * b, th * th * b))
    return v, J


def _field(method, th, ps, p):
    """The vector field (v_theta, v_psi) of `method` with resolved parameters `p`."""
    s = ps * th
    if method == "gan":
        return -ps * link_grad(s), th * link_grad(s)
    if method == "nsgan":                                   # G minimises -f(-s) instead
        return -ps * link_grad(-s), th * link_grad(s)
    if method == "wgan":                                    # f(t) = t, clipping in _project
        return -ps, th
    if method == "wgan_gp":                                 # d/dpsi of -gamma/2 (|psi| - g0)^2
        return -ps, th - p["gamma"] * (np.abs(ps) - p["g0"]) * np.sign(ps)
    if method == "instance_noise":                          # x -> x + eps on fake and on real
        sg = p["sigma"]
        vt = gaussian_expectation(lambda e: -ps * link_grad(ps * (th + e)), sg)
        vp = gaussian_expectation(lambda e: (th + e) * link_grad(ps * (th + e))
                                  - e * link_grad(-ps * e), sg)
        return vt, vp
    if method == "r1":                                      # d/dpsi of -gamma/2 psi^2
        return -ps * link_grad(s), th * link_grad(s) - p["gamma"] * ps
    if method == "rpgan":                                   # NS-GAN's G; R1 + R2: -gamma psi^2
        return -ps * link_grad(-s), th * link_grad(s) - 2 * p["gamma"] * ps
    # consensus: v - gamma * grad(|v|^2 / 2) = v - gamma * J^T v
    (v0, v1), ((j00, j01), (j10, j11)) = _gan_field_and_jacobian(th, ps)
    g = p["gamma"]
    return v0 - g * (j00 * v0 + j10 * v1), v1 - g * (j01 * v0 + j11 * v1)


def dirac_objectives(method, theta, psi, **params):
    """The two players' objectives: {"generator": L_G (minimised), "discriminator": L_D (maximised)}

    The vector field is v = (-dL_G/dtheta, dL_D/dpsi). Shapes broadcast over theta and psi.
    gan: L_G = L_D = f(psi theta) + f(0); nsgan: L_G = -f(-psi theta); wgan: L = psi theta;
    wgan_gp: L_D = psi theta - gamma/2 (|psi| - g0)^2; r1: L_D = L - gamma/2 psi^2;
    instance_noise: L = E f(psi (theta + e)) + E f(-psi e'), e, e' ~ N(0, sigma^2);
    rpgan: L_G = -f(-psi theta), L_D = f(psi theta) - gamma psi^2 (R1 + R2, gamma/2 psi^2 each);
    consensus: L_G = L + gamma/2 |v|^2, L_D = L - gamma/2 |v|^2 (both players shrink |v|).
    """
    p = _params(method, params)
    th, ps = np.asarray(theta, float), np.asarray(psi, float)
    s = ps * th
    L = link(s) + link(0.0)
    if method in ("gan", "r1"):
        return {"generator": L, "discriminator": L - p.get("gamma", 0.0) / 2 * ps**2}
    if method == "nsgan":
        return {"generator": -link(-s), "discriminator": L}
    if method == "rpgan":
        return {"generator": -link(-s), "discriminator": link(s) - p["gamma"] * ps**2}
    if method == "wgan":
        return {"generator": s, "discriminator": s}
    if method == "wgan_gp":
        return {"generator": s, "discriminator": s - p["gamma"] / 2 * (np.abs(ps) - p["g0"]) ** 2}
    if method == "instance_noise":
        Ln = gaussian_expectation(lambda e: link(ps * (th + e)) + link(-ps * e), p["sigma"])
        return {"generator": Ln, "discriminator": Ln}
    v0, v1 = _field("gan", th, ps, {})
    half_sq = 0.5 * (v0**2 + v1**2)
    return {"generator": L + p["gamma"] * half_sq, "discriminator": L - p["gamma"] * half_sq}


def dirac_vector_field(method, theta_grid, psi_grid, **params):
    """The training field (v_theta, v_psi) of `method` on a grid (for streamplots).

    theta_grid, psi_grid: arrays of one shape (e.g. from np.meshgrid); returns two arrays of
    that shape. A gradient step with step h moves (theta, psi) by h * v.
    """
    p = _params(method, params)
    th, ps = np.broadcast_arrays(np.asarray(theta_grid, float), np.asarray(psi_grid, float))
    v0, v1 = _field(method, th, ps, p)
    return np.broadcast_to(v0, th.shape).copy(), np.broadcast_to(v1, th.shape).copy()


def _project(method, psi, p):
    """WGAN weight clipping: psi <- clip(psi, -c, c) after every critic update."""
    return np.clip(psi, -p["clip"], p["clip"]) if method == "wgan" else psi


def dirac_trajectory(method, theta0=1.0, psi0=1.0, h=0.2, steps=500,
                     integrator="simultaneous", **params):
    """Train the Dirac-GAN by gradient steps; returns the path (theta_t, psi_t), shape (steps+1, 2).

    simultaneous:  (theta, psi) <- (theta, psi) + h v(theta, psi)
    alternating:   theta <- theta + h v_theta(theta, psi), then psi <- psi + h v_psi(theta_new, psi)
                   (generator first, one step each, as in the bilinear game).
    """
    p = _params(method, params)
    if integrator not in INTEGRATORS:
        raise ValueError(f"unknown integrator {integrator!r}; choose one of {list(INTEGRATORS)}")
    path = _start(theta0, psi0, h, steps, name="h")
    th, ps = float(theta0), float(psi0)
    for t in range(len(path) - 1):
        vt, vp = _field(method, th, ps, p)
        th = th + h * vt
        if integrator == "alternating":             # the discriminator sees the new theta
            vp = _field(method, th, ps, p)[1]
        ps = float(_project(method, ps + h * vp, p))
        path[t + 1] = th, ps
    return path


def dirac_jacobian(method, **params):
    """Jacobian of the field at the equilibrium (0, 0), in closed form; shape (2, 2).

    With a = f'(0) = 1/2 and b = f''(0) = -1/4:
      gan, nsgan:      [[0, -a], [a, 0]]           eigenvalues +-a i (purely imaginary)
      wgan:            [[0, -1], [1, 0]]           (f(t) = t; clipping is inactive near 0)
      instance_noise:  [[0, -a], [a, 2 b sigma^2]] eigenvalues b sigma^2 +- sqrt(b^2 sigma^4 - a^2)
      r1:              [[0, -a], [a, -gamma]]      eigenvalues (-gamma +- sqrt(gamma^2 - 4 a^2)) / 2
      consensus:       J - gamma J^T J = [[-gamma a^2, -a], [a, -gamma a^2]]
      rpgan:           [[0, -a], [a, -2 gamma]]    eigenvalues -gamma +- sqrt(gamma^2 - a^2)
                       (R1 + R2 at gamma damp like R1 alone at 2 gamma; gamma = 0: +-a i)
    R1 is critically damped (a double real eigenvalue) at gamma = 2 f'(0) = 1.
    nsgan damps only at third order: along its flow d/dt (theta^2 + psi^2)/2 = -s tanh(s/2), s = psi
    theta, too weak near 0 to beat the outward drift of finite steps (no linear rate).
    wgan_gp has none: its field jumps at psi = 0 (the sign(psi) in the penalty gradient).
    """
    p = _params(method, params)
    a, b = float(link_grad(0.0)), float(link_hess(0.0))
    if method in ("gan", "nsgan"):
        return np.array([[0.0, -a], [a, 0.0]])
    if method == "wgan":
        return np.array([[0.0, -1.0], [1.0, 0.0]])
    if method == "instance_noise":
        return np.array([[0.0, -a], [a, 2 * b * p["sigma"] ** 2]])
    if method == "r1":
        return np.array([[0.0, -a], [a, -p["gamma"]]])
    if method == "consensus":
        return np.array([[-p["gamma"] * a * a, -a], [a, -p["gamma"] * a * a]])
    if method == "rpgan":
        return np.array([[0.0, -a], [a, -2 * p["gamma"]]])
    raise ValueError("wgan_gp has no Jacobian at (0, 0): its field jumps across psi = 0; "
                     f"choose one of {[m for m in DIRAC_METHODS if m != 'wgan_gp']}")


def jacobian_eigenvalues(method, **params):
    """Eigenvalues of the Jacobian at (0, 0), complex, shape (2,), sorted by imaginary part.

    Gradient steps of size h multiply deviations by 1 + h*lambda: if Re(lambda) = 0 then
    |1 + h lambda| = sqrt(1 + h^2 |lambda|^2) > 1 for every h > 0, so simultaneous GD spirals out.
    """
    ev = np.linalg.eigvals(dirac_jacobian(method, **params)).astype(complex)
    return ev[np.argsort(ev.imag)]


DIRAC_TABLE_CONFIGS = (
    ("GAN", "gan", {}),
    ("NS-GAN", "nsgan", {}),
    ("WGAN (clip 0.3)", "wgan", {}),
    ("WGAN-GP", "wgan_gp", {}),
    ("instance noise (sigma 0.7)", "instance_noise", {}),
    ("R1 (gamma 0.3)", "r1", {"gamma": 0.3}),
    ("R1 (gamma 1)", "r1", {"gamma": 1.0}),
    ("consensus (gamma 1)", "consensus", {}),
    ("RpGAN", "rpgan", {}),
    ("RpGAN + R1 + R2 (gamma 0.3)", "rpgan", {"gamma": 0.3}),
)


def dirac_table(configs=DIRAC_TABLE_CONFIGS, integrators=INTEGRATORS, theta0=1.0, psi0=1.0,
                h=0.2, steps=500, tol=1e-2):
    """Run every (label, method, params) config with every integrator; one dict per run.

    Each row: label, method, params, integrator, distance = sqrt(theta^2 + psi^2) at the last
    step, max_distance over the run, converged = distance < tol, path (steps+1, 2).
    """
    rows = []
    for label, method, params in configs:
        for integ in integrators:
            path = dirac_trajectory(method, theta0, psi0, h, steps, integ, **params)
            dist = np.hypot(path[:, 0], path[:, 1])
            rows.append({"label": label, "method": method, "params": dict(params),
                         "integrator": integ, "distance": float(dist[-1]),
                         "max_distance": float(dist.max()), "converged": bool(dist[-1] < tol),
                         "path": path})
    return rows


# ---------------------------------------------------------------- sweeps over step and strength


def dirac_sweep(method, hs, strengths, param, theta0=1.0, psi0=1.0, steps=1000,
                integrator="simultaneous", **fixed):
    """Train the Dirac-GAN on a grid of step sizes and regulariser strengths, all at once.

    hs: (H,) step sizes; strengths: (S,) values of the method's parameter `param` (e.g. "gamma"
    for r1, "sigma" for instance_noise). Every pair is one run of `steps` gradient steps from
    (theta0, psi0), vectorised over the grid (the fields broadcast). Returns the final distance
    to (0, 0), shape (S, H) (NaN where a run overflowed).
    """
    H, S = np.meshgrid(np.asarray(hs, float), np.asarray(strengths, float))
    th, ps = np.full(H.shape, float(theta0)), np.full(H.shape, float(psi0))
    p = _params(method, {param: float(np.max(strengths)), **fixed})
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(int(steps)):
            q = {**p, param: S}
            vt, vp = _field(method, th, ps, q)
            th = th + H * vt
            if integrator == "alternating":
                vp = _field(method, th, ps, q)[1]
            ps = _project(method, ps + H * vp, p)
    return np.hypot(th, ps)


def linear_prediction(method, hs, strengths, param, r0=np.sqrt(2.0), steps=1000, **fixed):
    """What linear stability predicts for dirac_sweep's grid: (spectral radius, final distance).

    One simultaneous step multiplies a small deviation by I + h J, J the Jacobian at (0, 0);
    its spectral radius rho = max |1 + h lambda|. Linearised, the distance after `steps` steps
    is r0 rho^steps. Both of shape (S, H).
    """
    rho = np.empty((len(strengths), len(hs)))
    for i, s in enumerate(strengths):
        lam = np.linalg.eigvals(dirac_jacobian(method, **{param: float(s)}, **fixed))
        for j, h in enumerate(hs):
            rho[i, j] = np.abs(1 + h * lam).max()
    with np.errstate(over="ignore"):
        return rho, r0 * rho ** steps


def simulated_rate(method, h=0.05, steps=2000, r0=1e-6, **params):
    """The per-step contraction measured near (0, 0) beside the one the Jacobian predicts.

    Simultaneous steps from (r0, r0) with r0 tiny, so the field is linear to rounding.
    measured = exp(slope of log |x_t| against t), a least-squares fit over the second half of
    the run (the slower mode dominates by then; the fit averages out the wobble of a spiral
    whose Jacobian is not normal); predicted = max |1 + h lambda| over the closed-form
    eigenvalues. Returns (measured, predicted): dirac_jacobian checked against dirac_trajectory.
    """
    path = dirac_trajectory(method, r0, r0, h, steps, **params)
    t = np.arange(steps // 2, steps + 1)
    slope = np.polyfit(t, np.log(np.hypot(path[t, 0], path[t, 1])), 1)[0]
    return float(np.exp(slope)), float(np.abs(1 + h * jacobian_eigenvalues(method, **params)).max())


def r1_step_limit(gamma, a=0.5):
    """The largest step h for which simultaneous GD on the R1 Dirac-GAN is linearly stable.

    With lambda = (-gamma +- sqrt(gamma^2 - 4 a^2)) / 2: for gamma < 2a the pair is complex and
    |1 + h lambda|^2 = 1 - h gamma + h^2 a^2 < 1 iff h < gamma / a^2; for gamma >= 2a both are
    real and 1 + h lambda > -1 iff h < 2 / |lambda_min| = 4 / (gamma + sqrt(gamma^2 - 4 a^2)).
    At gamma = 0 the limit is 0: no step size converges. Broadcasts over gamma.
    """
    g = np.asarray(gamma, float)
    real = 4.0 / np.maximum(g + np.sqrt(np.maximum(g * g - 4 * a * a, 0.0)), 2 * a)
    return np.where(g < 2 * a, g / a ** 2, real)


# ---------------------------------------------------------------- the same game, a real 1-D GAN


def gan_1d_trajectory(config, start=(1.0, 1.0), record_every=1, point_mass=True):
    """Train a 1-D GAN with a linear G and a linear D: the Dirac-GAN's two numbers, for real.

    config: a tinygan Config with 1-D data, g_hidden = d_hidden = () (G(z) = w z + c, D's logit
    l(x) = psi x + b). The run starts at theta = c - (data mean) = start[0], psi = start[1],
    b = 0, and is trained by tinygan's Trainer (minibatches, the config's loss, optimizer and
    remedies). Every record_every steps it records theta and psi, the coordinates of the
    Dirac-GAN (Mescheder et al. 2018), whose equilibrium is (0, 0); D's bias b is free.
    point_mass: after every step G's weight w is set back to 0, so G is a point mass at c as
    in the Dirac-GAN (a projection, like weight clipping). Without it, G's spread w z blurs
    its samples the way instance noise does, and that alone damps the game.
    Returns a dict of arrays: step, theta, psi, d_bias.
    """
    from tinygan.gan import Trainer    # the lab's games are pure NumPy; only this one trains

    if config.g_hidden or config.d_hidden:
        raise ValueError("gan_1d_trajectory needs linear networks: g_hidden = d_hidden = ()")
    if config.standardize:
        raise ValueError("gan_1d_trajectory sets G and D in the data's own units; give standardize=False")
    trainer = Trainer(config)
    if trainer.data.dim != 1:
        raise ValueError(f"gan_1d_trajectory needs 1-D data, got {config.data!r}")
    mean = float(trainer.data.sample(100_000, np.random.default_rng(0)).mean())
    if point_mass:
        trainer.G.params["W1"][...] = 0.0
    trainer.G.params["b1"][...] = mean + start[0]
    trainer.D.params["W1"][...] = start[1]
    trainer.D.params["b1"][...] = 0.0
    rec = {"step": [], "theta": [], "psi": [], "d_bias": []}

    def record(tr, row=None):
        if point_mass:
            tr.G.params["W1"][...] = 0.0
        if tr.step % record_every == 0:
            rec["step"].append(tr.step)
            rec["theta"].append(float(tr.G.params["b1"][0]) - mean)
            rec["psi"].append(float(tr.D.params["W1"][0, 0]))
            rec["d_bias"].append(float(tr.D.params["b1"][0]))

    record(trainer)
    trainer.train(callback=record)
    return {k: np.asarray(v) for k, v in rec.items()}
