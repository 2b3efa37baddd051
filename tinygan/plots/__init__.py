"""Every matplotlib figure tinygan draws, one module per topic.

The figures are drawn with the non-interactive Agg backend, so they work on machines with
no screen (CI, remote servers). Each function takes data, returns the Figure, and saves it
when given a path.
"""

import matplotlib

matplotlib.use("Agg")  # headless-safe: never needs a display

from tinygan.plots.style import save  # noqa: E402

__all__ = ["save"]
from tinygan.plots.training import animate, plot_curves, plot_gradient_norms, plot_image_grid, plot_snapshot, snapshot  # noqa: E402,F401
