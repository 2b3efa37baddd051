"""Hypothesis strategies and helpers shared by the engine's property tests."""

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygan.ops import linear_forward

# Finite differences in float64 with h = 1e-5 are accurate to ~1e-9 here; these tolerances
# leave room for that and nothing more (a wrong gradient is off by O(1)).
RTOL, ATOL = 1e-6, 1e-8
H = 1e-5
KINK_MARGIN = 1e-3          # ReLU-like inputs are kept this far from 0 (much more than H)

ACTIVATIONS = ("identity", "relu", "leaky_relu", "tanh", "sigmoid", "softplus")
SMOOTH = ("identity", "tanh", "sigmoid", "softplus")
KINKED = ("relu", "leaky_relu")
OUTPUTS = ("none", "tanh", "sigmoid")
LOSS_NAMES = ("minimax", "nonsaturating", "wasserstein", "least_squares", "hinge")

seeds = st.integers(0, 2**32 - 1)
small = st.integers(1, 5)


def arrays(shape, lo=-3.0, hi=3.0):
    """float64 arrays of `shape` with entries in [lo, hi]."""
    return hnp.arrays(np.float64, shape, elements=st.floats(lo, hi, allow_nan=False,
                                                            allow_subnormal=False))


@st.composite
def matrices(draw, max_rows=5, max_cols=5, lo=-3.0, hi=3.0):
    shape = (draw(st.integers(1, max_rows)), draw(st.integers(1, max_cols)))
    return draw(arrays(shape, lo, hi))


def pre_activations(mlp, x):
    """Every hidden layer's input to its activation, recomputed independently of MLP.forward."""
    pre, h = [], x
    for l in range(1, mlp.n_layers + 1):
        a, _ = linear_forward(h, mlp.params[f"W{l}"], mlp.params[f"b{l}"])
        act = mlp.hidden if l < mlp.n_layers else mlp.output
        pre.append(a)
        h, _ = act.forward(a)
    return pre


def assume_off_kinks(mlp, x):
    """Skip examples where a ReLU-like unit sits within KINK_MARGIN of its kink."""
    if mlp.hidden.name in KINKED:
        for a in pre_activations(mlp, x)[:-1]:
            assume(np.min(np.abs(a)) > KINK_MARGIN)


def same_evaluations(a, b):
    """Evaluations equal value for value, NaN equal to NaN (reverse KL is NaN when no sample
    is high quality, and NaN != NaN would make two identical runs look different)."""
    import json
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
