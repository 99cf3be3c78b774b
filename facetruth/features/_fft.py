"""Azimuthally averaged power spectrum (the ``fft`` family).

Up-convolution layers of generative networks leave a characteristic excess
or deficit of energy at high spatial frequencies that shows up in the 1-D
azimuthal average of the log power spectrum [1]_.

References
----------
.. [1] R. Durall, M. Keuper and J. Keuper, "Watch your up-convolution: CNN
       based generative deep neural networks are failing to reproduce
       spectral distributions", CVPR 2020. :DOI:`10.1109/CVPR42600.2020.00791`
"""

from functools import lru_cache
from numbers import Integral

import numpy as np
import scipy.fft

from .._params import Interval, validate_arguments
from ._base import ImageFeatureTransformer
from ._color import ImagePlanes

#: floor added to the power before the logarithm (intensities are in [0, 1])
POWER_FLOOR = 1e-10
#: normalised radii above which the fraction of AC energy is reported
ENERGY_THRESHOLDS = (0.5, 0.75, 1.0)
_OVERSAMPLE = 8
#: constraints on the parameters of the function and of the transformer
_CONSTRAINTS = {
    "n_bins": [Interval(Integral, 2, None, closed="left")],
    "per_channel": ["boolean"],
}


@lru_cache(maxsize=16)
def _radial_layout(height, width):
    """Ring index and weight of each ``rfft2`` coefficient for one image shape.

    Radius is measured relative to the Nyquist frequency of the shorter side
    (``r = 1`` at 0.5 cycles/pixel); ring ``k`` holds radii nearest ``k / m``
    with ``m = max(min(height, width) // 2, 1)``. Weights count each
    half-plane coefficient as often as it appears in the full spectrum.
    """
    fy = scipy.fft.fftfreq(height).astype(np.float32)[:, None]
    fx = scipy.fft.rfftfreq(width).astype(np.float32)[None, :]
    radius = 2.0 * np.sqrt(fy**2 + fx**2)  # 1.0 at Nyquist
    m = max(min(height, width) // 2, 1)
    ring = np.rint(radius * m).astype(np.intp).ravel()
    weight = np.full((height, fx.shape[1]), 2.0, dtype=np.float64)
    weight[:, 0] = 1.0
    if width % 2 == 0:
        weight[:, -1] = 1.0
    weight = weight.ravel()
    n_rings = int(ring.max()) + 1
    counts = np.bincount(ring, weights=weight, minlength=n_rings)
    ring_radius = np.arange(n_rings) / m
    # AC rings inside the Nyquist circle carry the profile; all AC rings carry energy
    inside = (ring_radius > 0) & (ring_radius <= 1.0 + 1e-9) & (counts > 0)
    log_r = np.log10(ring_radius[inside])
    log_r_centred = log_r - log_r.mean()
    for a in (ring, weight, counts, ring_radius, inside, log_r_centred):
        a.setflags(write=False)
    return ring, weight, counts, ring_radius, inside, log_r_centred


def _resample_profile(radius, values, n_bins):
    """Mean of the piecewise-linear profile over ``n_bins`` equal radius bins of (0, 1]."""
    fine = (np.arange(n_bins * _OVERSAMPLE) + 0.5) / (n_bins * _OVERSAMPLE)
    return np.interp(fine, radius, values).reshape(n_bins, _OVERSAMPLE).mean(axis=1)


def _spectrum_features(plane, n_bins):
    height, width = plane.shape
    ring, weight, counts, ring_radius, inside, log_r = _radial_layout(height, width)
    coef = scipy.fft.rfft2(plane, norm="ortho")
    power = (coef.real**2 + coef.imag**2).ravel()
    log_power = np.log10(power + POWER_FLOOR)
    n_rings = counts.shape[0]
    ring_log = np.bincount(ring, weights=log_power * weight, minlength=n_rings) / np.maximum(counts, 1)
    ring_energy = np.bincount(ring, weights=power * weight, minlength=n_rings)
    profile = _resample_profile(ring_radius[inside], ring_log[inside], n_bins)
    ac = ring_energy[1:].sum()
    ratios = [ring_energy[ring_radius > t].sum() / ac if ac > 0 else 0.0 for t in ENERGY_THRESHOLDS]
    slope = float(log_r @ ring_log[inside] / (log_r @ log_r)) if log_r.size > 1 else 0.0
    dc = np.log10(power[0] / (height * width) + POWER_FLOOR)
    return np.concatenate([[dc], profile, ratios, [slope]])


@validate_arguments({"image": ["array-like"], **_CONSTRAINTS})
def fft_spectrum(image, *, n_bins=64, per_channel=False):
    """Azimuthally averaged log power spectrum and high-frequency energy ratios.

    The image (its luminance, or each of R, G, B) is scaled to [0, 1] and
    transformed with an orthonormal 2-D FFT, so the power of white noise does
    not depend on the image size. The mean of ``log10(power + 1e-10)`` over
    rings of equal radius is resampled (bin means of the piecewise-linear
    profile) to ``n_bins`` equal bins of normalised radius (0, 1], 1 being
    the Nyquist frequency of the shorter side, so the output length does not
    depend on the image size [1]_.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
        RGB image.
    n_bins : int, default=64
        Number of radius bins of the profile, at least 2.
    per_channel : bool, default=False
        Compute the features on R, G and B separately (three times as many)
        instead of on the luminance.

    Returns
    -------
    features : ndarray of shape (n_channels * (n_bins + 5),), dtype float32
        Per channel: ``dc`` (log10 of the squared mean intensity), the
        ``n_bins`` profile values, the fractions of AC energy above 0.5, 0.75
        and 1.0 times Nyquist (the last counts the corners of the spectrum),
        and ``slope``, the least-squares slope of the ring log power against
        log radius (the spectral decay exponent).

    Raises
    ------
    facetruth.exceptions.InvalidParameterError
        For a parameter of the wrong type or out of range (a ``ValueError``).

    See Also
    --------
    FFTFeatures : The transformer mapping this function over a batch.
    fft_feature_names : The names of the outputs.

    References
    ----------
    .. [1] R. Durall, M. Keuper and J. Keuper, "Watch your up-convolution",
           CVPR 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import fft_spectrum
    >>> image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    >>> features = fft_spectrum(image, n_bins=8)
    >>> features.shape, features.dtype
    ((13,), dtype('float32'))
    >>> fft_spectrum(image, n_bins=8, per_channel=True).shape
    (39,)

    A flat image has no energy away from the DC term:

    >>> flat = fft_spectrum(np.full((32, 32, 3), 128, np.uint8), n_bins=4)
    >>> print(np.round(flat[:5], 2))
    [ -0.6 -10.  -10.  -10.  -10. ]
    """
    return _fft_from_planes(ImagePlanes(image), n_bins=n_bins, per_channel=per_channel)


def _fft_from_planes(planes, *, n_bins, per_channel):
    """:func:`fft_spectrum` of the image of an :class:`ImagePlanes` (parameters already validated)."""
    if per_channel:
        channels = [np.ascontiguousarray(planes.image[:, :, c], dtype=np.float32) for c in range(3)]
    else:
        channels = [planes.luma]
    feats = [_spectrum_features(p * np.float32(1 / 255), n_bins) for p in channels]
    return np.concatenate(feats).astype(np.float32)


@validate_arguments(_CONSTRAINTS)
def fft_feature_names(n_bins=64, per_channel=False):
    """Names of :func:`fft_spectrum`'s outputs (without the family prefix).

    Parameters
    ----------
    n_bins : int, default=64
        Number of radius bins of the profile, at least 2.
    per_channel : bool, default=False
        Names for R, G and B separately (``r_dc``, ...) instead of the luminance.

    Returns
    -------
    names : list of str
        ``n_channels * (n_bins + 5)`` names.

    Examples
    --------
    >>> from facetruth.features import fft_feature_names
    >>> fft_feature_names(n_bins=2)
    ['dc', 'bin_000', 'bin_001', 'hf_above_050', 'hf_above_075', 'hf_above_100', 'slope']
    >>> fft_feature_names(n_bins=2, per_channel=True)[:2]
    ['r_dc', 'r_bin_000']
    """
    base = ["dc", *(f"bin_{i:03d}" for i in range(n_bins))]
    base += [f"hf_above_{int(round(t * 100)):03d}" for t in ENERGY_THRESHOLDS] + ["slope"]
    if not per_channel:
        return base
    return [f"{c}_{n}" for c in "rgb" for n in base]


class FFTFeatures(ImageFeatureTransformer):
    """Transformer computing :func:`fft_spectrum` for each image of a batch.

    Parameters
    ----------
    n_bins : int, default=64
        Number of radius bins of the azimuthal profile.
    per_channel : bool, default=False
        Compute on R, G and B separately instead of the luminance.
    n_jobs : int, default=None
        Number of parallel jobs over images (joblib semantics).
    cache : str or path-like, default=None
        Folder of an on-disk feature cache, or None.

    Attributes
    ----------
    feature_names_out_ : ndarray of str
        ``fft_dc``, ``fft_bin_000``, ..., ``fft_slope``.
    n_features_out_ : int

    See Also
    --------
    fft_spectrum : The per-image function.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import FFTFeatures
    >>> images = np.random.default_rng(0).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    >>> fft = FFTFeatures(n_bins=8)
    >>> fft.fit_transform(images).shape
    (2, 13)
    >>> fft.get_feature_names_out()[:3]
    array(['fft_dc', 'fft_bin_000', 'fft_bin_001'], dtype=object)
    """

    family = "fft"
    _parameter_constraints: dict = {**ImageFeatureTransformer._parameter_constraints, **_CONSTRAINTS}

    def __init__(self, *, n_bins=64, per_channel=False, n_jobs=None, cache=None):
        self.n_bins = n_bins
        self.per_channel = per_channel
        self.n_jobs = n_jobs
        self.cache = cache

    def _function(self):
        return fft_spectrum

    def _planes_function(self):
        return _fft_from_planes

    def _feature_kwargs(self):
        return {"n_bins": int(self.n_bins), "per_channel": bool(self.per_channel)}

    def _feature_names(self):
        return fft_feature_names(**self._feature_kwargs())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags
