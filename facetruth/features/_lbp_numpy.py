"""The numpy riu2 LBP kernel of the ``lbp`` family: the reference and the fallback.

:func:`_numpy_code_counts` computes the same per-scale code counts as the
compiled kernel of :mod:`._lbp_kernel`, bit for bit; it is the reference the
compiled one is tested against, it gives :func:`._lbp.lbp_codes` its codes,
and it serves installations where numba cannot be imported (with a warning).
:func:`circle_offsets` places the sampling points for both kernels.

The kernel (:func:`_scale_codes`) works on float32 planes, all channels
interleaved in one array. Each sampling point is one fused
multiply-add of two shifted views of the image (points that share a column
fraction share the horizontal interpolation) and one comparison into a row
of a boolean array; the codes are two ``uint8`` reductions over those rows
(number of ones, and of transitions between circular neighbours), in bands
of rows whose scratch arrays, allocated once per image, stay in the CPU
cache. Integer arithmetic on quantised planes (bit-packed codes) would
change the values: the YCbCr planes are not integers, and a coarser grid
turns many near-ties into ties, so every histogram (and the feature cache)
would move.
"""

import math
from functools import lru_cache

import cv2
import numpy as np

from ._noise import count_uint8

#: an interpolated sample within this distance of the centre counts as equal
#: (the bilinear weights are not exact in float32; levels are 0..255)
TIE_TOLERANCE = 1e-3
#: pixels per band of rows processed at once (scratch arrays of a few hundred kB)
_BAND_PIXELS = 24576


@lru_cache(maxsize=32)
def circle_offsets(n_points, radius):
    """Integer corner and fractional part of each sampling point, as scikit-image places them.

    Point ``p`` lies at row ``-R sin(2 pi p / P)``, column ``R cos(2 pi p / P)``
    relative to the centre, rounded to 5 decimals.

    Returns
    -------
    offsets : tuple of (int, int, float, float)
        ``(row0, col0, row_frac, col_frac)`` per point, in order.
    """
    angles = 2 * np.pi * np.arange(n_points) / n_points
    rows = np.round(-radius * np.sin(angles), 5)
    cols = np.round(radius * np.cos(angles), 5)
    out = []
    for r, c in zip(rows, cols, strict=True):
        r0, c0 = math.floor(r), math.floor(c)
        out.append((r0, c0, float(r - r0), float(c - c0)))
    return tuple(out)


def _scale_codes(padded, step, shape, n_points, radius, margin, work):
    """riu2 codes (uint8) of one scale, for every pixel of the rows ``margin .. height - margin``.

    ``padded`` is the C-contiguous float32 image ``(height, width,
    n_channels)`` flattened, with ``pad = margin * (width + 1) * n_channels``
    zeros before and after, so that the neighbour at ``(dr, dc)`` of every
    pixel of the band is the same contiguous slice shifted by
    ``(dr * width + dc) * n_channels``. ``step`` is ``padded``'s forward
    difference to the next pixel of the same channel; ``work`` holds the
    scratch arrays of :func:`_scratch`, reused across scales and bands so
    that no call allocates memory (fresh pages cost as much as the
    comparisons, unless the allocator keeps freed memory). Bilinear samples are
    computed as ``a + f (b - a)``, which is exact when ``a == b``. Codes of
    the ``margin`` columns next to each border mix both sides of the image
    and must be cropped by the caller. The result has shape
    ``(height - 2 margin, width * n_channels)``.
    """
    height, width, nc = shape
    row = width * nc
    length = (height - 2 * margin) * row
    base = margin * (width + 1) * nc + margin * row  # index of pixel (margin, 0) in ``padded``

    def shifted(src, dr, dc):
        start = base + dr * row + dc * nc
        return src[start : start + length]

    points = circle_offsets(n_points, radius)
    interp, down, sample, lowered, bits, differ, changes = (
        a[:size]
        for a, size in zip(
            work,
            (padded.size, padded.size, length, length, n_points * length, n_points * length, length),
            strict=True,
        )
    )
    lowered = np.subtract(shifted(padded, 0, 0), np.float32(TIE_TOLERANCE), out=lowered)
    bits = bits.view(bool).reshape(n_points, length)
    down[-row:] = 0.0
    # points grouped by column fraction share one horizontally interpolated image
    for fc in sorted({fc for _, _, _, fc in points}):
        if fc:
            cv2.scaleAdd(step, fc, padded, dst=interp)
            np.subtract(interp[row:], interp[:-row], out=down[:-row])
        elif any(fr for _, _, fr, f in points if f == fc):
            np.subtract(padded[row:], padded[:-row], out=down[:-row])
        src = interp if fc else padded
        for p, (r0, c0, fr, f) in enumerate(points):
            if f != fc:
                continue
            if fr:
                cv2.scaleAdd(shifted(down, r0, c0), fr, shifted(src, r0, c0), dst=sample)
                np.greater_equal(sample, lowered, out=bits[p])
            elif fc:
                np.greater_equal(shifted(interp, r0, c0), lowered, out=bits[p])
            else:  # a pixel of the image: exact comparison
                np.greater_equal(shifted(padded, r0, c0), shifted(padded, 0, 0), out=bits[p])
    as_int = bits.view(np.uint8)
    ones = np.add.reduce(as_int, axis=0, dtype=np.uint8)
    # transitions between circular neighbours; a pattern is uniform when there are at most two
    differ = differ.reshape(n_points, length)
    np.bitwise_xor(as_int[1:], as_int[:-1], out=differ[1:])
    np.bitwise_xor(as_int[0], as_int[-1], out=differ[0])
    np.add.reduce(differ, axis=0, dtype=np.uint8, out=changes)
    # codes: ``ones`` for uniform patterns, ``P + 1`` otherwise (``ones <= P`` always)
    np.greater(changes, 2, out=changes.view(bool))
    np.multiply(changes, np.uint8(n_points + 1), out=changes)
    np.maximum(ones, changes, out=ones)
    return ones.reshape(height - 2 * margin, row)


def _scratch(padded_size, length, max_points):
    """Scratch arrays of :func:`_scale_codes` for bands of at most ``length`` values."""
    return (
        np.empty(padded_size, np.float32),  # horizontally interpolated image
        np.empty(padded_size, np.float32),  # its forward difference to the next row
        np.empty(length, np.float32),  # one bilinear sample per value
        np.empty(length, np.float32),  # the centres, lowered by the tie tolerance
        np.empty(max_points * length, np.uint8),  # the comparison bits
        np.empty(max_points * length, np.uint8),  # transitions between neighbouring bits
        np.empty(length, np.uint8),  # number of transitions
    )


def _numpy_code_counts(planes, scales, margin):
    """:func:`._lbp._code_counts` with the numpy kernel, in bands of ``_BAND_PIXELS`` values."""
    height, width, nc = planes.shape
    pad = margin * (width + 1) * nc
    padded = np.zeros(planes.size + 2 * pad, np.float32)
    padded[pad:-pad] = planes.ravel()
    step = np.zeros_like(padded)
    np.subtract(padded[nc:], padded[:-nc], out=step[:-nc])
    row = width * nc
    # the codes are computed in bands of rows whose scratch arrays stay in the CPU cache; a band
    # with ``margin`` extra rows on each side is itself an image padded as _scale_codes expects
    band = max(_BAND_PIXELS // width, 1)
    n_rows = min(band, height - 2 * margin) + 2 * margin
    work = _scratch(n_rows * row + 2 * pad, (n_rows - 2 * margin) * row, max(p for p, _ in scales))
    counts = [np.zeros(nc * (p + 2), np.int64) for p, _ in scales]
    for first in range(margin, height - margin, band):  # first output row of the band
        last = min(first + band, height - margin)
        rows = last - first + 2 * margin
        start = (first - margin) * row
        size = rows * row + 2 * pad
        for k, (n_points, radius) in enumerate(scales):
            codes = _scale_codes(
                padded[start : start + size],
                step[start : start + size],
                (rows, width, nc),
                n_points,
                radius,
                margin,
                work,
            )
            codes = codes[:, margin * nc : (width - margin) * nc]
            # channel c's codes sit in columns c, c + nc, ...; offset them to separate histograms
            codes = codes + _channel_offsets(width - 2 * margin, nc, n_points + 2)
            counts[k] += count_uint8(codes, nc * (n_points + 2))
    return counts


@lru_cache(maxsize=32)
def _channel_offsets(n_columns, nc, n_bins):
    offsets = np.tile(np.arange(nc, dtype=np.uint8) * np.uint8(n_bins), n_columns)
    offsets.setflags(write=False)
    return offsets
