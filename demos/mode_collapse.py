"""Q3: mode collapse on the ring of 8 and the grid of 25, and what the remedies do about it.

A thin wrapper for a clone of the repository: the demo lives in tinygan/demos/mode_collapse.py, and
`tinygan demo mode_collapse` runs the same code from an installed package.
    python demos/mode_collapse.py [--quick] [--out DIR]
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")             # small matrices: one BLAS thread
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))    # the clone's tinygan, installed or not

from tinygan.demos.mode_collapse import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
