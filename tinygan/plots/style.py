"""Shared look of every tinygan figure, applied per figure, and saving figures to disk.

    @styled              a figure function draws with tinygan's look (RC below), and only it
    save(fig, path)      write a figure (creating folders) and close it

The look is applied with matplotlib's rc_context around each figure function, never with a
global rcParams change or a backend switch: importing or calling anything in tinygan leaves
matplotlib as the user set it (in a notebook, %matplotlib inline keeps working, and the
user's own plots keep their own style). Without a display matplotlib picks its
non-interactive Agg backend by itself.
"""

import functools
from pathlib import Path

import matplotlib.pyplot as plt

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


def styled(draw):
    """Decorator: run the figure function `draw` with tinygan's look (RC), restored after."""
    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with plt.rc_context(RC):
            return draw(*args, **kwargs)
    return wrapper


def save(fig, path):
    """Save `fig` to `path` (creating folders), close it, and return the path as a string."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return str(path)
