"""Checkpoints: atomic, pickle-free, and clear about every way a file can be bad."""

import os
import zipfile

import numpy as np
import pytest
from strategies import same_evaluations

from tinygan.app import checkpoint
from tinygan.app.checkpoint import CheckpointError
from tinygan.gan import Trainer

TINY = dict(data="ring", steps=10, batch_size=32, g_hidden=(8,), d_hidden=(8,), eval_every=5,
            eval_samples=200)


@pytest.fixture
def saved(tmp_path):
    t = Trainer(**TINY)
    t.train()
    path = tmp_path / "run.npz"
    checkpoint.save(t, path)
    return t, path


def test_round_trip_restores_everything(saved):
    t, path = saved
    back = checkpoint.load(path)
    assert back.step == t.step == 10
    assert back.config == t.config
    assert back.history == t.history
    assert same_evaluations(back.evaluations, t.evaluations)
    assert back.rng.bit_generator.state == t.rng.bit_generator.state
    for key in t.D.params:
        np.testing.assert_array_equal(back.D.params[key], t.D.params[key])


def test_save_is_atomic_and_leaves_no_temporary_files(saved, monkeypatch):
    t, path = saved
    before = path.read_bytes()

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    t.train(2)
    with pytest.raises(OSError, match="disk full"):
        checkpoint.save(t, path)
    assert path.read_bytes() == before                      # the last good file is untouched
    assert sorted(os.listdir(path.parent)) == ["run.npz"]   # and no temporary is left behind


def test_truncated_file_is_a_clear_error(saved):
    _, path = saved
    data = path.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 30):
        bad = path.with_name(f"cut{cut}.npz")
        bad.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match="truncated or corrupt|not a readable"):
            checkpoint.load(bad)
        assert bad.read_bytes() == data[:cut]              # reading changes nothing


def test_corrupted_bytes_are_a_clear_error(saved):
    _, path = saved
    data = bytearray(path.read_bytes())
    data[len(data) // 3: len(data) // 3 + 64] = bytes(64)
    bad = path.with_name("corrupt.npz")
    bad.write_bytes(bytes(data))
    with pytest.raises(CheckpointError):
        checkpoint.load(bad)


def test_a_pickle_inside_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, meta=np.array([{"format": "tinygan-checkpoint"}], dtype=object))
    with pytest.raises(CheckpointError, match="pickle"):
        checkpoint.load(path)


def test_files_that_are_not_tinygan_checkpoints(tmp_path):
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    with pytest.raises(CheckpointError, match="not a tinygan checkpoint"):
        checkpoint.load(other)
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match="does not start like a zip"):
        checkpoint.load(text)
    with pytest.raises(CheckpointError, match="no checkpoint file"):
        checkpoint.load(tmp_path / "missing.npz")


def test_mismatched_arrays_are_a_clear_error(saved, tmp_path):
    _, path = saved
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["G/W1"] = np.zeros((3, 3), dtype=np.float32)
    bad = tmp_path / "mismatch.npz"
    np.savez(bad, **arrays)
    with pytest.raises(CheckpointError, match=r"G/W1 is float32\[3, 3\] but the config builds"):
        checkpoint.load(bad)
    del arrays["G/W1"]
    np.savez(bad, **arrays)
    with pytest.raises(CheckpointError, match="lacks G/W1"):
        checkpoint.load(bad)


def test_checkpoint_is_a_plain_zip_of_npy_arrays(saved):
    _, path = saved
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    assert "meta.npy" in names and "G/W1.npy" in names and "opt_d/m/W1.npy" in names


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_checkpoint_gets_the_mode_any_new_file_gets(saved, tmp_path, umask):
    """mkstemp makes its file 0600; the checkpoint must honour the umask like open() does."""
    t, _ = saved
    old = os.umask(umask)
    try:
        path = tmp_path / f"mode{umask:o}.npz"
        checkpoint.save(t, path)
        plain = tmp_path / f"plain{umask:o}.txt"
        plain.write_text("x")
    finally:
        os.umask(old)
    assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~umask) == oct(plain.stat().st_mode & 0o777)
    assert checkpoint.load(path).step == t.step
