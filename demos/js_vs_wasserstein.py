"""Q2: why does Jensen-Shannon saturate, and what do noise and the Wasserstein distance do about it?

A thin wrapper for a clone of the repository: the demo lives in tinygan/demos/js_vs_wasserstein.py, and
`tinygan demo js_vs_wasserstein` runs the same code from an installed package.
    python demos/js_vs_wasserstein.py [--quick] [--out DIR]
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")             # small matrices: one BLAS thread
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))    # the clone's tinygan, installed or not

from tinygan.demos.js_vs_wasserstein import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
