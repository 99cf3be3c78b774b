"""Block and global DCT statistics (the ``dct`` family).

Three groups of features on the luminance:

* the mean absolute value of each of the 64 frequencies of the 8x8 block DCT
  aligned to the JPEG grid;
* for the first ``n_modes`` AC frequencies in zig-zag order, the histogram of
  rounded coefficients, the estimated quantisation step, and a periodicity
  score of the histogram of quantised coefficients that exposes double JPEG
  compression [1]_;
* the log magnitude of the 2-D DCT of the whole image, area-resampled to
  ``spectrum_size x spectrum_size``, following [2]_.

References
----------
.. [1] A. C. Popescu and H. Farid, "Statistical tools for digital forensics",
       Information Hiding 2004. :DOI:`10.1007/978-3-540-30114-1_10`
.. [2] J. Frank, T. Eisenhofer, L. Schoenherr, A. Fischer, D. Kolossa and
       T. Holz, "Leveraging frequency analysis for deep fake image
       recognition", ICML 2020.
"""

from numbers import Integral

import cv2
import numpy as np
import scipy.fft

from .._params import Interval, validate_arguments
from ._base import ImageFeatureTransformer
from ._color import ImagePlanes

#: zig-zag order of the 8x8 block, as (row, column)
ZIGZAG = sorted(
    ((i, j) for i in range(8) for j in range(8)),
    key=lambda p: (p[0] + p[1], p[0] if (p[0] + p[1]) % 2 else p[1]),
)
#: largest |coefficient| used to estimate the quantisation step
_STEP_RANGE = 64
#: largest quantisation step considered
_MAX_STEP = 24
#: quantised magnitudes 1..N whose histogram carries the periodicity score
_PERIOD_RANGE = 24
#: _COMB[q - 2, n - 2] is 1 when magnitude n is a multiple of step q
_COMB = (np.arange(2, _STEP_RANGE + 1)[None, :] % np.arange(2, _MAX_STEP + 1)[:, None] == 0).astype(float)
#: constraints on the parameters of the function and of the transformer
_CONSTRAINTS = {
    "n_modes": [Interval(Integral, 0, 63, closed="both")],
    "hist_range": [Interval(Integral, 0, 255, closed="both")],
    "spectrum_size": [Interval(Integral, 1, 256, closed="both")],
}


def block_dct(plane):
    """Orthonormal 8x8 DCT-II of every block of a plane (the JPEG transform).

    Parameters
    ----------
    plane : ndarray of shape (height, width), float32
        Levels in [0, 255]; 128 is subtracted as JPEG does.

    Returns
    -------
    coefficients : ndarray of shape (n_blocks, 8, 8), float32
        Blocks start at the top-left corner; a partial last row or column of
        blocks is dropped. ``n_blocks`` is 0 for images smaller than 8x8.
    """
    h, w = (plane.shape[0] // 8) * 8, (plane.shape[1] // 8) * 8
    blocks = plane[:h, :w].reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3).reshape(-1, 8, 8)
    return scipy.fft.dctn(blocks - np.float32(128), type=2, axes=(1, 2), norm="ortho")


def estimate_step(abs_hist):
    """Estimate a JPEG quantisation step from a histogram of rounded |coefficients|.

    ``abs_hist[n]`` counts coefficients whose rounded magnitude is ``n``.
    The comb strength of step ``q`` is the share of magnitudes >= 2 on
    multiples of ``q``, rescaled so that a smooth histogram scores about 0
    and a perfect comb 1 (magnitude 1 is left out: pixel rounding pushes
    some coefficients quantised to zero there). The estimate is the largest step scoring at least
    0.5 (every divisor of the true step scores as high), or 1.
    """
    mass = abs_hist[2 : _STEP_RANGE + 1]
    total = mass.sum()
    if total <= 0:
        return 1
    steps = np.arange(2, _MAX_STEP + 1)
    share = _COMB @ mass / total
    strong = steps[(share - 1 / steps) / (1 - 1 / steps) >= 0.5]
    return int(strong.max()) if strong.size else 1


def periodicity_score(coefficients, step):
    """Periodicity of the histogram of quantised coefficient magnitudes.

    The magnitudes ``|round(c / step)|`` in 1..24 are histogrammed; a single
    quantisation leaves a smooth, decaying histogram, a double one leaves
    periodic gaps and peaks [1]_. The score is the largest non-zero-frequency
    FFT magnitude of the histogram minus its 3-tap moving average, relative
    to the histogram's mass; 0 for a smooth or empty histogram.
    """
    q = np.abs(np.rint(coefficients / step)).astype(np.intp)
    hist = np.bincount(q[(q >= 1) & (q <= _PERIOD_RANGE)], minlength=_PERIOD_RANGE + 1)[1:]
    total = hist.sum()
    if total == 0:
        return 0.0
    hist = hist / total
    padded = np.pad(hist, 1, mode="edge")
    detail = hist - (padded[:-2] + padded[1:-1] + padded[2:]) / 3
    return float(np.abs(np.fft.rfft(detail))[1:].max())


def _counts(values, n_values, valid):
    """Per-column counts of each value ``0 .. n_values - 1`` of ``values[valid]``: shape (n_columns, n_values)."""
    columns = values.shape[1]
    index = values + np.arange(columns) * n_values
    return np.bincount(index[valid], minlength=columns * n_values).reshape(columns, n_values)


def _mode_features(coef, n_modes, hist_range):
    """Histogram, step estimate and periodicity of the first ``n_modes`` zig-zag AC modes, all at once.

    Equivalent to :func:`estimate_step` and :func:`periodicity_score` applied
    to each mode; returns shape ``(n_modes, 2 * hist_range + 3)``.
    """
    width = 2 * hist_range + 1
    if n_modes == 0:
        return np.zeros((0, width + 2))
    rows, cols = zip(*ZIGZAG[1 : n_modes + 1], strict=True)
    values = coef[:, list(rows), list(cols)]  # (n_blocks, n_modes)
    rounded = np.rint(values).astype(np.intp)
    mags = np.abs(rounded)
    hist = _counts(rounded + hist_range, width, mags <= hist_range) / max(coef.shape[0], 1)
    steps = np.array([estimate_step(h) for h in _counts(mags, _STEP_RANGE + 1, mags <= _STEP_RANGE)])
    # periodicity_score of each mode with its own step
    q = np.abs(np.rint(values / steps.astype(np.float32))).astype(np.intp)
    period = _counts(q, _PERIOD_RANGE + 1, (q >= 1) & (q <= _PERIOD_RANGE))[:, 1:]
    total = period.sum(axis=1, keepdims=True)
    period = period / np.maximum(total, 1)
    padded = np.pad(period, ((0, 0), (1, 1)), mode="edge")
    detail = period - (padded[:, :-2] + padded[:, 1:-1] + padded[:, 2:]) / 3
    scores = np.abs(np.fft.rfft(detail, axis=1))[:, 1:].max(axis=1)
    scores[total[:, 0] == 0] = 0.0
    return np.column_stack([hist, steps, scores])


@validate_arguments({"image": ["array-like"], **_CONSTRAINTS})
def dct_features(image, *, n_modes=6, hist_range=8, spectrum_size=16):
    """Block-DCT statistics and a downsampled global DCT spectrum.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
        RGB image; the features are computed on its luminance.
    n_modes : int, default=6
        Number of low-frequency AC modes (zig-zag order) whose coefficient
        histograms, step estimate and periodicity are reported, 0 to 63.
    hist_range : int, default=8
        Histograms count rounded coefficients in ``[-hist_range, hist_range]``
        (``2 * hist_range + 1`` bins, normalised by the number of blocks),
        0 to 255.
    spectrum_size : int, default=16
        Side of the area-resampled global log-DCT spectrum, 1 to 256.

    Returns
    -------
    features : ndarray of shape (64 + n_modes * (2 * hist_range + 3) + spectrum_size ** 2,), float32
        The 64 mean |coefficients| (row-major frequency order); per mode the
        histogram, the estimated quantisation step and the periodicity score;
        then ``log10(|DCT| + 1e-3)`` of the whole luminance (orthonormal
        DCT-II), resampled with area averaging, row-major.

    Raises
    ------
    facetruth.exceptions.InvalidParameterError
        For a parameter of the wrong type or out of range (a ``ValueError``).

    See Also
    --------
    DCTFeatures : The transformer mapping this function over a batch.

    Notes
    -----
    Images smaller than 8x8 have no complete block; their block features
    are zero.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import dct_features
    >>> image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    >>> dct_features(image).shape  # 64 + 6 * 19 + 16 ** 2
    (434,)
    >>> features = dct_features(image, n_modes=2, hist_range=3, spectrum_size=4)
    >>> features.shape, features.dtype
    ((98,), dtype('float32'))

    A flat grey image of level 128 has no DCT energy in its blocks:

    >>> flat = dct_features(np.full((16, 16, 3), 128, np.uint8), n_modes=1, hist_range=1)
    >>> print(flat[:3], flat[64:67])
    [0. 0. 0.] [0. 1. 0.]
    """
    return _dct_from_planes(
        ImagePlanes(image), n_modes=n_modes, hist_range=hist_range, spectrum_size=spectrum_size
    )


def _dct_from_planes(planes, *, n_modes, hist_range, spectrum_size):
    """:func:`dct_features` of the image of an :class:`ImagePlanes` (parameters already validated)."""
    luma = planes.luma
    coef = block_dct(luma)
    n_blocks = coef.shape[0]
    mean_abs = np.abs(coef).mean(axis=0).ravel() if n_blocks else np.zeros(64, np.float32)
    modes = _mode_features(coef, n_modes, hist_range)
    spectrum = np.log10(np.abs(scipy.fft.dctn(luma, type=2, norm="ortho")) + np.float32(1e-3))
    small = cv2.resize(spectrum, (spectrum_size, spectrum_size), interpolation=cv2.INTER_AREA)
    return np.concatenate([mean_abs, modes.ravel(), small.ravel()]).astype(np.float32)


def dct_feature_names(n_modes=6, hist_range=8, spectrum_size=16):
    """Names of :func:`dct_features`'s outputs (without the family prefix)."""
    names = [f"mean_abs_{r}{c}" for r in range(8) for c in range(8)]
    for r, c in ZIGZAG[1 : n_modes + 1]:
        names += [f"hist_{r}{c}_{v:+d}" for v in range(-hist_range, hist_range + 1)]
        names += [f"step_{r}{c}", f"periodicity_{r}{c}"]
    names += [f"spectrum_{i:02d}_{j:02d}" for i in range(spectrum_size) for j in range(spectrum_size)]
    return names


class DCTFeatures(ImageFeatureTransformer):
    """Transformer computing :func:`dct_features` for each image of a batch.

    Parameters
    ----------
    n_modes : int, default=6
        Low-frequency AC modes with histograms (0 to 63).
    hist_range : int, default=8
        Half-width of the coefficient histograms (0 to 255).
    spectrum_size : int, default=16
        Side of the resampled global DCT spectrum (1 to 256).
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
    dct_features : The per-image function.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import DCTFeatures
    >>> images = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    >>> dct = DCTFeatures(n_modes=2, hist_range=3, spectrum_size=4)
    >>> dct.fit_transform(images).shape
    (2, 98)
    >>> dct.get_feature_names_out()[[0, 64, 71, 72]]
    array(['dct_mean_abs_00', 'dct_hist_01_-3', 'dct_step_01', 'dct_periodicity_01'],
          dtype=object)
    """

    family = "dct"
    _parameter_constraints: dict = {**ImageFeatureTransformer._parameter_constraints, **_CONSTRAINTS}

    def __init__(self, *, n_modes=6, hist_range=8, spectrum_size=16, n_jobs=None, cache=None):
        self.n_modes = n_modes
        self.hist_range = hist_range
        self.spectrum_size = spectrum_size
        self.n_jobs = n_jobs
        self.cache = cache

    def _function(self):
        return dct_features

    def _planes_function(self):
        return _dct_from_planes

    def _feature_kwargs(self):
        return {name: int(getattr(self, name)) for name in _CONSTRAINTS}

    def _feature_names(self):
        return dct_feature_names(**self._feature_kwargs())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags
