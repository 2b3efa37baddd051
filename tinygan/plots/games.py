"""Figures for two-player games: bilinear-game trajectories and Dirac-GAN vector fields.

Every function takes data (computed by tinygan.questions.games or a demo), returns the Figure, and saves
it when given a path.
"""

import matplotlib.pyplot as plt
from matplotlib import ticker
import numpy as np

from tinygan.plots.style import CYCLE, NEUTRAL, save, styled

# One colour per update rule, shared by every figure in this module.
METHOD_COLORS = {
    "simultaneous": "#d62728",
    "alternating": "#7b3fb0",
    "extragradient": "#2ca02c",
    "optimistic": "#1f77b4",
}


def _color(name, i):
    return METHOD_COLORS.get(name, CYCLE[i % len(CYCLE)])


@styled
def plot_bilinear(paths, eta, closed_forms=None, marks=None, path=None):
    """Bilinear game x*y: trajectories in the (x, y) plane, and radius against step (log axis).

    paths: dict method -> array (T, 2) of (x_t, y_t).
    closed_forms: optional dict method -> predicted radius, either an array (T,) (drawn as a
        dashed line) or an array (T, 2) of (lower, upper) bounds (drawn as a shaded band).
    marks: optional list of (t, r, text) or (t, r, text, "left") annotations on the radius panel.
    """
    closed_forms = closed_forms or {}
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9.6, 4.6), gridspec_kw={"width_ratios": [1, 1.25]})
    n = len(paths)
    for i, (name, p) in enumerate(paths.items()):
        # later curves are drawn thinner, so curves lying on top of each other stay visible
        c, lw = _color(name, i), 1.2 + 1.6 * (n - 1 - i) / max(n - 1, 1)
        r = np.hypot(p[:, 0], p[:, 1])
        ax0.plot(p[:, 0], p[:, 1], color=c, lw=lw, alpha=0.9)
        ax0.plot(p[-1, 0], p[-1, 1], "o", color=c, ms=6, zorder=4)
        ax1.plot(np.arange(len(r)), r, color=c, lw=lw + 0.6, alpha=0.9, label=name)
        ref = closed_forms.get(name)
        if ref is None:
            continue
        ref = np.asarray(ref)
        if ref.ndim == 2:
            ax1.fill_between(np.arange(len(ref)), ref[:, 0], ref[:, 1], color=c, alpha=0.18, lw=0,
                             label=f"{name}: bounds of its invariant ellipse")
        else:
            ax1.plot(np.arange(len(ref)), ref, color="black", lw=1, dashes=(3, 3), zorder=5)
    ax1.plot([], [], color="black", lw=1, dashes=(3, 3), label="closed form")
    for t, r, text, *side in marks or []:
        ax1.plot(t, r, "o", mfc="white", mec="black", ms=7, zorder=6)
        left = side == ["left"]                               # text to the left of the point
        ax1.annotate(text, (t, r), xytext=(-8, 8) if left else (8, -6), textcoords="offset points",
                     ha="right" if left else "left", va="bottom" if left else "top", fontsize=8.5)
    start = next(iter(paths.values()))[0]
    ax0.plot(*start, "s", color=NEUTRAL, ms=7, zorder=5, label="start")
    ax0.plot(0, 0, "*", color="black", ms=14, zorder=5, label="Nash equilibrium (0, 0)")
    ax0.plot([], [], "o", color=NEUTRAL, ms=6, label="last step")
    m = 1.05 * max(np.abs(p).max() for p in paths.values())
    ax0.set(xlabel="x (minimising player)", ylabel="y (maximising player)", aspect="equal",
            xlim=(-m, m), ylim=(-m, m), title=f"Paths on f(x, y) = x*y, eta = {eta:g}")
    ax0.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=8.5)
    ax1.set_yscale("log")
    ax1.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 3.0, 5.0)))
    ax1.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    ax1.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax1.set(xlabel="step t", ylabel="distance to (0, 0)  (log scale)",
            title="Radius per step, on the closed forms (dashed)")
    ax1.legend(loc="upper left", fontsize=8)
    fig.suptitle("Simultaneous GD spirals out, alternating GD orbits, "
                 "extragradient and optimistic GD converge", fontsize=11.5)
    fig.tight_layout()
    if path is not None:
        save(fig, path)
    return fig


@styled
def plot_dirac_grid(panels, lim=2.0, ncols=4, suptitle=None, density=0.9, path=None, size=2.35):
    """Dirac-GAN: one small panel per method, its vector field as a streamplot plus trajectories.

    panels: list of dicts with keys
        title:   str, e.g. "R1 (gamma 0.3): converges"
        field:   (theta_grid, psi_grid, v_theta, v_psi), 2-D arrays from np.meshgrid (xy indexing)
        paths:   dict label -> array (T, 2) of (theta_t, psi_t)  (e.g. one per integrator)
        converged: bool, colours the title (green yes / red no)
        note:    optional str printed in the lower-right corner (e.g. final distances)
        hlines:  optional list of psi values drawn dotted (e.g. the WGAN clipping bounds)
    density: streamline density (lower draws faster). size: inches per panel.
    """
    n = len(panels)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols + 0.4, (size + 0.45) * nrows + 0.5),
                             squeeze=False, sharex=True, sharey=True)
    for ax, pan in zip(axes.flat, panels):
        th, ps, u, v = pan["field"]
        speed = np.hypot(u, v)
        ax.streamplot(th, ps, u, v, color="#b0b0b0", density=density, arrowsize=0.7,
                      linewidth=0.6 + speed / (speed.max() + 1e-12))   # thicker = faster
        for i, (label, p) in enumerate(pan["paths"].items()):
            c = _color(label, i)
            ax.plot(p[:, 0], p[:, 1], color=c, lw=1.4, label=label)
            ax.plot(p[-1, 0], p[-1, 1], "o", color=c, ms=4)
        ax.plot(p[0, 0], p[0, 1], "s", color=NEUTRAL, ms=5)
        ax.plot(0, 0, "*", color="black", ms=11, zorder=5)
        for y in pan.get("hlines", ()):
            ax.axhline(y, color=NEUTRAL, lw=1, ls=":")
        if pan.get("note"):
            ax.text(0.97, 0.03, pan["note"], transform=ax.transAxes, ha="right", va="bottom",
                    fontsize=7.5, color=NEUTRAL,
                    bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1.5})
        ok = pan.get("converged")
        ax.set_title(pan["title"], fontsize=8.5,
                     color={True: "#1a7f1a", False: "#b22222"}.get(ok, "black"))
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
        ax.xaxis.set_major_locator(ticker.MultipleLocator(1))
        ax.yaxis.set_major_locator(ticker.MultipleLocator(1))
        ax.grid(False)
    for ax in axes[-1]:
        ax.set_xlabel("theta (generator)")
        ax.xaxis.set_tick_params(labelbottom=True)
    for ax in axes[:, 0]:
        ax.set_ylabel("psi (discriminator)")
    for ax in axes.flat[n:]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles + [plt.Line2D([], [], marker="s", ls="", color=NEUTRAL),
                          plt.Line2D([], [], marker="*", ls="", color="black", ms=11)],
               labels + ["start (1, 1)", "equilibrium (0, 0)"],
               loc="lower center", ncol=4, bbox_to_anchor=(0.5, -0.03), frameon=False, fontsize=8.5)
    fig.suptitle(suptitle or "Dirac-GAN: which training methods converge to (0, 0)?", fontsize=11)
    fig.tight_layout(rect=(0, 0.03, 1, 0.97), h_pad=2.2)
    if path is not None:
        save(fig, path)
    return fig


@styled
def plot_update_eigenvalues(eigenvalues, h, path=None):
    """Eigenvalues 1 + h*lambda of one simultaneous gradient step at the equilibrium.

    eigenvalues: dict label -> complex array of Jacobian eigenvalues lambda. A step multiplies a
    small deviation by 1 + h*lambda: inside the unit circle it shrinks, outside it grows.
    """
    fig, ax = plt.subplots(figsize=(9.4, 4.4))
    y = np.linspace(-0.3, 0.3, 400)
    arc = np.sqrt(1 - y**2)                                 # the unit circle near z = 1
    ax.fill_betweenx(y, 0.8, arc, color="#2ca02c", alpha=0.08, lw=0)
    ax.fill_betweenx(y, arc, 1.2, color="#d62728", alpha=0.08, lw=0)
    ax.plot(arc, y, color="black", lw=1.2, label="unit circle |z| = 1")
    ax.text(0.855, 0.21, "inside: deviations shrink", color="#1a7f1a", fontsize=9)
    ax.text(1.005, 0.21, "outside:\ndeviations grow", color="#b22222", fontsize=9, va="top")
    for i, (label, lam) in enumerate(eigenvalues.items()):
        z = 1 + h * np.asarray(lam)
        ax.plot(z.real, z.imag, "osD^vP"[i % 6], color=CYCLE[i % len(CYCLE)], ms=8, alpha=0.85,
                ls="", label=f"{label}: |1 + h lambda| = {np.abs(z).max():.4f}")
    ax.set(xlabel="Re(1 + h lambda)", ylabel="Im(1 + h lambda)", xlim=(0.85, 1.05),
           ylim=(-0.23, 0.23),
           title=f"One gradient step (h = {h:g}) near the Dirac-GAN equilibrium:\n"
                 "imaginary eigenvalues land outside the circle; damping pulls them in")
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8.5)
    if path is not None:
        save(fig, path)
    return fig


@styled
def plot_sweeps(sweeps, tol, r1_limit=None, path=None):
    """Dirac-GAN sweeps: final distance over (step size, strength), with linear theory's boundary.

    sweeps: {name: {"h" (H,), "strength" (S,), "param", "final" (S, H), "rho" (S, H),
    "converged" (S, H) bool}}. tol: the convergence tolerance. r1_limit: optional function
    gamma -> largest stable step, drawn on the panel named "R1".
    """
    names = list(sweeps)
    fig, axes = plt.subplots(1, len(names), figsize=(4.8 * len(names), 4.3), squeeze=False,
                             layout="constrained")
    im = None
    for ax, name in zip(axes[0], names):
        s = sweeps[name]
        h, st = np.asarray(s["h"]), np.asarray(s["strength"])
        xs, ys = np.arange(len(h)), np.arange(len(st))
        val = np.log10(np.clip(np.nan_to_num(s["final"], nan=1e6, posinf=1e6), 1e-12, 1e6))
        im = ax.imshow(val, origin="lower", cmap="RdYlGn_r", vmin=-6, vmax=3, aspect="auto")
        yy, xx = np.nonzero(s["converged"])
        ax.plot(xx, yy, "o", color="white", mec="black", ms=5, ls="", label=f"converged (< {tol:g})")
        ax.contour(xs, ys, s["rho"], levels=[1.0], colors="black", linewidths=1.4)
        ax.plot([], [], color="black", lw=1.4, label="linear theory: |1 + h lambda| = 1")
        if r1_limit is not None and name == "R1":
            fine = np.linspace(st.min(), st.max(), 300)
            lim = np.clip(r1_limit(fine), h.min() / 2, h.max() * 2)
            ax.plot(np.interp(np.log(lim), np.log(h), xs, left=-0.5, right=len(h) - 0.5),
                    np.interp(fine, st, ys), color="#1f77b4", lw=1, ls="--",
                    label="largest stable step (closed form)")
        ax.set_xticks(xs, [f"{v:g}" for v in h], fontsize=8)
        ax.set_yticks(ys, [f"{v:g}" for v in st], fontsize=8)
        ax.set(xlabel="step size h", ylabel=s["param"], title=f"{name}: final distance to (0, 0)")
        ax.grid(False)
    axes[0, 0].legend(loc="upper right", fontsize=7.5, framealpha=0.9, frameon=True)
    cb = fig.colorbar(im, ax=axes, shrink=0.85)
    cb.set_label("log10 final distance")
    return _save(fig, path)


@styled
def plot_real_game(runs, dirac, path=None):
    """A real 1-D GAN's (theta, psi) path beside the Dirac-GAN's, and its distance per step.

    runs: {label: [{"step", "theta", "psi"}, ...]} one per seed. dirac: {label: (T, 2) path}.
    """
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(9.6, 4.4), gridspec_kw={"width_ratios": [1, 1.2]})
    for i, (label, rs) in enumerate(runs.items()):
        c = CYCLE[i % len(CYCLE)]
        r = rs[0]
        a0.plot(r["theta"], r["psi"], color=c, lw=1.0, alpha=0.85, label=label)
        d = np.asarray(dirac[label])
        a0.plot(d[:, 0], d[:, 1], color=c, lw=1.0, ls="--", alpha=0.9)
        for k, r in enumerate(rs):
            a1.plot(r["step"], np.hypot(r["theta"], r["psi"]), color=c, lw=1.3,
                    alpha=0.9 if k == 0 else 0.45, label=label if k == 0 else None)
        a1.plot(np.arange(len(d)), np.hypot(d[:, 0], d[:, 1]), color=c, lw=1, ls="--", alpha=0.8)
    a0.plot(1, 1, "s", color=NEUTRAL, ms=6)
    a0.plot(0, 0, "*", color="black", ms=12, zorder=5)
    a0.plot([], [], color=NEUTRAL, ls="--", label="Dirac-GAN, same step (closed-form field)")
    a0.set(xlabel="theta: G's mean - data mean", ylabel="psi: D's slope", aspect="equal",
           xlim=(-1.6, 1.6), ylim=(-1.6, 1.6), title="(a) the path, seed 0")
    a0.legend(loc="lower left", fontsize=7)
    a1.set_yscale("log")
    a1.set(xlabel="training step", ylabel="distance to the equilibrium (log)", title="(b) distance, every seed")
    a1.set_ylim(1e-6, 4)
    a1.legend(loc="lower left", fontsize=7.5)
    fig.suptitle("The Dirac-GAN in a real 1-D GAN (tinygan's Trainer, minibatches, SGD)", fontsize=11.5)
    fig.tight_layout()
    return _save(fig, path)


def _save(fig, path):
    if path is not None:
        save(fig, path)
    return fig
