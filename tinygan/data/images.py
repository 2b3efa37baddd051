"""Mode coverage for images: each image's mode is its nearest clean template (a glyph).

    calibrate_threshold(real, templates)       the distance below which real images fall
    digit_coverage(images, templates, thr)     modes, high quality, reverse KL for images
    ImageCoverage                              gives an image data set coverage(images)

The counts are those of tinygan.metrics.mode_coverage, with "nearest template after the
best shift of a pixel or two" in place of "nearest centre", and an RMS pixel distance in
place of "within 3 std".
"""

import math

import numpy as np

from tinygan.metrics import _CHUNK, _coverage, _pairs, _sq_dist

__all__ = ["calibrate_threshold", "digit_coverage", "ImageCoverage"]


def _align_sq_dist(images, templates, max_shift):
    """Squared distance (N, K) from each image to each template, minimised over shifts.

    The image is moved by every integer offset in -max_shift..max_shift in x and y (the
    uncovered border is filled with the background, -1) before comparing, so a digit drawn
    one pixel off centre still matches its centred template.
    """
    n, dim = images.shape
    if max_shift == 0:
        return _sq_dist(images, templates)
    size = math.isqrt(dim)
    if size * size != dim:
        raise ValueError(f"images of dimension {dim} are not square; pass max_shift=0")
    m = max_shift
    best = np.full((n, len(templates)), np.inf)
    for i in range(0, n, _CHUNK):
        im = images[i:i + _CHUNK].reshape(-1, size, size)
        padded = np.pad(im, ((0, 0), (m, m), (m, m)), constant_values=-1.0)
        for dy in range(2 * m + 1):
            for dx in range(2 * m + 1):
                moved = padded[:, dy:dy + size, dx:dx + size].reshape(len(im), dim)
                np.minimum(best[i:i + _CHUNK], _sq_dist(moved, templates),
                           out=best[i:i + _CHUNK])
    return best


def _check_images(images, templates, max_shift):
    x, t = _pairs(images, templates)
    if isinstance(max_shift, bool) or not isinstance(max_shift, (int, np.integer)) \
            or max_shift < 0:
        raise ValueError(f"max_shift must be an integer >= 0, got {max_shift!r}")
    return x, t, int(max_shift)


def calibrate_threshold(real_images, templates, quantile=0.99, max_shift=1):
    """The RMS pixel distance below which a fraction `quantile` of real images lie.

    RMS distance = |x - t| / sqrt(D) to the nearest template t, after the best shift of up
    to max_shift pixels. Used as digit_coverage's threshold, it makes real images score
    ~`quantile` high quality, the way 3 std keeps 98.9 % of a 2-D Gaussian.
    real_images (N, D); templates (K, D). Returns a float.
    """
    x, t, m = _check_images(real_images, templates, max_shift)
    if not 0 < quantile <= 1:
        raise ValueError(f"quantile must be in (0, 1], got {quantile!r}")
    rms = np.sqrt(_align_sq_dist(x, t, m).min(1) / x.shape[1])
    return float(np.quantile(rms, quantile))


def digit_coverage(images, templates, threshold, max_shift=1):
    """Mode coverage for images: each image's mode is its nearest clean template.

    An image is assigned to the template t_k with the smallest RMS pixel distance
    |x - t_k| / sqrt(D) (after the best shift of up to max_shift pixels; background -1).
    It is high quality if that distance is <= threshold. Modes, balanced modes, reverse KL
    (over the high-quality images) and the histograms are then as in mode_coverage. Calibrate `threshold` on real images with
    calibrate_threshold (Digits and MNIST data sets carry one as `.threshold`: the 99th
    percentile for real samples, so real images score ~99 %). A blank canvas or noise is far
    above it; a blend of two similar digits can pass, so high quality means "close to some
    glyph", not "sharp".

    images (N, D) in [-1, 1]; templates (K, D). Returns mode_coverage's dict plus threshold.
    """
    x, t, m = _check_images(images, templates, max_shift)
    threshold = float(threshold)
    if not threshold > 0:
        raise ValueError(f"threshold must be positive, got {threshold}")
    d2 = _align_sq_dist(x, t, m)
    rms = np.sqrt(d2.min(1) / x.shape[1])
    report = _coverage(d2.argmin(1), rms <= threshold, len(t))
    report["threshold"] = threshold
    return report


class ImageCoverage:
    """For a data set with `templates` (K, D) and a calibrated `threshold`."""

    def coverage(self, images):
        """digit_coverage of generated images against this data set's templates."""
        return digit_coverage(images, self.templates, self.threshold)
