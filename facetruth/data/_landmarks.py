"""Face detection: dlib's HOG detector with 68 landmarks, and cascade fallbacks.

Every model is loaded lazily on the first detection; importing this module
loads nothing. The landmark model is shared by the process; the detectors
(dlib's HOG scanner, OpenCV's and scikit-image's cascades) keep scratch state
and are not safe to call from two threads at once, so each thread gets its
own (the web server runs requests in threads). Each backend takes
a ``(height, width)`` uint8 grey image and returns candidate boxes
``(x0, y0, x1, y1)`` in that image's coordinates; :func:`detect_face` runs
them on one RGB image and returns the largest face.

Backends
--------
dlib
    Histogram-of-oriented-gradients detector with a linear SVM (Dalal & Triggs,
    CVPR 2005) as shipped by dlib, and the 68-point shape predictor, an
    ensemble of regression trees (Kazemi & Sullivan, CVPR 2014), whose
    ``shape_predictor_68_face_landmarks.dat`` comes with the PyPI package
    ``face-recognition-models``.
haar
    OpenCV's Viola-Jones Haar cascade ``haarcascade_frontalface_default.xml``
    (Viola & Jones, CVPR 2001). OpenCV 5 no longer ships it; the backend is
    then unavailable.
lbp
    The local-binary-pattern frontal-face cascade bundled with scikit-image
    (``skimage.data.lbp_frontal_face_cascade_filename()``; Ojala et al.,
    TPAMI 2002, for the local binary patterns).
"""

import dataclasses
import functools
import importlib.util
import logging
import math
import threading
from pathlib import Path

import numpy as np

from .._validation import check_images
from ..exceptions import FaceTruthError

logger = logging.getLogger(__name__)

#: indices of the eye contours in the 68-point (iBUG 300-W) landmark scheme
LEFT_EYE = slice(36, 42)
RIGHT_EYE = slice(42, 48)


_THREAD = threading.local()


def _per_thread(loader):
    """Cache ``loader()`` once per thread (detectors are not thread-safe)."""

    @functools.wraps(loader)
    def cached():
        models = _THREAD.__dict__.setdefault("models", {})
        if loader.__name__ not in models:
            models[loader.__name__] = loader()
        return models[loader.__name__]

    return cached


def _models_folder():
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FaceTruthError(
            "The dlib face models are missing: install the PyPI package 'face-recognition-models'."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def _import_dlib():
    try:
        import dlib
    except ImportError as exc:
        raise FaceTruthError("dlib is not installed: install the PyPI package 'dlib-bin'.") from exc
    return dlib


@_per_thread
def dlib_detector():
    """Return dlib's HOG face detector for this thread (without the landmark model).

    Raises
    ------
    FaceTruthError
        When dlib is not installed.
    """
    return _import_dlib().get_frontal_face_detector()


@_per_thread
def dlib_models():
    """Return ``(detector, shape_predictor)``: the detector per thread, the predictor per process.

    Raises
    ------
    FaceTruthError
        When dlib or the landmark model file is not installed.
    """
    return dlib_detector(), _shape_predictor()


def _shape_predictor_path():
    path = _models_folder() / "shape_predictor_68_face_landmarks.dat"
    if not path.is_file():
        raise FaceTruthError(f"The 68-landmark model is missing: {path}")
    return path


@functools.lru_cache(maxsize=1)
def _shape_predictor():
    dlib = _import_dlib()
    path = _shape_predictor_path()
    logger.debug("loading %s", path)
    return dlib.shape_predictor(str(path))


@_per_thread
def haar_cascade():
    """Return OpenCV's frontal-face Haar cascade, or ``None`` when OpenCV lacks it."""
    import cv2

    data = getattr(cv2, "data", None)
    if not hasattr(cv2, "CascadeClassifier") or data is None:
        return None
    path = Path(data.haarcascades) / "haarcascade_frontalface_default.xml"
    if not path.is_file():
        return None
    cascade = cv2.CascadeClassifier(str(path))
    return None if cascade.empty() else cascade


@_per_thread
def lbp_cascade():
    """Return scikit-image's bundled LBP frontal-face cascade."""
    from skimage.data import lbp_frontal_face_cascade_filename
    from skimage.feature import Cascade

    return Cascade(lbp_frontal_face_cascade_filename())


def backend_available(name):
    """Whether the backend ``name`` ("dlib", "haar" or "lbp") can run here."""
    try:
        if name == "dlib":
            dlib_detector()
            _shape_predictor_path()  # loaded only when landmarks are asked for
            return True
        if name == "haar":
            return haar_cascade() is not None
        if name == "lbp":
            lbp_cascade()
            return True
    except (FaceTruthError, ImportError, OSError) as exc:
        logger.debug("face backend %s unavailable: %s", name, exc)
        return False
    raise ValueError(f"Unknown face detector backend {name!r}.")


def detect_dlib(grey, upsample=0):
    """Boxes found by dlib's HOG detector, largest first, as an (n, 4) int array."""
    rects, _, _ = dlib_detector().run(grey, int(upsample), 0.0)
    boxes = np.array([[r.left(), r.top(), r.right() + 1, r.bottom() + 1] for r in rects], dtype=np.int64)
    return _largest_first(boxes.reshape(-1, 4))


def dlib_landmarks(grey, box):
    """The 68 landmarks ``(x, y)`` of the face in ``box``, as a (68, 2) float32 array."""
    import dlib

    _, predictor = dlib_models()
    x0, y0, x1, y1 = (int(v) for v in box)
    shape = predictor(grey, dlib.rectangle(x0, y0, x1 - 1, y1 - 1))
    return np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float32)


def detect_haar(grey, upsample=0):
    """Boxes found by OpenCV's Haar cascade, largest first.

    Raises
    ------
    FaceTruthError
        When the installed OpenCV has no Haar cascades (OpenCV 5 and later).
    """

    cascade = haar_cascade()
    if cascade is None:
        raise FaceTruthError(
            "OpenCV's Haar cascade is unavailable in this OpenCV build; use method='lbp' or 'dlib'."
        )
    grey, factor = _upsampled(grey, upsample)
    found = cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24))
    boxes = np.array([[x, y, x + w, y + h] for x, y, w, h in np.reshape(found, (-1, 4))], dtype=float)
    return _largest_first(np.rint(boxes.reshape(-1, 4) / factor).astype(np.int64))


def detect_lbp(grey, upsample=0, min_neighbors=4):
    """Boxes found by scikit-image's LBP cascade, largest first.

    Overlapping windows are merged by scikit-image; merged groups of fewer
    than ``min_neighbors`` windows are dropped as false alarms.
    """
    grey, factor = _upsampled(grey, upsample)
    height, width = grey.shape
    if min(height, width) < 24:
        return np.zeros((0, 4), dtype=np.int64)
    found = lbp_cascade().detect_multi_scale(
        grey.astype(np.float64) / 255.0,
        scale_factor=1.2,
        step_ratio=1,
        min_size=(24, 24),
        max_size=(height, width),
        min_neighbor_number=min_neighbors,
    )
    boxes = np.array(
        [[d["c"], d["r"], d["c"] + d["width"], d["r"] + d["height"]] for d in found], dtype=float
    )
    return _largest_first(np.rint(boxes.reshape(-1, 4) / factor).astype(np.int64))


def eye_angle(landmarks):
    """Angle in degrees of the line from the left-eye centre to the right-eye centre.

    Image coordinates (``y`` down): a positive angle means the right eye (in
    the image) is lower than the left one.
    """
    left = landmarks[LEFT_EYE].mean(axis=0)
    right = landmarks[RIGHT_EYE].mean(axis=0)
    return math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))


def _upsampled(grey, upsample):
    import cv2

    factor = 2 ** int(upsample)
    if factor == 1:
        return grey, 1
    size = (grey.shape[1] * factor, grey.shape[0] * factor)
    return cv2.resize(grey, size, interpolation=cv2.INTER_LINEAR), factor


def _largest_first(boxes):
    if len(boxes) == 0:
        return boxes
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return boxes[np.argsort(-area, kind="stable")]


#: detection runs on a grey copy whose longest side is at most this; a search on a smaller
#: copy that finds no face is tried again at this size
DETECT_MAX_SIDE = 640
#: default longest side of the copy searched first (see ``benchmarks/bench_faces.py``)
DETECT_SIDE = 160
#: images smaller than this (either side) hold no detectable face
MIN_SIDE = 20
DETECT_METHODS = ("auto", "dlib", "haar", "lbp")


@dataclasses.dataclass(frozen=True)
class FaceDetection:
    """The largest face found in an image.

    Attributes
    ----------
    box : tuple of int
        ``(x0, y0, x1, y1)`` in image pixels, clipped to the image; ``x1`` and
        ``y1`` are exclusive.
    landmarks : ndarray of shape (68, 2), float32, or None
        ``(x, y)`` of the 68 iBUG 300-W landmarks (dlib only).
    method : {"dlib", "haar", "lbp"}
        The backend that found it.

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> from facetruth.data import detect_face
    >>> found = detect_face(astronaut(), method="haar")
    >>> type(found).__name__, found.method, found.landmarks is None
    ('FaceDetection', 'haar', True)
    >>> x0, y0, x1, y1 = found.box
    >>> 150 < x0 < x1 < 300 and 50 < y0 < y1 < 200
    True
    """

    box: tuple
    landmarks: np.ndarray | None
    method: str


def _check_method(method, allowed):
    if method not in allowed:
        raise ValueError(f"method must be one of {allowed}; got {method!r}.")


_DETECTORS = {"dlib": detect_dlib, "haar": detect_haar, "lbp": detect_lbp}


def _backends(method):
    """The backends to try in turn; with ``"auto"``, each is loaded only when the ones before it found no face."""
    if method != "auto":
        yield method
        return
    for name in ("dlib", "haar", "lbp"):
        if backend_available(name):
            yield name


def check_max_side(max_side):
    """Validate a detection ``max_side``: ``None`` or an integer of at least :data:`MIN_SIDE`.

    Examples
    --------
    >>> from facetruth.data import check_max_side
    >>> check_max_side(160), check_max_side(None)
    (160, None)
    >>> check_max_side(8)
    Traceback (most recent call last):
    ...
    ValueError: max_side must be at least 20 pixels; got 8.
    """
    if max_side is None:
        return None
    if isinstance(max_side, (bool, np.bool_)) or not isinstance(max_side, (int, np.integer)):
        raise ValueError(f"max_side must be None or an integer; got {max_side!r}.")
    if max_side < MIN_SIDE:
        raise ValueError(f"max_side must be at least {MIN_SIDE} pixels; got {max_side!r}.")
    return int(max_side)


def detection_shape(shape, max_side):
    """``(height, width)`` of the copy searched for faces: the long side at most ``max_side``.

    Examples
    --------
    >>> from facetruth.data._landmarks import detection_shape
    >>> detection_shape((300, 300), 160), detection_shape((480, 640), 320), detection_shape((90, 120), 160)
    ((160, 160), (240, 320), (90, 120))
    """
    height, width = shape[:2]
    if max_side is None or max(height, width) <= max_side:
        return height, width
    scale = max_side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def to_full_resolution(points, small_shape, shape):
    """Map ``(x, y)`` coordinates (or ``(x0, y0, x1, y1)`` boxes) from a resized copy back to the image.

    Each axis is scaled by its own factor (full size over copy size), so the
    copy's corners map exactly onto the image's corners.

    Parameters
    ----------
    points : array-like of shape (..., 2k)
        Interleaved ``x, y`` coordinates in the copy.
    small_shape, shape : tuple of int
        ``(height, width)`` of the copy and of the image.

    Returns
    -------
    points : ndarray of float64, the shape of ``points``

    Examples
    --------
    >>> from facetruth.data._landmarks import to_full_resolution
    >>> to_full_resolution([10, 20, 50, 60], (240, 320), (480, 640)).tolist()
    [20.0, 40.0, 100.0, 120.0]
    """
    points = np.asarray(points, dtype=np.float64)
    factors = np.array([shape[1] / small_shape[1], shape[0] / small_shape[0]])
    return points * np.resize(factors, points.shape[-1])


def detect_face(image, *, method="auto", upsample=0, max_side=DETECT_SIDE, landmarks=True):
    """Find the largest face in an image.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
        RGB image (a grey ``(height, width)`` image is accepted too).
    method : {"auto", "dlib", "haar", "lbp"}
        Backend. ``"auto"`` tries dlib's HOG detector, then OpenCV's Haar
        cascade (when the installed OpenCV ships it), then scikit-image's LBP
        cascade, and keeps the first that finds a face.
    upsample : int
        Times the image is doubled in size before detection, to find faces
        smaller than the detectors' 80 (dlib) or 24 (cascades) pixel windows.
    max_side : int or None, default=DETECT_SIDE
        Each detector searches a grey copy whose longest side is at most
        this many pixels (shrunk with ``cv2.INTER_AREA``); when it finds no
        face there and ``max_side`` is below :data:`DETECT_MAX_SIDE` (640),
        it searches again a copy of at most 640 pixels, so that faces too
        small for its window in the small copy are still found. Boxes and
        landmarks are mapped back to the image's coordinates
        (:func:`to_full_resolution`). ``None`` searches the full image once.
        The detectors' time grows with the pixel count.
    landmarks : bool, default=True
        Fit dlib's 68 landmarks to a face dlib found, on the copy of at most
        640 pixels (the full image when ``max_side`` is None) whatever the
        size searched, so that they keep their precision; this takes about
        as long as the search itself on a small copy, and the landmark model
        is loaded on first use. ``False`` leaves ``landmarks`` None.

    Returns
    -------
    detection : FaceDetection or None
        ``None`` when no face is found.

    Raises
    ------
    ValueError
        When ``image`` is not an image or ``method``, ``upsample`` or
        ``max_side`` is invalid.
    FaceTruthError
        When an explicitly requested backend is not installed.

    Examples
    --------
    >>> import numpy as np
    >>> from skimage.data import astronaut
    >>> from facetruth.data import detect_face
    >>> detect_face(astronaut(), method="haar", max_side=None).box
    (177, 66, 272, 161)
    >>> detect_face(np.zeros((64, 64, 3), np.uint8), method="haar") is None
    True
    """
    import cv2

    _check_method(method, DETECT_METHODS)
    if int(upsample) < 0:
        raise ValueError(f"upsample must be >= 0; got {upsample!r}.")
    max_side = check_max_side(max_side)
    image = check_images([image])[0]
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE:
        return None
    full = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    shapes = [detection_shape(full.shape, max_side)]
    if max_side is not None and max_side < DETECT_MAX_SIDE:
        shapes.append(detection_shape(full.shape, DETECT_MAX_SIDE))  # the second try
    # landmarks are fitted on the copy of at most 640 px (or the full image), whatever the search size
    fit_shape = (
        full.shape if max_side is None else detection_shape(full.shape, max(max_side, DETECT_MAX_SIDE))
    )
    greys = {full.shape: full}

    def grey_of(shape):
        if shape not in greys:
            greys[shape] = cv2.resize(full, shape[::-1], interpolation=cv2.INTER_AREA)
        return greys[shape]

    for name in _backends(method):
        for small in dict.fromkeys(shapes):
            boxes = _DETECTORS[name](grey_of(small), upsample)
            if len(boxes) == 0:
                continue
            points = None
            if name == "dlib" and landmarks:
                fit_box = np.rint(to_full_resolution(boxes[0], small, fit_shape)).astype(np.int64)
                fitted = dlib_landmarks(grey_of(fit_shape), fit_box)
                points = to_full_resolution(fitted, fit_shape, (height, width)).astype(np.float32)
            box = np.rint(to_full_resolution(boxes[0], small, (height, width))).astype(np.int64)
            box = np.clip(box, 0, [width, height, width, height])
            return FaceDetection(box=tuple(int(v) for v in box), landmarks=points, method=name)
    return None
