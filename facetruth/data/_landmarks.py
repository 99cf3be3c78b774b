"""Find the largest face in an image, on a downscaled grey copy, and the geometry of its landmarks.

:func:`detect_face` runs the backends of :mod:`._detectors` (dlib, then the
Haar cascade; or a chain of the caller's) on a grey copy whose longest side is at most
``max_side`` pixels (:func:`detection_shape`), searches again at
:data:`DETECT_MAX_SIDE` when that finds nothing, and maps boxes and
landmarks back to the image (:func:`to_full_resolution`). :func:`eye_angle`
measures the tilt of the eyes of the 68 iBUG 300-W landmarks.
"""

import dataclasses
import math

import numpy as np

from .._validation import check_images
from ._detectors import backend_available, detect_dlib, detect_haar, detect_lbp, dlib_landmarks

#: indices of the eye contours in the 68-point (iBUG 300-W) landmark scheme
LEFT_EYE = slice(36, 42)
RIGHT_EYE = slice(42, 48)


def eye_angle(landmarks):
    """Angle in degrees of the line from the left-eye centre to the right-eye centre.

    Image coordinates (``y`` down): a positive angle means the right eye (in
    the image) is lower than the left one.
    """
    left = landmarks[LEFT_EYE].mean(axis=0)
    right = landmarks[RIGHT_EYE].mean(axis=0)
    return math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))


#: detection runs on a grey copy whose longest side is at most this; a search on a smaller
#: copy that finds no face is tried again at this size
DETECT_MAX_SIDE = 640
#: default longest side of the copy searched first (see ``benchmarks/bench_faces.py``)
DETECT_SIDE = 160
#: images smaller than this (either side) hold no detectable face
MIN_SIDE = 20
DETECT_METHODS = ("auto", "dlib", "haar", "lbp")
#: the backends ``method="auto"`` tries in turn; scikit-image's LBP cascade is left out: on the
#: shared sets it found 13 faces that dlib and the Haar cascade missed, 7 of them false alarms
#: (see ``benchmarks/bench_faces.py``), at some 70 ms per image it ran on
AUTO_CHAIN = ("dlib", "haar")


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


def is_chain(names):
    """Whether ``names`` is a chain of backends: a non-empty tuple (or list) of distinct backend names.

    Examples
    --------
    >>> from facetruth.data import is_chain
    >>> is_chain(("dlib", "haar")), is_chain(("dlib", "dlib")), is_chain(()), is_chain("dlib")
    (True, False, False, False)
    """
    if not isinstance(names, (tuple, list)) or not names:
        return False
    return all(isinstance(n, str) and n in _DETECTORS for n in names) and len(set(names)) == len(names)


def _check_method(method, allowed):
    """Validate a detector ``method``: one of ``allowed``, or a chain of backends tried in turn."""
    if is_chain(method):
        return tuple(method)
    if isinstance(method, str) and method in allowed:
        return method
    raise ValueError(
        f"method must be one of {allowed} or a tuple of distinct backends from "
        f"{tuple(_DETECTORS)}; got {method!r}."
    )


_DETECTORS = {"dlib": detect_dlib, "haar": detect_haar, "lbp": detect_lbp}


def _backends(method):
    """The backends to try in turn: one named backend, or those of a chain (``"auto"`` or a tuple).

    A chain skips the backends not installed here; each is loaded only when
    the ones before it found no face.
    """
    if isinstance(method, str) and method != "auto":
        yield method
        return
    for name in AUTO_CHAIN if method == "auto" else method:
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
    method : {"auto", "dlib", "haar", "lbp"} or tuple of str
        Backend. ``"auto"`` tries dlib's HOG detector, then OpenCV's Haar
        cascade (when the installed OpenCV ships it), and keeps the first that
        finds a face (:data:`AUTO_CHAIN`). A tuple of backends, such as
        ``("dlib", "haar", "lbp")``, tries them in that order, skipping those
        not installed here. scikit-image's LBP cascade is not part of
        ``"auto"``: on the shared sets most of the faces only it found were
        false alarms, and it is slow.
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

    method = _check_method(method, DETECT_METHODS)
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
