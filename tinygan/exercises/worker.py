"""The process that runs one student's file: it imports the file, then calls the student's
functions on the inputs the checker sends and sends back what they return. It computes no
reference value and no verdict; the checker (sandbox.py) does both, in its own process.

Started by sandbox.Worker as `python -I -c BOOT CONFIG` (CONFIG: the paths to tinygan and
numpy, the memory and CPU-time limits, which it sets on itself, soft and hard, before it reads
a request: the student's code cannot raise them again). It reads requests on its stdin and
answers on its stdout, then points stdin at /dev/null and stdout at stderr, so that the
student's input() and print() cannot touch the channel; stderr is the student's output,
which the checker reads and caps. One request, one answer (wire.py's frames):

    {"op": "import", "path": P}          -> {"callables": [names]} or {"raised": {...}}
    {"op": "call", "target": T, "args": A, "kwargs": K}
                                         -> {"value": V, "after": S} or {"raised": {...}, "after": S}

T names a function of the file ({"name": "softplus"}) or a method of an object the worker
keeps ({"handle": 3, "method": "step"}). S is the state of the arguments after the call, so
that the checker sees any input the student's code wrote into. The student's code runs with
numpy's overflow, divide and invalid warnings raised as errors, as it always has.
"""

import importlib.util
import os
import sys

try:
    import resource
except ImportError:         # not on Windows: no limits there
    resource = None

import numpy as np

from tinygan.exercises.wire import WireError, decode, encode, frame, read_frame

ERRSTATE = dict(over="raise", divide="raise", invalid="raise", under="ignore")
LIMITS = {"memory": None}   # the limits this process runs under, for the hint on a MemoryError


class Worker:
    """The student's module, the objects its code made, and the answers to the checker."""

    def __init__(self):
        self.module = None
        self.objects = {}       # handle -> an object the student's code made, kept here

    # ---------------------------------------------------------------- requests

    def answer(self, header, blobs):
        if header.get("op") == "import":
            return self.load(header["path"])
        if header.get("op") == "call":
            return self.call(header, blobs)
        raise ValueError(f"unknown request {header.get('op')!r}")

    def load(self, path):
        spec = importlib.util.spec_from_file_location("tinygan_student", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module     # as an import would (dataclasses look it up)
        try:
            spec.loader.exec_module(module)
        except BaseException as err:  # noqa: BLE001 - every way an import can fail is reported
            # a SyntaxError names its own line; any other error, the student's innermost frame
            return {"raised": _raised(err, where=not isinstance(err, SyntaxError))}
        self.module = module
        return {"callables": sorted(k for k, v in vars(module).items() if callable(v))}

    def call(self, header, blobs):
        fn = self.target(header["target"])
        args = decode(header["args"], blobs, self.incoming)
        kwargs = decode(header["kwargs"], blobs, self.incoming)
        out = {}
        try:
            with np.errstate(**ERRSTATE):
                value = fn(*args, **kwargs)
        except BaseException as err:  # noqa: BLE001 - reported, the checker names the mistake
            out["raised"] = _raised(err)
        else:
            inputs = list(_arrays((args, kwargs), []))
            out["value"] = self.outgoing(value, inputs)
        out["after"] = self.state((args, kwargs))
        return out

    def target(self, spec):
        if "name" in spec:
            return getattr(self.module, spec["name"])
        obj = self.objects[int(spec["handle"])]
        return getattr(obj, spec["method"]) if spec.get("method") else obj

    # ---------------------------------------------------------------- values

    def incoming(self, tree):
        """The checker's objects: a network, a loss, a random generator, or a kept object."""
        tag = tree.get("t")
        if tag == "ref":
            return self.objects[int(tree["id"])]
        if tag == "mlp":
            from tinygan.mlp import MLP
            net = MLP(tree["sizes"], hidden=tree["hidden"], output=tree["output"], init=tree["init"],
                      dtype=np.dtype(tree["dtype"]), slope=tree["slope"])
            net.params = decode(tree["params"], self._blobs, self.incoming)
            return net
        if tag == "loss":
            from tinygan.losses import get_loss
            return get_loss(tree["name"], smooth=tree["smooth"])
        if tag == "rng":
            bit = getattr(np.random, tree["bit_generator"])()
            bit.state = decode(tree["state"], self._blobs, self.incoming)
            return np.random.Generator(bit)
        raise ValueError(f"unknown value {tag!r}")

    def keep(self, obj):
        """A handle for an object that cannot be sent: the checker can call its methods."""
        handle = len(self.objects)
        self.objects[handle] = obj
        methods = []
        try:
            names = [name for name in dir(obj) if not name.startswith("_")]
        except Exception:  # noqa: BLE001 - an object whose __dir__ fails has no methods to call
            names = []
        for name in names:
            try:
                if callable(getattr(obj, name)):
                    methods.append(name)
            except Exception:  # noqa: BLE001 - a property that raises is not a method
                pass
        return {"t": "handle", "id": handle, "type": type(obj).__name__, "methods": methods}

    def outgoing(self, value, inputs):
        """A return value: an input array handed back is sent as a pointer to that input."""
        blobs = self._out

        def other(obj):
            return self.keep(obj)

        def walk(v, depth=0):
            if isinstance(v, np.ndarray):
                for path, a in inputs:
                    if v is a or (v.shape == a.shape and v.dtype == a.dtype and np.shares_memory(v, a)):
                        return {"t": "input", "path": path}
            if type(v) in (list, tuple) and depth < 40:
                return {"t": type(v).__name__, "v": [walk(x, depth + 1) for x in v]}
            if type(v) is dict and depth < 40 and all(isinstance(k, (str, int)) for k in v):
                return {"t": "dict", "v": [[encode(k, blobs, other), walk(x, depth + 1)] for k, x in v.items()]}
            return encode(v, blobs, other, depth)

        return walk(value)

    def state(self, args):
        """The arguments after a call: arrays, dicts, lists, a network's params, an rng's state."""
        def other(obj):
            from tinygan.mlp import MLP
            if isinstance(obj, MLP):
                return {"t": "mlp", "params": encode(dict(obj.params), self._out, other)}
            if isinstance(obj, np.random.Generator):
                return {"t": "rng", "state": encode(obj.bit_generator.state, self._out, other)}
            return None     # a loss, a kept object: nothing the checker mirrors
        return encode(args, self._out, other)

    # ---------------------------------------------------------------- the loop

    def serve(self, requests, replies):
        while True:
            message = read_frame(requests)
            if message is None:
                return
            header, self._blobs = message
            self._out = []
            try:
                answer = self.answer(header, self._blobs)
            except Exception as err:  # noqa: BLE001 - the checker sent something this cannot do
                answer = {"error": f"{type(err).__name__}: {err}"}
            sys.stdout.flush()
            sys.stderr.flush()
            try:
                data = frame({**answer, "seq": header.get("seq")}, self._out)
            except WireError as err:      # an answer too large to send: say so, not the answer
                raised = {"type": "ValueError", "message": f"the answer could not be sent back: {err}",
                          "todo": False, "numeric": False, "where": ""}
                data = frame({"raised": raised, "seq": header.get("seq")}, [])
            replies.write(data)
            replies.flush()


def _raised(err, where=True):
    """An exception, described for the checker: its type, message and the student's line."""
    from tinygan.exercises.core import _where
    message = str(err)
    if isinstance(err, MemoryError):
        limit = LIMITS["memory"]
        message = (f"out of memory ({message or 'an allocation failed'}): your code may use "
                   + (f"{limit // 2**20} MiB" if limit else "the memory there is")
                   + " in all (the limit is set by --memory)")
    if isinstance(err, SystemExit):
        message = f"sys.exit({err.code!r}) was called, and the checker counts an early exit as a failure"
    return {"type": type(err).__name__, "message": message[:1000],
            "todo": isinstance(err, NotImplementedError),
            "numeric": isinstance(err, FloatingPointError),
            "where": _where(err) if where else ""}


def _arrays(value, path, depth=0):
    """(path, array) for every array inside the arguments, the path as the checker sees it."""
    if isinstance(value, np.ndarray):
        yield path, value
    elif depth > 40:
        return
    elif type(value) in (list, tuple):
        for i, v in enumerate(value):
            yield from _arrays(v, path + [i], depth + 1)
    elif type(value) is dict:
        for k, v in value.items():
            if isinstance(k, (str, int)):
                yield from _arrays(v, path + [k], depth + 1)


def limit(memory, cpu):
    """Cap this process's address space (bytes) and CPU time (seconds), soft and hard."""
    LIMITS["memory"] = memory
    if resource is None:
        return
    for which, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CPU, cpu)):
        if value is None:
            continue
        hard = resource.getrlimit(which)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass


def main(config=None):
    """Serve the checker on this process's stdin and stdout, then hand them to the student."""
    config = config or {}
    limit(config.get("memory"), config.get("cpu"))
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    sys.stdout.reconfigure(line_buffering=True)
    Worker().serve(requests, replies)
