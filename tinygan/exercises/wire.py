"""How the checker and the process running a student's file talk: plain values, no pickle.

The checker sends the inputs it drew; the student's process sends back what the student's
functions returned. Nothing else crosses, and nothing that crosses can run code: a message
is a JSON tree plus the raw bytes of its arrays,

    8 bytes    n, the length of the header (big-endian)
    n bytes    the header, JSON in UTF-8; header["blobs"] lists the size of every array
    ...        the arrays' bytes, one after another

In the tree, JSON's own values (None, bools, ints, floats, strings) stand for themselves and
every other value is a dict tagged "t":

    {"t": "list" | "tuple", "v": [...]}        {"t": "dict", "v": [[key, value], ...]}
    {"t": "array", "blob": i, "dtype": "<f8", "shape": [...], "scalar": false}

Only numeric arrays cross (booleans, integers, floats, complex numbers). Anything else is
handed to a callback that each side supplies (`other`): the checker sends its networks, loss
objects and random generators by description, and the student's process keeps objects it
cannot send (an optimizer instance, a cache of its own design) and sends a handle instead.
"""

import json

import numpy as np

MAX_BYTES = 64 * 2**20      # the largest message either side accepts
MAX_DEPTH = 40              # the deepest nesting of lists, tuples and dicts
KINDS = "biufc"             # numpy dtype kinds that may cross: bool, int, uint, float, complex


class WireError(Exception):
    """A message that does not follow the format above."""


# ============================================================================ values <-> trees

def encode(value, blobs, other, depth=0):
    """The tree of `value`; array bytes are appended to blobs; other(value) encodes the rest."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in KINDS:
        array = np.ascontiguousarray(value)
        blobs.append(array.tobytes())
        return {"t": "array", "blob": len(blobs) - 1, "dtype": array.dtype.str,
                "shape": list(array.shape), "scalar": isinstance(value, np.generic)}
    if isinstance(value, (int, float, str)):      # a subclass (an IntEnum, ...): its plain value
        return (int if isinstance(value, int) else float if isinstance(value, float) else str)(value)
    if depth > MAX_DEPTH:
        return other(value)
    if type(value) in (list, tuple):
        return {"t": type(value).__name__, "v": [encode(v, blobs, other, depth + 1) for v in value]}
    if isinstance(value, dict) and all(_plain_key(k) for k in value):   # a dict subclass as a dict
        return {"t": "dict", "v": [[encode(k, blobs, other, depth + 1), encode(v, blobs, other, depth + 1)]
                                   for k, v in value.items()]}
    return other(value)


def _plain_key(key):
    return key is None or type(key) in (str, int, float, bool) or \
        (type(key) is tuple and all(_plain_key(k) for k in key))


def decode(tree, blobs, other, depth=0):
    """The value of a tree made by encode; other(tree) decodes tags this module does not know."""
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    if depth > MAX_DEPTH + 1:
        raise WireError("nested too deeply")
    if isinstance(tree, list):
        raise WireError("a bare JSON list")
    if not isinstance(tree, dict):
        raise WireError(f"an unknown value {type(tree).__name__}")
    tag = tree.get("t")
    if tag in ("list", "tuple"):
        items = [decode(v, blobs, other, depth + 1) for v in _items(tree)]
        return items if tag == "list" else tuple(items)
    if tag == "dict":
        out = {}
        for pair in _items(tree):
            if not isinstance(pair, list) or len(pair) != 2:
                raise WireError("a dict entry that is not a [key, value] pair")
            key = decode(pair[0], blobs, other, depth + 1)
            if not _plain_key(key):
                raise WireError("a dict key that is not a plain value")
            out[key] = decode(pair[1], blobs, other, depth + 1)
        return out
    if tag == "array":
        return _array(tree, blobs)
    return other(tree)


def _items(tree):
    items = tree.get("v")
    if not isinstance(items, list):
        raise WireError(f"a {tree.get('t')} without its items")
    return items


def _array(tree, blobs):
    try:
        dtype = np.dtype(tree["dtype"])
        shape = tuple(int(n) for n in tree["shape"])
        blob = blobs[int(tree["blob"])]
    except (KeyError, TypeError, ValueError, IndexError):
        raise WireError("an array with a bad dtype, shape or blob") from None
    if dtype.kind not in KINDS or dtype.hasobject or min(shape, default=0) < 0:
        raise WireError(f"an array of dtype {dtype} or shape {shape}, which may not cross")
    if len(blob) != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
        raise WireError("an array whose bytes do not match its shape")
    array = np.frombuffer(blob, dtype=dtype).reshape(shape).copy()
    return array[()] if tree.get("scalar") and array.ndim == 0 else array


# ============================================================================ frames

def frame(header, blobs):
    """The bytes of one message: header (a JSON-able dict) and the array bytes it refers to."""
    head = json.dumps({**header, "blobs": [len(b) for b in blobs]}).encode("utf-8")
    data = b"".join([len(head).to_bytes(8, "big"), head, *blobs])
    if len(data) > MAX_BYTES:
        raise WireError(f"a message of {len(data) / 2**20:.0f} MB, more than the "
                        f"{MAX_BYTES // 2**20} MB allowed")
    return data


def read_frame(stream):
    """The next message (header, blobs) from a binary stream; None at a clean end of stream."""
    first = _read(stream, 8, allow_end=True)
    if first is None:
        return None
    size = int.from_bytes(first, "big")
    if size > MAX_BYTES:
        raise WireError(f"a header of {size} bytes")
    try:
        header = json.loads(_read(stream, size).decode("utf-8"))
        sizes = [int(n) for n in header["blobs"]]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise WireError(f"an unreadable header ({type(err).__name__})") from None
    if not isinstance(header, dict) or min(sizes, default=0) < 0 or sum(sizes) + size > MAX_BYTES:
        raise WireError("a header that is not a dict, or too many bytes")
    return header, [_read(stream, n) for n in sizes]


def _read(stream, n, allow_end=False):
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            if allow_end and got == 0:
                return None
            raise WireError("a message cut short")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)
