"""Per-region noise, sharpness, colour and texture of a face (the ``region`` family).

A face-part composite pastes an eye, a nose or a mouth from another photo.
The pasted part brings its own sensor noise, blur, colour balance and
compression history, so its statistics differ from those of the skin around
it, while in an untouched face they agree. This family measures each facial
region and the *differences* between the inner regions (eyes, nose, mouth)
and the surrounding skin (cheeks, forehead, chin), and between the two eyes,
in the spirit of the local-inconsistency cues of face-warping and
face-blending detectors [1]_, [2]_.

Regions are boxes placed on the canonical face template
(:data:`~facetruth.data.FACE_TEMPLATE`, the dlib landmark layout): they
match each face best on crops made with ``align="canonical"``, and roughly
on plain face crops of upright, frontal faces.

References
----------
.. [1] Y. Li and S. Lyu, "Exposing DeepFake videos by detecting face warping
       artifacts", CVPR Workshops 2019.
.. [2] L. Li et al., "Face X-ray for more general face forgery detection",
       CVPR 2020.
"""

from numbers import Integral, Real

import numpy as np

from .._params import Interval, validate_arguments
from ._base import ImageFeatureTransformer
from ._torch_batches import resize_square

#: region name -> (centre x, centre y, half width, half height) in the tight
#: face square of :data:`facetruth.data.FACE_TEMPLATE` (side 1)
REGIONS = {
    "left_eye": (0.287, 0.303, 0.11, 0.07),
    "right_eye": (0.713, 0.303, 0.11, 0.07),
    "nose": (0.500, 0.450, 0.08, 0.12),
    "mouth": (0.500, 0.755, 0.18, 0.08),
    "left_cheek": (0.250, 0.560, 0.08, 0.08),
    "right_cheek": (0.750, 0.560, 0.08, 0.08),
    "forehead": (0.500, 0.060, 0.20, 0.05),
    "chin": (0.500, 0.930, 0.12, 0.05),
}
INNER = ("left_eye", "right_eye", "nose", "mouth")
SKIN = ("left_cheek", "right_cheek", "forehead", "chin")
#: statistics per region; the first three are means compared by difference,
#: the others are spreads compared by log ratio
STATS = (
    "y_mean",
    "cb_mean",
    "cr_mean",
    "y_std",
    "cb_std",
    "cr_std",
    "lap_std",
    "lap_mad",
    "srm_std",
    "grad_mean",
)
_N_MEANS = 3
LBP_BINS = 10  # uniform LBP, 8 neighbours, radius 1
#: 5x5 third-order SRM kernel ("KV") of Fridrich and Kodovsky, divided by 12
_SRM_KV = (
    np.array(
        [
            [-1, 2, -2, 2, -1],
            [2, -6, 8, -6, 2],
            [-2, 8, -12, 8, -2],
            [2, -6, 8, -6, 2],
            [-1, 2, -2, 2, -1],
        ],
        dtype=np.float32,
    )
    / 12.0
)
_EPS = 1e-3
#: smaller or non-square inputs are stretched to a square of at least this side
MIN_SIDE = 32
#: margins a face crop can be made with (see :func:`facetruth.data.crop_face`)
_MARGIN = Interval(Real, 0, 2, closed="both")


@validate_arguments({"size": [Interval(Integral, 2, None, closed="left")], "margin": [_MARGIN]})
def region_boxes(size, margin=0.3):
    """Pixel boxes ``(x0, y0, x1, y1)`` of :data:`REGIONS` in a square crop.

    Parameters
    ----------
    size : int
        Side of the face crop, at least 2.
    margin : float, default=0.3
        The crop's margin, 0 to 2 (see :func:`~facetruth.data.crop_face`).

    Returns
    -------
    boxes : dict of str to tuple of int
        Each box holds at least 2 x 2 pixels and lies inside the crop.

    Examples
    --------
    >>> from facetruth.features._region import region_boxes
    >>> boxes = region_boxes(128)
    >>> sorted(boxes)[:3]
    ['chin', 'forehead', 'left_cheek']
    >>> x0, y0, x1, y1 = boxes["nose"]
    >>> 0 <= x0 < x1 <= 128 and 0 <= y0 < y1 <= 128
    True
    """
    from ..data import to_template_frame

    boxes = {}
    for name, (cx, cy, hw, hh) in REGIONS.items():
        (x0, y0), (x1, y1) = to_template_frame([[cx - hw, cy - hh], [cx + hw, cy + hh]], size, margin)
        x0, y0 = (int(np.clip(np.floor(v), 0, size - 2)) for v in (x0, y0))
        x1, y1 = (int(np.clip(np.ceil(v), lo + 2, size)) for v, lo in ((x1, x0), (y1, y0)))
        boxes[name] = (x0, y0, x1, y1)
    return boxes


def _maps(image):
    """Luminance, chroma, Laplacian, SRM residual, gradient magnitude and LBP codes."""
    import cv2
    from skimage.feature import local_binary_pattern

    ycc = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2YCrCb).astype(np.float32)
    y, cr, cb = ycc[:, :, 0], ycc[:, :, 1], ycc[:, :, 2]
    lap = cv2.Laplacian(y, cv2.CV_32F, ksize=1)
    srm = cv2.filter2D(y, cv2.CV_32F, _SRM_KV, borderType=cv2.BORDER_REFLECT)
    grad = cv2.magnitude(cv2.Sobel(y, cv2.CV_32F, 1, 0), cv2.Sobel(y, cv2.CV_32F, 0, 1))
    codes = local_binary_pattern(y.astype(np.uint8), 8, 1, method="uniform").astype(np.intp)
    return y, cb, cr, lap, srm, grad, codes


def _region_stats(maps, box):
    y, cb, cr, lap, srm, grad, codes = (m[box[1] : box[3], box[0] : box[2]] for m in maps)
    lap_abs = np.abs(lap - np.median(lap))
    stats = [
        y.mean(),
        cb.mean(),
        cr.mean(),
        y.std(),
        cb.std(),
        cr.std(),
        lap.std(),
        np.median(lap_abs) / 0.6745,
        srm.std(),
        grad.mean(),
    ]
    hist = np.bincount(codes.ravel(), minlength=LBP_BINS)[:LBP_BINS].astype(np.float64)
    return np.asarray(stats, dtype=np.float64), hist / max(hist.sum(), 1.0)


def _compare(stats_a, hist_a, stats_b, hist_b):
    means = stats_a[:_N_MEANS] - stats_b[:_N_MEANS]
    spreads = np.log((stats_a[_N_MEANS:] + _EPS) / (stats_b[_N_MEANS:] + _EPS))
    chi2 = 0.5 * np.sum((hist_a - hist_b) ** 2 / (hist_a + hist_b + 1e-12))
    return np.concatenate([means, spreads, [chi2]])


@validate_arguments({"image": ["array-like"], "margin": [_MARGIN]})
def region_features(image, *, margin=0.3):
    """Noise, sharpness, colour and LBP statistics per facial region, and their contrasts.

    Parameters
    ----------
    image : ndarray of shape (size, size, 3), dtype uint8
        RGB face crop, ideally from ``crop_face(..., align="canonical")``.
        A non-square image, or one smaller than 32 pixels, is stretched to a
        square first.
    margin : float, default=0.3
        The margin the crop was made with (0 to 2); it places the regions.

    Returns
    -------
    features : ndarray of shape (len(REGIONS) * 20 + 5 * 11,), dtype float32
        For each region of :data:`REGIONS`: the :data:`STATS` (mean and
        standard deviation of Y, Cb and Cr; standard deviation and robust
        MAD-based sigma of the Laplacian; standard deviation of the 5x5 SRM
        residual; mean Sobel gradient) and the 10-bin uniform LBP histogram.
        Then, for each inner region against the skin (the per-statistic
        median of the skin regions, the mean skin histogram), and for the
        left eye against the right eye: differences of the means, log ratios
        of the spreads, and the chi-squared distance of the LBP histograms.

    Raises
    ------
    facetruth.exceptions.InvalidParameterError
        For a ``margin`` of the wrong type or out of range (a ``ValueError``).

    See Also
    --------
    region_feature_names : The names of the outputs.
    RegionFeatures : The transformer mapping this function over a batch.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import region_features
    >>> face = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    >>> features = region_features(face)
    >>> features.shape, features.dtype  # 8 regions * 20 + 5 contrasts * 11
    ((215,), dtype('float32'))
    """
    image = np.asarray(image)
    image = resize_square(image, max(*image.shape[:2], MIN_SIDE))  # no-op for square crops
    boxes = region_boxes(image.shape[0], margin)
    maps = _maps(image)
    per = {name: _region_stats(maps, box) for name, box in boxes.items()}
    skin_stats = np.median([per[n][0] for n in SKIN], axis=0)
    skin_hist = np.mean([per[n][1] for n in SKIN], axis=0)
    parts = [np.concatenate(per[n]) for n in REGIONS]
    parts += [_compare(*per[n], skin_stats, skin_hist) for n in INNER]
    parts.append(_compare(*per["left_eye"], *per["right_eye"]))
    return np.concatenate(parts).astype(np.float32)


def region_feature_names():
    """Names of :func:`region_features`'s outputs (without the family prefix).

    Returns
    -------
    names : list of str
        215 names: ``<region>_<statistic>``, then ``<pair>_<contrast>``.

    Examples
    --------
    >>> from facetruth.features._region import region_feature_names
    >>> names = region_feature_names()
    >>> len(names), names[0], names[-1]
    (215, 'left_eye_y_mean', 'left_eye_vs_right_eye_lbp_chi2')
    """
    per = [*STATS, *(f"lbp_{i}" for i in range(LBP_BINS))]
    contrast = [f"{s}_{'diff' if i < _N_MEANS else 'logratio'}" for i, s in enumerate(STATS)] + ["lbp_chi2"]
    names = [f"{r}_{s}" for r in REGIONS for s in per]
    pairs = [f"{n}_vs_skin" for n in INNER] + ["left_eye_vs_right_eye"]
    return names + [f"{p}_{c}" for p in pairs for c in contrast]


class RegionFeatures(ImageFeatureTransformer):
    """Transformer computing :func:`region_features` for each face crop of a batch.

    Parameters
    ----------
    margin : float, default=0.3
        Margin of the face crops (the :class:`~facetruth.pipelines.ImageLoader`'s).
    n_jobs : int, default=None
        Number of parallel jobs over images (joblib semantics).
    cache : str or path-like, default=None
        Folder of an on-disk feature cache, or None.

    Attributes
    ----------
    feature_names_out_ : ndarray of str
        ``region_left_eye_y_mean``, ..., ``region_left_eye_vs_right_eye_lbp_chi2``.
    n_features_out_ : int

    See Also
    --------
    region_features : The per-image function.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import RegionFeatures
    >>> faces = np.random.default_rng(0).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    >>> region = RegionFeatures(margin=0.3)
    >>> region.fit_transform(faces).shape
    (2, 215)
    >>> region.get_feature_names_out()[0]
    'region_left_eye_y_mean'
    """

    family = "region"
    _parameter_constraints: dict = {**ImageFeatureTransformer._parameter_constraints, "margin": [_MARGIN]}

    def __init__(self, *, margin=0.3, n_jobs=None, cache=None):
        self.margin = margin
        self.n_jobs = n_jobs
        self.cache = cache

    def _function(self):
        return region_features

    def _feature_kwargs(self):
        return {"margin": float(self.margin)}

    def _feature_names(self):
        return region_feature_names()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags
