"""Q4: why does simultaneous gradient descent not find the Nash equilibrium?

Two games small enough to solve by hand, each run with the settings of the papers:
  * the bilinear game min_x max_y x*y, with four update rules (simultaneous, alternating,
    extragradient, optimistic), against their closed forms;
  * the Dirac-GAN of Mescheder, Geiger, Nowozin (2018), with seven training methods and two
    integrators, against the paper's claims of which ones converge.

    python demos/nash_equilibrium.py            # full run, figures in runs/demos/nash_equilibrium
    python demos/nash_equilibrium.py --quick    # smaller figures, same numbers
"""

from pathlib import Path

import numpy as np

from tinygan.lab import games
from tinygan.plots import games as gplots
from tinygan.app.report import demo_main

# ---- settings ---------------------------------------------------------------------------
OUT = "runs/demos/nash_equilibrium"
ETA = 0.1                  # bilinear step size (docs/references.md#q4)
START = (1.0, 1.0)         # bilinear start, radius sqrt(2)
BILINEAR_STEPS = 200       # length of the plotted bilinear runs
PAPER_R100 = 2.326         # r_100 from sqrt(2) at eta 0.1, computed here, not printed in a paper (docs/references.md#q4)
H = 0.2                    # Dirac-GAN step size, theta0 = psi0 = 1, 500 steps (paper notebook)
DIRAC_STEPS = 500
TOL = 1e-2                 # "converged" = distance to (0, 0) below this after DIRAC_STEPS
GRID, GRID_QUICK = 31, 15  # streamplot resolution (--quick also draws fewer streamlines)
LIM = 2.2                  # Dirac-GAN panels show [-LIM, LIM]^2
CLIP = games.DIRAC_DEFAULTS["wgan"]["clip"]   # WGAN weight clipping, drawn as dotted lines

# What Mescheder et al. (2018) report: does the method converge to the equilibrium?
PAPER_CONVERGES = {"gan": False, "nsgan": False, "wgan": False, "wgan_gp": False,
                   "instance_noise": True, "r1": True, "consensus": True}

QUESTION = "Why does simultaneous gradient descent not find the Nash equilibrium of a GAN?"
ANSWER = (
    "At the equilibrium of a two-player game the gradient field does not point towards the "
    "solution, it rotates around it: for min_x max_y x*y the field (-y, x) is a pure rotation, and "
    "for the Dirac-GAN its Jacobian has purely imaginary eigenvalues +-f'(0) i. A simultaneous "
    "gradient step moves along the tangent of that circle, and a tangent step always lands "
    "further out: the radius grows by sqrt(1 + eta^2) every step, so the players spiral away "
    "for every step size. Alternating updates (the second player sees the first player's new "
    "move) cancel this to first order: they conserve x^2 + y^2 - eta*x*y and circle forever, "
    "never arriving. Extragradient and optimistic GD look one step ahead (or reuse the last "
    "gradient to anticipate the rotation), which adds a pull towards the centre, and they "
    "converge. Regularisers fix the game itself instead of the optimiser: instance noise, a "
    "zero-centred gradient penalty (R1) and consensus optimisation give the Jacobian eigenvalues "
    "with negative real part, a damping term, so plain gradient steps converge. The "
    "non-saturating loss has the same eigenvalues as the plain GAN and does not converge either "
    "(here simultaneous steps settle on a small cycle, alternating ones creep inwards like "
    "1/sqrt(t)); WGAN with weight clipping has no damping at all, and WGAN-GP's penalty pulls "
    "|psi| towards a non-zero target, so the critic cannot settle at psi = 0 and both keep "
    "oscillating."
)


def _bilinear(out):
    """Run the four update rules, compare with their closed forms, draw figure (a)."""
    x0, y0 = START
    r0 = np.hypot(x0, y0)
    t = np.arange(BILINEAR_STEPS + 1)
    paths = {m: games.bilinear(m, x0, y0, ETA, BILINEAR_STEPS) for m in games.METHODS}
    radius = {m: np.hypot(p[:, 0], p[:, 1]) for m, p in paths.items()}
    r100 = float(radius["simultaneous"][100])
    law = games.simultaneous_radius(r0, ETA, t)
    law_err = float(np.max(np.abs(radius["simultaneous"] / law - 1)))
    xa, ya = paths["alternating"].T
    H0 = games.alternating_invariant(x0, y0, ETA)
    drift = float(np.max(np.abs(games.alternating_invariant(xa, ya, ETA) / H0 - 1)))
    eg_pred = float(games.extragradient_factor(ETA))
    eg_meas = float(np.exp(np.mean(np.diff(np.log(radius["extragradient"])))))
    ogd_pred = float(games.optimistic_factor(ETA))
    ogd_meas = float((radius["optimistic"][-1] / radius["optimistic"][-51]) ** (1 / 50))
    # the invariant ellipse x^2 + y^2 - eta x y = H0 keeps r^2 in [H0/(1 + eta/2), H0/(1 - eta/2)]
    band = np.tile([np.sqrt(H0 / (1 + ETA / 2)), np.sqrt(H0 / (1 - ETA / 2))], (len(t), 1))
    closed = {"simultaneous": law, "alternating": band,
              "extragradient": r0 * eg_pred ** t, "optimistic": None}
    fig_path = str(Path(out) / "bilinear.png")
    gplots.plot_bilinear(paths, ETA, closed, path=fig_path, marks=[
        (100, r100, f"r_100 = {r100:.3f} (paper {PAPER_R100})"),
        (BILINEAR_STEPS, radius["optimistic"][-1],
         f"extragradient ({eg_pred:.5f}/step) and\noptimistic ({ogd_pred:.5f}/step) overlap",
         "left")])
    rows = [
        {"quantity": "bilinear simultaneous GD: r_100 from (1, 1), eta 0.1", "paper": PAPER_R100,
         "tinygan": round(r100, 4), "difference": round(r100 - PAPER_R100, 4)},
        {"quantity": "bilinear alternating GD: max drift of x^2+y^2-eta*x*y (relative)",
         "paper": "bounded orbit (eta < 2)", "tinygan": f"{drift:.1e}",
         "difference": "agrees" if drift < 1e-12 else "DISAGREES"},
        {"quantity": "bilinear extragradient: radius factor per step, eta 0.1",
         "paper": "converges", "tinygan": round(eg_meas, 6),
         "difference": f"vs sqrt(1-eta^2+eta^4) = {eg_pred:.6f}: {eg_meas - eg_pred:+.1e}"},
        {"quantity": "bilinear optimistic GD: radius factor per step, eta 0.1",
         "paper": "converges", "tinygan": round(ogd_meas, 6),
         "difference": f"vs spectral radius {ogd_pred:.6f}: {ogd_meas - ogd_pred:+.1e}"},
    ]
    claims = {
        "radius_law_holds": law_err < 1e-12,
        "r100_matches_paper": abs(r100 - PAPER_R100) < 5e-4,
        "alternating_invariant_conserved": drift < 1e-12,
        "alternating_bounded": bool(radius["alternating"].max() <= band[0, 1] * (1 + 1e-12)),
        "extragradient_factor_exact": abs(eg_meas - eg_pred) < 1e-12,
        "extragradient_converges": bool(radius["extragradient"][-1] < r0 * 0.5),
        "optimistic_converges": bool(radius["optimistic"][-1] < r0 * 0.5),
    }
    return rows, claims, fig_path


def _verdict(row_by_integ):
    sim, alt = row_by_integ["simultaneous"], row_by_integ["alternating"]
    if sim["converged"] and alt["converged"]:
        return "converges"
    if not sim["converged"] and not alt["converged"]:
        return "does not converge"
    return f"sim: {'yes' if sim['converged'] else 'no'}, alt: {'yes' if alt['converged'] else 'no'}"


def _dirac(out, quick):
    """Eigenvalues, the convergence table, figures (b) and (c)."""
    a = float(games.link_grad(0.0))                         # f'(0) = 1/2
    ev_gan = games.jacobian_eigenvalues("gan")
    ev_r1 = games.jacobian_eigenvalues("r1", gamma=2 * a)   # critical damping at gamma = 2 f'(0)
    rows = [
        {"quantity": "Dirac-GAN Jacobian eigenvalues at (0, 0), GAN",
         "paper": f"+-f'(0) i = +-{a:g}i (purely imaginary)",
         "tinygan": f"{ev_gan.real.max():.4f} +- {ev_gan.imag.max():.4f}i",
         "difference": f"{np.max(np.abs(ev_gan - np.array([-a * 1j, a * 1j]))):.1e}"},
        {"quantity": f"Dirac-GAN R1 eigenvalues at gamma = 2 f'(0) = {2 * a:g}",
         "paper": "critical damping (double real)",
         "tinygan": f"{ev_r1[0].real:.4f}, {ev_r1[1].real:.4f}",
         "difference": f"{np.abs(ev_r1[0] - ev_r1[1]):.1e} (gap)"},
    ]
    claims = {"gan_eigenvalues_imaginary": bool(np.all(np.abs(ev_gan.real) < 1e-12)),
              "r1_critical_damping_at_gamma_1": bool(np.abs(ev_r1[0] - ev_r1[1]) < 1e-6)}

    table = games.dirac_table(h=H, steps=DIRAC_STEPS, tol=TOL)
    grouped, by_method = {}, {}
    for r in table:
        grouped.setdefault(r["label"], {})[r["integrator"]] = r
        by_method.setdefault(r["method"], []).append(r)
        says = PAPER_CONVERGES[r["method"]]
        rows.append({"quantity": f"Dirac-GAN {r['label']}, {r['integrator']}: converges?",
                     "paper": "yes" if says else "no",
                     "tinygan": ("yes" if r["converged"] else "no")
                     + f" (distance {r['distance']:.2g})",
                     "difference": "agrees" if says == r["converged"] else "DISAGREES"})
    claims["dirac_matches_paper"] = all(r["converged"] == PAPER_CONVERGES[r["method"]]
                                        for r in table)
    for m in ("r1", "instance_noise", "consensus"):
        claims[f"{m}_converges"] = all(r["converged"] for r in by_method[m])
    for m in ("wgan", "wgan_gp"):
        claims[f"{m}_does_not_converge"] = not any(r["converged"] for r in by_method[m])
    gan = grouped["GAN"]
    claims["gan_simultaneous_diverges"] = gan["simultaneous"]["distance"] > 1.5 * np.sqrt(2)
    d_alt = np.hypot(*gan["alternating"]["path"].T)         # cycles: bounded, never arrives
    claims["gan_alternating_cycles"] = bool(d_alt.max() < 2 and d_alt[-100:].min() > 1)

    n = GRID_QUICK if quick else GRID
    th, ps = np.meshgrid(np.linspace(-LIM, LIM, n), np.linspace(-LIM, LIM, n))
    panels = []
    for label, method, params in games.DIRAC_TABLE_CONFIGS:
        g = grouped[label]
        panels.append({
            "title": f"{label}\n{_verdict(g)}",
            "field": (th, ps, *games.dirac_vector_field(method, th, ps, **params)),
            "paths": {integ: g[integ]["path"] for integ in games.INTEGRATORS},
            "converged": g["simultaneous"]["converged"] and g["alternating"]["converged"],
            "note": "final distance\nsim {:.2g}, alt {:.2g}".format(
                g["simultaneous"]["distance"], g["alternating"]["distance"]),
            "hlines": [-CLIP, CLIP] if method == "wgan" else []})
    fig_b = str(Path(out) / "dirac_fields.png")
    gplots.plot_dirac_grid(panels, lim=LIM, density=0.5 if quick else 0.9, path=fig_b, suptitle=(
        f"Dirac-GAN, {DIRAC_STEPS} steps of size {H} from (1, 1): only instance noise, R1 and "
        "consensus reach the equilibrium"))
    eig = {"GAN": ev_gan, "WGAN": games.jacobian_eigenvalues("wgan"),
           "instance noise (0.7)": games.jacobian_eigenvalues("instance_noise"),
           "R1 (0.3)": games.jacobian_eigenvalues("r1", gamma=0.3), "R1 (1, double root)": ev_r1,
           "consensus (1)": games.jacobian_eigenvalues("consensus")}
    fig_c = str(Path(out) / "dirac_eigenvalues.png")
    gplots.plot_update_eigenvalues(eig, H, path=fig_c)
    return rows, claims, [fig_b, fig_c]


def run(quick=False, out=OUT):
    """Run both games; return question, answer, figures, table (paper vs tinygan) and claims."""
    rows_a, claims_a, fig_a = _bilinear(out)
    rows_b, claims_b, figs_b = _dirac(out, quick)
    return {"question": QUESTION, "answer": ANSWER, "figures": [fig_a] + figs_b,
            "table": rows_a + rows_b, "claims": {**claims_a, **claims_b}}


def main(argv=None):
    demo_main(run, QUESTION, OUT, "coarser figures, for tests", argv)


if __name__ == "__main__":
    main()
