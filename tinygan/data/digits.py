"""Tiny digit images drawn from a built-in 5x7 pixel font: MNIST's shape in a few KB.

The font below is a hand-drawn bitmap. To render a glyph at any size, every "#" cell
becomes a node and neighbouring nodes (including diagonal neighbours that are not already
joined through a shared orthogonal neighbour) become stroke segments. A pixel's ink is then
a function of its distance d to the nearest segment:

    ink = clip(0.5 + (w - d), 0, 1)      w = stroke half-width in pixels

i.e. a stroke of width 2w with a one-pixel anti-aliased edge. Each sample varies:

    shift      integer offset in x and y, each uniform in -max_shift..max_shift
    thickness  w = t * size / 8 pixels, t uniform in `thickness`
    noise      ink *= 1 - noise * u, u ~ U[0, 1] per pixel (uneven pen pressure)
    blur       ink = (1 - b) ink + b (ink smoothed by a [1,2,1]/4 kernel), b ~ U[0, blur]

and the pixel value is 2 ink - 1, so the background is exactly -1 and pixels lie in [-1, 1]
(what a tanh generator produces). Images are flattened row-major to (n, size*size).
`templates` (10, size*size) are the same glyphs centred, mid thickness, no noise or blur;
`threshold` is the distance to them that 99 % of real samples stay below (see
tinygan.data.images.digit_coverage). Font rows 0, 3, 6 and columns 0, 2, 4 fall on pixel
centres at every size, so the bars of 2, 3, 5, 8 and 9 stay crisp even at 8x8.
"""

from __future__ import annotations

import functools

import numpy as np

from tinygan.checks import nonnegative
from tinygan.data.base import Dataset, check_sample_args
from tinygan.data.images import ImageCoverage, calibrate_threshold

__all__ = ["FONT", "SIZES", "Digits", "glyph_segments"]

SIZES = (8, 12, 16)
_CELLS = {8: (1.0, 2 / 3), 12: (1.5, 4 / 3), 16: (2.0, 2.0)}   # font cell (x, y) in pixels

FONT = {
    0: [".###.",
        "#...#",
        "#...#",
        "#...#",
        "#...#",
        "#...#",
        ".###."],
    1: ["..#..",
        ".##..",
        "..#..",
        "..#..",
        "..#..",
        "..#..",
        ".###."],
    2: [".###.",
        "#...#",
        "....#",
        "...#.",
        "..#..",
        ".#...",
        "#####"],
    3: [".###.",
        "#...#",
        "....#",
        "..##.",
        "....#",
        "#...#",
        ".###."],
    4: ["...#.",
        "..##.",
        ".#.#.",
        "#..#.",
        "#####",
        "...#.",
        "...#."],
    5: ["#####",
        "#....",
        "#....",
        "####.",
        "....#",
        "#...#",
        ".###."],
    6: ["..##.",
        ".#...",
        "#....",
        "####.",
        "#...#",
        "#...#",
        ".###."],
    7: ["#####",
        "....#",
        "...#.",
        "..#..",
        ".#...",
        ".#...",
        ".#..."],
    8: [".###.",
        "#...#",
        "#...#",
        ".###.",
        "#...#",
        "#...#",
        ".###."],
    9: [".###.",
        "#...#",
        "#...#",
        ".####",
        "....#",
        "...#.",
        ".##.."],
}


def glyph_segments(rows):
    """Stroke segments of a bitmap glyph, in cell units: (S, 2, 2) as [[x0, y0], [x1, y1]].

    Orthogonal neighbours are always joined; a diagonal pair is joined only if neither of
    the two cells completing its 2x2 square is ink (otherwise the corner already joins them).
    A lone cell becomes a zero-length segment (a dot).
    """
    on = {(r, c) for r, line in enumerate(rows) for c, ch in enumerate(line) if ch == "#"}
    segs = []
    for r, c in sorted(on):
        linked = False
        for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1), (0, -1), (-1, 0), (-1, -1), (-1, 1)):
            if (r + dr, c + dc) not in on:
                continue
            linked = True
            if (dr, dc) not in ((0, 1), (1, 0), (1, 1), (1, -1)):
                continue  # each pair once: only look right and down
            if dr and dc and ((r + dr, c) in on or (r, c + dc) in on):
                continue
            segs.append([[c, r], [c + dc, r + dr]])
        if not linked:
            segs.append([[c, r], [c, r]])
    return np.array(segs, dtype=np.float64)


def _distance_to_segments(points, segs):
    """Distance from each point (P, 2) to the nearest of segs (S, 2, 2): (P,)."""
    a, b = segs[:, 0], segs[:, 1]                          # (S, 2)
    ab = b - a
    len2 = np.maximum((ab * ab).sum(1), 1e-12)            # zero-length segment = a dot
    ap = points[:, None, :] - a[None]                      # (P, S, 2)
    t = np.clip((ap * ab).sum(-1) / len2, 0.0, 1.0)        # projection onto the segment
    d = ap - t[..., None] * ab
    return np.sqrt((d * d).sum(-1)).min(1)


def _blur(ink):
    """Smooth (n, s, s) images with the separable kernel [1, 2, 1]/4, zero outside."""
    p = np.pad(ink, ((0, 0), (1, 1), (1, 1)))
    rows = 0.25 * p[:, :-2, :] + 0.5 * p[:, 1:-1, :] + 0.25 * p[:, 2:, :]
    return 0.25 * rows[:, :, :-2] + 0.5 * rows[:, :, 1:-1] + 0.25 * rows[:, :, 2:]


class Digits(ImageCoverage, Dataset):
    """Procedural digit images 0-9 from the built-in pixel font, pixels in [-1, 1].

    Each class has probability 1/10. Samples (n, size*size), row-major; labels (n,) ints;
    templates (10, size*size). See the module docstring for the rendering model.
    """

    name = "digits"

    def __init__(self, size=8, max_shift=1, thickness=(0.4, 0.7), noise=0.3, blur=0.5):
        if size not in SIZES:
            raise ValueError(f"size must be one of {SIZES}, got {size!r}")
        if isinstance(max_shift, bool) or max_shift not in (0, 1):
            raise ValueError(f"max_shift must be 0 or 1 (pixels), got {max_shift!r}")
        try:
            lo, hi = (float(v) for v in thickness)
        except (TypeError, ValueError) as err:
            raise ValueError(f"thickness must be a pair (low, high), got {thickness!r}") from err
        if not 0.1 <= lo <= hi <= 1.5:
            raise ValueError(f"thickness must satisfy 0.1 <= low <= high <= 1.5 (stroke "
                             f"half-width in units of size/8 pixels), got {thickness!r}")
        self.noise = nonnegative("noise", noise)
        self.blur = nonnegative("blur", blur)
        if self.noise > 1 or self.blur > 1:
            raise ValueError(f"noise and blur must be in [0, 1], got {noise!r} and {blur!r}")
        self.size, self.max_shift, self.thickness = int(size), int(max_shift), (lo, hi)
        self.dim = self.size * self.size
        # Font cell -> pixels (_CELLS). Rows 0, 3 and 6 (the bars of 2, 3, 5, 8, 9) and
        # columns 0, 2 and 4 land on pixel centres; the glyph shifted by one pixel stays
        # inside the canvas.
        self.cell_x, self.cell_y = _CELLS[self.size]
        self.pixel_w = self.size / 8.0   # stroke half-width = thickness * pixel_w pixels
        shifts = np.arange(-self.max_shift, self.max_shift + 1)
        self._shifts = np.array([(dx, dy) for dy in shifts for dx in shifts], dtype=float)
        # distances[c, j, p]: pixel p to glyph c drawn with shift j. Precomputed once, so
        # sampling is a gather and a few elementwise operations.
        ys, xs = np.mgrid[0:self.size, 0:self.size] + 0.5
        pixels = np.stack([xs.ravel(), ys.ravel()], axis=1)
        cell = np.array([self.cell_x, self.cell_y])
        span = cell * [4, 6]                         # 5 columns, 7 rows of cell centres
        origin = np.floor((self.size - span) / 2) + 0.5   # cell (0, 0) on a pixel centre
        self._dist = np.stack([
            np.stack([_distance_to_segments(pixels - s, origin + cell * glyph_segments(
                FONT[c])) for s in self._shifts]) for c in range(10)])
        self._centre = len(self._shifts) // 2   # index of shift (0, 0)
        mid = 0.5 * (lo + hi) * self.pixel_w
        t = np.clip(0.5 + mid - self._dist[:, self._centre], 0.0, 1.0)
        self.templates = 2.0 * t - 1.0
        self.templates.setflags(write=False)

    def sample_with_labels(self, n, rng, dtype=np.float64):
        """Draw `n` images and their digit labels: (n, size*size) in `dtype`, (n,) ints."""
        dtype = check_sample_args(n, rng, dtype)
        n = int(n)
        labels = rng.integers(10, size=n)
        shift = rng.integers(len(self._shifts), size=n)
        w = self.pixel_w * rng.uniform(*self.thickness, size=(n, 1))
        ink = np.clip(0.5 + w - self._dist[labels, shift], 0.0, 1.0)
        ink *= 1.0 - self.noise * rng.random(ink.shape)
        b = self.blur * rng.random((n, 1))
        smooth = _blur(ink.reshape(n, self.size, self.size)).reshape(n, -1)
        ink = (1.0 - b) * ink + b * smooth
        return (2.0 * ink - 1.0).astype(dtype, copy=False), labels

    @functools.cached_property
    def threshold(self):
        """RMS distance to the nearest template below which 99 % of real samples lie.

        Measured once on 4,000 samples from a fixed seed (images.calibrate_threshold).
        """
        real = self.sample(4000, np.random.default_rng(20160610))
        return calibrate_threshold(real, self.templates, quantile=0.99, max_shift=1)

    def _draw(self, n, rng):
        return self.sample_with_labels(n, rng)[0]

    def _options(self):
        return {"size": self.size, "max_shift": self.max_shift, "thickness": self.thickness,
                "noise": self.noise, "blur": self.blur}
