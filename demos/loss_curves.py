"""Q5: how to read D and G loss curves: a healthy run, a collapsing one, and one that only looks healthy.

A thin wrapper for a clone of the repository: the demo lives in tinygan/demos/loss_curves.py, and
`tinygan demo loss_curves` runs the same code from an installed package.
    python demos/loss_curves.py [--quick] [--out DIR]
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")             # small matrices: one BLAS thread
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))    # the clone's tinygan, installed or not

from tinygan.demos.loss_curves import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
