"""Colour conversions shared by the feature families.

Every family works on a canonical float32 version of the ``(height, width, 3)
uint8`` RGB image: the luminance (ITU-R BT.601 weights, as in JPEG) or the
full-range YCbCr of JPEG/JFIF (ITU-T T.871). One conversion is one OpenCV
``transform`` call.
"""

import cv2
import numpy as np

#: RGB -> Y'CbCr, full range, with the +128 chroma offsets (ITU-T T.871)
_YCBCR = np.array(
    [
        [0.299, 0.587, 0.114, 0.0],
        [-0.168736, -0.331264, 0.5, 128.0],
        [0.5, -0.418688, -0.081312, 128.0],
    ],
    dtype=np.float32,
)
_LUMA = _YCBCR[:1, :3].copy()


def _as_float(image):
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"Expected an image of shape (height, width, 3); got {image.shape}.")
    return np.ascontiguousarray(image, dtype=np.float32)


def rgb_to_luminance(image):
    """Luminance of an RGB image, in [0, 255].

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8

    Returns
    -------
    luma : ndarray of shape (height, width), dtype float32
        ``0.299 R + 0.587 G + 0.114 B``.
    """
    return cv2.transform(_as_float(image), _LUMA)


def rgb_to_ycbcr(image):
    """Full-range Y'CbCr of an RGB image, as JPEG defines it.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8

    Returns
    -------
    ycbcr : ndarray of shape (height, width, 3), dtype float32
        Channels Y, Cb, Cr, each in [0, 255] (chroma centred on 128).
    """
    return cv2.transform(_as_float(image), _YCBCR)


def to_channels(image, channels):
    """Convert an RGB image to the float32 channels a family works on.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
    channels : {"ycbcr", "rgb", "grey"}

    Returns
    -------
    planes : ndarray of shape (height, width, n_channels), dtype float32
        ``n_channels`` is 3, or 1 for ``"grey"``.

    Raises
    ------
    ValueError
        For an unknown ``channels``.
    """
    if channels == "ycbcr":
        return rgb_to_ycbcr(image)
    if channels == "rgb":
        return _as_float(image)
    if channels == "grey":
        return rgb_to_luminance(image)[:, :, None]
    raise ValueError(f"channels must be 'ycbcr', 'rgb' or 'grey'; got {channels!r}.")


class ImagePlanes:
    """The float32 planes of one RGB image, each converted once, on first use.

    The handcrafted families share one instance per image when they are
    computed together, so the luminance and the YCbCr planes are converted
    once rather than once per family. The planes are read, never written.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
        RGB image.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features._color import ImagePlanes
    >>> planes = ImagePlanes(np.full((2, 2, 3), 100, np.uint8))
    >>> print(planes.luma)
    [[100. 100.]
     [100. 100.]]
    >>> planes.luma is planes.luma  # converted once
    True
    >>> planes.channels("ycbcr").shape
    (2, 2, 3)
    """

    __slots__ = ("image", "_planes")

    def __init__(self, image):
        self.image = np.asarray(image)
        self._planes = {}

    def _get(self, name, convert):
        plane = self._planes.get(name)
        if plane is None:
            plane = self._planes[name] = convert(self.image)
        return plane

    @property
    def luma(self):
        """:func:`rgb_to_luminance` of the image."""
        return self._get("luma", rgb_to_luminance)

    def channels(self, channels):
        """:func:`to_channels` of the image; ``"grey"`` is :attr:`luma` with a channel axis."""
        if channels == "grey":
            return self.luma[:, :, None]
        return self._get(channels, lambda image: to_channels(image, channels))
