"""The experiments behind the questions: each module answers one, on top of the engine.

    saturation       Q1  Goodfellow's three generator costs; a frozen G against a fresh D
    parallel_lines   Q2  WGAN's Example 1: JS and W1 in closed form and estimated; far starts
    games            Q4  the bilinear game and the Dirac-GAN, solved step by step
    blind            Q6  a Trainer whose D never sees G's samples
    landscape        D evaluated on a lattice over the data: snapshots, D's peak, Q6's maps
    sweep            seeded runs on local processes or a Dask cluster, never trained twice
    store            run keys (sha256 of the whole Config) and the append-only results file

They call the engine's own steps (tinygan.steps.d_gradients and g_gradients); no experiment
writes a training step of its own.
"""
