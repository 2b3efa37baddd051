"""Where do the samples that are not high quality lie? (the default recipe, or any preset)

Trains one run and prints the distance of each sample to its nearest centre in units of
the mode std, as quantiles and as the fraction within 3, 5, 10 and 30 std: blur (samples a
little too far, 3-10 std: the generator's jitter or a mode too wide) and bridges (far from
every mode: samples in transit between modes) call for different cures. On the grid it
also prints the high-quality count per mode as a 5 x 5 table (corners, edges, interior).

    python benchmarks/diagnose/hq_anatomy.py PRESET DATA SEED [field=value ...]
"""

import ast
import sys

import numpy as np

from common import _standardized_get_dataset, config
import tinygan.gan as gan
from tinygan.data import get_dataset
from tinygan.metrics import mode_coverage


def anatomy(tr, n=2500):
    rng = np.random.default_rng([tr.config.seed, 999])
    x = tr.sample(n, rng).astype(np.float64)
    c, std = tr.data.centers, tr.data.std
    d = np.sqrt(((x[:, None, :] - c[None]) ** 2).sum(-1)).min(1) / std
    r = mode_coverage(x, c, std)
    q = np.percentile(d, [10, 25, 50, 75, 90])
    within = {k: float(np.mean(d < k)) for k in (3, 5, 10, 30)}
    print(f"  modes {r['modes']} balanced {r['balanced_modes']} hq {100 * r['high_quality']:.1f}% "
          f"rkl {r['reverse_kl']:.3f}")
    print("  distance to nearest centre (std units), percentiles 10/25/50/75/90: "
          + " ".join(f"{v:.1f}" for v in q))
    print("  fraction within 3/5/10/30 std: " + " ".join(f"{100 * v:.1f}%" for v in within.values()))
    if len(c) == 25:
        h = np.array(r["hq_counts"]).reshape(5, 5)
        print("  high-quality samples per grid mode:")
        for row in h:
            print("    " + " ".join(f"{v:4d}" for v in row))
    return r


if __name__ == "__main__":
    preset, data, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    kw = {k: ast.literal_eval(v) for k, v in (a.split("=", 1) for a in sys.argv[4:])}
    if kw.pop("standardize", False):
        gan.get_dataset = _standardized_get_dataset
    tr = gan.Trainer(config(preset, data, seed, **kw))
    gan.get_dataset = get_dataset
    tr.train()
    print(f"{preset} {data} seed {seed} {kw}")
    anatomy(tr)
