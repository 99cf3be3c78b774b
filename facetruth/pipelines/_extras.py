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

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.pipelines._extras import ExtraRows
    >>> crops = np.zeros((2, 8, 8, 3), np.uint8)
    >>> extra = ExtraRows(crops[1:], np.array([1]), np.array([1]), np.array(["sbi"]))
    >>> images, labels, groups = extra.append_to(crops, [0, 0], ["a", "b"])
    >>> images.shape, labels.tolist(), groups.tolist(), extra.counts()
    ((3, 8, 8, 3), [0, 0, 1], ['a', 'b', 'b'], {'sbi': 1})
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

    Examples
    --------
    >>> from facetruth.pipelines._extras import parse_augment
    >>> parse_augment("robust:3"), parse_augment("robust"), parse_augment(None)
    (3, 1, 0)
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


def extra_rows(images, labels, *, ratio=None, copies=0, random_state=0, n_jobs=None, need_reals=True):
    """Self-blended pseudo-fakes and robust-augmented copies of training crops.

    Parameters
    ----------
    images : ndarray of shape (n_images, size, size, 3), dtype uint8
        Training face crops.
    labels : array-like of shape (n_images,)
        1 = fake, 0 = real; pseudo-fakes are made from the reals.
    ratio : float or None, default=None
        Self-blended pseudo-fakes per real crop
        (:func:`~facetruth.data.make_pseudo_fakes`); ``None`` makes none.
    copies : int, default=0
        Robust-augmented copies (:func:`robust_copy`) of every crop and of
        every pseudo-fake.
    random_state : int, default=0
    n_jobs : int, default=None
        Workers for the pseudo-fakes.
    need_reals : bool, default=True
        Raise when pseudo-fakes are asked for and there is no real crop;
        ``False`` makes none instead (a shard of a larger set may hold fakes only).

    Returns
    -------
    extra : ExtraRows
        Possibly empty.

    Raises
    ------
    ValueError
        When pseudo-fakes are asked for, ``need_reals`` is true and no label is 0.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.pipelines._extras import extra_rows
    >>> crops = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    >>> extra_rows(crops, [0, 0, 1, 1], copies=2).counts()
    {'augment': 8}
    """
    from ..data import make_pseudo_fakes

    images = np.asarray(images)
    labels = np.asarray(labels).astype(int)
    shape = images.shape[1:]
    out_images, out_labels, out_sources, out_kinds = [], [], [], []
    reals = np.flatnonzero(labels == 0)
    if ratio and reals.size == 0 and need_reals:
        raise ValueError("pseudo-fakes are made from real images, and the training data has none.")
    if ratio and reals.size:
        fakes, src = make_pseudo_fakes(images[reals], ratio=ratio, random_state=random_state, n_jobs=n_jobs)
        out_images += list(fakes)
        out_labels += [1] * len(fakes)
        out_sources += list(reals[src])
        out_kinds += ["sbi"] * len(fakes)
        logger.info("made %d self-blended pseudo-fakes from %d real crops", len(fakes), reals.size)
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


@dataclass(frozen=True)
class TrainingExtras:
    """What extra training rows to make from the training crops, and with which seed.

    Made by :func:`~facetruth.pipelines.build_extras` from ``"sbi[:RATIO]"``
    and ``"robust[:COPIES]"``; picklable, so a Dask worker can make the extra
    rows of its own shard.

    Parameters
    ----------
    ratio : float or None, default=None
        Self-blended pseudo-fakes per real crop; ``None`` makes none.
    copies : int, default=0
        Robust-augmented copies of every crop and pseudo-fake.
    random_state : int, default=0
    n_jobs : int, default=None
        Workers for the pseudo-fakes (the rows do not depend on it).

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.pipelines import TrainingExtras
    >>> extras = TrainingExtras(copies=1, random_state=3)
    >>> extras.augment, extras.pseudo_fakes
    ('robust', None)
    >>> crops = np.zeros((2, 32, 32, 3), dtype=np.uint8)
    >>> extras.make(crops, [0, 1]).counts()
    {'augment': 2}
    """

    ratio: float | None = None
    copies: int = 0
    random_state: int = 0
    n_jobs: int | None = None

    @property
    def pseudo_fakes(self):
        """The pseudo-fake option, ``"sbi"`` or ``"sbi:RATIO"``, or ``None``."""
        if not self.ratio:
            return None
        return "sbi" if float(self.ratio) == 1.0 else f"sbi:{float(self.ratio):g}"

    @property
    def augment(self):
        """The augmentation option, ``"robust"`` or ``"robust:COPIES"``, or ``None``."""
        if not self.copies:
            return None
        return "robust" if int(self.copies) == 1 else f"robust:{int(self.copies)}"

    def describe(self):
        """The options and seed, as a JSON-serialisable dict (what changes the rows)."""
        return {"pseudo_fakes": self.pseudo_fakes, "augment": self.augment, "seed": int(self.random_state)}

    def make(self, images, labels, *, random_state=None, need_reals=True):
        """The extra rows of these crops (see :func:`extra_rows`).

        ``random_state`` replaces the object's seed, e.g. to give every shard
        of a larger set its own.
        """
        seed = self.random_state if random_state is None else random_state
        return extra_rows(
            images,
            labels,
            ratio=self.ratio,
            copies=int(self.copies),
            random_state=seed,
            n_jobs=self.n_jobs,
            need_reals=need_reals,
        )


def fold_extras(extra, train_index):
    """Mask of the extra rows whose source lies in ``train_index``."""
    return np.isin(extra.sources, np.asarray(train_index))
