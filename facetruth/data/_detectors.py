"""Face detection backends: dlib's HOG detector with 68 landmarks, and cascade fallbacks.

Every model is loaded lazily on the first detection; importing this module
loads nothing. The landmark model is shared by the process; the detectors
(dlib's HOG scanner, OpenCV's and scikit-image's cascades) keep scratch state
and are not safe to call from two threads at once, so each thread gets its
own (the web server runs requests in threads). Each backend takes
a ``(height, width)`` uint8 grey image and returns candidate boxes
``(x0, y0, x1, y1)`` in that image's coordinates, largest first;
:func:`._landmarks.detect_face` runs them on one RGB image and returns the
largest face.

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

import functools
import importlib.util
import logging
import threading
from pathlib import Path

import numpy as np

from ..exceptions import FaceTruthError

logger = logging.getLogger(__name__)

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
