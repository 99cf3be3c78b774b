"""Training data for fine-tuning: decoding, resizing and augmentation of face images.

Augmentations model what happens to images in the wild, so that the network
does not learn compression or resolution shortcuts: horizontal flips, colour
jitter, JPEG re-encoding, Gaussian blur and Gaussian noise. Vertical flips are
left out: upside-down faces do not occur in the data.
"""

import numpy as np

from .._validation import check_images
from ..data import gaussian_blur, jpeg_compress
from ..features import resize_square


def load_items(items, image_size):
    """Decode paths (or validate arrays) and resize them to a square stack.

    Parameters
    ----------
    items : sequence of str, os.PathLike or ndarray of shape (height, width, 3)
        Image paths, read with :func:`facetruth.data.read_image`, or uint8
        RGB arrays. Faces are expected to be cropped already.
    image_size : int
        Side of the output images.

    Returns
    -------
    images : ndarray of shape (n_items, image_size, image_size, 3), dtype uint8

    Raises
    ------
    facetruth.exceptions.ImageDecodeError
        When a path cannot be decoded.
    """
    arrays = []
    for item in items:
        if isinstance(item, np.ndarray):
            arrays.append(item)
        else:
            from ..data import read_image

            arrays.append(read_image(item))
    return np.stack([resize_square(img, image_size) for img in check_images(arrays)])


def augment_image(image, rng):
    """Randomly degrade one training image.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
    rng : numpy.random.Generator

    Returns
    -------
    augmented : ndarray of shape (height, width, 3), dtype uint8

    Notes
    -----
    Each step is applied independently: horizontal flip (p=0.5), colour
    jitter of brightness, contrast and saturation by up to 20 % (p=0.8),
    JPEG re-encoding at quality 50-95 (p=0.5), Gaussian blur with sigma
    0.3-1.5 (p=0.2), Gaussian noise with sigma 2-8 grey levels (p=0.2).
    """
    out = image
    if rng.random() < 0.5:
        out = out[:, ::-1]
    if rng.random() < 0.8:
        out = colour_jitter(out, rng.uniform(0.8, 1.2, size=3))
    if rng.random() < 0.5:
        out = jpeg_compress(out, int(rng.integers(50, 96)))
    if rng.random() < 0.2:
        out = gaussian_blur(out, float(rng.uniform(0.3, 1.5)))
    if rng.random() < 0.2:
        noise = rng.normal(0.0, rng.uniform(2.0, 8.0), size=out.shape)
        out = np.clip(out + noise, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(out)


def colour_jitter(image, factors):
    """Scale brightness, contrast and saturation.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
    factors : sequence of 3 float
        Brightness, contrast and saturation factors; 1 leaves the image as is.

    Returns
    -------
    jittered : ndarray of shape (height, width, 3), dtype uint8
    """
    brightness, contrast, saturation = factors
    x = image.astype(np.float32) * brightness
    grey = x @ np.array([0.299, 0.587, 0.114], np.float32)
    x = (x - grey.mean()) * contrast + grey.mean()
    grey = (x @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]
    x = (x - grey) * saturation + grey
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def iterate_batches(images, labels, batch_size, rng, *, augment, shuffle, drop_last):
    """Yield ``(uint8 images, float32 labels)`` minibatches.

    Parameters
    ----------
    images : ndarray of shape (n, size, size, 3), dtype uint8
    labels : ndarray of shape (n,)
    batch_size : int
    rng : numpy.random.Generator
        Drives the shuffling and the augmentation.
    augment, shuffle, drop_last : bool

    Yields
    ------
    batch : ndarray of shape (b, size, size, 3), dtype uint8
    targets : ndarray of shape (b,), dtype float32
    """
    order = rng.permutation(len(images)) if shuffle else np.arange(len(images))
    stop = len(order) - len(order) % batch_size if drop_last and len(order) >= batch_size else len(order)
    for start in range(0, stop, batch_size):
        index = order[start : start + batch_size]
        batch = images[index]
        if augment:
            batch = np.stack([augment_image(img, rng) for img in batch])
        yield batch, labels[index].astype(np.float32)


def check_params(
    labels,
    n_items,
    epochs,
    batch_size,
    lr,
    val_fraction,
    patience,
    image_size,
    dropout,
    *,
    pseudo_fakes=False,
):
    """Validate the arguments of :func:`~facetruth.models.finetune`; return the labels as int64.

    With ``pseudo_fakes`` the data may hold real images only (at least 2).
    """
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) != n_items:
        raise ValueError(f"labels must be 1-D with one label per item; got {y.shape} for {n_items} items.")
    if not np.isin(y, [0, 1]).all():
        raise ValueError("labels must be 0 (real) or 1 (fake).")
    if pseudo_fakes and np.sum(y == 0) < 2:
        raise ValueError("fine-tuning with pseudo-fakes needs at least 2 real images.")
    if pseudo_fakes and np.sum(y == 1) == 1:
        raise ValueError("fine-tuning needs no fake image or at least 2 (one per split).")
    if not pseudo_fakes and min(np.sum(y == 0), np.sum(y == 1)) < 2:
        raise ValueError("fine-tuning needs at least 2 real and 2 fake images.")
    for name, value in [("epochs", epochs), ("batch_size", batch_size), ("patience", patience)]:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    if not (0 < val_fraction < 1):
        raise ValueError(f"val_fraction must be in (0, 1); got {val_fraction!r}.")
    if not (0 <= dropout < 1):
        raise ValueError(f"dropout must be in [0, 1); got {dropout!r}.")
    if not (lr > 0):
        raise ValueError(f"lr must be positive; got {lr!r}.")
    if not isinstance(image_size, (int, np.integer)) or not 32 <= image_size <= 1024:
        raise ValueError(f"image_size must be an integer in [32, 1024]; got {image_size!r}.")
    return y.astype(np.int64)


def stratified_split(y, val_fraction, max_items, random_state):
    """Stratified ``(train, val)`` indices, after an optional stratified subset of ``max_items``.

    When ``y`` holds real images only (training with pseudo-fakes), the split is a plain random one.
    """
    from sklearn.model_selection import train_test_split

    index = np.arange(len(y))
    one_class = len(np.unique(y)) == 1
    stratify = None if one_class else y
    if max_items is not None and max_items < len(y):
        index, _ = train_test_split(index, train_size=max_items, stratify=stratify, random_state=random_state)
    stratify = None if one_class else y[index]
    train, val = train_test_split(index, test_size=val_fraction, stratify=stratify, random_state=random_state)
    if not one_class and len(np.unique(y[val])) < 2:
        raise ValueError("the validation split needs both classes; use more images or a larger val_fraction.")
    return np.sort(train), np.sort(val)


def class_counts(y):
    """Numbers of real (0) and fake (1) labels."""
    return {"real": int(np.sum(y == 0)), "fake": int(np.sum(y == 1))}
