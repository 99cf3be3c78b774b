"""Cheap nuisance properties of an image file: size, encoding, metadata, exposure.

None of these says whether a face is forged, yet any of them can separate the
classes of a data set that was collected or encoded unevenly (fakes saved as
PNG, reals as camera JPEGs; one class brighter or re-compressed). The shortcut
audit (:func:`facetruth.evaluation.audit_dataset`) fits a model on them alone.
They are read from the file's header and a reduced decode, without the face
pipeline.
"""

import numpy as np

from ..exceptions import ImageDecodeError
from ._image import _describe, _open_image, _open_source, _to_rgb_array, decode_failure

__all__ = ["ENCODING_PROPERTIES", "NUISANCE_PROPERTIES", "jpeg_quality", "nuisance_properties"]

#: The IJG (libjpeg) standard luminance quantisation table, natural (row-major) order.
_IJG_LUMINANCE = np.array(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ],
    dtype=np.float64,
).ravel()

_FORMATS = ("JPEG", "PNG", "WEBP")
_SUBSAMPLING = {0: 0.0, 1: 1.0, 2: 2.0}  # 4:4:4, 4:2:2, 4:2:0 (Pillow's codes)
_THUMB = 256  # longest side of the copy that brightness and contrast are read on

ENCODING_PROPERTIES = (
    "format_jpeg",
    "format_png",
    "format_webp",
    "format_other",
    "jpeg_quality",
    "jpeg_subsampling",
    "exif",
)
"""The keys of :data:`NUISANCE_PROPERTIES` that describe how the file is encoded."""

NUISANCE_PROPERTIES = (
    "width",
    "height",
    "aspect_ratio",
    "file_bytes",
    "bytes_per_pixel",
    *ENCODING_PROPERTIES,
    "brightness",
    "contrast",
)
"""Keys of :func:`nuisance_properties`, in order."""


def _ijg_tables():
    """Luminance tables libjpeg writes for qualities 1..100, shape (100, 64)."""
    quality = np.arange(1, 101, dtype=np.float64)
    scale = np.where(quality < 50, 5000.0 / quality, 200.0 - 2.0 * quality)
    tables = np.floor((_IJG_LUMINANCE[None, :] * scale[:, None] + 50.0) / 100.0)
    return np.clip(tables, 1, 255)


def jpeg_quality(table):
    """Estimate the IJG quality (1-100) a JPEG luminance table was made with.

    libjpeg scales its standard luminance table by ``5000 / q`` (``q < 50``)
    or ``200 - 2 q`` percent; the estimate is the quality whose scaled table
    lies nearest (least squared error) to ``table``. Encoders that use the
    IJG tables (libjpeg, libjpeg-turbo, Pillow, OpenCV, most software) are
    recovered exactly; a camera's own tables get the nearest IJG quality.

    Parameters
    ----------
    table : array-like of 64 numbers
        The luminance quantisation table in natural (row-major) order, as
        Pillow's ``Image.quantization[0]`` gives it.

    Returns
    -------
    quality : float
        Between 1 and 100.

    Raises
    ------
    ValueError
        When ``table`` does not hold 64 finite positive numbers.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from PIL import Image
    >>> from facetruth.data._nuisance import jpeg_quality
    >>> buffer = io.BytesIO()
    >>> Image.fromarray(np.zeros((8, 8), np.uint8)).save(buffer, "JPEG", quality=90)
    >>> jpeg_quality(Image.open(buffer).quantization[0])
    90.0
    >>> jpeg_quality(np.ones(64))  # no quantisation at all
    100.0
    """
    values = np.asarray(table, dtype=np.float64).reshape(-1)
    if values.shape != (64,) or not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(f"a quantisation table holds 64 positive numbers; got {np.shape(table)}.")
    errors = np.square(_ijg_tables() - values[None, :]).sum(axis=1)
    return float(np.argmin(errors) + 1)


def nuisance_properties(source, *, max_pixels=64_000_000):
    """Size, encoding, metadata and exposure of one image file, as floats.

    The header gives the size, format, quantisation tables and EXIF block;
    the pixels are decoded at reduced scale (JPEG's DCT scaling, then a
    thumbnail of at most 256 px) for the exposure figures, which also checks
    that the whole file decodes.

    Parameters
    ----------
    source : str, os.PathLike, bytes or binary file object
        The image, as :func:`~facetruth.data.read_image` accepts it.
    max_pixels : int, default=64_000_000
        Larger images are refused as decompression bombs.

    Returns
    -------
    properties : dict of str to float
        With the keys of :data:`NUISANCE_PROPERTIES`: ``width`` and ``height``
        as displayed (after the EXIF orientation, as :func:`read_image`
        returns the pixels), ``aspect_ratio`` (width / height), ``file_bytes``,
        ``bytes_per_pixel``, a one-hot ``format_*`` (JPEG, PNG, WebP, other),
        ``jpeg_quality`` (:func:`jpeg_quality`; NaN for other formats),
        ``jpeg_subsampling`` (0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0; NaN for other
        formats or unusual samplings), ``exif`` (1 when an EXIF block is
        present), ``brightness`` and ``contrast`` (mean and standard deviation
        of the grey levels, 0-255).

    Raises
    ------
    ImageDecodeError
        When the file is missing, not an image of a decoded format
        (:data:`~facetruth.data.DECODED_FORMATS`), too large, truncated or corrupt.
    ValueError
        When ``max_pixels`` is invalid.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from PIL import Image
    >>> from facetruth.data import nuisance_properties
    >>> buffer = io.BytesIO()
    >>> Image.fromarray(np.full((30, 40, 3), 128, np.uint8)).save(buffer, "JPEG", quality=75)
    >>> props = nuisance_properties(buffer.getvalue())
    >>> props["width"], props["height"], props["format_jpeg"], props["jpeg_quality"], props["exif"]
    (40.0, 30.0, 1.0, 75.0, 0.0)
    >>> round(props["brightness"])
    128
    """
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, (int, np.integer)) or max_pixels < 1:
        raise ValueError(f"max_pixels must be a positive integer, got {max_pixels!r}.")
    name = _describe(source)
    try:
        with _open_source(source, name) as fh:
            fh.seek(0, 2)
            n_bytes = fh.tell()
            fh.seek(0)
            return _properties(fh, name, n_bytes, int(max_pixels))
    except ImageDecodeError:
        raise
    except Exception as exc:  # the boundary: no other exception may escape, worded as read_image does
        raise decode_failure(name, exc) from exc


def _properties(fh, name, n_bytes, max_pixels):
    import warnings

    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with _open_image(fh, name, max_pixels) as img:
            width, height = img.size
            header = _header(img, width, height)
            brightness, contrast = _exposure(img, name)
    display_w, display_h = header.pop("display")
    return {
        "width": float(display_w),
        "height": float(display_h),
        "aspect_ratio": display_w / float(display_h),
        "file_bytes": float(n_bytes),
        "bytes_per_pixel": n_bytes / float(width * height),
        **header,
        "brightness": brightness,
        "contrast": contrast,
    }


def _header(img, width, height):
    """Format, JPEG tables, sampling and EXIF from the opened (not decoded) image."""
    fmt = img.format if img.format in _FORMATS else "other"
    if img.format == "MPO":  # multi-picture JPEG
        fmt = "JPEG"
    onehot = {f"format_{f.lower()}": float(fmt == f) for f in (*_FORMATS, "other")}
    quality = subsampling = float("nan")
    if fmt == "JPEG":
        from PIL import JpegImagePlugin

        tables = getattr(img, "quantization", None) or {}
        if 0 in tables:
            quality = jpeg_quality(tables[0])
        subsampling = _SUBSAMPLING.get(JpegImagePlugin.get_sampling(img), float("nan"))
    try:
        exif = img.getexif()
    except Exception:  # a malformed EXIF block is still an EXIF block
        exif = None
    present = bool(img.info.get("exif")) or bool(exif)
    transposed = exif is not None and exif.get(0x0112) in (5, 6, 7, 8)
    return {
        **onehot,
        "jpeg_quality": quality,
        "jpeg_subsampling": subsampling,
        "exif": float(present),
        "display": (height, width) if transposed else (width, height),
    }


def _exposure(img, name):
    """Mean and standard deviation of the grey levels of a reduced decode."""
    from PIL import Image

    if img.format in ("JPEG", "MPO"):
        img.draft("L", (_THUMB, _THUMB))  # DCT-domain scaling: decodes a fraction of the pixels
    try:
        img.load()
    except Image.DecompressionBombError as exc:
        raise ImageDecodeError.about(name, "too_large", exc) from exc
    except OSError as exc:
        raise ImageDecodeError.about(name, "corrupt", exc) from exc
    # other modes as read_image converts them (16-bit, float, alpha on white)
    small = img if img.mode in ("L", "RGB") else Image.fromarray(_to_rgb_array(img, "white"))
    small = small.convert("L")
    small.thumbnail((_THUMB, _THUMB), Image.Resampling.BILINEAR)
    grey = np.asarray(small, dtype=np.float64)
    return float(grey.mean()), float(grey.std())
