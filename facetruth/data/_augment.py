"""Image degradations for augmentation and robustness tests.

Pure functions on one ``(height, width, 3)`` uint8 RGB image, each returning
a new uint8 image: JPEG re-compression, rescaling, Gaussian blur and additive
Gaussian noise, the perturbations under which detectors of generated images
are usually evaluated (Wang et al., "CNN-generated images are surprisingly
easy to spot... for now", CVPR 2020). :func:`random_augment` chains them
with random strengths, reproducibly for a given ``random_state``.
"""

import numpy as np
from sklearn.utils import check_random_state

from .._validation import check_images


def _image(image):
    return check_images([image])[0]


def _rng(random_state):
    if isinstance(random_state, np.random.Generator):
        return random_state
    return check_random_state(random_state)


def jpeg_compress(image, quality):
    """Encode as JPEG at ``quality`` and decode again.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
        RGB image.
    quality : int
        JPEG quality in [1, 100] (libjpeg scale, 4:2:0 chroma subsampling).

    Returns
    -------
    out : ndarray of shape (height, width, 3), dtype uint8

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.data import jpeg_compress
    >>> image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    >>> out = jpeg_compress(image, 50)
    >>> out.shape, out.dtype
    ((32, 32, 3), dtype('uint8'))
    >>> bool(np.abs(out.astype(int) - image).mean() > 5)  # noise does not survive JPEG
    True
    """
    import cv2

    if not 1 <= int(quality) <= 100:
        raise ValueError(f"quality must be in [1, 100]; got {quality!r}.")
    image = _image(image)
    ok, buf = cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - OpenCV encodes any non-empty uint8 image
        raise ValueError("OpenCV failed to encode the image as JPEG.")
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1])


def rescale(image, factor):
    """Resize by ``factor`` (``cv2.INTER_AREA`` to shrink, ``cv2.INTER_LINEAR`` to enlarge).

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
        RGB image.
    factor : float
        Scale factor, > 0. Each side becomes ``max(1, round(side * factor))``.

    Returns
    -------
    out : ndarray of shape (new_height, new_width, 3), dtype uint8

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.data import rescale
    >>> image = np.zeros((40, 60, 3), np.uint8)
    >>> rescale(image, 0.5).shape
    (20, 30, 3)
    >>> rescale(image, 1.5).shape
    (60, 90, 3)
    """
    import cv2

    if not np.isfinite(factor) or factor <= 0:
        raise ValueError(f"factor must be a positive number; got {factor!r}.")
    image = _image(image)
    height, width = image.shape[:2]
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    if size == (width, height):
        return image.copy()
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    return np.ascontiguousarray(cv2.resize(image, size, interpolation=interpolation))


def gaussian_blur(image, sigma):
    """Blur with an isotropic Gaussian of standard deviation ``sigma`` pixels.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
        RGB image.
    sigma : float
        Standard deviation, >= 0; 0 returns a copy. Borders are reflected.

    Returns
    -------
    out : ndarray of shape (height, width, 3), dtype uint8

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.data import gaussian_blur
    >>> image = np.zeros((9, 9, 3), np.uint8)
    >>> image[4, 4] = 255
    >>> blurred = gaussian_blur(image, 1.0)
    >>> print(blurred[4, :, 0])  # the bright dot spreads over its neighbours
    [ 0  0  6 25 40 25  6  0  0]
    """
    import cv2

    if not np.isfinite(sigma) or sigma < 0:
        raise ValueError(f"sigma must be a number >= 0; got {sigma!r}.")
    image = _image(image)
    if sigma == 0:
        return image.copy()
    return cv2.GaussianBlur(image, (0, 0), sigmaX=float(sigma), borderType=cv2.BORDER_REFLECT_101)


def gaussian_noise(image, sigma, *, random_state=None):
    """Add white Gaussian noise of standard deviation ``sigma`` (in 0-255 units).

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
        RGB image.
    sigma : float
        Noise standard deviation, >= 0.
    random_state : int, numpy.random.RandomState, numpy.random.Generator or None
        Seed or generator of the noise.

    Returns
    -------
    out : ndarray of shape (height, width, 3), dtype uint8
        Rounded and clipped to [0, 255].

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.data import gaussian_noise
    >>> image = np.full((64, 64, 3), 128, np.uint8)
    >>> noisy = gaussian_noise(image, 10, random_state=0)
    >>> bool(9 < noisy.std() < 11)
    True
    >>> np.array_equal(noisy, gaussian_noise(image, 10, random_state=0))  # reproducible
    True
    """
    if not np.isfinite(sigma) or sigma < 0:
        raise ValueError(f"sigma must be a number >= 0; got {sigma!r}.")
    image = _image(image)
    noise = _rng(random_state).normal(0.0, float(sigma), size=image.shape)
    return np.clip(np.rint(image + noise), 0, 255).astype(np.uint8)


def _check_range(name, value, low, high):
    if value is None:
        return None
    lo, hi = (float(v) for v in value)
    if not (low <= lo <= hi <= high):
        raise ValueError(f"{name} must be a (low, high) pair within [{low}, {high}]; got {value!r}.")
    return lo, hi


def random_augment(
    image,
    *,
    random_state=None,
    jpeg=(30, 100),
    scale=(0.5, 1.5),
    blur=(0, 2),
    noise=(0, 10),
    p=0.5,
    return_params=False,
):
    """Apply blur, rescaling, noise and JPEG compression, each with probability ``p``.

    The operations run in that order (JPEG last, as when a degraded image is
    saved); each strength is drawn uniformly from its range. The same
    ``random_state`` always gives the same output, whichever operations fire.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
        RGB image.
    random_state : int, numpy.random.RandomState, numpy.random.Generator or None
        Seed or generator.
    jpeg : (int, int) or None
        Range of JPEG quality in [1, 100]; ``None`` disables the operation.
    scale : (float, float) or None
        Range of the rescaling factor (> 0); the output size then differs.
    blur : (float, float) or None
        Range of the Gaussian blur's sigma in pixels.
    noise : (float, float) or None
        Range of the Gaussian noise's sigma in 0-255 units.
    p : float
        Probability in [0, 1] that each operation is applied.
    return_params : bool
        Also return the operations applied.

    Returns
    -------
    out : ndarray of shape (new_height, new_width, 3), dtype uint8
    params : dict
        Only when ``return_params``: the applied operations and strengths,
        e.g. ``{"blur": 1.3, "jpeg": 71}``, in application order.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.data import random_augment
    >>> image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    >>> out, params = random_augment(image, random_state=3, p=1.0, return_params=True)
    >>> list(params)
    ['blur', 'scale', 'noise', 'jpeg']
    >>> out.shape == (round(64 * params["scale"]),) * 2 + (3,)
    True
    >>> np.array_equal(out, random_augment(image, random_state=3, p=1.0))
    True
    """
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1]; got {p!r}.")
    ranges = {
        "blur": _check_range("blur", blur, 0, np.inf),
        "scale": _check_range("scale", scale, np.finfo(float).tiny, np.inf),
        "noise": _check_range("noise", noise, 0, np.inf),
        "jpeg": _check_range("jpeg", jpeg, 1, 100),
    }
    rng = _rng(random_state)
    # every draw happens up front, so an operation's strength does not depend
    # on whether the operations before it fired
    draws = [(rng.random() < p, rng.random()) for _ in ranges]
    noise_seed = int(rng.random() * 2**31)
    out = _image(image).copy()
    applied = {}
    for (name, bounds), (fire, u) in zip(ranges.items(), draws, strict=True):
        if bounds is None or not fire:
            continue
        value = bounds[0] + u * (bounds[1] - bounds[0])
        if name == "blur":
            out = gaussian_blur(out, value)
        elif name == "scale":
            out = rescale(out, value)
        elif name == "noise":
            out = gaussian_noise(out, value, random_state=noise_seed)
        else:
            value = int(round(value))
            out = jpeg_compress(out, value)
        applied[name] = value
    return (out, applied) if return_params else out
