"""How large the face is in its image, and what cropping it to a fixed size did.

A detector should not be able to tell real from fake by the framing of the
photographs: when one class fills the frame with the face and the other shows
head and shoulders, the face size, the resize factor of the crop and the
share of the crop that padding fills all give the label away. The shortcut
audit (:func:`facetruth.evaluation.audit_dataset`) reads these figures from
the loader's face boxes with :func:`crop_geometry`, which places the crop with
the cropper's own :func:`~facetruth.data.crop_square`, so it follows the crop
whenever the crop changes.
"""

import numbers

import numpy as np

from ._crop_geometry import crop_square

__all__ = ["CROP_GEOMETRY", "crop_geometry"]

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

    The crop square is placed by :func:`~facetruth.data.crop_square`, the
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
