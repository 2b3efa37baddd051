"""Q4: why does simultaneous gradient descent not find the Nash equilibrium?

Three experiments (docs/references.md#q4):
  * the bilinear game min_x max_y x*y under four update rules, checked against their closed
    forms (tinygan's own: no paper prints these numbers);
  * the Dirac-GAN of Mescheder, Geiger & Nowozin (2018): seven training methods, two
    integrators, against the paper's statements of which converge; then sweeps over the step
    size and the strength of R1 and of instance noise, against linear stability theory;
  * the same game in a real 1-D GAN trained by tinygan's Trainer (a point-mass generator and
    a linear discriminator with a bias, minibatches of data): G's mean and D's slope, step by step.

    tinygan demo nash_equilibrium [--quick]      (or python -m tinygan.questions.nash_equilibrium)
"""

import dataclasses
from pathlib import Path

import numpy as np

from tinygan.config import Config
from tinygan.questions.common import Checks, Claim, demo_main, over_seeds, pmap, row
from tinygan.questions import games
from tinygan.plots import games as gplots

# ---- settings ---------------------------------------------------------------------------
OUT = "runs/demos/nash_equilibrium"
ETA = 0.1                  # bilinear step size
START = (1.0, 1.0)         # bilinear start, radius sqrt(2)
BILINEAR_STEPS = 200
H = 0.2                    # Dirac-GAN step size, theta0 = psi0 = 1, 500 steps (the paper's notebook)
DIRAC_STEPS = 500
TOL = 1e-2                 # "converged" = distance to (0, 0) below this at the end
GRID, GRID_QUICK = 25, 13  # streamplot resolution
LIM = 2.2
CLIP = games.DIRAC_DEFAULTS["wgan"]["clip"]
# sweeps: step sizes and strengths (log-spaced), SWEEP_STEPS steps each from (1, 1)
SWEEP_H = (0.03, 0.06, 0.125, 0.25, 0.5, 1.0, 2.0, 3.5)
SWEEP_GAMMA = (0.0, 0.03, 0.07, 0.15, 0.3, 0.6, 1.2, 2.5, 5.0)
SWEEP_SIGMA = (0.0, 0.1, 0.2, 0.35, 0.5, 0.7, 1.0, 1.4)
SWEEP_STEPS = 1000
# the real 1-D GAN: data N(0, 0.01^2) (near a point mass), G a point mass (w held at 0), D
# linear with a bias; plain SGD with step REAL_H, minimax loss, batches of 64
REAL_H, REAL_STEPS = 0.05, 3000
REAL = {"GAN (no remedy)": {}, "non-saturating GAN": {"loss": "nonsaturating"},
        "R1 (gamma 1)": {"r1": 1.0}, "instance noise (sigma 0.7)": {"noise": 0.7}}
DIRAC_OF = {"GAN (no remedy)": ("gan", {}), "non-saturating GAN": ("nsgan", {}),
            "R1 (gamma 1)": ("r1", {"gamma": 1.0}), "instance noise (sigma 0.7)": ("instance_noise", {"sigma": 0.7})}
SEEDS = (0, 1, 2)
QUICK = dict(real_steps=400, seeds=(0,), sweep_steps=300)

# What Mescheder et al. (2018) state: does the method converge to the equilibrium?
PAPER_CONVERGES = {"gan": False, "nsgan": False, "wgan": False, "wgan_gp": False,
                   "instance_noise": True, "r1": True, "consensus": True}
PAPER_WHERE = "Mescheder et al. 2018, Secs 2-3 (statements; trajectories are plots)"

QUESTION = "Why does simultaneous gradient descent not find the Nash equilibrium of a GAN?"

# ---- the claims, fixed before the run ----------------------------------------------------
CLAIMS = {
    **{f"dirac_{m}": Claim(
        f"Dirac-GAN, {m}: {'converges' if ok else 'does not converge'} to (0, 0) within "
        f"{DIRAC_STEPS} steps of size {H} from (1, 1), with simultaneous and with alternating steps",
        f"{PAPER_WHERE}; 'converged' = distance below {TOL}, the notebook's settings.")
       for m, ok in PAPER_CONVERGES.items()},
    "gan_simultaneous_spirals_out": Claim(
        "Dirac-GAN, plain GAN, simultaneous steps: the distance ends above 1.5 x its start",
        "purely imaginary eigenvalues: every simultaneous step multiplies the radius by "
        "sqrt(1 + h^2 |lambda|^2) > 1 near the equilibrium."),
    "gan_alternating_cycles": Claim(
        "Dirac-GAN, plain GAN, alternating steps: the distance stays below 2 and above 1 over the last 100 steps",
        "alternating steps conserve a quantity to first order (as on x*y): bounded, never arriving."),
    "sweep_unregularised_never_converges": Claim(
        "sweeps: with strength 0 (no R1, no noise) no step size converges",
        "at strength 0 the eigenvalues are purely imaginary: |1 + h lambda| > 1 for every h > 0."),
    "sweep_expanding_steps_fail": Claim(
        "sweeps: no run converges where linear theory says a step expands (spectral radius of I + hJ above 1.01)",
        "a step that expands small deviations cannot settle at the equilibrium; 1.01 keeps the "
        "boundary itself out."),
    "sweep_matches_linear_theory": Claim(
        "sweeps: at least 90 % of the grid's runs agree with linear theory on 'converged within the "
        "steps' (r0 rho^steps below the tolerance)",
        "the nonlinear game differs from its linearisation only far from (0, 0) and near the "
        "boundary; 10 % leaves room for both."),
    "real_plain_circles": Claim(
        f"real 1-D GAN, no remedy: G's mean and D's slope are still more than half their starting "
        f"distance from the equilibrium after {REAL_STEPS} steps, on every seed",
        "the Dirac-GAN's prediction for alternating steps (the Trainer updates D, then G): cycles."),
    "real_r1_converges": Claim(
        "real 1-D GAN with R1 (gamma 1): within 0.01 of the equilibrium at the end, on every seed",
        "critical damping (gamma = 2 f'(0) = 1) converges fastest; minibatches of a near-point-mass "
        "data set add almost no noise."),
    "real_noise_converges": Claim(
        "real 1-D GAN with instance noise 0.7: within 0.15 of the equilibrium over the last 300 steps, on every seed",
        "noise damps the rotation but its samples keep jittering D: a floor, not 0 (pilot seeds "
        "100-101: below 0.06)."),
    "real_matches_dirac": Claim(
        "real 1-D GAN, no remedy and non-saturating: the final distance is within 15 % of the "
        "Dirac-GAN's (alternating steps, same step size), on every seed",
        "the real GAN adds a bias in D, updates D first and uses minibatches; 15 % covers those "
        "(pilot: 4-5 %)."),
}


# ============================================================ the bilinear game (closed forms)

def _bilinear(out, checks):
    x0, y0 = START
    r0 = np.hypot(x0, y0)
    t = np.arange(BILINEAR_STEPS + 1)
    paths = {m: games.bilinear(m, x0, y0, ETA, BILINEAR_STEPS) for m in games.METHODS}
    radius = {m: np.hypot(p[:, 0], p[:, 1]) for m, p in paths.items()}
    law = games.simultaneous_radius(r0, ETA, t)
    law_err = float(np.max(np.abs(radius["simultaneous"] / law - 1)))
    r100 = float(radius["simultaneous"][100])
    r100_closed = float(np.sqrt(2) * 1.01 ** 50)
    xa, ya = paths["alternating"].T
    H0 = games.alternating_invariant(x0, y0, ETA)
    drift = float(np.max(np.abs(games.alternating_invariant(xa, ya, ETA) / H0 - 1)))
    band = np.tile([np.sqrt(H0 / (1 + ETA / 2)), np.sqrt(H0 / (1 - ETA / 2))], (len(t), 1))
    eg_pred = float(games.extragradient_factor(ETA))
    eg_meas = float(np.exp(np.mean(np.diff(np.log(radius["extragradient"])))))
    ogd_pred = float(games.optimistic_factor(ETA))
    ogd_meas = float((radius["optimistic"][-1] / radius["optimistic"][-51]) ** (1 / 50))
    checks.self_check("radius_law", law_err < 1e-12,
                      "simultaneous GD on x*y: r_t = r_0 (1 + eta^2)^(t/2) at every step", f"{law_err:.0e}")
    checks.self_check("r100", abs(r100 - r100_closed) < 1e-12,
                      "r_100 from (1, 1) at eta 0.1 is sqrt(2) 1.01^50", f"{r100:.6f} vs {r100_closed:.6f}")
    checks.self_check("alternating_invariant", drift < 1e-12 and bool(radius["alternating"].max() <= band[0, 1] * (1 + 1e-12)),
                      "alternating GD conserves x^2 + y^2 - eta x y and stays in its ellipse", f"drift {drift:.0e}")
    checks.self_check("extragradient_factor", abs(eg_meas - eg_pred) < 1e-12 and radius["extragradient"][-1] < r0,
                      "extragradient shrinks the radius by sqrt(1 - eta^2 + eta^4) per step",
                      f"{eg_meas:.8f} vs {eg_pred:.8f}")
    checks.self_check("optimistic_factor", abs(ogd_meas - ogd_pred) < 1e-6 and radius["optimistic"][-1] < r0,
                      "optimistic GD shrinks the radius by its update's spectral radius",
                      f"{ogd_meas:.8f} vs {ogd_pred:.8f}")
    closed = {"simultaneous": law, "alternating": band, "extragradient": r0 * eg_pred ** t, "optimistic": None}
    fig = str(Path(out) / "bilinear.png")
    gplots.plot_bilinear(paths, ETA, closed, path=fig, marks=[
        (100, r100, f"r_100 = {r100:.3f} (closed form {r100_closed:.3f})"),
        (BILINEAR_STEPS, radius["optimistic"][-1],
         f"extragradient ({eg_pred:.5f}/step) and\noptimistic ({ogd_pred:.5f}/step) overlap", "left")])
    rows = [
        row("bilinear, simultaneous GD: radius after 100 steps from (1, 1), eta 0.1",
            paper="spirals out (Daskalakis et al. 2018; Gidel et al. 2019: statements)",
            closed_form=f"sqrt(2) 1.01^50 = {r100_closed:.4f}", measured=f"{r100:.4f}"),
        row("bilinear, alternating GD: relative drift of x^2 + y^2 - eta x y", paper="bounded (Gidel et al. 2019b)",
            closed_form="0 (conserved)", measured=f"{drift:.1e}"),
        row("bilinear, extragradient: radius factor per step", paper="converges (Korpelevich 1976)",
            closed_form=f"sqrt(1 - eta^2 + eta^4) = {eg_pred:.6f}", measured=f"{eg_meas:.6f}"),
        row("bilinear, optimistic GD: radius factor per step", paper="converges (Daskalakis et al. 2018)",
            closed_form=f"spectral radius {ogd_pred:.6f}", measured=f"{ogd_meas:.6f}"),
    ]
    return rows, fig


# ============================================================ the Dirac-GAN table

def _verdict(g):
    sim, alt = g["simultaneous"]["converged"], g["alternating"]["converged"]
    if sim and alt:
        return "converges"
    if not sim and not alt:
        return "does not converge"
    return f"sim: {'yes' if sim else 'no'}, alt: {'yes' if alt else 'no'}"


def _dirac(out, quick, checks):
    a = float(games.link_grad(0.0))
    ev_gan = games.jacobian_eigenvalues("gan")
    ev_r1 = games.jacobian_eigenvalues("r1", gamma=2 * a)
    checks.self_check("gan_eigenvalues_imaginary", bool(np.all(np.abs(ev_gan.real) < 1e-12))
                      and abs(ev_gan.imag.max() - a) < 1e-12,
                      "the GAN's Jacobian at (0, 0) has eigenvalues +-f'(0) i = +-i/2",
                      f"{ev_gan[0]:.3f}, {ev_gan[1]:.3f}")
    checks.self_check("r1_critical_damping", bool(np.abs(ev_r1[0] - ev_r1[1]) < 1e-6),
                      "R1 at gamma = 2 f'(0) = 1 has a double real eigenvalue", f"{ev_r1[0]:.4f}, {ev_r1[1]:.4f}")
    rp_meas, rp_pred = games.simulated_rate("rpgan", gamma=0.3)
    checks.self_check("rpgan_r1_r2_rate", abs(rp_meas - rp_pred) <= 1e-2 * (1 - rp_pred),
                      "RpGAN + R1 + R2 at gamma 0.3, simultaneous steps of 0.05 from 1e-6: the measured "
                      "contraction per step is max |1 + h lambda|, lambda = -gamma +- sqrt(gamma^2 - f'(0)^2)",
                      f"{rp_meas:.6f} measured, {rp_pred:.6f} closed form")
    table = games.dirac_table(h=H, steps=DIRAC_STEPS, tol=TOL)
    grouped, by_method = {}, {}
    for r in table:
        grouped.setdefault(r["label"], {})[r["integrator"]] = r
        by_method.setdefault(r["method"], []).append(r)
    rows = [row("Dirac-GAN Jacobian eigenvalues at (0, 0): GAN; R1 at gamma = 1",
                paper="+-f'(0) i, purely imaginary (Mescheder et al. 2018, Sec. 2)",
                closed_form=f"+-{a:g} i; a double real root",
                measured=f"{ev_gan.real.max():.1e} +- {ev_gan.imag.max():.4f} i; {ev_r1[0].real:.4f}, {ev_r1[1].real:.4f}")]
    for m, says in PAPER_CONVERGES.items():
        rs = by_method[m]
        ok = all(r["converged"] == says for r in rs)
        text = "; ".join(f"{r['label']} {r['integrator']}: {'yes' if r['converged'] else 'no'} "
                         f"({r['distance']:.2g})" for r in rs)
        checks.claim(f"dirac_{m}", ok, text)
        for label in dict.fromkeys(r["label"] for r in rs):
            g = grouped[label]
            rows.append(row(f"Dirac-GAN {label}: converges? (simultaneous / alternating)",
                            paper=("yes" if says else "no") + f" ({PAPER_WHERE.split(',')[0]})",
                            measured=f"{'yes' if g['simultaneous']['converged'] else 'no'} / "
                                     f"{'yes' if g['alternating']['converged'] else 'no'} (distance "
                                     f"{g['simultaneous']['distance']:.2g} / {g['alternating']['distance']:.2g})"))
    rp = [grouped[label] for label in ("RpGAN", "RpGAN + R1 + R2 (gamma 0.3)")]
    rows.append(row("Dirac-GAN RpGAN; RpGAN + R1 + R2 (gamma 0.3): converges? (simultaneous / alternating)",
                    closed_form="no (D(real) = 0 here: the NS-GAN's field); yes (-0.3 +- 0.4 i)",
                    measured="; ".join(f"{'yes' if g['simultaneous']['converged'] else 'no'} / "
                                       f"{'yes' if g['alternating']['converged'] else 'no'}" for g in rp)))
    gan = grouped["GAN"]
    checks.claim("gan_simultaneous_spirals_out", gan["simultaneous"]["distance"] > 1.5 * np.sqrt(2),
                 f"{gan['simultaneous']['distance']:.2f} from {np.sqrt(2):.2f}")
    d_alt = np.hypot(*gan["alternating"]["path"].T)
    checks.claim("gan_alternating_cycles", bool(d_alt.max() < 2 and d_alt[-100:].min() > 1),
                 f"between {d_alt[-100:].min():.2f} and {d_alt.max():.2f}")
    n = GRID_QUICK if quick else GRID
    th, ps = np.meshgrid(np.linspace(-LIM, LIM, n), np.linspace(-LIM, LIM, n))
    panels = []
    for label, method, params in games.DIRAC_TABLE_CONFIGS:
        g = grouped[label]
        panels.append({"title": f"{label}\n{_verdict(g)}",
                       "field": (th, ps, *games.dirac_vector_field(method, th, ps, **params)),
                       "paths": {integ: g[integ]["path"] for integ in games.INTEGRATORS},
                       "converged": g["simultaneous"]["converged"] and g["alternating"]["converged"],
                       "hlines": [-CLIP, CLIP] if method == "wgan" else []})
    fig_b = str(Path(out) / "dirac_fields.png")
    gplots.plot_dirac_grid(panels, lim=LIM, density=0.5 if quick else 0.8, path=fig_b, suptitle=(
        f"Dirac-GAN, {DIRAC_STEPS} steps of size {H} from (1, 1): which methods reach (0, 0)?"))
    eig = {"GAN": ev_gan, "WGAN": games.jacobian_eigenvalues("wgan"),
           "instance noise (0.7)": games.jacobian_eigenvalues("instance_noise"),
           "R1 (0.3)": games.jacobian_eigenvalues("r1", gamma=0.3), "R1 (1, double root)": ev_r1,
           "consensus (1)": games.jacobian_eigenvalues("consensus"),
           "RpGAN + R1 + R2 (0.3)": games.jacobian_eigenvalues("rpgan", gamma=0.3)}
    fig_c = str(Path(out) / "dirac_eigenvalues.png")
    gplots.plot_update_eigenvalues(eig, H, path=fig_c)
    return rows, [fig_b, fig_c]


# ============================================================ sweeps over step and strength

def _sweeps(out, steps, checks):
    hs = np.asarray(SWEEP_H)
    sweeps = {}
    for name, method, param, strengths in (("R1", "r1", "gamma", SWEEP_GAMMA),
                                           ("instance noise", "instance_noise", "sigma", SWEEP_SIGMA)):
        st = np.asarray(strengths)
        final = games.dirac_sweep(method, hs, st, param, steps=steps)
        rho, pred = games.linear_prediction(method, hs, st, param, steps=steps)
        sweeps[name] = {"h": hs, "strength": st, "param": param, "final": final, "rho": rho,
                        "converged": np.nan_to_num(final, nan=np.inf) < TOL, "predicted": pred < TOL}
    zero_ok = all(not s["converged"][s["strength"] == 0].any() for s in sweeps.values())
    checks.claim("sweep_unregularised_never_converges", zero_ok,
                 "; ".join(f"{k}: {int(s['converged'][s['strength'] == 0].sum())} of {len(hs)} converged at 0"
                           for k, s in sweeps.items()))
    expanding = [int((s["converged"] & (s["rho"] > 1.01)).sum()) for s in sweeps.values()]
    checks.claim("sweep_expanding_steps_fail", sum(expanding) == 0,
                 f"{sum(expanding)} runs converged where a step expands "
                 f"(of {sum(int((s['rho'] > 1.01).sum()) for s in sweeps.values())})")
    agree = np.concatenate([(s["converged"] == s["predicted"]).ravel() for s in sweeps.values()])
    checks.claim("sweep_matches_linear_theory", agree.mean() >= 0.9,
                 f"{agree.sum()} of {agree.size} runs agree ({100 * agree.mean():.0f} %)")
    g = np.asarray(SWEEP_GAMMA[1:])
    numeric = []
    for gamma in g:            # the boundary found by bisection on the spectral radius
        lo, hi = 0.0, 10.0
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            lam = games.jacobian_eigenvalues("r1", gamma=gamma)
            lo, hi = (mid, hi) if np.abs(1 + mid * lam).max() < 1 else (lo, mid)
        numeric.append(lo)
    err = float(np.max(np.abs(np.asarray(numeric) - games.r1_step_limit(g))))
    checks.self_check("r1_step_limit", err < 1e-9,
                      "R1's largest stable step: gamma / a^2 below critical damping, "
                      "4 / (gamma + sqrt(gamma^2 - 1)) above, as the eigenvalues give it", f"{err:.0e}")
    fig = str(Path(out) / "step_and_strength.png")
    gplots.plot_sweeps(sweeps, tol=TOL, r1_limit=games.r1_step_limit, path=fig)
    r1 = sweeps["R1"]
    rows = [row(f"R1 sweep, {len(hs)} steps x {len(SWEEP_GAMMA)} gammas, {steps} steps each: runs converged",
                paper="R1 converges for small enough steps (Mescheder et al. 2018, Sec. 4: local convergence)",
                closed_form="stable iff h < gamma / a^2 (gamma < 1) or h < 4 / (gamma + sqrt(gamma^2 - 1))",
                measured=f"{int(r1['converged'].sum())} of {r1['converged'].size}; agreement with linear "
                         f"theory {100 * (r1['converged'] == r1['predicted']).mean():.0f} %"),
            row(f"instance-noise sweep ({len(SWEEP_SIGMA)} sigmas): runs converged",
                paper="instance noise converges (Mescheder et al. 2018, Sec. 3)",
                closed_form="eigenvalues b sigma^2 +- sqrt(b^2 sigma^4 - a^2): damping grows with sigma^2",
                measured=f"{int(sweeps['instance noise']['converged'].sum())} of "
                         f"{sweeps['instance noise']['converged'].size}; agreement "
                         f"{100 * (sweeps['instance noise']['converged'] == sweeps['instance noise']['predicted']).mean():.0f} %")]
    return rows, fig, sweeps


# ============================================================ the real 1-D GAN (a worker)

def real_gan(seed, label, steps):
    """One run of the real 1-D GAN for REAL[label]; (theta, psi) every step."""
    extra = dict(REAL[label])
    if "noise" in extra:
        extra["noise_schedule"] = "constant"
    config = Config(data="gaussian1d", standardize=False, data_options={"mean": 0.0, "std": 0.01}, loss="minimax", z_dim=1,
                    g_hidden=(), d_hidden=(), d_init="zero", optimizer="sgd", g_lr=REAL_H, d_lr=REAL_H,
                    lr_schedule="constant", batch_size=64, steps=steps, noise=0.0, ema=0.0,
                    eval_every=0, dtype="float64", seed=seed)
    return games.gan_1d_trajectory(dataclasses.replace(config, **extra), start=(1.0, 1.0))


def _real(out, seeds, steps, checks, jobs=None):
    tasks = [(s, label, steps) for s in seeds for label in REAL]
    res = pmap(real_gan, tasks, jobs=1 if len(seeds) == 1 else jobs)
    runs = {label: [r for (s, lab, _), r in zip(tasks, res) if lab == label] for label in REAL}
    dist = {label: [np.hypot(r["theta"], r["psi"]) for r in rs] for label, rs in runs.items()}
    dirac = {label: games.dirac_trajectory(m, 1.0, 1.0, REAL_H, steps, "alternating", **p)
             for label, (m, p) in DIRAC_OF.items()}
    r0 = np.sqrt(2)
    plain, ns, r1, noise = (dist[k] for k in REAL)
    checks.claim("real_plain_circles", all(d[-1] > 0.5 * r0 for d in plain),
                 "final distance " + over_seeds([d[-1] for d in plain], "{:.3f}"))
    checks.claim("real_r1_converges", all(d[-1] < 0.01 for d in r1), "final distance " + over_seeds([d[-1] for d in r1], "{:.1e}"))
    late = [d[-300:].max() for d in noise]
    checks.claim("real_noise_converges", all(v < 0.15 for v in late), "largest over the last 300 steps " + over_seeds(late, "{:.3f}"))
    rel = [abs(d[-1] / np.hypot(*dirac[k][-1]) - 1) for k in list(REAL)[:2] for d in dist[k]]
    checks.claim("real_matches_dirac", max(rel) <= 0.15, f"largest relative gap {max(rel):.1%}")
    fig = str(Path(out) / "real_1d_gan.png")
    gplots.plot_real_game(runs, dirac, path=fig)
    rows = [row(f"real 1-D GAN (Trainer, SGD step {REAL_H}): distance of (G's mean, D's slope) from "
                f"the equilibrium after {steps} steps, {label}",
                paper={"GAN (no remedy)": "no convergence", "non-saturating GAN": "no convergence",
                       "R1 (gamma 1)": "converges", "instance noise (sigma 0.7)": "converges"}[label]
                      + " (Mescheder et al. 2018)",
                closed_form=f"Dirac-GAN, alternating: {np.hypot(*dirac[label][-1]):.3g}",
                measured=over_seeds([d[-1] for d in dist[label]], "{:.3g}"))
            for label in REAL]
    return rows, fig, dist


def _answer(checks, dist, sweeps):
    held = checks.held
    dirac_ok = [m for m in PAPER_CONVERGES if held(f"dirac_{m}")]
    plain = np.mean([d[-1] for d in dist["GAN (no remedy)"]])
    s = []
    s.append(
        "At the equilibrium of a two-player game the gradient field does not point towards the "
        "solution, it turns around it: for min_x max_y x*y the field (-y, x) is a pure rotation, and "
        "for the Dirac-GAN (a generator that is a point mass at theta, a discriminator with slope psi) "
        "its Jacobian has purely imaginary eigenvalues +-f'(0) i. A simultaneous gradient step moves "
        "along the tangent of the circle and always lands further out: the radius grows by "
        "sqrt(1 + eta^2) per step, for every step size. Alternating updates cancel this to first order "
        "and circle forever. Extragradient and optimistic GD look one step ahead and converge.")
    s.append(
        f"On the Dirac-GAN, {len(dirac_ok)} of {len(PAPER_CONVERGES)} training methods behaved as "
        "Mescheder et al. state"
        + ("" if len(dirac_ok) == len(PAPER_CONVERGES) else
           f" (not: {', '.join(m for m in PAPER_CONVERGES if m not in dirac_ok)})")
        + ": the plain and non-saturating GANs, WGAN (no damping at all) and WGAN-GP (its penalty pulls "
        "|psi| towards a non-zero target) do not converge; instance noise, R1 and consensus "
        "optimisation add a damping term, eigenvalues with a negative real part, and do.")
    r1 = sweeps["R1"]
    p = ("Damping alone is not enough: the step must be small too. Linear stability says a step "
         "multiplies a small deviation by I + hJ, so R1 converges only for h < gamma / a^2 = 4 gamma "
         "when gamma < 1, and for h < 4 / (gamma + sqrt(gamma^2 - 1)) beyond: too little gamma needs "
         "tiny steps, and too much gamma shrinks the largest step again. ")
    p += ((f"The sweeps agree: with gamma = 0 or sigma = 0 no step converges, and "
           f"{100 * (r1['converged'] == r1['predicted']).mean():.0f} % of the R1 runs land on the side "
           "of the boundary the theory predicts. ")
          if held("sweep_unregularised_never_converges") and held("sweep_matches_linear_theory")
          else "The sweeps did not agree with that everywhere (see the failed claims). ")
    s.append(p)
    p = ("The same happens in a real GAN trained by tinygan's Trainer: minibatches of 1-D data, the "
         "cross-entropy losses, plain SGD, a discriminator with a bias. ")
    p += (f"Without a remedy, G's mean and D's slope keep circling ({plain:.2f} from the equilibrium "
          f"after the run, from {np.sqrt(2):.2f}); " if held("real_plain_circles") else
          f"Without a remedy it did not keep circling as predicted (distance {plain:.2f}); ")
    p += ("with R1 they spiral in; with instance noise they settle up to the noise's jitter. "
          if held("real_r1_converges") and held("real_noise_converges") else
          "the remedies did not all converge as claimed. ")
    if held("real_matches_dirac"):
        p += "The real runs end within 15 % of the two-number Dirac-GAN's prediction."
    s.append(p)
    return "\n\n".join(s)


def run(quick=False, out=OUT, jobs=None):
    """Run the games; return the demo's result dict (see tinygan.questions.common)."""
    q = QUICK if quick else {}
    seeds = q.get("seeds", SEEDS)
    checks = Checks(CLAIMS)
    rows_a, fig_a = _bilinear(out, checks)
    rows_b, figs_b = _dirac(out, quick, checks)
    rows_c, fig_c, sweeps = _sweeps(out, q.get("sweep_steps", SWEEP_STEPS), checks)
    rows_d, fig_d, dist = _real(out, seeds, q.get("real_steps", REAL_STEPS), checks, jobs)
    held = checks.held
    finding = ("A GAN's gradient field turns around its equilibrium instead of pointing at it, so "
               "plain gradient steps spiral out or circle"
               + (", in the two-number Dirac-GAN and in a real 1-D GAN alike; " if held("real_plain_circles")
                  else "; ")
               + "a damping term (instance noise, R1, consensus) and a small enough step are both "
                 "needed to converge.")
    captions = [
        "The bilinear game x*y. Left: the four update rules' paths from (1, 1). Right: the distance to "
        "the equilibrium per step, on its closed form (dashed): simultaneous GD grows exactly as "
        "sqrt(1 + eta^2)^t, alternating GD stays in a band, the other two shrink.",
        "The Dirac-GAN's vector field for each method (grey streamlines) and 500 steps from (1, 1), "
        "simultaneous (red) and alternating (purple). A green title means both reached the "
        "equilibrium (star).",
        "Where one gradient step sends a small deviation: 1 + h lambda for each Jacobian eigenvalue. "
        "Inside the unit circle deviations shrink. Purely imaginary eigenvalues (GAN, WGAN) always "
        "land outside.",
        "Sweeps over the step size (x) and the regulariser's strength (y): colour is the final "
        "distance after the run (log scale), dots mark runs that converged, the line is linear "
        "theory's boundary. Look at the bottom row (no regulariser): nothing converges; and at the "
        "right edge: large steps fail at every strength.",
        "A real 1-D GAN trained by tinygan's Trainer. Left: G's mean against D's slope, one run per "
        "remedy (seed 0) with the Dirac-GAN's path for the same step (dashed). Right: distance to the "
        "equilibrium per step, a line per seed."]
    return {"question": QUESTION, "finding": finding, "answer": _answer(checks, dist, sweeps),
            "figures": [fig_a, *figs_b, fig_c, fig_d], "captions": captions,
            "table": rows_a + rows_b + rows_c + rows_d, "checks": checks.result(), "seeds": list(seeds),
            "stats": {k: [float(d[-1]) for d in v] for k, v in dist.items()}}


def main(argv=None):
    return demo_main(run, QUESTION, OUT, "coarser figures, shorter runs, one seed, for tests", argv)


if __name__ == "__main__":
    raise SystemExit(main())
