"""Tests for tinygan.data: the registry, the toy sets, digits and mnist."""

import gzip
import hashlib
import io
import struct
import urllib.error

import numpy as np
import pytest
from hypothesis import given, strategies as st

from tinygan.data import DATASETS, get_dataset
from tinygan.data.digits import FONT, Digits, glyph_segments
from tinygan.data.mnist import (MNIST_FILES, MNIST_MD5, download_mnist, load_mnist, parse_idx,
                           read_idx)

TOY = [name for name in DATASETS if name not in ("mnist",)]


# ----------------------------------------------------------------------------- all samplers

@pytest.mark.parametrize("name", TOY)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype(name, dtype):
    ds = get_dataset(name)
    x = ds.sample(7, np.random.default_rng(0), dtype=dtype)
    assert x.shape == (7, ds.dim)
    assert x.dtype == dtype
    assert np.all(np.isfinite(x))


@pytest.mark.parametrize("name", TOY)
def test_same_seed_same_bits_other_seed_differs(name):
    ds = get_dataset(name)
    a = ds.sample(50, np.random.default_rng(3))
    b = ds.sample(50, np.random.default_rng(3))
    c = ds.sample(50, np.random.default_rng(4))
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("name", TOY)
def test_float32_is_float64_rounded(name):
    ds = get_dataset(name)
    x64 = ds.sample(20, np.random.default_rng(1), dtype=np.float64)
    x32 = ds.sample(20, np.random.default_rng(1), dtype=np.float32)
    assert np.array_equal(x32, x64.astype(np.float32))


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40),
       name=st.sampled_from(TOY))
def test_any_seed_and_size(seed, n, name):
    ds = get_dataset(name)
    x = ds.sample(n, np.random.default_rng(seed), dtype=np.float32)
    assert x.shape == (n, ds.dim) and x.dtype == np.float32
    assert x.tobytes() == ds.sample(n, np.random.default_rng(seed), np.float32).tobytes()


def test_registry_and_errors():
    assert set(DATASETS) >= {"gaussian1d", "mixture1d", "ring", "grid", "spiral", "moons",
                             "line", "parallel_lines", "digits", "mnist"}
    with pytest.raises(ValueError, match="unknown data set 'rings'.*ring.*grid"):
        get_dataset("rings")
    with pytest.raises(ValueError, match="unknown option.*radius.*allowed: k, spacing, std"):
        get_dataset("grid", radius=2)
    for bad in [dict(std=0), dict(std=-1), dict(k=0), dict(k=2.5), dict(radius=float("nan"))]:
        with pytest.raises(ValueError, match="must be"):
            get_dataset("ring", **bad)
    ds = get_dataset("ring")
    for n in (0, -3, 2.0, True):
        with pytest.raises(ValueError, match="positive integer"):
            ds.sample(n, np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        ds.sample(3, 0)
    with pytest.raises(ValueError, match="floating dtype"):
        ds.sample(3, np.random.default_rng(0), dtype=np.int32)


# ----------------------------------------------------------------------------- mixtures

def test_ring_centres_at_the_right_angles():
    ds = get_dataset("ring")
    assert ds.centers.shape == (8, 2) and ds.std == 0.01
    angles = np.mod(np.arctan2(ds.centers[:, 1], ds.centers[:, 0]), 2 * np.pi)
    np.testing.assert_allclose(angles, 2 * np.pi * np.arange(8) / 8, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(ds.centers, axis=1), 1.0)
    gaps = np.linalg.norm(ds.centers[:, None] - ds.centers[None], axis=-1)
    assert gaps[~np.eye(8, dtype=bool)].min() > 0.7           # 8 distinct centres
    wide = get_dataset("ring", k=6, radius=2.0, std=0.02)
    assert wide.centers.shape == (6, 2) and wide.std == 0.02
    np.testing.assert_allclose(np.linalg.norm(wide.centers, axis=1), 2.0)


def test_grid_centres():
    ds = get_dataset("grid")
    assert ds.centers.shape == (25, 2) and ds.std == 0.05
    want = {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert {tuple(c) for c in ds.centers.tolist()} == want
    assert get_dataset("grid", k=3, spacing=1.0).centers.max() == 1.0


@pytest.mark.parametrize("name", ["ring", "grid", "mixture1d", "gaussian1d"])
def test_mixture_moments(name):
    ds = get_dataset(name)
    x, labels = ds.sample_with_labels(20000, np.random.default_rng(0))
    n = len(x)
    # overall mean: mean of the centres; its standard error is sqrt(total var / n)
    total_var = ds.std**2 + ds.centers.var(0)
    np.testing.assert_array_less(np.abs(x.mean(0) - ds.centers.mean(0)),
                                 5 * np.sqrt(total_var / n))
    np.testing.assert_allclose(x.var(0), total_var, rtol=0.05)
    resid = x - ds.centers[labels]                             # within-component noise
    np.testing.assert_allclose(resid.std(0), ds.std, rtol=0.03)
    counts = np.bincount(labels, minlength=ds.n_modes)
    assert np.all(np.abs(counts - n / ds.n_modes) < 5 * np.sqrt(n / ds.n_modes))


def test_gaussian1d_and_mixture1d_options():
    g = get_dataset("gaussian1d", mean=-1.0, std=2.0)
    x = g.sample(20000, np.random.default_rng(2))
    assert abs(x.mean() + 1.0) < 0.06 and abs(x.std() - 2.0) < 0.05
    m = get_dataset("mixture1d", centers=[0.0, 10.0], std=0.1)
    assert m.centers.shape == (2, 1)
    x = m.sample(1000, np.random.default_rng(2))
    assert np.all(np.minimum(np.abs(x), np.abs(x - 10)) < 0.6)


# ----------------------------------------------------------------------------- curves

def test_parallel_lines_is_wgan_example_1():
    x = get_dataset("parallel_lines", theta=0.3).sample(5000, np.random.default_rng(0))
    assert np.all(x[:, 0] == 0.3)
    assert x[:, 1].min() >= 0 and x[:, 1].max() <= 1
    assert abs(x[:, 1].mean() - 0.5) < 0.02
    assert np.all(get_dataset("parallel_lines").sample(10, np.random.default_rng(0))[:, 0] == 0)


def test_line_is_a_segment():
    ds = get_dataset("line", start=(0.0, 1.0), end=(2.0, 2.0))
    x = ds.sample(1000, np.random.default_rng(0))
    d = np.array([2.0, 1.0])
    t = (x - [0.0, 1.0]) @ d / (d @ d)
    np.testing.assert_allclose(x, [0.0, 1.0] + t[:, None] * d, atol=1e-12)   # collinear
    assert t.min() >= 0 and t.max() <= 1 and t.min() < 0.01 and t.max() > 0.99
    with pytest.raises(ValueError, match="end must be 2 finite numbers"):
        get_dataset("line", start=(0, 0), end=(1, 1, 1))


def test_spiral_and_moons_shapes():
    x = get_dataset("spiral", noise=0.0).sample(2000, np.random.default_rng(0))
    r = np.linalg.norm(x, axis=1)
    t = 7.5 * r                                # on the roll, radius * 7.5 = angle t
    np.testing.assert_allclose(x, np.stack([np.cos(t), np.sin(t)], 1) * r[:, None], atol=1e-9)
    assert r.min() >= 1.5 * np.pi / 7.5 - 1e-9 and r.max() <= 4.5 * np.pi / 7.5 + 1e-9
    m = get_dataset("moons", noise=0.0).sample(4000, np.random.default_rng(0))
    upper = np.isclose(np.linalg.norm(m - [-0.5, -0.25], axis=1), 1.0)
    lower = np.isclose(np.linalg.norm(m - [0.5, 0.25], axis=1), 1.0)
    assert np.all(upper | lower) and 0.45 < upper.mean() < 0.55


# ----------------------------------------------------------------------------- digits

def test_font_glyphs_are_5x7_and_connected():
    for digit, rows in FONT.items():
        assert len(rows) == 7 and all(len(r) == 5 for r in rows), digit
        segs = glyph_segments(rows)
        assert segs.shape[1:] == (2, 2) and len(segs) >= 5
        assert np.all((segs[..., 0] >= 0) & (segs[..., 0] <= 4))


@pytest.mark.parametrize("size", [8, 12, 16])
def test_digits_images(size):
    ds = get_dataset("digits", size=size)
    x, labels = ds.sample_with_labels(3000, np.random.default_rng(0))
    assert x.shape == (3000, size * size) and ds.dim == size * size
    assert x.min() >= -1 and x.max() <= 1
    assert np.all(np.isin(labels, np.arange(10)))
    counts = np.bincount(labels, minlength=10)                 # each class p = 1/10
    assert np.all(np.abs(counts - 300) < 5 * np.sqrt(300 * 0.9))
    assert np.median(x) < -0.9 and (x == -1).mean() > 0.2      # mostly background, -1
    ink = (x > 0).mean(1)
    assert 0.05 < ink.min() and ink.max() < 0.6                 # every image has a stroke
    assert ds.templates.shape == (10, size * size)
    t = ds.templates
    assert t.min() >= -1 and t.max() == 1
    sep = np.linalg.norm(t[:, None] - t[None], axis=-1)
    assert sep[~np.eye(10, dtype=bool)].min() > 1.0            # ten distinct glyphs
    x32, y32 = ds.sample_with_labels(5, np.random.default_rng(0), np.float32)
    x64, y64 = ds.sample_with_labels(5, np.random.default_rng(0))
    assert x32.dtype == np.float32 and np.array_equal(x32, x64.astype(np.float32))
    np.testing.assert_array_equal(y32, y64)


def test_digits_look_like_their_template():
    # averaging many samples of one class should resemble that class's template most
    ds = get_dataset("digits", size=12)
    x, labels = ds.sample_with_labels(3000, np.random.default_rng(1))
    means = np.stack([x[labels == c].mean(0) for c in range(10)])
    corr = np.corrcoef(means, ds.templates)[:10, 10:]
    assert np.array_equal(corr.argmax(1), np.arange(10))


def test_digits_options():
    clean = Digits(size=8, max_shift=0, thickness=(0.55, 0.55), noise=0.0, blur=0.0)
    x, labels = clean.sample_with_labels(20, np.random.default_rng(0))
    np.testing.assert_array_equal(x, clean.templates[labels])   # no variation left
    for bad in [dict(size=10), dict(max_shift=2), dict(noise=-0.1), dict(blur=2.0),
                dict(thickness=(0.8, 0.4)), dict(thickness=3)]:
        with pytest.raises(ValueError):
            Digits(**bad)
    with pytest.raises(ValueError, match=r"size must be one of \(8, 12, 16\)"):
        get_dataset("digits", size=28)


# ----------------------------------------------------------------------------- MNIST / IDX

def idx_bytes(arr, type_code=0x08, dtype=">u1"):
    """Encode `arr` as an IDX file (written here independently of the reader)."""
    arr = np.asarray(arr)
    head = struct.pack(">BBBB", 0, 0, type_code, arr.ndim)
    head += b"".join(struct.pack(">I", s) for s in arr.shape)
    return head + arr.astype(dtype).tobytes()


def write_mnist(folder, kind="train", n=12, rows=4, cols=5, gz=True, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, rows, cols), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    for name, arr in zip(MNIST_FILES[kind], (images, labels)):
        data = idx_bytes(arr)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_idx_roundtrip(tmp_path, gz):
    images, labels = write_mnist(tmp_path, gz=gz)
    got_x, got_y = load_mnist(tmp_path, cache=tmp_path / "nocache")
    assert got_x.dtype == np.uint8 and got_x.shape == (12, 4, 5)
    np.testing.assert_array_equal(got_x, images)
    np.testing.assert_array_equal(got_y, labels)


def test_idx_other_types_and_byte_order():
    a = np.arange(-6, 6, dtype=np.int32).reshape(3, 4) * 1000
    np.testing.assert_array_equal(parse_idx(idx_bytes(a, 0x0C, ">i4")), a)
    f = np.linspace(-1, 1, 5)
    np.testing.assert_array_equal(parse_idx(idx_bytes(f, 0x0E, ">f8")), f)


def test_idx_corrupt_files(tmp_path):
    good = idx_bytes(np.zeros((3, 4, 4), np.uint8))
    with pytest.raises(ValueError, match="truncated"):
        parse_idx(good[:-5])
    with pytest.raises(ValueError, match="truncated"):
        parse_idx(good[:10])                                    # header cut short
    with pytest.raises(ValueError, match="trailing"):
        parse_idx(good + b"\0")
    with pytest.raises(ValueError, match="bad magic"):
        parse_idx(b"\x12\x34" + good[2:])
    with pytest.raises(ValueError, match="magic number 2049.*expected 2051"):
        parse_idx(idx_bytes(np.zeros(3, np.uint8)), magic=2051)
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(good)[:-12])
    with pytest.raises(ValueError, match="x.gz.*gzip"):
        read_idx(path)


def test_load_mnist_mismatched_counts(tmp_path):
    write_mnist(tmp_path, n=12)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(11, np.uint8)))
    with pytest.raises(ValueError, match="12 images but .* 11 labels"):
        load_mnist(tmp_path, cache=tmp_path)


def test_missing_files_message(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_mnist(tmp_path / "here", kind="test", cache=tmp_path / "cache")
    msg = str(err.value)
    assert "t10k-images-idx3-ubyte" in msg and "t10k-labels-idx1-ubyte" in msg
    assert str(tmp_path / "here") in msg and "download=True" in msg
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist(tmp_path, kind="validation")


def test_offline_download_message(tmp_path):
    def offline(url, timeout=None):
        raise urllib.error.URLError("no network")
    with pytest.raises(ConnectionError) as err:
        load_mnist(cache=tmp_path, download=True, opener=offline)
    msg = str(err.value)
    for name in MNIST_FILES["train"]:
        assert name + ".gz" in msg
    assert str(tmp_path) in msg and "no network" in msg
    assert not list(tmp_path.iterdir())                        # nothing half-written


def test_download_checksums(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    write_mnist(mirror, n=10)
    url = mirror.as_uri() + "/"
    # the tiny files are not the real MNIST, so the published MD5s must reject them
    with pytest.raises(ValueError, match="checksum mismatch for train-images.*" +
                       MNIST_MD5["train-images-idx3-ubyte.gz"]):
        download_mnist(tmp_path / "cache", kinds=("train",), base_url=url)
    assert not (tmp_path / "cache").exists()      # nothing saved, not even the folder
    sums = {name + ".gz": hashlib.md5((mirror / (name + ".gz")).read_bytes()).hexdigest()
            for name in MNIST_FILES["train"]}
    download_mnist(tmp_path / "cache", kinds=("train",), base_url=url, checksums=sums)
    ds = get_dataset("mnist", cache=tmp_path / "cache")
    assert ds.dim == 20 and len(ds.labels) == 10


def test_download_tries_the_next_mirror(tmp_path):
    payload = gzip.compress(idx_bytes(np.zeros(3, np.uint8)))
    seen = []

    def opener(url, timeout=None):
        seen.append(url)
        if url.startswith("https://down"):
            raise urllib.error.URLError("refused")
        return io.BytesIO(payload)
    name = "train-labels-idx1-ubyte.gz"
    sums = dict.fromkeys(MNIST_MD5, hashlib.md5(payload).hexdigest())
    download_mnist(tmp_path, base_url=["https://down/", "https://up/"], opener=opener,
                   checksums=sums)
    assert "https://up/" + name in seen and (tmp_path / name).read_bytes() == payload


def test_mnist_dataset(tmp_path):
    images, labels = write_mnist(tmp_path, n=30, rows=6, cols=6, gz=False)
    ds = get_dataset("mnist", folder=tmp_path, cache=tmp_path / "c")
    assert ds.dim == 36 and ds.name == "mnist"
    x, y = ds.sample_with_labels(50, np.random.default_rng(0), dtype=np.float32)
    assert x.dtype == np.float32 and x.shape == (50, 36)
    assert x.min() >= -1 and x.max() <= 1
    # each sample is one of the stored images, scaled p / 127.5 - 1, with its own label
    scaled = images.reshape(30, 36) / 127.5 - 1
    match = np.abs(x[:, None, :] - scaled[None]).max(-1).argmin(1)
    np.testing.assert_allclose(x, scaled[match], atol=1e-6)
    np.testing.assert_array_equal(y, labels[match])
    assert ds.templates.shape == (10, 36) and ds.threshold > 0
    with pytest.raises(ValueError, match="unknown option.*allowed: folder, kind"):
        get_dataset("mnist", folder=tmp_path, root=tmp_path)
