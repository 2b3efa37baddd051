"""Packed dicts: named arrays as views of one buffer, and flat updates equal per-array ones."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from strategies import seeds

from tinygan import flat
from tinygan.flat import Packed, elementwise, flat_view

LAYOUT = {"W1": (3, 4), "b1": (4,), "W2": (4, 1), "b2": (1,)}


def bits(a):
    """The raw bytes of an array: equal bits, not merely equal values (-0.0 != 0.0 here)."""
    return np.ascontiguousarray(a).view(np.uint8)


def test_arrays_are_consecutive_views_of_the_buffer():
    p = Packed(np.arange(21.0), LAYOUT)
    assert p["W1"].shape == (3, 4) and p["b2"].shape == (1,)
    assert_array_equal(p["W1"].ravel(), np.arange(12.0))
    assert_array_equal(p["b1"], np.arange(12.0, 16.0))
    p["W2"][...] = -1.0                       # writing a view writes the buffer
    assert_array_equal(p.flat[16:20], -1.0)
    assert flat_view(p) is p.flat


def test_a_wrong_size_buffer_is_refused():
    with pytest.raises(ValueError, match="hold 21 numbers but the buffer has 20"):
        Packed(np.zeros(20), LAYOUT)
    with pytest.raises(ValueError, match="contiguous 1-D"):
        Packed(np.zeros((3, 7)), LAYOUT)


def test_rebinding_a_key_makes_it_an_ordinary_dict():
    p = Packed.zeros(LAYOUT, np.float64)
    p["b1"] = np.ones(4)                      # no longer a view of p.flat
    assert flat_view(p) is None
    q = Packed.zeros(LAYOUT, np.float64)
    q["extra"] = np.ones(2)
    assert flat_view(q) is None


def test_copies_are_packed_and_independent():
    p = Packed(np.arange(21.0), LAYOUT)
    for c in (p.copy(), Packed.copy_of(p), Packed.copy_of(dict(p))):
        assert flat_view(c) is not None and not np.shares_memory(c.flat, p.flat)
        assert list(c) == list(LAYOUT) and all(np.array_equal(c[k], p[k]) for k in p)
    half = Packed.copy_of(p, dtype=np.float32)
    assert half.flat.dtype == np.float32


def adam_like(p, g, m):
    """An elementwise update with several lines, as an optimizer writes it."""
    m *= 0.5
    m += np.multiply(g, 0.5)
    w = np.sqrt(np.abs(m))
    w += 1e-8
    p -= 1e-3 * (m / w)


@given(seeds, st.sampled_from([np.float32, np.float64]), st.integers(1, 3))
def test_flat_update_gives_the_same_bits_as_array_by_array(seed, dtype, steps):
    rng = np.random.default_rng(seed)
    packed = [Packed(rng.standard_normal(21).astype(dtype), LAYOUT) for _ in range(3)]
    plain = [{k: v.copy() for k, v in d.items()} for d in packed]
    for _ in range(steps):
        elementwise(adam_like, *packed)       # one call on the buffers
        elementwise(adam_like, *plain)        # one call per key: the plain form
    for d, e in zip(packed, plain):
        for k in LAYOUT:
            assert_array_equal(bits(d[k]), bits(e[k]))


def test_flat_update_runs_once_per_block(monkeypatch):
    monkeypatch.setattr(flat, "BLOCK", 8)
    rng = np.random.default_rng(0)
    packed = [Packed(rng.standard_normal(21), LAYOUT) for _ in range(3)]
    plain = [{k: v.copy() for k, v in d.items()} for d in packed]
    sizes = []
    elementwise(lambda *a: (sizes.append(a[0].size), adam_like(*a)), *packed)
    assert sizes == [8, 8, 5]
    elementwise(adam_like, *plain)
    for d, e in zip(packed, plain):
        for k in LAYOUT:
            assert_array_equal(bits(d[k]), bits(e[k]))


def test_dicts_laid_out_differently_are_updated_key_by_key():
    a = Packed(np.arange(21.0), LAYOUT)
    b = Packed(np.arange(21.0), dict(reversed(LAYOUT.items())))   # same keys, other order
    calls = []
    elementwise(lambda x, y: calls.append(x.shape), a, b)
    assert calls == list(LAYOUT.values())
