"""The tour: run every demo, one question each, and write one HTML report to read.

A thin wrapper for a clone of the repository: the demo lives in tinygan/demos/tour.py, and
`tinygan tour` runs the same code from an installed package.
    python demos/tour.py [--quick] [--out DIR]
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")             # small matrices: one BLAS thread
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))    # the clone's tinygan, installed or not

from tinygan.demos.tour import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
