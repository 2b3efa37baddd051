"""MNIST from its original IDX files: a careful reader, an optional checked download.

IDX format (LeCun et al.), all integers big-endian:

    bytes 0-1   0x00 0x00
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
                0x0E float64
    byte  3     number of dimensions d
    then        d uint32 sizes, then prod(sizes) elements, row-major

so MNIST images start with the magic number 0x00000803 = 2051 (uint8, 3 dims: N, 28, 28) and
labels with 0x00000801 = 2049 (uint8, 1 dim: N). Files may be raw or gzipped (.gz).

There is no network access in tests: `download_mnist` takes the mirror(s) and the URL
opener as parameters, and checks every downloaded file against its MD5 before keeping it.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.client
import io
import math
import os
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from tinygan.data.base import Dataset, check_sample_args
from tinygan.data.images import ImageCoverage, calibrate_threshold

__all__ = ["MNIST", "MNIST_FILES", "MNIST_MD5", "MNIST_MIRRORS", "MNISTDownloadFailed",
           "MNISTFilesMissing", "default_cache",
           "download_mnist", "load_mnist", "parse_idx", "read_idx"]

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
MNIST_MD5 = {   # of the .gz files, as published by torchvision
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def default_cache():
    """Where downloads go: $XDG_CACHE_HOME/tinygan/mnist, else ~/.cache/tinygan/mnist."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tinygan" / "mnist"


# ----------------------------------------------------------------------------- reading

MAX_IDX_BYTES = 1 << 30      # 1 GB of data per file; MNIST's largest holds 47 MB
MAX_DOWNLOAD = 1 << 26       # 64 MB per downloaded file; MNIST's largest .gz is 9.9 MB


def _idx_header(read, source, magic=None):
    """Read an IDX header with read(n) -> bytes; return (shape, dtype). Nothing past the
    header is read, so a file's declared size is known (and can be refused) before its data."""
    head = read(4)
    if len(head) < 4:
        raise ValueError(f"{source}: {len(head)} bytes is too short for an IDX header "
                         "(truncated or empty file)")
    found = int.from_bytes(head, "big")
    if magic is not None and found != magic:
        raise ValueError(f"{source}: magic number {found} (0x{found:08x}), expected {magic} "
                         f"(0x{magic:08x}); images files start with {IMAGES_MAGIC}, labels "
                         f"files with {LABELS_MAGIC} (wrong file, or not an IDX file?)")
    if head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES:
        raise ValueError(f"{source}: bad magic number 0x{found:08x}: an IDX file starts with "
                         "two zero bytes and a type code in "
                         f"{', '.join(f'0x{t:02X}' for t in _IDX_TYPES)} (not an IDX file?)")
    ndim = head[3]
    sizes = read(4 * ndim)
    if ndim == 0 or len(sizes) < 4 * ndim:
        raise ValueError(f"{source}: IDX header declares {ndim} dimensions but the file ends "
                         f"after {4 + len(sizes)} bytes; need at least 1 dimension and "
                         f"{4 + 4 * ndim} header bytes (truncated or corrupt file)")
    shape = tuple(int.from_bytes(sizes[4 * i:4 * i + 4], "big") for i in range(ndim))
    return shape, np.dtype(_IDX_TYPES[head[2]])


def _idx_data(read, shape, dtype, source):
    """The data after the header: exactly prod(shape) elements, refusing more or fewer
    (and refusing to start on more than MAX_IDX_BYTES); an array in native byte order."""
    want = math.prod(shape) * dtype.itemsize
    if want > MAX_IDX_BYTES:
        raise ValueError(f"{source}: IDX header declares shape {shape} = {want} bytes; tinygan "
                         f"reads at most {MAX_IDX_BYTES} bytes per file (corrupt file?)")
    data = bytearray()
    while len(data) < want:
        piece = read(min(want - len(data), 1 << 22))
        if not piece:
            break
        data += piece
    have = len(data)
    if have == want and read(1):
        have = f"more than {want}"
    if have != want:
        what = "truncated" if isinstance(have, int) else "has trailing bytes"
        raise ValueError(f"{source}: file {what}: header says shape {shape} = {want} bytes of "
                         f"data, file has {have} (incomplete download or corrupt file)")
    arr = np.frombuffer(bytes(data), dtype=dtype).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))   # native byte order, writable copy


def parse_idx(data, source="<bytes>", magic=None):
    """Decode the bytes of an IDX file into an array of shape (sizes...) in native order.

    Checks the two zero bytes, the element type, that the header is complete and that the
    data is exactly prod(sizes) elements long; if `magic` is given, that the 4-byte magic
    number equals it. Raises ValueError naming `source` and the problem.
    """
    stream = io.BytesIO(data)
    shape, dtype = _idx_header(stream.read, source, magic)
    return _idx_data(stream.read, shape, dtype, source)


def read_idx(path, magic=None):
    """Read an IDX file, raw or gzip-compressed (detected from its first bytes).

    The header is read first (from the decompressed stream for a .gz) and then exactly the
    data it declares, so a file that expands beyond its header is refused without being
    decompressed whole. Returns the array (see parse_idx). Missing file: FileNotFoundError;
    unreadable, corrupt or truncated file: ValueError naming the file.
    """
    path = Path(path)
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise
    except PermissionError:
        raise ValueError(f"{path}: cannot read (permission denied); make it readable or "
                         "put a readable copy elsewhere") from None
    except OSError as err:
        raise ValueError(f"{path}: cannot read ({err.strerror or err})") from None
    with f:
        gz = f.read(2) == b"\x1f\x8b"                    # gzip magic
        f.seek(0)
        stream = gzip.GzipFile(fileobj=f, mode="rb") if gz else f
        try:
            shape, dtype = _idx_header(stream.read, str(path), magic)
            return _idx_data(stream.read, shape, dtype, str(path))
        except (OSError, EOFError, zlib.error) as err:
            if gz:
                raise ValueError(f"{path}: corrupt or truncated gzip file ({err}); delete it "
                                 "and fetch it again") from None
            raise ValueError(f"{path}: cannot read ({err})") from None


class MNISTFilesMissing(FileNotFoundError):
    """MNIST files not found where they were looked for. `where()` says which files and
    folders in words that suit any front end (no option names)."""

    def __init__(self, message, kind, missing, folders):
        super().__init__(message)
        self.kind, self.missing, self.folders = kind, missing, folders

    def __str__(self):
        return self.args[0]

    def where(self):
        return (f"MNIST {self.kind} file(s) {', '.join(n + '[.gz]' for n in self.missing)} "
                f"are not in {' or '.join(map(str, self.folders))}; put them (raw or .gz) "
                "in one of these folders")


class MNISTDownloadFailed(MNISTFilesMissing, ConnectionError):
    """The files are missing and no mirror could serve them (network error, offline)."""


def _folder_text(folder):
    return f"{folder} (no such folder)" if not Path(folder).is_dir() else str(folder)


def _kind(kind):
    k = {"t10k": "test"}.get(kind, kind)
    if k not in MNIST_FILES:
        raise ValueError(f"kind must be 'train' or 'test' (or 't10k'), got {kind!r}")
    return k


def _find(folders, name):
    """The first of folder/name, folder/name.gz over `folders` that exists, else None."""
    for folder in folders:
        for candidate in (folder / name, folder / (name + ".gz")):
            if candidate.is_file():
                return candidate
    return None


def load_mnist(folder=None, kind="train", download=False, cache=None,
               base_url=MNIST_MIRRORS, opener=None):
    """Load MNIST images and labels from IDX files: ((N, rows, cols) uint8, (N,) uint8).

    Looks for <name> or <name>.gz in `folder` (if given), then in `cache` (default
    default_cache()), where <name> is e.g. train-images-idx3-ubyte. If they are missing and
    download=True, fetches them into `cache` with download_mnist; otherwise raises
    FileNotFoundError naming the files and the folders searched. kind: "train" or "test".
    """
    kind = _kind(kind)
    cache = Path(cache) if cache is not None else default_cache()
    folders = ([Path(folder)] if folder is not None else []) + [cache]
    names = MNIST_FILES[kind]
    paths = [_find(folders, name) for name in names]
    if None in paths:
        missing = [n for n, p in zip(names, paths) if p is None]
        if not download:
            raise MNISTFilesMissing(
                f"MNIST {kind} file(s) not found: {', '.join(n + '[.gz]' for n in missing)}. "
                f"Looked in: {', '.join(_folder_text(f) for f in folders)}. Put the files (raw "
                "or .gz) in one of these folders, pass folder=<where they are>, or use "
                f"download=True to fetch them into {cache}.", kind, missing, folders)
        download_mnist(cache, kinds=(kind,), base_url=base_url, opener=opener)
        paths = [_find([cache], name) for name in names]
    images = read_idx(paths[0], magic=IMAGES_MAGIC)
    labels = read_idx(paths[1], magic=LABELS_MAGIC)
    if images.ndim != 3 or 0 in images.shape[1:]:
        raise ValueError(f"{paths[0]}: images of {' x '.join(map(str, images.shape[1:]))} "
                         "pixels; MNIST images have rows and columns (28 x 28) (corrupt file?)")
    if len(images) != len(labels):
        raise ValueError(f"{paths[0]} has {len(images)} images but {paths[1]} has "
                         f"{len(labels)} labels; they must match (mixed-up or corrupt files?)")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{paths[1]}: labels must be digits 0-9, found {labels.max()}")
    return images, labels


# ----------------------------------------------------------------------------- download

def download_mnist(cache=None, kinds=("train", "test"), base_url=MNIST_MIRRORS, opener=None,
                   checksums=None, timeout=30.0):
    """Fetch the MNIST .gz files for `kinds` into `cache`, checking each file's MD5.

    base_url: one URL prefix or a sequence tried in order (file:// works too); opener: a
    function like urllib.request.urlopen(url, timeout=...) (default); checksums: file name
    -> MD5 hex (default MNIST_MD5). Files already present (raw or .gz) are skipped; a file
    is written to <name>.part and renamed only once its checksum matches. Every mirror is
    tried on any network error (refused, offline, a timeout, a cut-off or oversized
    response). Raises ValueError if every mirror served a file with the wrong checksum,
    MNISTDownloadFailed (a ConnectionError, and a FileNotFoundError: the files are still
    missing) if none could serve it, naming the four files to fetch by hand and where to put
    them. Returns the cache path.
    """
    cache = Path(cache) if cache is not None else default_cache()
    opener = opener or urllib.request.urlopen
    checksums = MNIST_MD5 if checksums is None else checksums
    bases = [base_url] if isinstance(base_url, str) else list(base_url)
    kinds = [_kind(kind) for kind in kinds]
    wanted = [name for kind in kinds for name in MNIST_FILES[kind]]
    every = [name + ".gz" for kind in MNIST_FILES.values() for name in kind]
    by_hand = (f"Without internet access, fetch the MNIST files by hand ({', '.join(every)}; "
               f"kind={'/'.join(kinds)} needs {', '.join(n + '.gz' for n in wanted)}) and put "
               f"them (raw or .gz) in {cache}, or pass folder=<where they are>.")
    for name in wanted:
        if _find([cache], name) is not None:
            continue
        gz = name + ".gz"
        failures, bad_sums = [], []
        for base in bases:
            url = base.rstrip("/") + "/" + gz
            try:
                data = _fetch(opener, url, timeout)
            except (OSError, ValueError, EOFError, http.client.HTTPException) as err:
                # any network failure (refused, offline, timeout, a cut-off or bad response):
                # the next mirror may serve it
                failures.append(f"{url} ({' '.join(str(err).split()) or type(err).__name__})")
                continue
            digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
            if digest != checksums[gz]:
                bad_sums.append(f"{url} has MD5 {digest}, expected {checksums[gz]}")
                continue
            part = cache / (gz + ".part")
            try:   # the folder is made only now: a failed download leaves nothing behind
                cache.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise MNISTDownloadFailed(f"cannot create the download folder {cache} "
                                          f"({err.strerror or err}). " + by_hand, kinds[0],
                                          wanted, [cache]) from None
            try:
                part.write_bytes(data)
                os.replace(part, cache / gz)                  # atomic: no half-written .gz
            except OSError as err:
                part.unlink(missing_ok=True)
                raise MNISTDownloadFailed(f"cannot save {gz} in {cache} ({err.strerror or err}). "
                                          + by_hand, kinds[0], wanted, [cache]) from None
            break
        else:
            if bad_sums:
                raise ValueError(f"checksum mismatch for {gz}: {'; '.join(bad_sums)}. The "
                                 "file was not saved (corrupt or partial download?).")
            raise MNISTDownloadFailed(f"could not download {gz}: {'; '.join(failures)}. "
                                      + by_hand, kinds[0], wanted, [cache])
    return cache


def _fetch(opener, url, timeout):
    """The body served at `url`, read to at most MAX_DOWNLOAD bytes (more is an error)."""
    with opener(url, timeout=timeout) as response:
        data = response.read(MAX_DOWNLOAD + 1)
    if len(data) > MAX_DOWNLOAD:
        raise ValueError(f"served more than {MAX_DOWNLOAD} bytes; an MNIST file is under 10 MB")
    return data


# ----------------------------------------------------------------------------- data set

class MNIST(ImageCoverage, Dataset):
    """MNIST digits as a data set: pixels p in 0..255 mapped to p / 127.5 - 1 in [-1, 1].

    Samples (n, rows*cols) drawn uniformly with replacement; labels (N,); images (N, D)
    uint8 (kept as bytes: 47 MB for the training set instead of 376 MB of float64).
    templates (10, D) are the class-mean images in [-1, 1] (a blank -1 image for a class
    that is absent), threshold the RMS distance 99 % of images stay below, and at least
    half a grey level (see
    tinygan.data.images.digit_coverage).
    """

    name = "mnist"

    def __init__(self, folder=None, kind="train", download=False, cache=None, **fetch):
        images, self.labels = load_mnist(folder, kind, download, cache, **fetch)
        self.kind = _kind(kind)
        if len(images) == 0:
            raise ValueError(f"MNIST {kind} files contain no images")
        self.shape = images.shape[1:]
        self.images = images.reshape(len(images), -1)
        self.dim = self.images.shape[1]

    @functools.cached_property
    def templates(self):
        """Class-mean images (10, D) in [-1, 1]; None for images that are not square, which
        the digit metrics (aligning by shifts of a square image) cannot score."""
        if len(self.shape) != 2 or self.shape[0] != self.shape[1]:
            return None
        t = -np.ones((10, self.dim))
        for c in np.unique(self.labels):
            t[c] = self.images[self.labels == c].mean(0) / 127.5 - 1.0
        return t

    @functools.cached_property
    def threshold(self):
        """The 99th percentile of real images' distance to the nearest template (None
        without templates)."""
        if self.templates is None:
            return None
        real = self.sample(min(4000, len(self.images)), np.random.default_rng(20160610))
        # at least half a grey level (1/255 in [-1, 1] units): a set whose images all equal
        # their class means (a blank or synthetic file) would otherwise get 0, which counts
        # nothing as a digit
        return max(calibrate_threshold(real, self.templates, quantile=0.99, max_shift=1), 1 / 255)

    def sample_with_labels(self, n, rng, dtype=np.float64):
        """Draw n images and their labels: (n, D) in `dtype` and [-1, 1], (n,) ints."""
        dtype = check_sample_args(n, rng, dtype)
        idx = rng.integers(len(self.images), size=int(n))
        x = self.images[idx].astype(dtype) * (1.0 / 127.5) - 1.0   # Python floats: no upcast
        return x, self.labels[idx].astype(np.intp)

    def _draw(self, n, rng):
        return self.sample_with_labels(n, rng)[0]

    def _options(self):
        return {"kind": self.kind, "n_images": len(self.images), "shape": self.shape}
