"""Crafted checkpoint files: each one is refused by `tinygan evaluate` AND by `tinygan train
--resume` with the same one-line error (exit 2), and neither command changes anything on disk.

One real tiny run is trained once per module; every case below is a function that takes
that run's checkpoint (its arrays and its metadata) and returns the bytes of a damaged or
hostile file: a missing config, a malformed optimizer state, shapes that would only break
at the first step, a member that is not .npy, a .npy header declaring 1e12 or 1e20
elements, a deflate bomb, NaN weights, garbage before the zip, bit flips, truncations, a
pickle. `tally` runs the whole table and counts the outcomes (it is what the numbers in
issue 15's note come from: `python tests/test_checkpoint_files.py`).
"""

import io
import json
import os
import shutil
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from clifuzz import attempt  # noqa: E402

BASE = ["--steps", "20", "--z-dim", "16", "--eval-every", "10", "--g-hidden", "8", "--d-hidden", "8",
        "--batch-size", "32", "--eval-samples", "200", "--ema", "0.9", "--seed", "3"]
RESUME = ["--steps", "30"]      # the base run is at step 20 of 20: resuming extends it


# ----------------------------------------------------------------------------- building files

def npy(array):
    """The .npy bytes of an array (pickles allowed, so that a case can hold one)."""
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asanyarray(array), allow_pickle=True)
    return buf.getvalue()


def npy_header(shape, descr="<f8"):
    """Only the header of a .npy file declaring `shape` of `descr`: no data follows."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False,
                                               "shape": tuple(shape)})
    return buf.getvalue()


def zip_of(members, deflate=()):
    """A zip holding {name: bytes}; the names in `deflate` compressed, the rest stored."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            kind = zipfile.ZIP_DEFLATED if name in deflate else zipfile.ZIP_STORED
            z.writestr(name, data, compress_type=kind)
    return buf.getvalue()


class Base:
    """The real checkpoint, as arrays and metadata, with ways to write variants of it."""

    def __init__(self, path):
        self.bytes = Path(path).read_bytes()
        with np.load(path) as npz:
            self.arrays = {k: npz[k] for k in npz.files}
        self.meta = json.loads(self.arrays["meta"].tobytes().decode())

    def members(self, **changes):
        """{member name: .npy bytes} with `changes` ({array name: array or None to drop})."""
        arrays = dict(self.arrays)
        for key, value in changes.items():
            key = key.replace("__", "/")
            if value is None:
                arrays.pop(key, None)
            else:
                arrays[key] = value
        return {f"{k}.npy": npy(v) for k, v in arrays.items()}

    def with_arrays(self, **changes):
        return zip_of(self.members(**changes))

    def with_meta(self, edit):
        """The file with its meta replaced by edit(copy of meta) (any JSON value)."""
        meta = json.loads(json.dumps(self.meta))
        new = edit(meta)
        meta = meta if new is None else new
        return self.with_arrays(meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))

    def with_config(self, **fields):
        def edit(meta):
            meta["config"].update(fields)
        return self.with_meta(edit)


def _set(key, value):
    def edit(meta):
        meta[key] = value
    return edit


def _drop(key):
    def edit(meta):
        del meta[key]
    return edit


def _nan_at(b, name, value=np.nan):
    a = b.arrays[name].copy()
    a.flat[0] = value
    return a


def _flip(data, where, bits=0xFF):
    data = bytearray(data)
    data[where] ^= bits
    return bytes(data)


def _bomb(b, declared=None, extra=64 << 20):
    """G/W1 deflated: its header (declaring `declared` or its true shape), its data, then
    `extra` zero bytes more than the header declares (a 64 MB tail is ~64 kB deflated)."""
    w = b.arrays["G/W1"]
    head = npy_header(declared or w.shape, w.dtype.str)
    buf = io.BytesIO()
    members = b.members()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            if name != "G/W1.npy":
                z.writestr(name, data)
                continue
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with z.open(info, "w", force_zip64=True) as f:
                f.write(head + (w.tobytes() if declared is None else b""))
                chunk = bytes(1 << 20)
                for _ in range(extra >> 20):
                    f.write(chunk)
    return buf.getvalue()


def _bomb_once(b, declared=None):
    """A bomb is slow to deflate: build each kind once per process."""
    key = ("bomb", declared)
    if key not in _CACHE:
        _CACHE[key] = _bomb(b, declared)
    return _CACHE[key]


_CACHE = {}


def _nonpy(b):
    members = b.members()
    members["notes.txt"] = b"a member that is not a .npy array\n"
    return zip_of(members)


def _member_not_npy(b):
    members = b.members()
    members["G/W1.npy"] = b"this is not an npy file at all, just some text" * 3
    return zip_of(members)


def _raw_member(b, name, data):
    members = b.members()
    members[name] = data
    return zip_of(members)


def _duplicate(b):
    buf = io.BytesIO()
    members = b.members()
    with zipfile.ZipFile(buf, "w") as z, warnings.catch_warnings():
        warnings.simplefilter("ignore")          # zipfile warns of the duplicate name
        for name, data in members.items():
            z.writestr(name, data)
        z.writestr("G/W1.npy", npy(np.zeros((3, 3))))
    return buf.getvalue()


def _npy_version3(b):
    w = b.arrays["G/W1"]
    text = repr({"descr": w.dtype.str, "fortran_order": False, "shape": w.shape}).encode()
    text = text.ljust(64 - 12 - 1) + b"\n"
    head = b"\x93NUMPY\x03\x00" + len(text).to_bytes(4, "little") + text
    return _raw_member(b, "G/W1.npy", head + w.tobytes())


# name -> function(base) -> bytes of the crafted file
CASES = {
    # --- the zip itself
    "empty file": lambda b: b"",
    "text file": lambda b: b"hello, I am not a checkpoint\n",
    "truncated at 10 bytes": lambda b: b.bytes[:10],
    "truncated at half": lambda b: b.bytes[:len(b.bytes) // 2],
    "truncated 30 bytes short": lambda b: b.bytes[:-30],
    "garbage prepended": lambda b: b"\x00garbage\x80" * 50 + b.bytes,
    "bit flip in the first header": lambda b: _flip(b.bytes, 3),
    "bit flip in G/W1's data": lambda b: _flip(b.bytes, 200),
    "bit flip a third in": lambda b: _flip(b.bytes, len(b.bytes) // 3),
    "bit flip in a CRC in the central directory": lambda b: _flip(b.bytes, b.bytes.rfind(b"PK\x01\x02") + 16),
    "meta's compressed size flipped": lambda b: _flip(b.bytes, b.bytes.rfind(b"PK\x01\x02") + 20),
    "64 zero bytes a third in": lambda b: b.bytes[:len(b.bytes) // 3] + bytes(64)
    + b.bytes[len(b.bytes) // 3 + 64:],
    "an npz of other arrays": lambda b: zip_of({"x.npy": npy(np.zeros(3))}),
    "an empty zip": lambda b: zip_of({}),
    # --- members
    "a member that is not .npy": _nonpy,
    "G/W1.npy holds text": _member_not_npy,
    "an unknown member": lambda b: b.with_arrays(extra=np.zeros(3)),
    "a member outside the layout": lambda b: _raw_member(b, "../../etc/x.npy", npy(np.zeros(2))),
    "G/W1 twice": _duplicate,
    "G/W1 header declares 1e12 elements": lambda b: _raw_member(b, "G/W1.npy", npy_header((10**6, 10**6))),
    "G/W1 header declares 1e20 elements": lambda b: _raw_member(b, "G/W1.npy", npy_header((10**10, 10**10))),
    "G/W1 header declares 1e40 elements": lambda b: _raw_member(b, "G/W1.npy", npy_header((10**20, 10**20))),
    "meta header declares 1e12 bytes": lambda b: _raw_member(b, "meta.npy", npy_header((10**12,), "|u1")),
    "G/W1 header with a negative dimension": lambda b: _raw_member(
        b, "G/W1.npy", npy_header((2, 8)).replace(b"(2, 8)", b"(-2, 8)")),
    "G/W1 header that is not a dict": lambda b: _raw_member(
        b, "G/W1.npy", b"\x93NUMPY\x01\x00" + (118).to_bytes(2, "little") + b"[1, 2]".ljust(117) + b"\n"),
    "G/W1 .npy version 3": _npy_version3,
    "deflate bomb: 64 MB past G/W1's declared size": lambda b: _bomb_once(b),
    "deflate bomb: G/W1 declares 256 MB": lambda b: _bomb_once(b, declared=(4096, 8192)),
    "a pickled member": lambda b: b.with_arrays(G__W1=np.array([{"x": 1}, None], dtype=object)),
    "a pickled meta": lambda b: b.with_arrays(meta=np.array([b.meta], dtype=object)),
    # --- meta
    "no meta": lambda b: b.with_arrays(meta=None),
    "meta is not JSON": lambda b: b.with_arrays(meta=np.frombuffer(b"{not json", dtype=np.uint8)),
    "meta is not UTF-8": lambda b: b.with_arrays(meta=np.frombuffer(b"\xff\xfe{}", dtype=np.uint8)),
    "meta as float64": lambda b: b.with_arrays(meta=b.arrays["meta"].astype(np.float64)),
    "meta as a 2-D array": lambda b: b.with_arrays(meta=b.arrays["meta"].reshape(1, -1)),
    "meta is a JSON list": lambda b: b.with_meta(lambda m: [1, 2, 3]),
    "meta is a JSON number": lambda b: b.with_meta(lambda m: 7),
    "meta lacks step": lambda b: b.with_meta(_drop("step")),
    "meta lacks config": lambda b: b.with_meta(_drop("config")),
    "meta lacks rng": lambda b: b.with_meta(_drop("rng")),
    "meta lacks evaluations": lambda b: b.with_meta(_drop("evaluations")),
    "meta lacks format": lambda b: b.with_meta(_drop("format")),
    "format of another program": lambda b: b.with_meta(_set("format", "keras")),
    "version 2": lambda b: b.with_meta(_set("version", 2)),
    "step -3": lambda b: b.with_meta(_set("step", -3)),
    "step 2.5": lambda b: b.with_meta(_set("step", 2.5)),
    "step '20'": lambda b: b.with_meta(_set("step", "20")),
    "step true": lambda b: b.with_meta(_set("step", True)),
    "step 25 with 20 history rows": lambda b: b.with_meta(_set("step", 25)),
    "step 1e30": lambda b: b.with_meta(_set("step", 10**30)),
    "config is a list": lambda b: b.with_meta(_set("config", [1, 2])),
    "rng is a number": lambda b: b.with_meta(_set("rng", 5)),
    "rng of an unknown generator": lambda b: b.with_meta(_set("rng", {"bit_generator": "Nope", "state": {}})),
    "rng state empty": lambda b: b.with_meta(_set("rng", {"bit_generator": "PCG64", "state": {}})),
    "evaluations is a string": lambda b: b.with_meta(_set("evaluations", "many")),
    # --- config
    "config key unknown": lambda b: b.with_config(colour="blue"),
    "config g_hidden 1e9": lambda b: b.with_config(g_hidden=[10**9]),
    "config d_hidden 1e5 x 1e5": lambda b: b.with_config(d_hidden=[10**5, 10**5]),
    "config z_dim 1e12": lambda b: b.with_config(z_dim=10**12),
    "config eval_samples 1e12": lambda b: b.with_config(eval_samples=10**12),
    "config batch_size 1e12": lambda b: b.with_config(batch_size=10**12),
    "config loss unknown": lambda b: b.with_config(loss="magic"),
    "config data unknown": lambda b: b.with_config(data="cifar"),
    "config data option unknown": lambda b: b.with_config(data_options={"colour": 3}),
    "config data_options a list": lambda b: b.with_config(data_options=[1]),
    "config lr negative": lambda b: b.with_config(g_lr=-1.0),
    "config lr NaN": lambda b: b.with_config(g_lr=float("nan")),
    "config optimizer sgd (state is Adam's)": lambda b: b.with_config(optimizer="sgd", momentum=0.9),
    "config without ema (state has one)": lambda b: b.with_config(ema=0.0),
    "config dtype float64 (weights float32)": lambda b: b.with_config(dtype="float64"),
    "config of MNIST whose files moved": lambda b: b.with_config(
        data="mnist", data_options={"folder": "/nonexistent/mnist"}),
    # --- parameters
    "G/W1 sliced to 5 columns": lambda b: b.with_arrays(G__W1=b.arrays["G/W1"][:, :5]),
    "D/W2 transposed": lambda b: b.with_arrays(D__W2=b.arrays["D/W2"].T.copy()),
    "G/W1 float64": lambda b: b.with_arrays(G__W1=b.arrays["G/W1"].astype(np.float64)),
    "G/W1 big-endian": lambda b: b.with_arrays(G__W1=b.arrays["G/W1"].astype(">f4")),
    "G/W1 int64": lambda b: b.with_arrays(G__W1=b.arrays["G/W1"].astype(np.int64)),
    "G/W1 complex": lambda b: b.with_arrays(G__W1=b.arrays["G/W1"].astype(np.complex128)),
    "G/W1 missing": lambda b: b.with_arrays(G__W1=None),
    "D/b2 missing": lambda b: b.with_arrays(D__b2=None),
    "G/W3 extra": lambda b: b.with_arrays(G__W3=np.zeros((2, 2))),
    "G/W1 NaN": lambda b: b.with_arrays(G__W1=_nan_at(b, "G/W1")),
    "D/b1 inf": lambda b: b.with_arrays(D__b1=_nan_at(b, "D/b1", np.inf)),
    # --- optimizer state
    "opt_g lacks t": lambda b: b.with_arrays(opt_g__t=None),
    "opt_d t is -5": lambda b: b.with_arrays(opt_d__t=np.array(-5)),
    "opt_d t is 2.5": lambda b: b.with_arrays(opt_d__t=np.array(2.5)),
    "opt_d t is a vector": lambda b: b.with_arrays(opt_d__t=np.arange(3)),
    "opt_d t is NaN": lambda b: b.with_arrays(opt_d__t=np.array(np.nan)),
    "opt_g unknown slot": lambda b: b.with_arrays(opt_g__zz__W1=b.arrays["opt_g/m/W1"]),
    "opt_g slot without a parameter": lambda b: b.with_arrays(opt_g__mW1=b.arrays["opt_g/m/W1"]),
    "opt_g state of an unknown parameter": lambda b: b.with_arrays(opt_g__m__W9=np.zeros(3)),
    "opt_g m/W1 wrong shape": lambda b: b.with_arrays(opt_g__m__W1=b.arrays["opt_g/m/W1"][:, :3]),
    "opt_d v/b1 float64": lambda b: b.with_arrays(opt_d__v__b1=b.arrays["opt_d/v/b1"].astype(np.float64)),
    "opt_d v/W1 missing": lambda b: b.with_arrays(opt_d__v__W1=None),
    "opt_d m/W1 NaN": lambda b: b.with_arrays(opt_d__m__W1=_nan_at(b, "opt_d/m/W1")),
    "opt_g v/W2 negative inf": lambda b: b.with_arrays(opt_g__v__W2=_nan_at(b, "opt_g/v/W2", -np.inf)),
    "average ema/W1 wrong shape": lambda b: b.with_arrays(opt_g__ema__W1=b.arrays["opt_g/ema/W1"][:1]),
    "average ema/b2 missing": lambda b: b.with_arrays(opt_g__ema__b2=None),
    "average ema/W2 NaN": lambda b: b.with_arrays(opt_g__ema__W2=_nan_at(b, "opt_g/ema/W2")),
    "opt_d has an average": lambda b: b.with_arrays(opt_d__ema__W1=b.arrays["D/W1"]),
    # --- history
    "history lacks g_loss": lambda b: b.with_arrays(history__g_loss=None),
    "history unknown column": lambda b: b.with_arrays(history__colour=np.zeros(20)),
    "history d_loss short": lambda b: b.with_arrays(history__d_loss=b.arrays["history/d_loss"][:5]),
    "history step 2-D": lambda b: b.with_arrays(history__step=b.arrays["history/step"].reshape(4, 5)),
    "history step NaN": lambda b: b.with_arrays(history__step=_nan_at(b, "history/step")),
    "history step not 1..step": lambda b: b.with_arrays(history__step=b.arrays["history/step"][::-1].copy()),
    "history g_loss as text": lambda b: b.with_arrays(history__g_loss=np.array(["x"] * 20)),
}


# ----------------------------------------------------------------------------- the module's run

@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("base")
    assert attempt(["train", "--out", "run", *BASE], root).code == 0
    return root / "run", Base(root / "run" / "checkpoint.npz")


@pytest.fixture(autouse=True)
def no_mnist_cache(tmp_path, monkeypatch):
    """An empty download cache: an MNIST checkpoint cannot find its files there."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def evaluate_case(data, where):
    """`tinygan evaluate FILE` on the crafted bytes; its Outcome."""
    where.mkdir(parents=True, exist_ok=True)
    path = where / "crafted.npz"
    path.write_bytes(data)
    return attempt(["evaluate", "crafted.npz"], where)


def resume_case(data, run, where):
    """`tinygan train --out DIR --resume --steps 30`, DIR a copy of the run with the crafted
    checkpoint in it; its Outcome (watching DIR)."""
    where.mkdir(parents=True, exist_ok=True)
    folder = where / "run"
    shutil.copytree(run, folder)
    (folder / "checkpoint.npz").write_bytes(data)
    return attempt(["train", "--out", "run", "--resume", *RESUME], where, watch=folder)


@pytest.mark.parametrize("name", list(CASES))
def test_a_crafted_file_is_one_line_for_evaluate_and_resume(base, name, tmp_path):
    run, b = base
    data = CASES[name](b)
    first = evaluate_case(data, tmp_path / "e").clean_failure().unchanged()
    second = resume_case(data, run, tmp_path / "r").clean_failure().unchanged()
    # one validation behind both commands: the same reason, word for word past the path
    assert first.err.split("crafted.npz", 1)[-1] == second.err.split("checkpoint.npz", 1)[-1], \
        (first.err, second.err)


def test_an_unreadable_checkpoint_says_permission_denied_not_corrupt(base, tmp_path, monkeypatch):
    """Mode 0000 (or another user's 0600 file). The tests may run as root, who reads
    anything, so the refusal of open() is simulated as well as set with chmod."""
    run, _ = base
    import builtins

    from tinygan.app import checkpoint

    real_open = builtins.open

    def refusing(file, *args, **kwargs):
        if str(file).endswith(".npz") and "crafted" in str(file) or str(file).endswith("run/checkpoint.npz"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(checkpoint, "open", refusing, raising=False)
    (tmp_path / "e").mkdir()
    path = tmp_path / "e" / "crafted.npz"
    path.write_bytes((run / "checkpoint.npz").read_bytes())
    path.chmod(0)
    try:
        attempt(["evaluate", "crafted.npz"], tmp_path / "e").clean_failure(
            "cannot read", "permission denied").unchanged()
        folder = tmp_path / "r" / "run"
        shutil.copytree(run, folder)
        (folder / "checkpoint.npz").chmod(0)
        attempt(["train", "--out", "run", "--resume", *RESUME], tmp_path / "r",
                watch=folder).clean_failure("cannot read", "permission denied").unchanged()
    finally:
        path.chmod(0o644)


HARMLESS = {   # damage that leaves every array intact: reading the file as it was is right
    "garbage appended": lambda b: b.bytes + b"trailing garbage" * 10,
}


@pytest.mark.parametrize("name", list(HARMLESS))
def test_damage_that_spares_the_arrays_still_loads(base, name, tmp_path):
    run, b = base
    evaluate_case(HARMLESS[name](b), tmp_path / "e").success().unchanged()


def test_messages_say_what_is_wrong(base, tmp_path):
    """The reasons a reader acts on: nothing is called pickled unless it is, sizes are
    refused before they are read, NaN is a file problem and not a divergence."""
    _, b = base
    expect = {
        "garbage prepended": ("does not start like a zip",),
        "a pickled member": ("pickled", "G/W1"),
        "G/W1 header declares 1e12 elements": ("G/W1", "[1000000, 1000000]", "config builds"),
        "G/W1 header declares 1e20 elements": ("G/W1", "config builds"),
        "deflate bomb: 64 MB past G/W1's declared size": ("G/W1", "more data than its header declares"),
        "G/W1 NaN": ("NaN or inf", "G/W1"),
        "average ema/W2 NaN": ("NaN or inf", "opt_g/ema/W2"),
        "opt_g unknown slot": ("opt_g/zz/W1",),
        "average ema/W1 wrong shape": ("opt_g/ema/W1", "config builds"),
        "meta is a JSON list": ("meta", "JSON object"),
        "meta lacks step": ("step",),
        "config g_hidden 1e9": ("cannot build", "of memory"),
        "G/W1 sliced to 5 columns": ("G/W1", "[16, 5]", "config builds"),
        "config of MNIST whose files moved": ("MNIST", "/nonexistent/mnist"),
        "a member that is not .npy": ("notes.txt",),
    }
    for name, words in expect.items():
        outcome = evaluate_case(CASES[name](b), tmp_path / name.replace("/", "_").replace(" ", "_"))
        outcome.clean_failure(*words)
        if name != "a pickled member" and name != "a pickled meta":
            assert "pickle" not in outcome.err, outcome.err


def test_the_base_checkpoint_still_evaluates_and_resumes(base, tmp_path):
    """The validation refuses the crafted files, not good ones."""
    run, b = base
    evaluate_case(b.bytes, tmp_path / "e").success()
    resume_case(b.bytes, run, tmp_path / "r").success()


# ----------------------------------------------------------------------------- evaluate's flags

@pytest.mark.parametrize("samples, words", [
    ("-5", ("--samples", ">= 1")),
    ("0", ("--samples", ">= 1")),
    ("99999999999999999999", ("--samples", "memory")),
    ("10000000000", ("--samples", "memory")),
])
def test_evaluate_refuses_bad_sample_counts(base, tmp_path, samples, words):
    run, _ = base
    shutil.copytree(run, tmp_path / "run")
    attempt(["evaluate", "run", "--samples", samples], tmp_path).clean_failure(*words).unchanged()


def test_samples_that_overflow_are_one_line(base, tmp_path):
    """Finite weights so large that G's samples overflow float32: a checkpoint that loads,
    whose samples cannot be scored."""
    _, b = base
    huge = np.full_like(b.arrays["opt_g/ema/W1"], 3e38)     # G samples from its average
    evaluate_case(b.with_arrays(opt_g__ema__W1=huge), tmp_path).clean_failure(
        "weights are finite but its samples", "overflow").unchanged()


def test_evaluate_with_a_sample_count_works(base, tmp_path):
    run, _ = base
    shutil.copytree(run, tmp_path / "run")
    out = attempt(["evaluate", "run", "--samples", "300"], tmp_path).success().unchanged().out
    assert "sliced_w" in out


# ----------------------------------------------------------------------------- the count

def tally(root):
    """Run every case through both commands; {command: counts} for the note of issue 15.

    clean: exit 2, one line, nothing changed; traceback: an exception escaped or a traceback
    was printed; silent: exit 0 on a bad file; other: any other exit, several lines, or a
    changed folder. Beside them: clean refusals that call a file pickled when it is not.
    """
    root = Path(root)
    base_root = root / "base"
    base_root.mkdir(parents=True)
    assert attempt(["train", "--out", "run", *BASE], base_root).code == 0
    run = base_root / "run"
    b = Base(run / "checkpoint.npz")
    counts = {cmd: {"tried": 0, "clean": 0, "traceback": 0, "silent": 0, "other": 0,
                    "called pickled, is not": 0} for cmd in ("evaluate", "resume")}
    rows = []
    for i, (name, make) in enumerate(CASES.items()):
        data = make(b)
        for cmd in ("evaluate", "resume"):
            where = root / f"{i}-{cmd}"
            outcome = (evaluate_case(data, where) if cmd == "evaluate" else
                       resume_case(data, run, where))
            changed = outcome.before != outcome.after
            text = outcome.err + outcome.out
            kind = ("traceback" if outcome.code == "exception" or "Traceback" in text else
                    "silent" if outcome.code == 0 else
                    "clean" if outcome.code == 2 and outcome.err.count("\n") == 1 and not changed
                    else "other")
            counts[cmd]["tried"] += 1
            counts[cmd][kind] += 1
            if "pickle" in outcome.err and "pickle" not in name:
                counts[cmd]["called pickled, is not"] += 1
            last = (outcome.err.strip().splitlines() or [""])[-1][:150]
            rows.append(f"{cmd:<8} {kind:<9} {name}: {last}")
            shutil.rmtree(where, ignore_errors=True)
    return counts, rows


if __name__ == "__main__":
    import tempfile
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp()
    with tempfile.TemporaryDirectory() as tmp:
        counts, rows = tally(tmp)
    print("\n".join(rows))
    print(json.dumps(counts, indent=1))
