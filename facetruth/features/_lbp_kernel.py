"""Compiled riu2 LBP histogram kernel of the ``lbp`` family (numba).

:func:`riu2_counts` adds the codes of one scale ``(P, R)`` of every interior
pixel of an image to per-channel histograms, in one pass per row: for each
sampling point, one loop over the row computes the bilinear sample, compares
it with the centre and updates the number of ones and of transitions
between circular neighbours, on a few row-sized scratch arrays that stay in
the L1 cache. No code array of the image's size is ever allocated.

The arithmetic is that of the numpy kernel of :mod:`._lbp_numpy`, operation for
operation in float32, so the counts are bit-identical: a horizontal sample
is ``fma(fc, b - a, a)``, a vertical or bilinear one ``fma(fr, h1 - h0,
h0)`` of two horizontal samples ``h0``, ``h1`` (OpenCV's ``scaleAdd`` is a
fused multiply-add, and ``fastmath={"contract"}`` lets LLVM fuse ``x * y +
z`` the same way); interpolated samples are compared with the centre
lowered by ``TIE_TOLERANCE``, pixels with the centre itself.

numba is imported on the first call, not with the package; the compiled
code is cached on disk (``cache=True``), so only the first process ever
compiles it, and ``nogil=True`` lets threads run it side by side.
"""

import logging
from functools import lru_cache

import numpy as np

logger = logging.getLogger(__name__)


def _riu2_counts(image, margin, rows, cols, row_fracs, col_fracs, tolerance, counts):
    """Add the riu2 codes of one scale of ``image``'s interior pixels to ``counts``.

    Parameters
    ----------
    image : ndarray of shape (height, width, n_channels), dtype float32
        C-contiguous planes, channels interleaved.
    margin : int
        Border left out on each side; every sample of the other pixels lies
        inside the image.
    rows, cols : ndarray of shape (P,), dtype int64
        Integer corner of each sampling point relative to the centre.
    row_fracs, col_fracs : ndarray of shape (P,), dtype float32
        Its fractional parts.
    tolerance : float32
        Interpolated samples above the centre minus this count as ones.
    counts : ndarray of shape (n_channels, P + 2), dtype int64
        Histograms, updated in place.
    """
    height, width, nc = image.shape
    flat = image.ravel()
    n_points = rows.size
    row = width * nc
    length = (width - 2 * margin) * nc  # values of the interior of one row
    lowered = np.empty(length, np.float32)
    bits = np.empty(length, np.uint8)
    last = np.empty(length, np.uint8)
    prev = np.empty(length, np.uint8)
    ones = np.empty(length, np.uint8)
    changes = np.empty(length, np.uint8)
    codes = np.empty(length, np.uint8)
    for y in range(margin, height - margin):
        # row views indexed from 0: numba then needs no wraparound of negative indices and the
        # loops below vectorise
        centre = flat[y * row + margin * nc :]
        for j in range(length):
            lowered[j] = centre[j] - tolerance
        # the last point first: it is the circular neighbour of point 0
        for step in range(n_points):
            p = (step + n_points - 1) % n_points
            fr = row_fracs[p]
            fc = col_fracs[p]
            # the sample's four pixels: top-left, top-right, bottom-left, bottom-right
            a = y * row + margin * nc + rows[p] * row + cols[p] * nc
            tl = flat[a : a + length]
            tr = flat[a + nc : a + nc + length]
            bl = flat[a + row : a + row + length]
            br = flat[a + row + nc : a + row + nc + length]
            if fr == 0 and fc == 0:  # a pixel of the image: exact comparison
                for j in range(length):
                    bits[j] = tl[j] >= centre[j]
            elif fr == 0:
                for j in range(length):
                    h0 = fc * (tr[j] - tl[j]) + tl[j]
                    bits[j] = h0 >= lowered[j]
            elif fc == 0:
                for j in range(length):
                    sample = fr * (bl[j] - tl[j]) + tl[j]
                    bits[j] = sample >= lowered[j]
            else:
                for j in range(length):
                    h0 = fc * (tr[j] - tl[j]) + tl[j]
                    h1 = fc * (br[j] - bl[j]) + bl[j]
                    sample = fr * (h1 - h0) + h0
                    bits[j] = sample >= lowered[j]
            if step == 0:
                for j in range(length):
                    last[j] = bits[j]
                    prev[j] = bits[j]
                    ones[j] = bits[j]
                    changes[j] = 0
            else:
                for j in range(length):
                    ones[j] += bits[j]
                    changes[j] += bits[j] ^ prev[j]
                    prev[j] = bits[j]
        # ``prev`` holds point P - 2 and ``last`` point P - 1; their transition closes the circle
        for j in range(length):
            n_changes = changes[j] + (prev[j] ^ last[j])
            codes[j] = ones[j] if n_changes <= 2 else n_points + 1
        for x in range(0, length, nc):
            for c in range(nc):
                counts[c, codes[x + c]] += 1


@lru_cache(maxsize=1)
def compiled_kernel():
    """The compiled kernel (numba dispatcher), or None when numba cannot be imported.

    Imports numba on the first call; compiles the kernel, or loads it from
    numba's on-disk cache, on the first call of the dispatcher. Without
    numba, the ``lbp`` family runs its numpy kernel, with the same values
    and about 4 times slower; a warning says so once.

    Examples
    --------
    >>> from facetruth.features._lbp_kernel import compiled_kernel
    >>> compiled_kernel() is compiled_kernel()
    True
    """
    try:
        import numba
    except ImportError as exc:
        logger.warning("numba cannot be imported (%s): the lbp family runs its slower numpy kernel.", exc)
        return None
    return numba.njit(cache=True, nogil=True, fastmath={"contract"})(_riu2_counts)


def riu2_counts(image, margin, points, tolerance, counts):
    """Add the riu2 LBP codes of one scale of ``image``'s interior pixels to ``counts``.

    Parameters
    ----------
    image : ndarray of shape (height, width, n_channels), dtype float32
        C-contiguous planes, larger than ``2 * margin`` in both directions.
    margin : int
        Pixels left out at each border, at least ``ceil(R)``.
    points : tuple of (int, int, float, float)
        ``(row0, col0, row_frac, col_frac)`` of each sampling point, as
        :func:`facetruth.features._lbp_numpy.circle_offsets` returns them.
    tolerance : float
        An interpolated sample at least the centre minus this counts as a one.
    counts : ndarray of shape (n_channels, P + 2), dtype int64
        Histograms of the codes, updated in place.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features._lbp_numpy import circle_offsets
    >>> from facetruth.features._lbp_kernel import riu2_counts
    >>> counts = np.zeros((1, 10), np.int64)
    >>> riu2_counts(np.zeros((4, 5, 1), np.float32), 1, circle_offsets(8, 1.0), 1e-3, counts)
    >>> counts  # a flat image: all samples equal the centre, code P = 8
    array([[0, 0, 0, 0, 0, 0, 0, 0, 6, 0]])
    """
    table = np.array(points, np.float64).reshape(-1, 4)
    compiled_kernel()(
        image,
        int(margin),
        table[:, 0].astype(np.int64),
        table[:, 1].astype(np.int64),
        table[:, 2].astype(np.float32),
        table[:, 3].astype(np.float32),
        np.float32(tolerance),
        counts,
    )
