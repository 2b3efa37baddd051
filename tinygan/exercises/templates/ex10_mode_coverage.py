"""Exercise 10: counting the modes a generator covers.

Learning goal: implement the mode-coverage protocol used to report mode collapse on 2-D
mixtures (VEEGAN, PacGAN), and know what its three numbers do and do not say.

The data: K Gaussians of standard deviation std, with centres on a circle of radius r:

    c_j = r * (cos(2 pi j / K), sin(2 pi j / K)),    j = 0, 1, ..., K-1

Beware: np.linspace(0, 2*pi, K) is NOT the same set of angles.

The protocol, for N generated samples (PacGAN's, as its released code computes it):
  1. Assign every sample to its nearest centre (Euclidean distance).
  2. A sample is high quality if that distance is at most n_std * std (3 std by default).
  3. A mode is captured if at least one HIGH-QUALITY sample is assigned to it.
  4. The reverse KL is taken over the HIGH-QUALITY samples only: with q_j the fraction of
     the high-quality samples assigned to centre j, the reverse KL to the uniform
     distribution over modes is  sum_j q_j log(K q_j)  (natural log; a term with q_j = 0 is
     0). It is 0 when the captured modes get equal shares of the high-quality samples and
     log K when one mode gets all of them. When no sample is high quality the histogram
     is empty and the reverse KL is undefined: return float("nan").

Report:  modes = the number of captured modes (an int), high_quality = the fraction of high-
quality samples among all N (a float in [0, 1]), reverse_kl (a float).

What the three numbers cannot see: a generator that sprays samples evenly over the whole
plane puts a high-quality sample on many modes by chance and an even (low-KL) histogram on
them; only its tiny high_quality gives it away. Always read the three together.

Check your work:  tinygan exercise check 10    (or: pytest exercises/ -k ex10)
"""

import numpy as np  # noqa: F401  (you will need it)


def ring_centers(k, radius=1.0):
    """The K centres of the ring: row j = radius * (cos(2 pi j / K), sin(2 pi j / K)).

    k: int >= 1; radius: float > 0. Returns an array of shape (k, 2).
    """
    # TODO
    raise NotImplementedError


def mode_coverage(samples, centers, std, n_std=3.0):
    """Modes captured, high-quality fraction and reverse KL of samples from a K-mode mixture.

    samples: (N, 2); centers: (K, 2); std: the modes' standard deviation; n_std: the
    high-quality radius in units of std.
    Returns {"modes": int, "high_quality": float, "reverse_kl": float}. samples and centers
    are not modified.
    """
    # TODO: distances (N, K), nearest centre per sample, then the three numbers.
    raise NotImplementedError
