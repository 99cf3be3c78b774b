"""Extra training rows made from the training crops: pseudo-fakes and robust copies.

Both kinds are made from face crops *before* feature extraction, so the
features see exactly what a detector would see at test time. Each extra row
remembers the crop it came from: cross-validation keeps a row on the side of
its source, and calibration folds group it with its source. Every extra
image is a deterministic function of its source, the seed and its index, so
a re-run produces identical arrays and the content-addressed feature cache
serves them without recomputation.
"""

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

#: ranges of the robust training augmentation (see :func:`facetruth.data.random_augment`)
ROBUST_AUGMENT = {"jpeg": (30, 100), "scale": (0.5, 1.5), "blur": (0.0, 2.0), "noise": (0.0, 10.0), "p": 0.5}


@dataclass
class ExtraRows:
    """Extra training images and where they came from.

    Attributes
    ----------
    images : ndarray of shape (n_extra, size, size, 3), dtype uint8
    labels : ndarray of shape (n_extra,)
        1 for pseudo-fakes; an augmented copy keeps its source's label.
    sources : ndarray of shape (n_extra,), dtype int
        Index of the source crop in the training images.
    kinds : ndarray of str of shape (n_extra,)
        ``"sbi"`` or ``"augment"``.
    """

    images: np.ndarray
    labels: np.ndarray
    sources: np.ndarray
    kinds: np.ndarray

    def __len__(self):
        return len(self.labels)

    def append_to(self, images, labels, groups):
        """The source crops followed by the extra rows.

        Parameters
        ----------
        images, labels, groups : array-like
            The crops the extra rows were made from, their labels and groups.

        Returns
        -------
        images, labels, groups : ndarray
            With the extra rows appended; each extra row takes its source's
            group, so calibration folds keep a crop and its copies together.
            Without extra rows, the inputs as arrays (no copy).
        """
        images, labels, groups = np.asarray(images), np.asarray(labels), np.asarray(groups)
        if not len(self):
            return images, labels, groups
        return (
            np.concatenate([images, self.images]),
            np.concatenate([labels, self.labels]),
            np.concatenate([groups, groups[self.sources]]),
        )

    def counts(self):
        """Number of rows of each kind."""
        names, counts = np.unique(self.kinds, return_counts=True)
        return {str(k): int(c) for k, c in zip(names, counts, strict=True)}


def parse_augment(spec):
    """Parse ``"robust"`` or ``"robust:COPIES"`` into the number of augmented copies per crop.

    ``None``, ``""``, ``"none"`` and ``"off"`` give 0.

    Raises
    ------
    ValueError
        For any other text, or a number of copies outside 1-8.
    """
    if spec is None or str(spec).strip().lower() in ("", "none", "off"):
        return 0
    kind, _, copies = str(spec).strip().partition(":")
    if kind != "robust":
        raise ValueError(f"augment must be 'robust' or 'robust:COPIES'; got {spec!r}.")
    try:
        n = int(copies) if copies else 1
    except ValueError:
        raise ValueError(f"augment copies must be an integer; got {copies!r}.") from None
    if not 1 <= n <= 8:
        raise ValueError(f"augment copies must lie in 1-8; got {n}.")
    return n


def robust_copy(image, seed):
    """One robust-augmented copy of a crop, resized back to the crop's size.

    JPEG (quality 30-100), rescaling (0.5-1.5x, then back), Gaussian blur
    and noise, each applied with probability 0.5 (:data:`ROBUST_AUGMENT`).
    """
    import cv2

    from ..data import random_augment

    out = random_augment(image, random_state=seed, **ROBUST_AUGMENT)
    height, width = image.shape[:2]
    if out.shape[:2] != (height, width):
        shrink = out.shape[0] > height
        interpolation = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        out = cv2.resize(out, (width, height), interpolation=interpolation)
    return np.ascontiguousarray(out)


def training_extras(images, labels, *, pseudo_fakes=None, augment=None, random_state=0, n_jobs=None):
    """Self-blended pseudo-fakes and robust-augmented copies of training crops.

    Parameters
    ----------
    images : ndarray of shape (n_images, size, size, 3), dtype uint8
        Training face crops.
    labels : array-like of shape (n_images,)
        1 = fake, 0 = real; pseudo-fakes are made from the reals.
    pseudo_fakes : str or None
        ``"sbi"`` or ``"sbi:RATIO"`` (see :func:`facetruth.data.parse_pseudo_fakes`).
    augment : str or None
        ``"robust"`` or ``"robust:COPIES"`` (see :func:`parse_augment`):
        copies of every crop, and of every pseudo-fake, with train-time
        degradations.
    random_state : int, default=0
    n_jobs : int, default=None
        Workers for the pseudo-fakes.

    Returns
    -------
    extra : ExtraRows
        Possibly empty.
    """
    from ..data import make_pseudo_fakes, parse_pseudo_fakes

    images = np.asarray(images)
    labels = np.asarray(labels).astype(int)
    shape = images.shape[1:]
    out_images, out_labels, out_sources, out_kinds = [], [], [], []
    if pseudo_fakes:
        _, ratio = parse_pseudo_fakes(pseudo_fakes)
        reals = np.flatnonzero(labels == 0)
        if reals.size == 0:
            raise ValueError("pseudo-fakes are made from real images, and the training data has none.")
        fakes, src = make_pseudo_fakes(images[reals], ratio=ratio, random_state=random_state, n_jobs=n_jobs)
        out_images += list(fakes)
        out_labels += [1] * len(fakes)
        out_sources += list(reals[src])
        out_kinds += ["sbi"] * len(fakes)
        logger.info("made %d self-blended pseudo-fakes from %d real crops", len(fakes), reals.size)
    copies = parse_augment(augment)
    if copies:
        base = list(zip(images, labels, range(len(images)), strict=True))
        base += list(zip(out_images, out_labels, out_sources, strict=True))
        for k in range(copies):
            for j, (img, lab, src) in enumerate(base):
                seed = np.random.SeedSequence([int(random_state), k, j]).generate_state(1)[0]
                out_images.append(robust_copy(img, int(seed)))
                out_labels.append(lab)
                out_sources.append(src)
                out_kinds.append("augment")
        logger.info("made %d robust-augmented copies", copies * len(base))
    stacked = np.stack(out_images) if out_images else np.empty((0, *shape), dtype=np.uint8)
    return ExtraRows(
        stacked,
        np.asarray(out_labels, dtype=int),
        np.asarray(out_sources, dtype=int),
        np.asarray(out_kinds, dtype=str),
    )


def fold_extras(extra, train_index):
    """Mask of the extra rows whose source lies in ``train_index``."""
    return np.isin(extra.sources, np.asarray(train_index))
