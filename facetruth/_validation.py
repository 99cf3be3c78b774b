"""Input validation shared by every layer: batches of RGB images (:func:`check_images`).

The parameters of functions and estimators are validated by
:mod:`facetruth._params`.
"""

import numpy as np
import scipy.sparse

__all__ = ["check_images"]


def check_images(X):
    """Validate a batch of RGB images.

    Parameters
    ----------
    X : ndarray of shape (n_images, height, width, 3) or list of ndarray
        The images, uint8 RGB. A list may hold images of different sizes.
        Grey images ``(height, width)`` are expanded to three channels.

    Returns
    -------
    images : list of ndarray of shape (height, width, 3), dtype uint8

    Raises
    ------
    ValueError
        When ``X`` is not a batch of images, e.g. a 2-D feature matrix or a
        sparse matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth._validation import check_images
    >>> images = check_images(np.zeros((2, 8, 8, 3), np.uint8))
    >>> len(images), images[0].shape
    (2, (8, 8, 3))
    >>> check_images([np.zeros((4, 5))])[0].shape  # grey becomes RGB, floats uint8
    (4, 5, 3)
    >>> check_images(np.zeros((3, 4)))
    Traceback (most recent call last):
    ...
    ValueError: Expected a batch of images of shape (n_images, height, width, 3) ...
    """
    if scipy.sparse.issparse(X):
        raise ValueError(
            "Sparse input is not supported: expected a batch of images of shape "
            f"(n_images, height, width, 3), got {type(X).__name__}."
        )
    if isinstance(X, np.ndarray):
        if X.ndim != 4:
            raise ValueError(
                "Expected a batch of images of shape (n_images, height, width, 3) "
                f"or a list of (height, width, 3) arrays; got an array of shape {X.shape}."
            )
        items = list(X)
    elif isinstance(X, (list, tuple)):
        items = list(X)
    else:
        raise ValueError(f"Expected a batch of images, got {type(X).__name__}.")
    if not items:
        raise ValueError("Found an empty batch of images (0 images); at least 1 is required.")
    return [_check_image(img, i) for i, img in enumerate(items)]


def _check_image(image, index):
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"Image {index} has shape {image.shape}; expected (height, width, 3).")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"Image {index} is empty (shape {image.shape}).")
    if image.dtype != np.uint8:
        if not np.issubdtype(image.dtype, np.number):
            raise ValueError(f"Image {index} has dtype {image.dtype}; expected uint8.")
        if not np.all(np.isfinite(image)):
            raise ValueError(f"Image {index} contains NaN or infinity.")
        image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    return image
