"""Where a face crop lies in its image, and what fitting it there cost.

A crop that reaches outside the image must be filled with something, and any
filling is content the camera never saw: mirror padding in particular copies
the face into the frame, and frequency, noise and texture features read its
seams. :func:`crop_square` therefore keeps the square inside the image: it
slides the square inwards first, shrinks the margin next, and only when the
face itself is larger than the image leaves a part outside, which
:func:`cut_square` fills with black.

A detector should not be able to tell real from fake by the framing of the
photographs either: when one class fills the frame with the face and the
other shows head and shoulders, the face size, the resize factor of the crop
and the share of the crop that padding fills all give the label away. Each
crop records its geometry, and the shortcut audit
(:func:`facetruth.evaluation.audit_dataset`) reads these figures from the
loader's face boxes with :func:`crop_geometry`, which places the crop with
:func:`crop_square` too, so it follows the crop whenever the crop changes.
"""

import numbers

import numpy as np

__all__ = [
    "CROP_GEOMETRY",
    "CropSquare",
    "canonical_square",
    "crop_geometry",
    "crop_square",
    "cut_square",
]


class CropSquare(dict):
    """The square a crop is cut from, in source pixels, and how it was fitted.

    A ``dict`` (so it goes into JSON crop infos as it is) with the keys
    ``crop_box`` (``[x0, y0, x1, y1]``, may reach outside the image),
    ``face_side`` (the face box's longest side, 0 without a face),
    ``crop_side``, ``margin_used`` (context on each side as a fraction of
    ``face_side``) and ``padded_share`` (fraction of the square outside the
    image).

    Examples
    --------
    >>> from facetruth.data._crop_geometry import crop_square
    >>> square = crop_square((100, 200), (10, 10, 50, 50))
    >>> type(square).__name__, square["crop_box"], square["face_side"], square["padded_share"]
    ('CropSquare', [0, 0, 64, 64], 40, 0.0)
    """


def _place(centre, side, extent):
    """Start of a ``side``-long window centred on ``centre``, slid inside ``[0, extent)`` if it fits."""
    start = int(round(centre - side / 2))
    if side <= extent:
        return min(max(start, 0), extent - side)
    return int(round((extent - side) / 2))  # larger than the image: centred, both ends outside


def crop_square(shape, box=None, margin=0.3, *, side=None):
    """The crop square of a face box: inside the image whenever the face allows.

    The square's side is ``max(box_w, box_h) * (1 + 2 * margin)``, centred on
    the box. When it does not fit, it is first slid inwards; when it is
    larger than the image's short side, the margin is reduced until it
    fits; only a face larger than the image leaves part of the square
    outside.

    Parameters
    ----------
    shape : tuple of int
        ``(height, width, ...)`` of the image.
    box : sequence of 4 numbers or None
        Face box ``(x0, y0, x1, y1)``; ``None`` takes the centre square.
    margin : float, default=0.3
        Wanted context on each side, as a fraction of the box's longest side.
    side : int, default=None
        A fixed side in source pixels instead (native-resolution crops,
        which are never resampled); ``margin`` is then ignored.

    Returns
    -------
    square : CropSquare

    Examples
    --------
    >>> from facetruth.data._crop_geometry import crop_square
    >>> sq = crop_square((100, 200), (10, 10, 50, 50), margin=0.5)
    >>> sq["crop_box"], sq["margin_used"], sq["padded_share"]
    ([0, 0, 80, 80], 0.5, 0.0)
    >>> crop_square((100, 200), (0, 0, 90, 90), margin=0.5)["margin_used"]
    0.0556
    """
    height, width = int(shape[0]), int(shape[1])
    if box is None:
        side = max(1, min(height, width)) if side is None else int(side)
        x0, y0 = _place(width / 2, side, width), _place(height / 2, side, height)
        face_side, used = 0, 0.0
    else:
        bx0, by0, bx1, by1 = (float(v) for v in box)
        face_side = max(1, int(round(max(bx1 - bx0, by1 - by0))))
        if side is None:
            side = max(1, int(round(face_side * (1 + 2 * float(margin)))))
            side = max(face_side, min(side, min(height, width)))
        side = int(side)
        used = max(0.0, (side / face_side - 1) / 2)
        x0 = _place((bx0 + bx1) / 2, side, width)
        y0 = _place((by0 + by1) / 2, side, height)
    inside_w = max(0, min(x0 + side, width) - max(x0, 0))
    inside_h = max(0, min(y0 + side, height) - max(y0, 0))
    return CropSquare(
        crop_box=[x0, y0, x0 + side, y0 + side],
        face_side=int(face_side),
        crop_side=int(side),
        margin_used=round(float(used), 4),
        padded_share=round(1.0 - inside_w * inside_h / float(side * side), 4),
    )


def cut_square(image, square):
    """Cut a :func:`crop_square` square out of an image, black where it leaves the image.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
    square : CropSquare or dict
        With ``crop_box`` ``[x0, y0, x1, y1]``.

    Returns
    -------
    crop : ndarray of shape (side, side, 3), dtype uint8

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.data._crop_geometry import crop_square, cut_square
    >>> image = np.full((40, 60, 3), 200, np.uint8)
    >>> cut_square(image, crop_square(image.shape, (10, 5, 30, 25), margin=0.25)).shape
    (30, 30, 3)
    """
    height, width = image.shape[:2]
    x0, y0, x1, y1 = (int(v) for v in square["crop_box"])
    if x0 >= 0 and y0 >= 0 and x1 <= width and y1 <= height:
        return image[y0:y1, x0:x1]
    out = np.zeros((y1 - y0, x1 - x0, *image.shape[2:]), dtype=image.dtype)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = image[sy0:sy1, sx0:sx1]
    return out


def canonical_square(shape, matrix, size, face_side, margin):
    """Geometry of a canonical (warped) crop, in the keys of :func:`crop_square`.

    Parameters
    ----------
    shape : tuple of int
        ``(height, width, ...)`` of the source image.
    matrix : ndarray of shape (2, 3)
        The similarity transform from source to crop coordinates.
    size : int
        Side of the crop.
    face_side : int
        The face box's longest side in source pixels.
    margin : float
        The template's margin.

    Returns
    -------
    square : CropSquare
        ``crop_box`` is ``None`` (the square is not axis-aligned in the
        source), ``crop_side`` is its side in source pixels and
        ``padded_share`` the share of an 8 x 8 grid of crop points that maps
        outside the image.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.data._crop_geometry import canonical_square
    >>> half = np.array([[0.5, 0.0, 0.0], [0.0, 0.5, 0.0]])
    >>> sq = canonical_square((100, 100), half, 64, 40, 0.3)
    >>> sq["crop_side"], sq["padded_share"]
    (128, 0.4375)
    """
    import cv2

    scale = float(np.hypot(*matrix[:, 0]))
    inverse = cv2.invertAffineTransform(matrix)
    grid = (np.arange(8) + 0.5) * (size / 8.0)
    xs, ys = np.meshgrid(grid, grid)
    points = np.stack([xs.ravel(), ys.ravel()], axis=1) @ inverse[:, :2].T + inverse[:, 2]
    height, width = shape[:2]
    inside = (points[:, 0] >= 0) & (points[:, 0] < width) & (points[:, 1] >= 0) & (points[:, 1] < height)
    return CropSquare(
        crop_box=None,
        face_side=int(face_side),
        crop_side=int(round(size / scale)),
        margin_used=round(float(margin), 4),
        padded_share=round(1.0 - float(inside.mean()), 4),
    )


CROP_GEOMETRY = ("face_area_share", "face_side_share", "resize_factor", "margin_used", "padded_share")
"""Keys of :func:`crop_geometry`, in order."""


def _check_shape(image_shape):
    try:
        height, width = (int(v) for v in tuple(image_shape)[:2])
    except (TypeError, ValueError):
        raise ValueError(f"image_shape must be (height, width, ...); got {image_shape!r}.") from None
    if len(tuple(image_shape)) < 2 or height < 1 or width < 1:
        raise ValueError(f"image_shape must hold a positive height and width; got {image_shape!r}.")
    return height, width


def _check_box(box):
    if box is None:
        return None
    values = np.asarray(box, dtype=np.float64).reshape(-1) if np.ndim(box) else np.empty(0)
    if values.shape != (4,) or not np.all(np.isfinite(values)):
        raise ValueError(f"box must be None or (x0, y0, x1, y1); got {box!r}.")
    x0, y0, x1, y1 = values
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"box must have x1 > x0 and y1 > y0; got {box!r}.")
    return values


def crop_geometry(image_shape, box, *, image_size, margin=0.3, native=False):
    """Face size relative to the image, and the geometry of its square crop.

    The crop square is placed by :func:`crop_square`, the
    function :func:`~facetruth.data.crop_face` cuts with, so the figures
    describe the crops the features see.

    Parameters
    ----------
    image_shape : tuple of int
        ``(height, width, ...)`` of the decoded image (after the EXIF
        orientation, in the frame of ``box``).
    box : sequence of 4 numbers or None
        The face box ``(x0, y0, x1, y1)`` of the loader's ``infos``; ``None``
        when no face was found (the centre square is cropped).
    image_size : int
        Side of the crops, in pixels (the loader's ``image_size``).
    margin : float, default=0.3
        Wanted context on each side of the face, as a fraction of its longest
        side; the default of :func:`~facetruth.data.crop_face` and
        :class:`~facetruth.pipelines.ImageLoader`.
    native : bool, default=False
        The loader's ``native`` option: ``image_size`` source pixels are cut,
        never resampled (``margin`` is then ignored).

    Returns
    -------
    geometry : dict of str to float
        With the keys of :data:`CROP_GEOMETRY`:

        - ``face_area_share``: area of the box (clipped to the image) over the
          image's area; 0 without a face;
        - ``face_side_share``: the box's longest side over the image's short
          side; 0 without a face;
        - ``resize_factor``: the crop's side in source pixels over
          ``image_size`` (above 1: the crop was shrunk);
        - ``margin_used``: the context actually kept on each side of the face,
          as a fraction of its longest side (less than ``margin`` where the
          face is large in its image; 0 without a face);
        - ``padded_share``: the fraction of the crop lying outside the image,
          which padding fills.

        A canonical (warped) crop is described by its axis-aligned square.

    Raises
    ------
    ValueError
        When ``image_shape``, ``box``, ``image_size`` or ``margin`` is invalid.

    Examples
    --------
    >>> from facetruth.data import crop_geometry
    >>> geometry = crop_geometry((200, 400), (100, 50, 200, 150), image_size=64, margin=0.25)
    >>> geometry["face_area_share"], geometry["face_side_share"], geometry["resize_factor"]
    (0.125, 0.5, 2.34375)
    >>> geometry["margin_used"], geometry["padded_share"]
    (0.25, 0.0)
    >>> crop_geometry((200, 400), None, image_size=64)["resize_factor"]  # centre square
    3.125
    """
    height, width = _check_shape(image_shape)
    box = _check_box(box)
    if isinstance(image_size, bool) or not isinstance(image_size, numbers.Integral) or image_size < 1:
        raise ValueError(f"image_size must be a positive integer; got {image_size!r}.")
    if (
        isinstance(margin, bool)
        or not isinstance(margin, numbers.Real)
        or not np.isfinite(margin)
        or margin < 0
    ):
        raise ValueError(f"margin must be a finite number >= 0; got {margin!r}.")
    if not isinstance(native, (bool, np.bool_)):
        raise ValueError(f"native must be True or False; got {native!r}.")
    side = int(image_size) if native else None
    square = crop_square((height, width), None if box is None else box.tolist(), float(margin), side=side)
    if box is None:
        area_share = side_share = 0.0
    else:
        x0, y0, x1, y1 = box
        inside_w = max(0.0, min(x1, width) - max(x0, 0.0))
        inside_h = max(0.0, min(y1, height) - max(y0, 0.0))
        area_share = inside_w * inside_h / float(height * width)
        side_share = max(x1 - x0, y1 - y0) / float(min(height, width))
    return {
        "face_area_share": float(area_share),
        "face_side_share": float(side_share),
        "resize_factor": square["crop_side"] / float(image_size),
        "margin_used": float(square["margin_used"]),
        "padded_share": float(square["padded_share"]),
    }
