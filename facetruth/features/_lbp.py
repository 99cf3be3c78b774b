"""Multi-scale uniform local binary patterns on colour channels (the ``lbp`` family).

Colour texture, the joint LBP histograms of the luminance and both chroma
channels, separates genuine faces from reproduced ones [1]_. Each scale
``(P, R)`` compares ``P`` bilinearly interpolated samples on a circle of
radius ``R`` with the centre pixel; the rotation-invariant uniform code
("riu2") is the number of samples at least as bright as the centre when the
circular bit pattern has at most two 0/1 transitions, and ``P + 1``
otherwise [2]_. The codes and sampling points are those of
:func:`skimage.feature.local_binary_pattern` with ``method="uniform"``.

The histograms are computed by a compiled kernel (:mod:`._lbp_kernel`,
numba): one pass per image row, scale and sampling point over a few
row-sized scratch arrays, fusing the bilinear samples, the comparisons, the
riu2 codes and the histogram, so that no array of the image's size is
allocated. At 300x300 px it takes about 3.2 ms of one core for the three
scales and three channels, against about 7.2 ms for the numpy kernel
(measured side by side on a loaded core, with the tuned allocator) and
140 ms for scikit-image's compiled per-pixel loop. Why numba: it compiles plain Python loops to
vectorised machine code at run time, it ships binary wheels for every
platform FaceTruth supports, so installing it needs no compiler and the
package no build step, and it is a mature, NumFOCUS-sponsored project. It
is imported on first use only; the compiled code is cached on disk.

The numpy kernel (:mod:`._lbp_numpy`) stays as the reference the compiled
one is tested against bit for bit, for :func:`lbp_codes`, and for
installations where numba cannot be imported (with a warning).

References
----------
.. [1] Z. Boulkenafet, J. Komulainen and A. Hadid, "Face spoofing detection
       using colour texture analysis", IEEE Trans. Information Forensics and
       Security 11(8), 2016. :DOI:`10.1109/TIFS.2016.2555286`
.. [2] T. Ojala, M. Pietikainen and T. Maenpaa, "Multiresolution gray-scale
       and rotation invariant texture classification with local binary
       patterns", IEEE TPAMI 24(7), 2002. :DOI:`10.1109/TPAMI.2002.1017623`
"""

import math
from numbers import Integral, Real

import numpy as np

from .._params import Interval, InvalidParameterError, StrOptions, validate_arguments
from ._base import ImageFeatureTransformer
from ._color import ImagePlanes
from ._lbp_kernel import compiled_kernel, riu2_counts
from ._lbp_numpy import TIE_TOLERANCE, _numpy_code_counts, _scale_codes, _scratch, circle_offsets

_CHANNEL_NAMES = {"ycbcr": "ycbcr", "rgb": "rgb", "grey": ["grey"]}
#: valid numbers of samples ``P`` (codes and channel offsets must fit in uint8) and radii ``R``
_N_POINTS = Interval(Integral, 1, 62, closed="both")
_RADIUS = Interval(Real, 0, 16, closed="right")
#: constraints on the parameters of the function and of the transformer; the pairs in
#: ``scales`` are checked by :func:`_check_scales`
_CONSTRAINTS = {
    "scales": ["array-like"],
    "channels": [StrOptions({"ycbcr", "rgb", "grey"})],
}


def _check_scales(scales, caller):
    """Validate ``(P, R)`` pairs as scikit-learn validates a parameter.

    Returns
    -------
    scales : tuple of (int, float)

    Raises
    ------
    InvalidParameterError
        Unless ``scales`` is a non-empty sequence of distinct pairs, each
        ``P`` an int in [1, 62] and each ``R`` a real number in (0, 16].
    """
    try:
        pairs = [tuple(pair) for pair in scales]
    except TypeError:
        pairs = []
    valid = bool(pairs) and all(
        len(pair) == 2 and _N_POINTS.is_satisfied_by(pair[0]) and _RADIUS.is_satisfied_by(pair[1])
        for pair in pairs
    )
    normalised = tuple((int(p), float(r)) for p, r in pairs) if valid else ()
    if not valid or len(set(normalised)) != len(normalised):
        raise InvalidParameterError(
            f"The 'scales' parameter of {caller} must be a non-empty sequence of distinct (P, R) "
            f"pairs, P {_N_POINTS} and R {_RADIUS}. Got {scales!r} instead."
        )
    return normalised


def _margin(scales):
    return max(math.ceil(r) for _, r in scales)


@validate_arguments({"image": ["array-like"], **_CONSTRAINTS})
def lbp_histograms(image, *, scales=((8, 1), (16, 2), (24, 3)), channels="ycbcr"):
    """Normalised multi-scale riu2 LBP histograms of each colour channel.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
        RGB image, larger than ``2 * ceil(max radius)`` in both directions.
    scales : sequence of (int, float), default=((8, 1), (16, 2), (24, 3))
        Distinct ``(P, R)`` pairs: number of samples (1 to 62) and circle
        radius (0 < R <= 16).
    channels : {"ycbcr", "rgb", "grey"}, default="ycbcr"
        Channels on which the codes are computed.

    Returns
    -------
    features : ndarray of shape (n_channels * sum(P + 2),), dtype float32
        For each channel, for each scale, the ``P + 2`` code frequencies
        (codes ``0 .. P`` count samples >= centre in uniform patterns; code
        ``P + 1`` gathers the non-uniform ones). 162 values by default. Only
        pixels at least ``ceil(max radius)`` from the border are counted, so
        every sample lies inside the image.

    Raises
    ------
    ValueError
        When the image is too small for the largest radius.
    facetruth.exceptions.InvalidParameterError
        For a parameter of the wrong type or out of range (a ``ValueError``).

    See Also
    --------
    lbp_codes : The codes of one scale on a grey image.
    LBPFeatures : The transformer mapping this function over a batch.

    Notes
    -----
    A flat region has all samples equal to the centre: code ``P``.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import lbp_histograms
    >>> image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    >>> features = lbp_histograms(image)
    >>> features.shape, features.dtype  # 3 channels * (10 + 18 + 26)
    ((162,), dtype('float32'))
    >>> lbp_histograms(image, scales=[(8, 1)], channels="grey").sum()
    np.float32(1.0)

    Every pixel of a flat image has code ``P``:

    >>> print(lbp_histograms(np.zeros((8, 8, 3), np.uint8), scales=[(4, 1)], channels="grey"))
    [0. 0. 0. 0. 1. 0.]
    """
    scales = _check_scales(scales, "lbp_histograms")
    return _lbp_from_planes(ImagePlanes(image), scales=scales, channels=channels)


def _lbp_from_planes(image_planes, *, scales, channels):
    """:func:`lbp_histograms` of the image of an :class:`ImagePlanes` (parameters already validated)."""
    planes = image_planes.channels(channels)
    margin = _margin(scales)
    if planes.shape[0] <= 2 * margin or planes.shape[1] <= 2 * margin:
        raise ValueError(f"LBP with radius {margin} needs an image larger than {2 * margin} pixels per side.")
    counts = _code_counts(planes, scales, margin)
    nc = planes.shape[2]
    per_scale = [
        c.reshape(nc, p + 2) / c.reshape(nc, p + 2).sum(axis=1, keepdims=True)
        for c, (p, _) in zip(counts, scales, strict=True)
    ]
    return np.concatenate(per_scale, axis=1).ravel().astype(np.float32)


def _code_counts(planes, scales, margin):
    """Per-scale code counts (int64, ``n_channels * (P + 2)``) of the interior pixels of ``planes``.

    The compiled kernel when numba can be imported, else the numpy one, with the same counts.
    """
    if compiled_kernel() is None:
        return _numpy_code_counts(planes, scales, margin)
    planes = np.ascontiguousarray(planes, dtype=np.float32)
    counts = []
    for n_points, radius in scales:
        scale_counts = np.zeros((planes.shape[2], n_points + 2), np.int64)
        riu2_counts(planes, margin, circle_offsets(n_points, radius), TIE_TOLERANCE, scale_counts)
        counts.append(scale_counts.ravel())
    return counts


@validate_arguments(
    {
        "plane": ["array-like"],
        "n_points": [_N_POINTS],
        "radius": [_RADIUS],
    }
)
def lbp_codes(plane, *, n_points=8, radius=1):
    """Rotation-invariant uniform (riu2) LBP code of each pixel of a grey image.

    The codes of :func:`lbp_histograms` for one scale and one channel:
    those of :func:`skimage.feature.local_binary_pattern` with
    ``method="uniform"``, on the pixels whose samples all lie inside the image.

    Parameters
    ----------
    plane : array-like of shape (height, width)
        Grey levels.
    n_points : int, default=8
        Number of samples ``P`` on the circle, 1 to 62.
    radius : float, default=1
        Radius ``R`` of the circle, 0 < R <= 16.

    Returns
    -------
    codes : ndarray of shape (height - 2 m, width - 2 m), dtype uint8
        ``m = ceil(radius)``. Codes ``0 .. P`` count the samples at least as
        bright as the centre in uniform patterns; ``P + 1`` marks the others.

    Raises
    ------
    ValueError
        When ``plane`` is not 2-D or is too small for the radius.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features._lbp import lbp_codes
    >>> plane = np.full((5, 5), 9, np.uint8)
    >>> plane[2, 2] = 0  # a dark spot: every sample is at least as bright
    >>> lbp_codes(plane)  # its neighbours lose the samples that touch it
    array([[7, 5, 7],
           [5, 8, 5],
           [7, 5, 7]], dtype=uint8)
    """
    plane = np.asarray(plane, dtype=np.float32)
    margin = math.ceil(radius)
    if plane.ndim != 2:
        raise ValueError(f"Expected a grey image of shape (height, width); got {plane.shape}.")
    height, width = plane.shape
    if height <= 2 * margin or width <= 2 * margin:
        raise ValueError(f"LBP with radius {margin} needs an image larger than {2 * margin} pixels per side.")
    pad = margin * (width + 1)
    padded = np.zeros(plane.size + 2 * pad, np.float32)
    padded[pad:-pad] = plane.ravel()
    step = np.zeros_like(padded)
    np.subtract(padded[1:], padded[:-1], out=step[:-1])
    work = _scratch(padded.size, (height - 2 * margin) * width, n_points)
    codes = _scale_codes(padded, step, (height, width, 1), n_points, float(radius), margin, work)
    return codes[:, margin : width - margin]


def lbp_feature_names(scales=((8, 1), (16, 2), (24, 3)), channels="ycbcr"):
    """Names of :func:`lbp_histograms`'s outputs (without the family prefix)."""
    names = {"ycbcr": ("y", "cb", "cr"), "rgb": ("r", "g", "b"), "grey": ("grey",)}[channels]
    return [f"{ch}_p{p}r{r:g}_{code:02d}" for ch in names for p, r in scales for code in range(int(p) + 2)]


class LBPFeatures(ImageFeatureTransformer):
    """Transformer computing :func:`lbp_histograms` for each image of a batch.

    Parameters
    ----------
    scales : sequence of (int, float), default=((8, 1), (16, 2), (24, 3))
        ``(P, R)`` pairs, ``1 <= P <= 62``, ``0 < R <= 16``.
    channels : {"ycbcr", "rgb", "grey"}, default="ycbcr"
        Colour channels on which the codes are computed.
    n_jobs : int, default=None
        Number of parallel jobs over images (joblib semantics).
    cache : str or path-like, default=None
        Folder of an on-disk feature cache, or None.

    Attributes
    ----------
    feature_names_out_ : ndarray of str
        e.g. ``lbp_y_p8r1_00``.
    n_features_out_ : int

    See Also
    --------
    lbp_histograms : The per-image function.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import LBPFeatures
    >>> images = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    >>> lbp = LBPFeatures(scales=[(8, 1)], channels="grey")
    >>> lbp.fit_transform(images).shape
    (2, 10)
    >>> lbp.get_feature_names_out()[:2]
    array(['lbp_grey_p8r1_00', 'lbp_grey_p8r1_01'], dtype=object)
    """

    family = "lbp"
    _parameter_constraints: dict = {**ImageFeatureTransformer._parameter_constraints, **_CONSTRAINTS}

    def __init__(self, *, scales=((8, 1), (16, 2), (24, 3)), channels="ycbcr", n_jobs=None, cache=None):
        self.scales = scales
        self.channels = channels
        self.n_jobs = n_jobs
        self.cache = cache

    def _function(self):
        return lbp_histograms

    def _planes_function(self):
        return _lbp_from_planes

    def _validate_params(self):
        super()._validate_params()
        _check_scales(self.scales, type(self).__name__)

    def _feature_kwargs(self):
        scales = _check_scales(self.scales, type(self).__name__)
        return {"scales": [[p, r] for p, r in scales], "channels": self.channels}

    def _feature_names(self):
        return lbp_feature_names(**self._feature_kwargs())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags
