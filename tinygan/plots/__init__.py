"""Every matplotlib figure tinygan draws, one module per topic.

    snapshots   a training run's state: D's heatmap, samples, G's gradient arrows; the GIF
    curves      a run's loss, accuracy and gradient curves over its metrics; image grids
    compare     several runs side by side (the demos on mode collapse and loss curves)
    games       the bilinear game and the Dirac-GAN
    probes      the frozen-generator and parallel-lines experiments

The figures are drawn with the non-interactive Agg backend, so they work on machines with
no screen (CI, remote servers). Each function takes data, returns the Figure, and saves it
when given a path.
"""

import matplotlib

matplotlib.use("Agg")  # headless-safe: never needs a display

from tinygan.plots.curves import plot_curves, plot_gradient_norms, plot_image_grid  # noqa: E402
from tinygan.plots.snapshots import animate, plot_snapshot, snapshot  # noqa: E402
from tinygan.plots.style import save  # noqa: E402

__all__ = ["save", "snapshot", "plot_snapshot", "animate", "plot_curves", "plot_gradient_norms",
           "plot_image_grid"]
