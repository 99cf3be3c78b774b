"""Canonical face crops: a similarity transform of five landmarks onto a template.

A canonical crop puts the eye centres, the nose tip and the mouth corners of
every face at the same pixels, whatever the pose, scale or resolution of the
photograph. Features computed on it compare like with like, and the facial
regions (:mod:`facetruth.features._region`) sit at fixed positions.

The template is where dlib's detector puts these points inside its own face
box: the left-right symmetric median over 138 frontal faces (eye centres at
29 % and 71 % of the box width and 30 % of its height, nose tip at 53 %,
mouth corners at 75 %). A canonical crop therefore frames the face as the
plain :func:`~facetruth.data.crop_face` crop of an upright, frontal face
does, widened by the same margin.
"""

import numpy as np

from ._landmarks import LEFT_EYE, RIGHT_EYE

#: (x, y) of the left eye, right eye, nose tip, left and right mouth corner in a
#: tight face square of side 1 (the face box of a margin-0 crop)
FACE_TEMPLATE = np.array(
    [
        [0.2870, 0.3030],
        [0.7130, 0.3030],
        [0.5000, 0.5274],
        [0.3070, 0.7546],
        [0.6930, 0.7546],
    ],
    dtype=np.float64,
)

_NOSE_TIP, _MOUTH_LEFT, _MOUTH_RIGHT = 30, 48, 54


def to_template_frame(points, size, margin):
    """Map points of the tight face square (side 1) into a crop of ``size`` pixels.

    Parameters
    ----------
    points : array-like of shape (n_points, 2)
        ``(x, y)`` in the tight face square, ``[0, 1]``.
    size : int
        Side of the crop in pixels.
    margin : float
        Context on each side as a fraction of the face square's side, as in
        :func:`~facetruth.data.crop_face`.

    Returns
    -------
    points : ndarray of shape (n_points, 2), float64
        Pixel coordinates in the crop.

    Examples
    --------
    >>> from facetruth.data import to_template_frame
    >>> to_template_frame([[0, 0], [0.5, 0.5], [1, 1]], 256, 0.3)
    array([[ 48.,  48.],
           [128., 128.],
           [208., 208.]])
    """
    points = np.asarray(points, dtype=np.float64)
    return (0.5 + (points - 0.5) / (1.0 + 2.0 * float(margin))) * float(size)


def five_points(landmarks):
    """Eye centres, nose tip and mouth corners from the 68 iBUG 300-W landmarks.

    Parameters
    ----------
    landmarks : array-like of shape (68, 2)

    Returns
    -------
    points : ndarray of shape (5, 2), float64
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.shape != (68, 2):
        raise ValueError(f"landmarks must have shape (68, 2); got {lm.shape}.")
    return np.stack(
        [lm[LEFT_EYE].mean(0), lm[RIGHT_EYE].mean(0), lm[_NOSE_TIP], lm[_MOUTH_LEFT], lm[_MOUTH_RIGHT]]
    )


def similarity_matrix(src, dst):
    """Least-squares similarity transform (rotation, uniform scale, shift) from ``src`` to ``dst``.

    Umeyama's closed form without reflection.

    Parameters
    ----------
    src, dst : ndarray of shape (n_points, 2)

    Returns
    -------
    matrix : ndarray of shape (2, 3), float64
        For ``cv2.warpAffine``: ``dst ≈ matrix[:, :2] @ src + matrix[:, 2]``.

    References
    ----------
    .. [1] S. Umeyama, "Least-squares estimation of transformation parameters
           between two point patterns", IEEE TPAMI 13(4), 1991.
    """
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    var = (s**2).sum() / len(src)
    if var <= 0:
        raise ValueError("the source points coincide; no similarity transform exists.")
    u, sig, vt = np.linalg.svd(d.T @ s / len(src))
    sign = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[-1] = -1.0
    rotation = u @ np.diag(sign) @ vt
    scale = (sig * sign).sum() / var
    shift = mu_d - scale * rotation @ mu_s
    return np.hstack([scale * rotation, shift[:, None]])


def canonical_crop(image, landmarks, *, size=256, margin=0.3):
    """Warp a face so that its five key points land on :data:`FACE_TEMPLATE`.

    Shrinking by more than half first resizes the image with area averaging,
    so the warp does not alias fine texture into the crop.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
        RGB image.
    landmarks : array-like of shape (68, 2)
        dlib's 68 landmarks in ``image`` pixel coordinates.
    size : int, default=256
        Side of the output crop.
    margin : float, default=0.3
        Context around the tight face square, as in :func:`crop_face`.

    Returns
    -------
    crop : ndarray of shape (size, size, 3), dtype uint8
    matrix : ndarray of shape (2, 3)
        The applied transform from ``image`` coordinates to crop coordinates.

    Examples
    --------
    Landmarks of a face 100 pixels wide, placed as in the template:

    >>> import numpy as np
    >>> from facetruth.data import FACE_TEMPLATE, canonical_crop
    >>> face = FACE_TEMPLATE * 100 + 50  # eyes, nose tip, mouth corners
    >>> landmarks = np.zeros((68, 2))
    >>> landmarks[36:42], landmarks[42:48] = face[0], face[1]
    >>> landmarks[30], landmarks[48], landmarks[54] = face[2], face[3], face[4]
    >>> crop, matrix = canonical_crop(np.zeros((200, 200, 3), np.uint8), landmarks, size=64)
    >>> crop.shape
    (64, 64, 3)
    >>> matrix.round(3) + 0.0  # scale 64 / (100 * 1.6), no rotation
    array([[ 0.4,  0. , -8. ],
           [ 0. ,  0.4, -8. ]])
    """
    import cv2

    src = five_points(landmarks)
    dst = to_template_frame(FACE_TEMPLATE, size, margin)
    matrix = similarity_matrix(src, dst)
    scale = float(np.hypot(*matrix[:, 0]))
    if scale < 0.5:
        height, width = image.shape[:2]
        new = (max(1, round(width * scale * 2)), max(1, round(height * scale * 2)))
        image = cv2.resize(image, new, interpolation=cv2.INTER_AREA)
        src = src * np.array([new[0] / width, new[1] / height])
        matrix = similarity_matrix(src, dst)
    crop = cv2.warpAffine(
        np.ascontiguousarray(image),
        matrix,
        (int(size), int(size)),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
    )
    return crop, similarity_matrix(five_points(landmarks), dst)


def transform_points(points, matrix):
    """Apply a ``(2, 3)`` affine matrix to ``(n, 2)`` points."""
    points = np.asarray(points, dtype=np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]
