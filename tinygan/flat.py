"""Many named arrays in one flat buffer: the layout an MLP's parameters and gradients use.

An MLP with L layers has 2L parameter arrays. Kept as separate arrays, every elementwise
update (an optimizer step, a weight average) costs 2L NumPy calls per line of its math;
kept as consecutive pieces of one 1-D buffer, the same update runs once over the buffer:

    buffer = [ W1 (D0*D1 values) | b1 (D1) | W2 (D1*D2) | b2 (D2) | ... ]
    params = Packed(buffer, {"W1": (D0, D1), "b1": (D1,), ...})
    params["W1"]          # a (D0, D1) array: a view of buffer[0 : D0*D1]
    params.flat           # the buffer itself

An elementwise formula gives each number the same bits whether it runs array by array or
over the concatenation of the arrays, so the flat form changes speed and nothing else.
"""

import functools
import math

import numpy as np


class Packed(dict):
    """A dict of named arrays that are consecutive views of one 1-D buffer, `self.flat`.

    It is an ordinary dict to read and to change in place (params["W1"] -= ..., clipping,
    loading a checkpoint with params["W1"][...] = saved). `elementwise` below runs an update
    over `.flat` only while every value is still a view of it: a key rebound to another array
    (params["W1"] = new) makes the dict an ordinary one again, updated array by array.
    """

    def __init__(self, flat, layout):
        """flat: a contiguous 1-D array; layout: {key: shape} or ((key, shape), ...) in order."""
        super().__init__()
        if flat.ndim != 1 or not flat.flags.c_contiguous:
            raise ValueError(f"the buffer must be a contiguous 1-D array, got shape {flat.shape}")
        if not isinstance(layout, tuple):
            layout = tuple((key, tuple(shape)) for key, shape in layout.items())
        pieces, size = _pieces(layout)
        if size != flat.size:
            raise ValueError(f"the shapes hold {size} numbers but the buffer has {flat.size}")
        for key, start, stop, shape in pieces:
            self[key] = flat[start:stop].reshape(shape)
        self.flat = flat
        self.layout = layout  # shared by every Packed built from it: comparing is then cheap

    @classmethod
    def empty(cls, layout, dtype):
        """Uninitialised arrays of these shapes in one new buffer."""
        return cls(np.empty(size_of(layout), dtype=dtype), layout)

    @classmethod
    def zeros(cls, layout, dtype):
        """Arrays of zeros of these shapes in one new buffer."""
        return cls(np.zeros(size_of(layout), dtype=dtype), layout)

    @classmethod
    def copy_of(cls, arrays, dtype=None):
        """A packed copy of a dict of arrays (any layout), keys in the same order.

        dtype: that of the copy (default: the arrays' common type).
        """
        if flat_view(arrays) is not None:
            layout = arrays.layout
        else:
            layout = {key: np.shape(a) for key, a in arrays.items()}
        if dtype is None:
            dtype = np.result_type(*arrays.values())
        packed = cls.empty(layout, dtype)
        for key, a in arrays.items():
            packed[key][...] = a
        return packed

    def copy(self):
        """A packed deep copy (unlike dict.copy, which would share the arrays)."""
        return Packed.copy_of(self)


def size_of(layout):
    """The number of values a layout ({key: shape} or ((key, shape), ...)) holds."""
    if isinstance(layout, tuple):
        return _pieces(layout)[1]
    return sum(math.prod(shape) for shape in layout.values())


@functools.lru_cache(maxsize=256)
def _pieces(layout):
    """((key, start, stop, shape), ...) of a layout tuple, and its size: computed once."""
    pieces, offset = [], 0
    for key, shape in layout:
        pieces.append((key, offset, offset + math.prod(shape), shape))
        offset += math.prod(shape)
    return tuple(pieces), offset


def flat_view(arrays):
    """The buffer of a Packed dict whose values are all still views of it; else None."""
    flat = getattr(arrays, "flat", None)
    if flat is None or len(arrays) != len(arrays.layout):
        return None
    for a in arrays.values():
        if a.base is not flat:
            return None
    return flat


# Values per block of a flat update: 2^16 float32 values are 256 KiB per array, so the five
# arrays of an Adam step (p, g, m, v and a work array) stay in a core's L2 cache while all
# lines of the update run over them, instead of streaming from memory once per line.
BLOCK = 1 << 16


def elementwise(update, first, *others):
    """Run update(a, b, ...) on matching arrays of the dicts `first, *others`, in place.

    When every dict is a Packed dict laid out like `first` (the same keys, in the same
    order, with the same shapes), that is one call per BLOCK values of the flat buffers
    (one call in all for a small network); otherwise one call per key. For an elementwise
    update the two give the same bits:

        for key in first:                      # the plain form
            update(first[key], *(d[key] for d in others))
    """
    flats = [flat_view(first)]
    if flats[0] is not None:
        for d in others:
            flat = flat_view(d)
            if flat is None or d.layout != first.layout:
                break
            flats.append(flat)
        else:
            for start in range(0, flats[0].size, BLOCK):
                update(*(f[start:start + BLOCK] for f in flats))
            return
    for key, a in first.items():
        update(a, *(d[key] for d in others))
