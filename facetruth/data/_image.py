"""Decoding one still image into a ``(height, width, 3) uint8`` RGB array.

Every failure is reported as :class:`~facetruth.exceptions.ImageDecodeError`
whose message names the file (or ``<bytes>``) and the reason, so that a batch
job can skip a bad file and say why.  :func:`read_video_frames` (defined in
:mod:`facetruth.data._video`) is re-exported here.
"""

import io
import logging
import os
import stat
import warnings

import numpy as np

from ..exceptions import ImageDecodeError
from ._video import read_video_frames

__all__ = ["IMAGE_EXTENSIONS", "VIDEO_EXTENSIONS", "read_image", "read_video_frames"]

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"})
"""Lower-case file suffixes read as still images."""

VIDEO_EXTENSIONS = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm"})
"""Lower-case file suffixes read as videos."""

DECODED_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "TIFF", "WEBP")
"""Pillow formats :func:`read_image` decodes; any other content is refused unread.

Pillow knows many more formats, some of which hand the file to outside
programs (EPS to Ghostscript); a forensic tool fed untrusted files opens only
the formats it needs. MPO (multi-picture JPEG) opens as JPEG.
"""

_BACKGROUNDS = {"white": (255, 255, 255, 255), "black": (0, 0, 0, 255)}
_ALPHA_MODES = {"RGBA", "RGBa", "LA", "La", "PA"}
_SIXTEEN_BIT = {"I;16", "I;16L", "I;16B", "I;16N"}


def read_image(source, *, max_pixels=64_000_000, background="white"):
    """Decode an image file or buffer into an RGB array.

    Only the :data:`DECODED_FORMATS` (JPEG, PNG, GIF, BMP, TIFF, WebP) are
    recognised, from the content and never from the file name. The EXIF
    orientation tag is applied, the first frame of a multi-frame file (GIF,
    TIFF, WebP) is used, and every Pillow mode is converted to 8-bit RGB:

    - ``1``, ``L``, ``P``, ``CMYK``, ``YCbCr``, ``LAB``, ``HSV``: Pillow's
      conversion to RGB;
    - ``RGBA``, ``LA``, ``PA`` and ``P`` with a transparent colour: alpha
      composited on ``background``;
    - 16-bit grey (``I;16*``): the high byte (``value >> 8``);
    - 32-bit integer ``I`` and float ``F``: min-max scaled to 0..255 per image
      (a constant image is clipped to 0..255 instead).

    Parameters
    ----------
    source : str, os.PathLike, bytes, bytearray, memoryview or binary file object
        The path of the image, its encoded bytes, or an open binary file.
    max_pixels : int or None, default=64_000_000
        Largest accepted ``width * height``, checked from the header before
        any pixel data is decoded (decompression-bomb guard). ``None`` leaves
        the limit to Pillow's ``Image.MAX_IMAGE_PIXELS``.
    background : {"white", "black"}, default="white"
        Colour that transparent pixels are composited on.

    Returns
    -------
    image : ndarray of shape (height, width, 3), dtype uint8
        C-contiguous RGB pixels.

    Raises
    ------
    ImageDecodeError
        When the file is missing, a directory, unreadable, empty, not an image,
        truncated or corrupt, larger than ``max_pixels`` or of zero size.
    ValueError
        When ``background`` or ``max_pixels`` is invalid.

    Examples
    --------
    >>> import cv2
    >>> import numpy as np
    >>> from facetruth.data import read_image
    >>> ok, png = cv2.imencode(".png", np.zeros((4, 6, 3), np.uint8))
    >>> read_image(png.tobytes()).shape
    (4, 6, 3)
    >>> read_image(b"not an image")
    Traceback (most recent call last):
    ...
    facetruth.exceptions.ImageDecodeError: <bytes>: not an image of a supported format (...)
    """
    if background not in _BACKGROUNDS:
        raise ValueError(f"background must be 'white' or 'black', got {background!r}.")
    if max_pixels is not None and (isinstance(max_pixels, bool) or int(max_pixels) < 1):
        raise ValueError(f"max_pixels must be a positive integer or None, got {max_pixels!r}.")
    name = _describe(source)
    try:
        with _open_source(source, name) as fh:
            return _decode(fh, name, max_pixels, background)
    except ImageDecodeError:
        raise
    except Exception as exc:  # the boundary: no other exception may escape
        raise decode_failure(name, exc) from exc


def decode_failure(name, exc):
    """The :class:`ImageDecodeError` of an unexpected exception met while decoding ``name``.

    Pillow reports damaged data with an :class:`OSError` without an error
    number wherever it meets it (while reading the header or the pixels):
    that is a truncated or corrupt file, worded the same wherever it is
    found. An :class:`OSError` of the system (it has an error number) is
    worded as the file's own problem (missing, permission, unreadable).

    Examples
    --------
    >>> from facetruth.data._image import decode_failure
    >>> str(decode_failure("'a.jpg'", OSError("Truncated File Read")))
    "'a.jpg': truncated or corrupt image data (Truncated File Read)"
    >>> str(decode_failure("'a.jpg'", PermissionError(13, "Permission denied")))
    "'a.jpg': permission denied"
    """
    if isinstance(exc, OSError) and exc.errno is None:
        return ImageDecodeError.about(name, "corrupt", exc)
    if isinstance(exc, OSError):
        return ImageDecodeError.from_os_error(name, exc)
    return ImageDecodeError.about(name, "undecodable", f"{type(exc).__name__}: {exc}")


def _describe(source):
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>"
    if isinstance(source, (str, os.PathLike)):
        return repr(os.fsdecode(source))
    name = getattr(source, "name", None)
    return repr(os.fsdecode(name)) if isinstance(name, (str, bytes, os.PathLike)) else "<file object>"


def _open_source(source, name):
    """Return a context manager yielding a seekable binary file for ``source``."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if not data:
            raise ImageDecodeError(f"{name}: empty (0-byte) data")
        return io.BytesIO(data)
    if isinstance(source, (str, os.PathLike)):
        return _open_path(source, name)
    if hasattr(source, "read"):
        data = source.read()
        if not isinstance(data, (bytes, bytearray)):
            raise ImageDecodeError(f"{name}: file object is not opened in binary mode")
        if not data:
            raise ImageDecodeError.about(name, "empty")
        return io.BytesIO(data)
    raise ImageDecodeError(
        f"<{type(source).__name__}>: expected a path, bytes or a binary file object, "
        f"got {type(source).__name__}"
    )


def _open_path(path, name):
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ImageDecodeError.from_os_error(name, exc) from exc
    if stat.S_ISDIR(st.st_mode):
        raise ImageDecodeError.about(name, "directory")
    if not stat.S_ISREG(st.st_mode):
        raise ImageDecodeError.about(name, "not_regular")
    if st.st_size == 0:
        raise ImageDecodeError.about(name, "empty")
    try:
        return open(path, "rb")  # noqa: SIM115 - closed by the caller's with-block
    except OSError as exc:
        raise ImageDecodeError.from_os_error(name, exc) from exc


def _decode(fh, name, max_pixels, background):
    from PIL import Image

    with warnings.catch_warnings():
        # With an explicit limit we check the size ourselves; without one,
        # Pillow's own bomb warning becomes an error.
        action = "ignore" if max_pixels is not None else "error"
        warnings.simplefilter(action, Image.DecompressionBombWarning)
        return _decode_image(fh, name, max_pixels, background)


def _open_image(fh, name, max_pixels):
    """Open ``fh`` with Pillow as one of :data:`DECODED_FORMATS` and check its size, decoding nothing.

    The caller closes the image (``with img:``); a failed check closes it here.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(fh, formats=DECODED_FORMATS)
    except UnidentifiedImageError as exc:
        raise ImageDecodeError.about(name, "format", ", ".join(DECODED_FORMATS)) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageDecodeError.about(name, "too_large", exc) from exc
    width, height = img.size
    problem = None
    if width <= 0 or height <= 0:
        problem = ImageDecodeError.about(name, "zero_size", f"{width}x{height}")
    elif max_pixels is not None and width * height > max_pixels:
        detail = f"{width}x{height} = {width * height} > max_pixels={max_pixels}"
        problem = ImageDecodeError.about(name, "too_large", detail)
    if problem is not None:
        img.close()
        raise problem
    return img


def _decode_image(fh, name, max_pixels, background):
    from PIL import Image, ImageOps

    with _open_image(fh, name, max_pixels) as img:
        try:
            img.load()  # full decode: truncated data raises here
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageDecodeError.about(name, "too_large", exc) from exc
        except OSError as exc:
            raise ImageDecodeError.about(name, "corrupt", exc) from exc
        try:
            ImageOps.exif_transpose(img, in_place=True)  # no second full-size copy
        except Exception as exc:  # a malformed EXIF block does not spoil the pixels
            logger.warning("%s: ignoring unreadable EXIF orientation (%s)", name, exc)
        return _to_rgb_array(img, background)


def _to_rgb_array(img, background):
    """Convert a loaded Pillow image of any mode into a C-contiguous RGB uint8 array."""
    from PIL import Image

    mode = img.mode
    if mode in _SIXTEEN_BIT:
        grey = (np.asarray(img).astype(np.uint16) >> 8).astype(np.uint8)
        return _grey_to_rgb(grey)
    if mode in {"I", "F"}:
        return _grey_to_rgb(_scale_to_uint8(np.asarray(img)))
    if mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    elif mode in _ALPHA_MODES:
        img = img.convert("RGBA")
    if img.mode == "RGBA":
        base = Image.new("RGBA", img.size, _BACKGROUNDS[background])
        img = Image.alpha_composite(base, img)
    if img.mode != "RGB":
        img = img.convert("RGB")
    array = np.array(img, dtype=np.uint8)
    if array.ndim != 3 or array.shape[2] != 3:
        raise ImageDecodeError(f"unexpected pixel layout {array.shape} after converting mode {mode!r}")
    return np.ascontiguousarray(array)


def _scale_to_uint8(values):
    """Min-max scale a 2-D integer or float array to uint8 (NaN/inf mapped to finite values)."""
    values = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(values.min()), float(values.max())
    if hi > lo:
        values = (values - lo) * (255.0 / (hi - lo))
    else:
        values = np.clip(values, 0.0, 255.0)
    return np.rint(values).astype(np.uint8)


def _grey_to_rgb(grey):
    return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
