"""Q6: why train the discriminator on the generator's samples at all?

A thin wrapper for a clone of the repository: the demo lives in tinygan/demos/why_d_sees_g.py, and
`tinygan demo why_d_sees_g` runs the same code from an installed package.
    python demos/why_d_sees_g.py [--quick] [--out DIR]
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")             # small matrices: one BLAS thread
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))    # the clone's tinygan, installed or not

from tinygan.demos.why_d_sees_g import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
