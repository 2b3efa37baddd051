"""The result store: keys that see the whole configuration, results stored to the bit, and a
file that two processes can append to at once."""

import dataclasses
import hashlib
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygan import Config
from tinygan.questions.store import ResultStore, bit_difference, canonical, decode, describe, encode, run_key


# ----------------------------------------------------------------------------- keys

def test_the_key_is_sha256_of_the_documented_canonical_json():
    config = Config(seed=3, steps=50)
    text = json.dumps({"options": {"landscape": False, "snap_steps": [10]},
                       "run": {"config": config.to_dict()}, "task": "train_one"},
                      sort_keys=True, separators=(",", ":"))
    assert run_key(config, "train_one", {"snap_steps": [10], "landscape": False}) == \
        hashlib.sha256(text.encode()).hexdigest()


def _changed(value):
    """A different value of the same kind (Config does not validate until asked)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value * 2 + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, tuple):
        return value + (7,)
    if isinstance(value, dict):
        return {**value, "extra": 1}
    raise AssertionError(f"no rule for {type(value).__name__}")


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Config)])
def test_every_field_of_the_config_enters_the_key(field):
    base = Config()
    other = dataclasses.replace(base, **{field: _changed(getattr(base, field))})
    assert run_key(other) != run_key(base)


def test_the_key_sees_the_task_the_options_and_the_runs_own_options():
    c = Config(seed=1)
    keys = {run_key(c), run_key(c, "modes"), run_key(c, options={"landscape": True}),
            run_key({"config": c, "negatives": "noise"}), run_key({"config": c, "negatives": "blend"})}
    assert len(keys) == 5
    # ... and nothing that cannot change the result: the order of options, a copy of the Config
    assert run_key(c, options={"a": 1, "b": [2, 3]}) == run_key(dataclasses.replace(c), options={"b": (2, 3), "a": 1})
    assert run_key({"config": c}) == run_key(c)


def test_a_bad_run_or_option_is_refused_clearly():
    with pytest.raises(TypeError, match="a run is a Config or a dict"):
        run_key({"seed": 3})
    with pytest.raises(TypeError, match="must be JSON data"):
        run_key(Config(), options={"f": print})
    with pytest.raises(ValueError):                 # NaN has no canonical JSON
        canonical({"x": float("nan")})


# ----------------------------------------------------------------------------- exact JSON

floats = st.floats(allow_nan=True, allow_infinity=True)
arrays = st.one_of(
    hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64, np.bool_, np.uint8]),
               hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)),
    hnp.arrays(np.float32, st.integers(0, 5), elements=st.floats(width=32, allow_nan=True)))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), floats, st.text(max_size=5),
                    st.builds(np.float32, st.floats(width=32)), st.builds(np.int64, st.integers(-9, 9)),
                    arrays)
keys = st.one_of(st.text(max_size=4), st.just("__tuple__"), st.integers(-3, 3))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.lists(inner, max_size=3).map(tuple),
    st.dictionaries(keys, inner, max_size=3)), max_leaves=12)


@given(values)
def test_encode_then_json_then_decode_gives_back_the_same_bits(value):
    text = json.dumps(encode(value))
    assert bit_difference(decode(json.loads(text)), value) is None


def test_a_config_comes_back_as_a_config():
    c = Config(seed=5, g_hidden=(3, 4))
    back = decode(json.loads(json.dumps(encode({"config": c}))))["config"]
    assert isinstance(back, Config) and back == c


def test_bit_difference_finds_what_differs():
    a = np.arange(4, dtype=np.float32)
    b = a.copy()
    b[2] = np.nextafter(b[2], np.float32(9))                    # one ulp
    assert "arrays differ" in bit_difference({"h": a}, {"h": b})
    assert bit_difference(0.0, -0.0) is not None
    assert bit_difference(float("nan"), float("nan")) is None
    assert "float32" in bit_difference(a, a.astype(np.float64))
    assert "list vs tuple" in bit_difference([1], (1,))
    assert "in one only" in bit_difference({"a": 1}, {"b": 1})
    assert bit_difference({"x": [1.5, a]}, {"x": [1.5, a.copy()]}) is None


def test_what_cannot_be_stored_is_refused():
    with pytest.raises(TypeError, match="cannot store a set"):
        encode({"s": {1, 2}})
    with pytest.raises(TypeError, match="Python objects"):
        encode(np.array([None, 1], dtype=object))


# ----------------------------------------------------------------------------- the file

def _result(i):
    return {"history": {"g_loss": [0.1 * i, float("nan")]}, "snaps": {0: np.full((3, 2), i, np.float32)},
            "final": {"modes": i}}


def test_put_then_get_in_another_store_object(tmp_path):
    path = tmp_path / "deep" / "runs.jsonl"
    store = ResultStore(path)
    assert store.get("0" * 64) is None and len(store) == 0
    for i in range(3):
        store.put(f"{i:064x}", _result(i), task="t", run={"config": {"seed": i}})
    again = ResultStore(path)
    assert len(again) == 3 and f"{1:064x}" in again
    assert bit_difference(again.get(f"{2:064x}"), _result(2)) is None
    entry = json.loads(path.read_text().splitlines()[0])
    assert entry["task"] == "t" and entry["run"] == {"config": {"seed": 0}}


def test_the_newest_line_of_a_key_wins(tmp_path):
    store = ResultStore(tmp_path / "r.jsonl")
    reader = ResultStore(tmp_path / "r.jsonl")
    key = "a" * 64
    store.put(key, {"v": 1})
    assert reader.get(key) == {"v": 1}
    store.put(key, {"v": 2})
    assert reader.get(key) == {"v": 2} and len(reader) == 1


def test_a_line_cut_short_is_skipped_and_the_next_put_starts_a_new_line(tmp_path):
    path = tmp_path / "r.jsonl"
    store = ResultStore(path)
    store.put("a" * 64, {"v": 1})
    with open(path, "ab") as f:                          # a crash in the middle of a write
        f.write(b'{"key": "' + b"b" * 64 + b'", "task": null, "run": null, "result": {"v": ')
    assert ResultStore(path).get("b" * 64) is None
    store.put("c" * 64, {"v": 3})
    fresh = ResultStore(path)
    assert fresh.get("a" * 64) == {"v": 1} and fresh.get("c" * 64) == {"v": 3}
    assert fresh.get("b" * 64) is None
    # a damaged line with an intact key is skipped too, and the run can be stored again
    with open(path, "ab") as f:
        f.write(b'{"key": "' + b"d" * 64 + b'", "result": {"v": oops}\n')
    assert fresh.get("d" * 64) is None
    store.put("d" * 64, {"v": 4})
    assert fresh.get("d" * 64) == {"v": 4}


WRITER = textwrap.dedent("""
    import sys, numpy as np
    from tinygan.questions.store import ResultStore
    store, who = ResultStore(sys.argv[1]), sys.argv[2]
    for i in range(40):
        rng = np.random.default_rng([ord(who), i])
        store.put(f"{ord(who):02x}{i:062x}", {"who": who, "i": i, "x": rng.standard_normal(20000)})
""")


def test_two_processes_appending_at_once_lose_and_mangle_nothing(tmp_path):
    """Two writers, 40 lines of ~270 kB each, at the same time: every line whole and readable."""
    path = tmp_path / "r.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), who]) for who in "ab"]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    store = ResultStore(path)
    assert len(path.read_bytes().splitlines()) == 80 and len(store) == 80
    for who in "ab":
        for i in range(40):
            r = store.get(f"{ord(who):02x}{i:062x}")
            expected = np.random.default_rng([ord(who), i]).standard_normal(20000)
            assert r["who"] == who and r["i"] == i and bit_difference(r["x"], expected) is None


def test_describe_is_plain_json():
    d = describe({"config": Config(seed=2), "negatives": "noise"})
    back = json.loads(json.dumps(d))
    assert Config.from_dict(back["config"]) == Config(seed=2) and back["negatives"] == "noise"
