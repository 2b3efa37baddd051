"""Shared look of every tinygan figure, and saving figures to disk."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

# One palette for the whole project, so a colour means the same thing in every figure.
REAL = "#1f77b4"       # data
FAKE = "#d62728"       # generator samples
MINIMAX = "#d62728"
NONSAT = "#2ca02c"
NEUTRAL = "#444444"
CYCLE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
         "#17becf", "#7f7f7f", "#bcbd22"]

RC = {
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "font.size": 10,
}
plt.rcParams.update(RC)


def save(fig, path):
    """Save `fig` to `path` (creating folders), close it, and return the path as a string."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return str(path)
