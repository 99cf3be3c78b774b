"""Square face crops of one image: :func:`crop_face`, the checks of its parameters and its version.

:func:`crop_face` finds the largest face with :func:`._landmarks.detect_face`
and cuts a square around it (or the centre square when no face is found),
optionally aligned on the eyes or on the canonical template. It is the one
crop of FaceTruth: :class:`facetruth.pipelines.ImageLoader`, the first step
of every pipeline, maps it over a batch and keeps its crops in an on-disk
cache whose keys hold :data:`CROP_VERSION`.
"""

import numpy as np

from .._validation import check_images
from . import _landmarks
from ._canonical import canonical_crop
from ._crop_geometry import canonical_square, crop_square, cut_square
from ._landmarks import DETECT_METHODS, DETECT_SIDE, _check_method, check_max_side, detect_face

CROP_METHODS = (*DETECT_METHODS, "off")
#: version of :func:`crop_face`'s output, part of the key of every cached crop: bump it when the
#: crops change for the same parameters, so that cached crops of an older version are not reused
#: (3: the square stays inside the image, no mirror padding). Changes that came with a parameter
#: (``detect_max_side``; the fallback chain of ``method="auto"``) changed the keys through it.
CROP_VERSION = 3
#: accepted ``align`` values and the alignment each one means
ALIGN_MODES = {False: False, True: "eyes", "eyes": "eyes", "canonical": "canonical", "none": False}


def _as_image(image):
    return check_images([image])[0]


def _resize(square, size):
    import cv2

    if square.shape[0] == size:
        return np.ascontiguousarray(square)
    interpolation = cv2.INTER_AREA if square.shape[0] > size else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(square), (size, size), interpolation=interpolation)


def check_align(align):
    """The alignment an ``align`` value means (``False``, ``"eyes"`` or ``"canonical"``).

    Raises
    ------
    ValueError
        When ``align`` is not a key of :data:`ALIGN_MODES`.

    Examples
    --------
    >>> from facetruth.data import check_align
    >>> check_align(False), check_align(True), check_align("canonical")
    (False, 'eyes', 'canonical')
    >>> check_align("mirror")
    Traceback (most recent call last):
    ...
    ValueError: align must be one of [...]; got 'mirror'.
    """
    if not isinstance(align, (bool, str)) or align not in ALIGN_MODES:
        raise ValueError(f"align must be one of {list(ALIGN_MODES)}; got {align!r}.")
    return ALIGN_MODES[align]


def check_crop_params(
    size, margin, method, pad="black", align=False, native=False, detect_max_side=DETECT_SIDE
):
    """Validate :func:`crop_face` parameters; raise ``ValueError`` on bad ones."""
    _check_method(method, CROP_METHODS)  # a tuple of backends is a chain (see detect_face)
    try:
        check_max_side(detect_max_side)
    except ValueError as exc:
        raise ValueError(str(exc).replace("max_side", "detect_max_side", 1)) from None
    check_align(align)
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive integer; got {size!r}.")
    if not np.isscalar(margin) or not np.isfinite(margin) or margin < 0:
        raise ValueError(f"margin must be a finite number >= 0; got {margin!r}.")
    if pad != "black":
        raise ValueError(
            f"pad must be 'black'; got {pad!r} (mirror padding was removed: it copies the face into "
            "the crop, and the features read its seams)."
        )
    if not isinstance(native, (bool, np.bool_)):
        raise ValueError(f"native must be True or False; got {native!r}.")


def crop_face(
    image,
    *,
    size=256,
    margin=0.3,
    method="auto",
    align=False,
    pad="black",
    native=False,
    upsample=0,
    detect_max_side=DETECT_SIDE,
):
    """Square crop around the largest face, resized to ``size`` x ``size``.

    The square stays inside the image whenever the face allows: it is slid
    inwards first and its margin shrunk next (:func:`crop_square`); only a
    face larger than the image leaves a part outside, filled with black.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
        RGB image (a grey ``(height, width)`` image is accepted too).
    size : int
        Side of the output crop in pixels.
    margin : float
        Extra context on each side, as a fraction of the face box's longest
        side: the square's side is ``max(box_w, box_h) * (1 + 2 * margin)``.
    method : {"auto", "dlib", "haar", "lbp", "off"} or tuple of str
        Detector, or a chain of them (see :func:`detect_face`); ``"off"`` skips detection and
        takes the centre square. When no face is found, the centre square is
        taken too and ``info["method"]`` is ``"centre"``.
    align : {False, True, "eyes", "canonical"}
        ``True`` or ``"eyes"`` rotates the image about the face centre so
        that the eyes lie on a horizontal line. ``"canonical"`` warps the
        face with a similarity transform that puts the eye centres, nose
        tip and mouth corners on a fixed template
        (:func:`~facetruth.data.canonical_crop`), so every crop has the same
        geometry. Both need dlib landmarks; without them the plain crop is
        taken and ``info["aligned"]`` is ``False``. Landmarks are fitted
        (and reported in ``info``) only for an aligned crop.
    pad : {"black"}
        How the square is filled where it cannot stay inside the image
        (mirror padding was removed: it adds a reflected face to the crop).
    native : bool, default=False
        Cut ``size`` x ``size`` source pixels around the face centre instead,
        never resampled (for the forensic families: no resize factor differs
        between images). ``margin`` and ``align`` are then ignored.
    upsample : int
        Passed to :func:`detect_face`.
    detect_max_side : int or None, default=DETECT_SIDE
        ``max_side`` of :func:`detect_face`: the face is searched on a copy
        whose longest side is at most this (then at 640 pixels when none is
        found there); the crop is cut from the full-resolution image.

    Returns
    -------
    crop : ndarray of shape (size, size, 3), dtype uint8
        RGB crop; shrunk with ``cv2.INTER_AREA``, enlarged with ``cv2.INTER_LINEAR``.
    info : dict
        ``{"box": [x0, y0, x1, y1] or None, "method": "dlib" | "haar" | "lbp" |
        "centre" | "off", "landmarks": list of [x, y] (aligned crops) or None, "face_found": bool,
        "aligned": False | "eyes" | "canonical"}``, in the coordinates of the
        input image, and the crop's geometry: ``crop_box``, ``face_side``,
        ``crop_side``, ``margin_used``, ``padded_share`` (see
        :func:`crop_square`) and ``resize_factor`` (source pixels per crop
        pixel). Canonical crops are not axis-aligned: their ``crop_box`` is
        ``None`` and ``crop_side`` is the template square's side in source pixels.

    Raises
    ------
    ValueError
        When ``image`` is not an image or a parameter is invalid.

    Examples
    --------
    The astronaut photograph of scikit-image holds one face:

    >>> from skimage.data import astronaut
    >>> from facetruth.data import crop_face
    >>> crop, info = crop_face(astronaut(), size=128, method="haar")
    >>> crop.shape, info["face_found"], info["method"]
    ((128, 128, 3), True, 'haar')

    Searched at full resolution, the face box is the detector's own:

    >>> crop, info = crop_face(astronaut(), size=128, method="haar", detect_max_side=None)
    >>> info["box"], info["margin_used"]
    ([177, 66, 272, 161], 0.3)

    Without detection (``method="off"``) the crop is the centre square:

    >>> import numpy as np
    >>> crop, info = crop_face(np.zeros((50, 80, 3), np.uint8), size=32, method="off")
    >>> crop.shape, info["face_found"], info["crop_box"]
    ((32, 32, 3), False, [15, 0, 65, 50])
    """
    check_crop_params(size, margin, method, pad, align, native, detect_max_side)
    image = _as_image(image)
    height, width = image.shape[:2]
    found = None
    if method != "off":  # landmarks only where the crop is aligned on them
        wanted = bool(ALIGN_MODES[align]) and not native
        found = detect_face(
            image, method=method, upsample=upsample, max_side=detect_max_side, landmarks=wanted
        )
    fixed = int(size) if native else None
    if found is None:
        square = crop_square(image.shape, None, margin, side=fixed)
        info = {"box": None, "method": method if method == "off" else "centre", "landmarks": None}
        crop = _resize(cut_square(image, square), size)
        return crop, {**info, "face_found": False, "aligned": False, **_geometry(square, size)}
    aligned = ALIGN_MODES[align] if found.landmarks is not None and not native else False
    square = crop_square(image.shape, found.box, margin, side=fixed)
    if aligned == "canonical":
        crop, matrix = canonical_crop(image, found.landmarks, size=size, margin=margin)
        square = canonical_square(image.shape, matrix, size, square["face_side"], margin)
    else:
        if aligned == "eyes":
            import cv2

            x0, y0, x1, y1 = found.box
            centre = ((x0 + x1) / 2, (y0 + y1) / 2)
            rotation = cv2.getRotationMatrix2D(centre, _landmarks.eye_angle(found.landmarks), 1.0)
            image = cv2.warpAffine(image, rotation, (width, height), borderMode=cv2.BORDER_CONSTANT)
        crop = _resize(cut_square(image, square), size)
    landmarks = None if found.landmarks is None else found.landmarks.tolist()
    info = {"box": list(found.box), "method": found.method, "landmarks": landmarks, "face_found": True}
    return crop, {**info, "aligned": aligned, **_geometry(square, size)}


def _geometry(square, size):
    return {**square, "resize_factor": round(square["crop_side"] / float(size), 4)}
