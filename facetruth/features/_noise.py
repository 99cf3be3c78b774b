"""High-pass noise residual statistics (the ``noise`` family).

Generators and face-swapping pipelines reproduce image content well but not
the sensor and compression noise of a camera. The residuals of the spatial
rich model's high-pass filters [1]_ are quantised, truncated and summarised by
histograms and co-occurrences; a median-filter residual adds per-channel
noise statistics.

References
----------
.. [1] J. Fridrich and J. Kodovsky, "Rich models for steganalysis of digital
       images", IEEE Trans. Information Forensics and Security 7(3), 2012.
       :DOI:`10.1109/TIFS.2012.2190402`
"""

from functools import lru_cache
from numbers import Integral, Real

import cv2
import numpy as np

from .._params import Interval, validate_arguments
from ._base import ImageFeatureTransformer
from ._color import ImagePlanes

_EDGE = np.array([[-1, 2, -1], [2, -4, 2], [0, 0, 0]], np.float32) / 4
_SQ5 = np.array(
    [[-1, 2, -2, 2, -1], [2, -6, 8, -6, 2], [-2, 8, -12, 8, -2], [2, -6, 8, -6, 2], [-1, 2, -2, 2, -1]],
    np.float32,
)
#: residual name -> kernels (a horizontal/vertical pair, or one isotropic kernel), normalised by
#: the residual order as in the SRM, so that one quantisation step ``q`` suits all of them
SRM_KERNELS = {
    "first": [np.array([[-1, 1]], np.float32)],
    "second": [np.array([[1, -2, 1]], np.float32) / 2],
    "third": [np.array([[-1, 3, -3, 1]], np.float32) / 3],
    "edge3x3": [_EDGE],
    "square3x3": [np.array([[-1, 2, -1], [2, -4, 2], [-1, 2, -1]], np.float32) / 4],
    "square5x5": [_SQ5 / 12],
}
_DIRECTIONAL = ("first", "second", "third", "edge3x3")
#: pixels left out at each border, where the largest kernel overhangs
_MARGIN = 2
#: constraints on the parameters of the function and of the transformer
_CONSTRAINTS = {
    "q": [Interval(Real, 0, np.inf, closed="neither")],
    "truncation": [Interval(Integral, 1, 8, closed="both")],
}


def count_uint8(values, n_values):
    """Counts of each value ``0 .. n_values - 1`` in a uint8 array (OpenCV histogram, exact)."""
    if values.size == 0:
        return np.zeros(n_values, np.int64)
    flat = np.ascontiguousarray(values)
    flat = flat.reshape(-1, flat.shape[-1]) if flat.ndim > 1 else flat.reshape(1, -1)
    counts = cv2.calcHist([flat], [0], None, [256], [0, 256]).ravel()
    return counts[:n_values].astype(np.int64)


@lru_cache(maxsize=8)
def _pair_orbits(truncation):
    """Map each (a, b) co-occurrence cell to its class under sign flip and transposition."""
    size = 2 * truncation + 1
    vals = np.arange(size) - truncation
    labels, classes = np.empty((size, size), np.intp), {}
    for i, a in enumerate(vals):
        for j, b in enumerate(vals):
            key = min((a, b), (-a, -b), (b, a), (-b, -a))
            labels[i, j] = classes.setdefault(key, len(classes))
    labels = labels.ravel()
    labels.setflags(write=False)
    return labels, len(classes)


@lru_cache(maxsize=1)
def _kernels():
    """(name, orientation, kernel) triples; directional residuals come in both orientations."""
    out = []
    for name, (kernel,) in SRM_KERNELS.items():
        out.append((name, "h", kernel))
        if name in _DIRECTIONAL:
            out.append((name, "v", np.ascontiguousarray(kernel.T if name != "edge3x3" else np.rot90(kernel))))
    return tuple(out)


@validate_arguments({"image": ["array-like"], **_CONSTRAINTS})
def noise_residual_features(image, *, q=1.0, truncation=2):
    """Statistics of SRM high-pass residuals and of a median-filter residual.

    Each SRM kernel (first, second and third order, EDGE3x3 in two
    orientations for the directional ones; SQUARE3x3 and SQUARE5x5) filters
    the luminance; the residual is quantised, ``round(r / q)``, and truncated
    to ``[-T, T]``. Per residual type the features are: the log10 standard
    deviation of the raw residual, the ``2 T + 1``-bin histogram of the
    truncated residual (over the pixels that have a right neighbour), and
    the frequencies of horizontal and vertical
    2-pixel co-occurrences, symmetrised over sign and order (9 classes for
    ``T = 2``) [1]_. Directional residuals report co-occurrences along
    (``par``) and across (``perp``) the filter's direction separately.

    The median-filter residual (RGB minus its 3x3 median, per channel) adds
    per-channel standard deviation and excess kurtosis, and the correlations
    of the residual between channel pairs (RG, RB, GB).

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
        RGB image, at least 5x5 pixels (a 2-pixel border is left out).
    q : float, default=1.0
        Quantisation step of the order-normalised residuals (positive, finite).
    truncation : int, default=2
        Truncation threshold ``T``, 1 to 8.

    Returns
    -------
    features : ndarray of shape (n_features,), dtype float32
        ``n_features`` is 15 + 6 * (2 T + 1) + 10 * c(T), ``c(T)`` the
        number of co-occurrence classes (9 for T=2: 135 features); see
        :func:`noise_feature_names`.

    Raises
    ------
    ValueError
        When the image is smaller than 5x5 pixels.
    facetruth.exceptions.InvalidParameterError
        For a parameter of the wrong type or out of range (a ``ValueError``).

    See Also
    --------
    NoiseFeatures : The transformer mapping this function over a batch.

    References
    ----------
    .. [1] J. Fridrich and J. Kodovsky, "Rich models for steganalysis of
           digital images", IEEE TIFS 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import noise_residual_features
    >>> image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    >>> features = noise_residual_features(image)
    >>> features.shape, features.dtype
    ((135,), dtype('float32'))
    >>> noise_residual_features(image, truncation=1).shape
    (73,)

    A flat image has zero residuals: every first-order residual is quantised to 0.

    >>> flat = noise_residual_features(np.full((16, 16, 3), 90, np.uint8))
    >>> print(flat[:6])  # log10(std + 1e-6), then the histogram of -2 .. 2
    [-6.  0.  0.  1.  0.  0.]
    """
    return _noise_from_planes(ImagePlanes(image), q=q, truncation=truncation)


def _noise_from_planes(planes, *, q, truncation):
    """:func:`noise_residual_features` of the image of an :class:`ImagePlanes` (parameters validated)."""
    image = planes.image
    if image.shape[0] <= 2 * _MARGIN or image.shape[1] <= 2 * _MARGIN:
        raise ValueError(f"noise features need an image of at least 5x5 pixels; got {image.shape[:2]}.")
    luma = planes.luma
    size = 2 * truncation + 1
    labels, n_classes = _pair_orbits(truncation)
    kernels = _kernels()
    n_res = len(kernels)
    full = np.empty((n_res, *luma.shape), np.float32)
    for i, (_, _, k) in enumerate(kernels):
        anchor = (k.shape[1] // 2, k.shape[0] // 2)
        cv2.filter2D(luma, cv2.CV_32F, k, dst=full[i], anchor=anchor, borderType=cv2.BORDER_REFLECT)
    res = full[:, _MARGIN:-_MARGIN, _MARGIN:-_MARGIN]
    stds = np.array([cv2.meanStdDev(r)[1][0, 0] for r in res])
    # quantise and truncate: round(r / q) + T, saturated to [0, 255] by the uint8 cast, then capped at 2 T
    flat = full.reshape(-1, full.shape[-1])
    if q != 1:
        np.multiply(flat, np.float32(1 / q), out=flat)
    np.rint(flat, out=flat)
    codes = cv2.add(flat, float(truncation), dtype=cv2.CV_8U)
    np.minimum(codes, np.uint8(2 * truncation), out=codes)
    codes = np.ascontiguousarray(codes.reshape(full.shape)[:, _MARGIN:-_MARGIN, _MARGIN:-_MARGIN])
    if n_res * size * size <= 256:  # T <= 2: every plane's pair index fits in one uint8 histogram
        horiz, vert = _pair_counts_uint8(codes, size)
    else:
        codes = codes.astype(np.intp)
        offsets = (np.arange(n_res) * size * size)[:, None, None]
        scaled = codes * size + offsets
        horiz = np.bincount((scaled[:, :, :-1] + codes[:, :, 1:]).ravel(), minlength=n_res * size**2)
        vert = np.bincount((scaled[:, :-1, :] + codes[:, 1:, :]).ravel(), minlength=n_res * size**2)
    # the residual histogram: left members of the horizontal pairs (every pixel but the last column)
    hists = horiz.reshape(n_res, size, size).sum(axis=2)
    to_class = np.zeros((size * size, n_classes))
    to_class[np.arange(size * size), labels] = 1.0
    horiz = horiz.reshape(n_res, -1) @ to_class
    vert = vert.reshape(n_res, -1) @ to_class
    groups, k = [], 0
    for name in SRM_KERNELS:
        if name in _DIRECTIONAL:  # kernel k filters along x, k + 1 along y
            hist = hists[k] + hists[k + 1]
            par = horiz[k] + vert[k + 1]
            perp = vert[k] + horiz[k + 1]
            std = np.hypot(stds[k], stds[k + 1]) / np.sqrt(2)
            groups.append(
                [
                    [np.log10(std + 1e-6)],
                    hist / max(hist.sum(), 1),
                    par / max(par.sum(), 1),
                    perp / max(perp.sum(), 1),
                ]
            )
            k += 2
        else:
            both = horiz[k] + vert[k]
            groups.append(
                [[np.log10(stds[k] + 1e-6)], hists[k] / max(hists[k].sum(), 1), both / max(both.sum(), 1)]
            )
            k += 1
    return np.concatenate([np.concatenate(g) for g in groups] + [_median_residual_stats(image)]).astype(
        np.float32
    )


def _pair_counts_uint8(codes, size):
    """Horizontal and vertical pair counts of the planes of ``codes`` (values < ``size``), 256 bins.

    Plane ``k``'s pair ``(a, b)`` counts in bin ``k size^2 + a size + b``. The
    pairs are formed on the flattened planes, one contiguous pass each; the
    pairs that straddle two rows or two planes are counted separately and
    taken off.
    """
    n_res, height, width = codes.shape
    n_bins = n_res * size * size
    flat = codes.reshape(n_res, -1)
    scaled = flat * np.uint8(size)
    scaled += (np.arange(n_res, dtype=np.uint8) * np.uint8(size * size))[:, None]
    scaled, flat = scaled.ravel(), flat.ravel()
    pairs = np.full(flat.size, 255, np.uint8)  # 255 is outside the bins: the tail holds no pair
    pairs2d = pairs.reshape(-1, width)
    np.add(scaled[:-1], flat[1:], out=pairs[:-1])
    horiz = count_uint8(pairs2d, n_bins)
    straddle = scaled[width - 1 :: width][:-1] + flat[width::width]
    horiz -= np.bincount(straddle, minlength=256)[:n_bins]
    pairs[-width:] = 255
    np.add(scaled[:-width], flat[width:], out=pairs[:-width])
    vert = count_uint8(pairs2d, n_bins)
    scaled3d = scaled.reshape(n_res, height, width)
    straddle = (scaled3d[:-1, -1, :] + codes[1:, 0, :]).ravel()
    vert -= np.bincount(straddle, minlength=256)[:n_bins]
    return horiz, vert


def _median_residual_stats(image):
    """Per-channel std and excess kurtosis of ``image - median3x3(image)``, and channel correlations."""
    res = cv2.subtract(image, cv2.medianBlur(image, 3), dtype=cv2.CV_32F)[_MARGIN:-_MARGIN, _MARGIN:-_MARGIN]
    mean, std = (v.ravel() for v in cv2.meanStdDev(res))
    # centred residual, all three channels at once (float32, as the means are subtracted in float32)
    centred = cv2.subtract(np.ascontiguousarray(res), (*mean.astype(np.float32).tolist(), 0.0))
    var = std**2
    # OpenCV accumulates means in double precision
    square = cv2.multiply(centred, centred)
    fourth = np.array(cv2.mean(cv2.multiply(square, square))[:3])
    kurt = np.divide(fourth, var**2, out=np.full(3, 3.0), where=var > 0) - 3.0
    # products of channels c and c + 1 (RG, GB), and c and c + 2 (RB), on the interleaved values
    flat = centred.ravel()
    prod = np.zeros_like(centred)
    np.multiply(flat[:-1], flat[1:], out=prod.ravel()[:-1])
    rg, gb, _ = cv2.mean(prod)[:3]
    np.multiply(flat[:-2], flat[2:], out=prod.ravel()[:-2])
    rb = cv2.mean(prod)[0]
    cov = np.array([rg, rb, gb])
    pairs = [(0, 1), (0, 2), (1, 2)]
    denom = np.array([std[i] * std[j] for i, j in pairs])
    corr = np.divide(cov, denom, out=np.zeros(3), where=denom > 0)
    return np.concatenate([std, kurt, corr])


def noise_feature_names(q=1.0, truncation=2):
    """Names of :func:`noise_residual_features`'s outputs (without the family prefix)."""
    _, n_classes = _pair_orbits(truncation)
    hist = [f"{v:+d}" for v in range(-truncation, truncation + 1)]
    names = []
    for name in SRM_KERNELS:
        names += [f"{name}_logstd", *(f"{name}_hist_{h}" for h in hist)]
        kinds = ("par", "perp") if name in _DIRECTIONAL else ("cooc",)
        names += [f"{name}_{kind}_{c}" for kind in kinds for c in range(n_classes)]
    names += [f"median_{s}_{c}" for s in ("std", "kurtosis") for c in "rgb"]
    return names + ["median_corr_rg", "median_corr_rb", "median_corr_gb"]


class NoiseFeatures(ImageFeatureTransformer):
    """Transformer computing :func:`noise_residual_features` for each image of a batch.

    Parameters
    ----------
    q : float, default=1.0
        Quantisation step of the residuals (positive, finite).
    truncation : int, default=2
        Truncation threshold ``T`` (1 to 8).
    n_jobs : int, default=None
        Number of parallel jobs over images (joblib semantics).
    cache : str or path-like, default=None
        Folder of an on-disk feature cache, or None.

    Attributes
    ----------
    feature_names_out_ : ndarray of str
    n_features_out_ : int

    See Also
    --------
    noise_residual_features : The per-image function.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import NoiseFeatures
    >>> images = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    >>> noise = NoiseFeatures()
    >>> noise.fit_transform(images).shape
    (2, 135)
    >>> noise.get_feature_names_out()[:2]
    array(['noise_first_logstd', 'noise_first_hist_-2'], dtype=object)
    """

    family = "noise"
    _parameter_constraints: dict = {**ImageFeatureTransformer._parameter_constraints, **_CONSTRAINTS}

    def __init__(self, *, q=1.0, truncation=2, n_jobs=None, cache=None):
        self.q = q
        self.truncation = truncation
        self.n_jobs = n_jobs
        self.cache = cache

    def _function(self):
        return noise_residual_features

    def _planes_function(self):
        return _noise_from_planes

    def _feature_kwargs(self):
        return {"q": float(self.q), "truncation": int(self.truncation)}

    def _feature_names(self):
        return noise_feature_names(**self._feature_kwargs())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags
