"""MNIST's failures, each one line in the command line's words, and reading that never
trusts a file: no files, a folder that does not exist, an unreadable file, no network, a
mirror that breaks off, a .gz that expands past its header, corrupt IDX headers, a run
whose files moved. No real network access: urlopen is replaced in every test."""

import gzip
import hashlib
import http.client
import io
import shutil
import socket
import sys
import time
import tracemalloc
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from clifuzz import attempt  # noqa: E402

from tinygan.data import mnist  # noqa: E402
from tinygan.data.mnist import (MNIST_FILES, MNISTDownloadFailed, download_mnist,  # noqa: E402
                                read_idx)

FOUR = [name + ".gz" for kind in MNIST_FILES.values() for name in kind]
TINY = ["--steps", "2", "--eval-every", "2", "--g-hidden", "8", "--d-hidden", "8",
        "--batch-size", "8", "--eval-samples", "50", "--z-dim", "4"]


def idx(arr):
    """IDX bytes of a uint8 array (type 0x08)."""
    arr = np.asarray(arr, dtype=np.uint8)
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    return head + arr.tobytes()


def write_files(folder, n=12, rows=5, cols=5, seed=0):
    """A tiny MNIST (n images rows x cols, labels 0..9) as the four .gz files."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    images = rng.integers(0, 256, size=(n, rows, cols))
    labels = np.arange(n) % 10
    for kind in MNIST_FILES.values():
        (folder / (kind[0] + ".gz")).write_bytes(gzip.compress(idx(images)))
        (folder / (kind[1] + ".gz")).write_bytes(gzip.compress(idx(labels)))


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """An empty download cache, and a network that refuses every connection."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def refuse(url, timeout=None):
        raise urllib.error.URLError("network is unreachable (test)")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def train(tmp_path, *options):
    argv = ["train", "--data", "mnist", "--out", "run", *TINY]
    for option in options:
        argv += ["--data-option", option]
    return attempt(argv, tmp_path)


# ----------------------------------------------------------------------------- the command line

def test_no_files_is_one_line_with_the_flags_to_give(tmp_path):
    out = train(tmp_path).clean_failure("MNIST train file(s) not found", "train-images-idx3-ubyte",
                                        "--data-option folder=<where they are>",
                                        "--data-option download=true")
    out.unchanged()
    assert "pass folder=" not in out.err and "download=True" not in out.err
    assert not (tmp_path / "run").exists()


def test_a_folder_that_does_not_exist_says_so(tmp_path):
    train(tmp_path, "folder=/nonexistent").clean_failure(
        "/nonexistent (no such folder)", "--data-option folder=").unchanged()


def test_an_unreadable_file_says_permission_denied(tmp_path, monkeypatch):
    """Mode 0000. The tests may run as root, who reads anything, so open() refusing the
    file is also simulated."""
    write_files(tmp_path / "m")
    target = tmp_path / "m" / "train-images-idx3-ubyte.gz"
    target.chmod(0)
    real_open = open

    def refusing(file, *args, **kwargs):
        if Path(file) == target:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)
    monkeypatch.setattr(mnist, "open", refusing, raising=False)
    try:
        train(tmp_path, f"folder={tmp_path / 'm'}").clean_failure(
            "train-images-idx3-ubyte.gz", "cannot read (permission denied)").unchanged()
    finally:
        target.chmod(0o644)


def test_offline_download_names_the_four_files_and_where_to_put_them(tmp_path):
    out = train(tmp_path, "download=true").clean_failure(
        "could not download", "network is unreachable", *FOUR,
        str(tmp_path / "cache" / "tinygan" / "mnist"), "--data-option folder=<where they are>")
    # every mirror was tried, and nothing was left behind (not even an empty cache folder)
    for base in mnist.MNIST_MIRRORS:
        assert base in out.err, out.err
    out.unchanged()
    assert not (tmp_path / "cache").exists()


def test_a_download_cut_short_on_every_mirror_is_one_line(tmp_path, monkeypatch):
    def cut(url, timeout=None):
        raise http.client.IncompleteRead(b"\x1f\x8b partial", 9_000_000)
    monkeypatch.setattr(urllib.request, "urlopen", cut)
    out = train(tmp_path, "download=true").clean_failure("could not download", *FOUR)
    assert out.err.count("IncompleteRead") == len(mnist.MNIST_MIRRORS), out.err


def test_a_moved_mnist_run_is_one_line_for_evaluate_and_resume(tmp_path):
    write_files(tmp_path / "m")
    train(tmp_path, f"folder={tmp_path / 'm'}").success()
    (tmp_path / "m").rename(tmp_path / "moved")
    for argv in (["evaluate", "run"], ["train", "--out", "run", "--resume", "--steps", "4"]):
        attempt(argv, tmp_path).clean_failure("MNIST train file(s)", str(tmp_path / "m"),
                                              "put them").unchanged()
    (tmp_path / "moved").rename(tmp_path / "m")          # back where it was: it works again
    attempt(["evaluate", "run"], tmp_path).success()


@pytest.mark.parametrize("damage, words", [
    (lambda f: f.write_bytes(gzip.compress(idx(np.zeros(12)))), ("magic number 2049", "expected 2051")),
    (lambda f: f.write_bytes(gzip.compress(idx(np.zeros((12, 5, 5)))[:-7])), ("truncated",)),
    (lambda f: f.write_bytes(gzip.compress(idx(np.zeros((12, 5, 5))) + b"\0" * 9)), ("trailing",)),
    (lambda f: f.write_bytes(gzip.compress(b"\0\0\x08\x03\0\0")), ("header", "truncated")),
    (lambda f: f.write_bytes(gzip.compress(b"\x12\x34\x08\x03" + bytes(12))), ("magic number", "not an IDX file")),
    (lambda f: f.write_bytes(f.read_bytes()[:40]), ("gzip",)),
    (lambda f: f.write_bytes(f.read_bytes()[:-3]), ("gzip",)),
    (lambda f: f.write_bytes(b""), ("too short",)),
    (lambda f: f.write_bytes(gzip.compress(idx(np.zeros((12, 0, 5))))), ("rows and columns",)),
])
def test_corrupt_idx_files_are_one_line(tmp_path, damage, words):
    write_files(tmp_path / "m")
    damage(tmp_path / "m" / "train-images-idx3-ubyte.gz")
    train(tmp_path, f"folder={tmp_path / 'm'}").clean_failure(
        "train-images-idx3-ubyte.gz", *words).unchanged()


# ----------------------------------------------------------------------------- reading, downloading

def _bomb(path, tail=256 << 20):
    """A .gz whose IDX header declares 3 labels, followed by `tail` zero bytes (~250 kB)."""
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(idx(np.zeros(3)))
        chunk = bytes(1 << 20)
        for _ in range(tail >> 20):
            f.write(chunk)


def test_a_gz_that_expands_past_its_header_is_refused_without_decompressing_it(tmp_path):
    path = tmp_path / "bomb.gz"
    _bomb(path)
    assert path.stat().st_size < 2 << 20
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(ValueError, match="trailing bytes"):
        read_idx(path)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # decompressing all 256 MB would take > 0.3 s and allocate 256 MB; reading the header,
    # its 3 bytes and one more costs one 64 kB-ish gzip block
    assert peak < 8 << 20 and seconds < 0.3, (peak, seconds)


def test_a_header_declaring_more_than_the_cap_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 3]) + (2**31).to_bytes(4, "big")
                                   + (28).to_bytes(4, "big") * 2))
    with pytest.raises(ValueError, match="reads at most"):
        read_idx(path)


@pytest.mark.parametrize("error", [
    http.client.IncompleteRead(b"partial", 100),
    urllib.error.URLError("refused"),
    socket.timeout("timed out"),
    TimeoutError("timed out"),
    ConnectionResetError("reset by peer"),
    ValueError("unknown url type"),
    http.client.BadStatusLine("garbage"),
])
def test_every_mirror_is_tried_on_any_network_error(tmp_path, error):
    payload = gzip.compress(idx(np.zeros(3)))
    seen = []

    def opener(url, timeout=None):
        seen.append(url)
        if url.startswith("https://down"):
            raise error
        return io.BytesIO(payload)
    sums = dict.fromkeys(FOUR, hashlib.md5(payload).hexdigest())
    download_mnist(tmp_path, kinds=("train",), base_url=["https://down/", "https://up/"],
                   opener=opener, checksums=sums)
    for name in MNIST_FILES["train"]:
        assert f"https://down/{name}.gz" in seen and f"https://up/{name}.gz" in seen
        assert (tmp_path / (name + ".gz")).read_bytes() == payload


def test_a_response_that_breaks_off_while_read_tries_the_next_mirror(tmp_path):
    payload = gzip.compress(idx(np.zeros(3)))

    class Broken(io.BytesIO):
        def read(self, n=-1):
            raise http.client.IncompleteRead(b"", 10)

    def opener(url, timeout=None):
        return Broken() if "down" in url else io.BytesIO(payload)
    sums = dict.fromkeys(FOUR, hashlib.md5(payload).hexdigest())
    download_mnist(tmp_path, kinds=("test",), base_url=["https://down/", "https://up/"],
                   opener=opener, checksums=sums)
    assert all((tmp_path / (n + ".gz")).exists() for n in MNIST_FILES["test"])


def test_an_oversized_response_is_refused_and_not_saved(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "MAX_DOWNLOAD", 1000)

    def opener(url, timeout=None):
        return io.BytesIO(bytes(5000))
    with pytest.raises(MNISTDownloadFailed, match="served more than 1000 bytes") as info:
        download_mnist(tmp_path, kinds=("train",), base_url="https://big/", opener=opener)
    assert isinstance(info.value, ConnectionError) and isinstance(info.value, FileNotFoundError)
    assert not list(tmp_path.iterdir())


def test_a_cache_that_cannot_be_created_is_one_line(tmp_path, monkeypatch):
    """A mirror serves a good file, but the download folder is under a file."""
    payload = gzip.compress(idx(np.zeros(3)))
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: io.BytesIO(payload))
    monkeypatch.setattr(mnist, "MNIST_MD5", dict.fromkeys(FOUR, hashlib.md5(payload).hexdigest()))
    (tmp_path / "file").write_text("not a folder")
    out = attempt(["train", "--data", "mnist", "--out", "run", *TINY, "--data-option",
                   "download=true", "--data-option", f"cache={tmp_path / 'file' / 'sub'}"], tmp_path)
    out.clean_failure("cannot create the download folder", str(tmp_path / "file" / "sub"),
                      *FOUR).unchanged()


def test_the_tiny_files_work(tmp_path):
    """The files the tests above damage are good as written: the refusals are the damage's."""
    write_files(tmp_path / "m")
    train(tmp_path, f"folder={tmp_path / 'm'}").success()
    shutil.rmtree(tmp_path / "run")


def test_images_that_are_not_square_train_without_the_digit_metrics(tmp_path):
    """4 x 5 images gave a ValueError at the first evaluation (the digit metrics shift
    square images); now they get the sliced Wasserstein distance only."""
    write_files(tmp_path / "m", rows=4, cols=5)
    train(tmp_path, f"folder={tmp_path / 'm'}").success()
    assert attempt(["evaluate", "run"], tmp_path).success().out.count("modes") == 0
    assert not (tmp_path / "run" / "digits.png").exists()


def test_blank_images_train_and_evaluate(tmp_path):
    """Every image equal to its class mean gave a threshold of 0 and a ValueError at the
    first evaluation; the threshold is now at least half a grey level."""
    (tmp_path / "m").mkdir()
    for kind in MNIST_FILES.values():
        (tmp_path / "m" / kind[0]).write_bytes(idx(np.zeros((12, 5, 5))))
        (tmp_path / "m" / kind[1]).write_bytes(idx(np.arange(12) % 10))
    train(tmp_path, f"folder={tmp_path / 'm'}").success()
    assert mnist.MNIST(folder=tmp_path / "m").threshold == 1 / 255
