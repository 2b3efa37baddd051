"""Figures for two-player games: bilinear-game trajectories and Dirac-GAN vector fields.

Every function takes data (computed by tinygan.lab.games or a demo), returns the Figure, and saves
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
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11.5, 5), gridspec_kw={"width_ratios": [1, 1.3]})
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
            xlim=(-m, m), ylim=(-m, m), title=f"Trajectories on f(x, y) = x*y, step eta = {eta:g}")
    ax0.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=8.5)
    ax1.set_yscale("log")
    ax1.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 3.0, 5.0)))
    ax1.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    ax1.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax1.set(xlabel="step t", ylabel="distance to equilibrium  sqrt(x^2 + y^2)  (log scale)",
            title="Radius per step: measured (solid) on top of closed forms (dashed)")
    ax1.legend(loc="upper left", fontsize=8)
    fig.suptitle("Simultaneous GD spirals away from the Nash equilibrium; "
                 "alternating GD orbits it; extragradient and optimistic GD converge", fontsize=12)
    fig.tight_layout()
    if path is not None:
        save(fig, path)
    return fig


@styled
def plot_dirac_grid(panels, lim=2.0, ncols=4, suptitle=None, density=0.9, path=None):
    """Dirac-GAN: one small panel per method, its vector field as a streamplot plus trajectories.

    panels: list of dicts with keys
        title:   str, e.g. "R1 (gamma 0.3): converges"
        field:   (theta_grid, psi_grid, v_theta, v_psi), 2-D arrays from np.meshgrid (xy indexing)
        paths:   dict label -> array (T, 2) of (theta_t, psi_t)  (e.g. one per integrator)
        converged: bool, colours the title (green yes / red no)
        note:    optional str printed in the lower-right corner (e.g. final distances)
        hlines:  optional list of psi values drawn dotted (e.g. the WGAN clipping bounds)
    density: streamline density (lower draws faster).
    """
    n = len(panels)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols, 3.5 * nrows), squeeze=False,
                             sharex=True, sharey=True)
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
        ax.set_title(pan["title"], fontsize=10,
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
               loc="lower center", ncol=4, bbox_to_anchor=(0.5, -0.03), frameon=False)
    fig.suptitle(suptitle or "Dirac-GAN: which training methods converge to (0, 0)?", fontsize=13)
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
    fig, ax = plt.subplots(figsize=(9, 5))
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
           title=f"One simultaneous gradient step (h = {h:g}) near the Dirac-GAN equilibrium:\n"
                 "purely imaginary eigenvalues (GAN, WGAN) land outside the circle; "
                 "damping pulls them in")
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8.5)
    if path is not None:
        save(fig, path)
    return fig
