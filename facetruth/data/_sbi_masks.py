"""Soft blending masks for self-blended images, from 68 face landmarks or canonical positions.

Two kinds of mask are drawn (see :func:`facetruth.data.self_blend`):

hull
    The convex hull of the 68 iBUG 300-W landmarks, as in Shiohara &
    Yamasaki (CVPR 2022): randomly eroded or dilated by up to
    :data:`MAX_HULL_GROW` of the face scale, softened with a Gaussian, and
    scaled by a blend ratio from :data:`BLEND_RATIOS`.
region
    One or more of left eye, right eye, nose and mouth, each the hull of its
    landmarks dilated by 8-30 % of the distance between the eye centres,
    then softened and scaled the same way: the face-part composites that
    hand-made forgeries paste in.

Softening keeps the mask at exactly 0 outside the (eroded or dilated)
binary region: the region is shrunk by two standard deviations, blurred, and
cut back to the region, so the weight falls to about 0.02 at its border.
When no landmarks are known, a centred ellipse stands for the hull and
canonical part positions for the regions; both are the mean positions of
dlib's landmarks on ``crop_face`` crops (30 % margin) of real faces.
"""

import logging

import cv2
import numpy as np

from ..exceptions import FaceTruthError
from ._landmarks import LEFT_EYE, RIGHT_EYE, detect_face

logger = logging.getLogger(__name__)

MASK_KINDS = ("auto", "hull", "region")
#: landmark indices of each face part in the 68-point scheme (image left/right)
PARTS = {
    "left_eye": np.arange(68)[LEFT_EYE],
    "right_eye": np.arange(68)[RIGHT_EYE],
    "nose": np.arange(27, 36),
    "mouth": np.arange(48, 68),
}
#: fallback part ellipses: centre (x, y) and semi-axes, as fractions of the crop's width and height
CANONICAL_PARTS = {
    "left_eye": ((0.36, 0.39), (0.055, 0.02)),
    "right_eye": ((0.63, 0.38), (0.055, 0.02)),
    "nose": ((0.50, 0.52), (0.06, 0.105)),
    "mouth": ((0.50, 0.68), (0.115, 0.05)),
}
#: fallback face ellipse: centre and semi-axes as fractions of the crop's width and height
CANONICAL_FACE = ((0.50, 0.575), (0.29, 0.30))
#: blend ratios drawn for each mask (1 twice as likely as each of the others)
BLEND_RATIOS = (0.25, 0.5, 0.75, 1.0, 1.0, 1.0)
#: largest erosion or dilation of the hull, as a fraction of the square root of its area
MAX_HULL_GROW = 0.08
#: range of the dilation of each part, as a fraction of the distance between the eye centres
PART_GROW = (0.08, 0.30)


def check_landmarks(landmarks):
    """Return ``landmarks`` as a float64 (68, 2) array; raise ``ValueError`` otherwise."""
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (68, 2) or not np.all(np.isfinite(points)):
        raise ValueError(f"landmarks must be a finite (68, 2) array of (x, y); got shape {points.shape}.")
    return points


def face_landmarks(image):
    """The 68 dlib landmarks of the largest face in ``image``, or ``None`` when none is found.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8

    Returns
    -------
    landmarks : ndarray of shape (68, 2), dtype float64, or None
        ``None`` also when dlib is not installed.
    """
    try:
        found = detect_face(image, method="dlib")
        if found is None and max(image.shape[:2]) < 400:
            found = detect_face(image, method="dlib", upsample=1)
    except (FaceTruthError, ImportError) as exc:
        logger.debug("no landmarks: %s", exc)
        return None
    if found is None or found.landmarks is None:
        return None
    return found.landmarks.astype(np.float64)


def _kernel(radius):
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _ellipse(shape, centre, axes):
    height, width = shape
    binary = np.zeros(shape, np.uint8)
    centre = (int(round(centre[0] * width)), int(round(centre[1] * height)))
    axes = (max(1, int(round(axes[0] * width))), max(1, int(round(axes[1] * height))))
    return cv2.ellipse(binary, centre, axes, 0, 0, 360, 1, thickness=-1)


def _hull(shape, points):
    binary = np.zeros(shape, np.uint8)
    hull = cv2.convexHull(np.rint(points).astype(np.int32))
    return cv2.fillConvexPoly(binary, hull, 1)


def soften(binary, sigma):
    """A soft mask in ``[0, 1]``: ``binary`` shrunk by ``2 * sigma``, blurred, and cut back to ``binary``.

    Parameters
    ----------
    binary : ndarray of shape (height, width), dtype uint8
        0/1 region.
    sigma : float
        Standard deviation of the Gaussian, in pixels.

    Returns
    -------
    mask : ndarray of shape (height, width), dtype float32
        0 wherever ``binary`` is 0; its maximum is 1 unless ``binary`` is empty.
    """
    if not binary.any():
        return np.zeros(binary.shape, np.float32)
    sigma = max(0.5, float(sigma))
    inner = cv2.erode(binary, _kernel(int(round(2 * sigma))))
    if not inner.any():
        inner = binary
    soft = cv2.GaussianBlur(inner.astype(np.float32), (0, 0), sigmaX=sigma)
    soft[binary == 0] = 0
    top = soft.max()
    return np.clip(soft / top, 0, 1).astype(np.float32) if top > 0 else soft


def hull_mask(shape, landmarks, rng):
    """Soft mask of the face hull, randomly eroded or dilated, blurred and scaled by a blend ratio.

    Parameters
    ----------
    shape : tuple of int
        ``(height, width)``.
    landmarks : ndarray of shape (68, 2) or None
        ``None`` uses the canonical face ellipse.
    rng : numpy.random.Generator

    Returns
    -------
    mask : ndarray of shape (height, width), dtype float32
        In ``[0, 1]``; 0 outside the hull dilated by ``MAX_HULL_GROW * sqrt(hull area)``.
    """
    binary = _ellipse(shape, *CANONICAL_FACE) if landmarks is None else _hull(shape, landmarks)
    scale = float(np.sqrt(max(1, int(binary.sum()))))
    radius = int(rng.uniform(0, MAX_HULL_GROW) * scale)
    if radius > 0:
        morphed = (cv2.dilate if rng.random() < 0.5 else cv2.erode)(binary, _kernel(radius))
        binary = morphed if morphed.any() else binary
    mask = soften(binary, rng.uniform(0.02, 0.06) * scale)
    return mask * np.float32(rng.choice(BLEND_RATIOS))


def choose_parts(rng):
    """A random non-empty subset of :data:`PARTS` (each part with probability 0.5)."""
    names = [name for name in PARTS if rng.random() < 0.5]
    return names or [list(PARTS)[int(rng.integers(len(PARTS)))]]


def region_mask(shape, landmarks, rng, parts=None):
    """Soft mask of one or more face parts, each dilated at random, blurred and scaled by a blend ratio.

    Parameters
    ----------
    shape : tuple of int
        ``(height, width)``.
    landmarks : ndarray of shape (68, 2) or None
        ``None`` uses the canonical part ellipses.
    rng : numpy.random.Generator
    parts : sequence of str, optional
        Names from :data:`PARTS`; drawn with :func:`choose_parts` when omitted.

    Returns
    -------
    mask : ndarray of shape (height, width), dtype float32
        In ``[0, 1]``, positive on the chosen parts' landmarks and 0 farther
        than ``PART_GROW[1]`` times the eye distance (plus one pixel) from them.
    """
    parts = choose_parts(rng) if parts is None else list(parts)
    unknown = sorted(set(parts) - set(PARTS))
    if unknown or not parts:
        raise ValueError(f"parts must be a non-empty subset of {list(PARTS)}; got {parts!r}.")
    height, width = shape
    if landmarks is None:
        eye_distance = (CANONICAL_PARTS["right_eye"][0][0] - CANONICAL_PARTS["left_eye"][0][0]) * width
    else:
        centres = [landmarks[PARTS[name]].mean(axis=0) for name in ("left_eye", "right_eye")]
        eye_distance = float(np.hypot(*(centres[1] - centres[0])))
    eye_distance = max(eye_distance, 4.0)
    binary = np.zeros(shape, np.uint8)
    grows = []
    for name in parts:
        if landmarks is None:
            part = _ellipse(shape, *CANONICAL_PARTS[name])
        else:
            part = _hull(shape, landmarks[PARTS[name]])
        grows.append(max(1, int(rng.uniform(*PART_GROW) * eye_distance)))
        binary |= cv2.dilate(part, _kernel(grows[-1]))
    mask = soften(binary, rng.uniform(0.2, 0.45) * min(grows))
    return mask * np.float32(rng.choice(BLEND_RATIOS))
