"""Q4: why does simultaneous gradient descent not find the Nash equilibrium?

A thin wrapper for a clone of the repository: the demo lives in tinygan/demos/nash_equilibrium.py, and
`tinygan demo nash_equilibrium` runs the same code from an installed package.
    python demos/nash_equilibrium.py [--quick] [--out DIR]
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")             # small matrices: one BLAS thread
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))    # the clone's tinygan, installed or not

from tinygan.demos.nash_equilibrium import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
