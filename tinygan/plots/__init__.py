"""Every matplotlib figure tinygan draws, one module per topic: arrays in, figures out.

    snapshots   a training run's state: D's heatmap, samples, G's gradient arrows; the GIF
    curves      a run's loss, accuracy and gradient curves over its metrics; image grids
    compare     several runs side by side (the demos on mode collapse and loss curves)
    games       the bilinear game and the Dirac-GAN
    probes      the frozen-generator and parallel-lines experiments

Each function takes plain arrays and dicts (never a trainer), returns the Figure, and saves
it when given a path. tinygan's look is applied per figure (style.styled): matplotlib's
backend and rcParams are left exactly as the user set them.
"""

from tinygan.plots.curves import plot_curves, plot_gradient_norms, plot_image_grid
from tinygan.plots.snapshots import animate, plot_snapshot
from tinygan.plots.style import save

__all__ = ["save", "plot_snapshot", "animate", "plot_curves", "plot_gradient_norms", "plot_image_grid"]
