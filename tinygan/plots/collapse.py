"""Figures of the mode-collapse demo: one base and its remedies side by side (its samples are
compare.plot_sample_strips).

    plot_remedies_side_by_side(columns, reference, n_modes)   modes and high quality, one column per row

Every function takes plain arrays and dicts (never a Trainer), returns the Figure, and saves
it when given a path.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker

from tinygan.plots.style import CYCLE, NEUTRAL, save, styled

__all__ = ["plot_remedies_side_by_side"]

GOOD, BAD = "#2ca02c", "#d62728"


@styled
def plot_remedies_side_by_side(columns, reference, n_modes, path=None, title=None):
    """Modes captured and the high-quality share per data set, one column per configuration.

    columns: list of {"title": str, "verdicts": [(text, True / False / None), ...] (shown as
    'text: held' or 'text: not held'; None: not shown), "series": {data: {"x": (T,) budget %, "modes": (seeds, T),
    "hq": (seeds, T) in %}}}. reference: the same "series" dict of the base, drawn in grey in
    every column. n_modes: {data: K}. Rows: for each data set, modes then high quality.
    """
    datas = list(n_modes)
    nrow, ncol = 2 * len(datas), len(columns)
    fig, axes = plt.subplots(nrow, ncol, figsize=(1.95 * ncol + 0.8, 1.55 * nrow + 0.9), sharex=True,
                             sharey="row", squeeze=False, layout="constrained")
    for c, col in enumerate(columns):
        color = CYCLE[c % len(CYCLE)] if c else NEUTRAL
        for d, data in enumerate(datas):
            for r, key in enumerate(("modes", "hq")):
                ax = axes[2 * d + r, c]
                ref = reference[data]
                if c:                          # the base, repeated as a reference
                    ax.plot(ref["x"], np.mean(ref[key], axis=0), color="#9a9a9a", lw=1.8, zorder=2)
                s = col["series"][data]
                ys = np.asarray(s[key], dtype=float)
                for y in ys:
                    ax.plot(s["x"], y, color=color, lw=0.8, alpha=0.35, zorder=3)
                ax.plot(s["x"], ys.mean(axis=0), color=color, lw=2.2, zorder=4)
                if key == "modes":
                    ax.axhline(n_modes[data], color=NEUTRAL, lw=0.8, ls=":")
                    ax.set_ylim(0, n_modes[data] * 1.08)
                    ax.yaxis.set_major_locator(ticker.MaxNLocator(4, integer=True))
                else:
                    ax.set_ylim(-3, 103)
                    ax.yaxis.set_major_locator(ticker.FixedLocator([0, 50, 100]))
                if c == 0:
                    ax.set_ylabel(f"{data}\n{'modes' if key == 'modes' else 'high quality %'}", fontsize=9)
                ax.tick_params(labelsize=8)
        axes[0, c].set_title(col["title"], fontsize=9, loc="left")
        for i, (text, held) in enumerate(v for v in col.get("verdicts", ()) if v[1] is not None):
            axes[-1, c].annotate(f"{text}: {'held' if held else 'not held'}", (0.5, 0), xycoords="axes fraction",
                                 xytext=(0, -30 - 12 * i), textcoords="offset points", ha="center", va="top",
                                 fontsize=8.5, fontweight="bold", color=GOOD if held else BAD,
                                 annotation_clip=False)
        axes[-1, c].set_xlabel("% of the CPU budget", fontsize=8.5)
        axes[-1, c].xaxis.set_major_locator(ticker.FixedLocator([0, 50, 100]))
    handles = [plt.Line2D([], [], color="#9a9a9a", lw=1.8, label="the base (mean), for reference"),
               plt.Line2D([], [], color=NEUTRAL, lw=2.2, label="this column: mean of the seeds"),
               plt.Line2D([], [], color=NEUTRAL, lw=0.8, alpha=0.4, label="one seed"),
               plt.Line2D([], [], color=NEUTRAL, lw=0.8, ls=":", label="all modes")]
    fig.legend(handles=handles, loc="outside upper center", ncol=4, fontsize=8.5)
    if title:
        fig.suptitle(title)
    if path is not None:
        save(fig, path)
    return fig
