"""A labelled collection of images and video frames (:class:`Dataset`).

Parallel lists of paths, labels (1 = fake, 0 = real), groups (items that
share an identity or a source video, to keep together across folds) and
sources (the generator or sub-collection an item comes from). Pixels are
decoded on demand by :meth:`Dataset.read`.
"""

import hashlib
import os
from pathlib import Path

import numpy as np


class Dataset:
    """Paths and labels of a deepfake data set, with grouping information.

    Parameters
    ----------
    paths : sequence of str
        Image files, or video files for items that are video frames.
    labels : array-like of int
        1 = fake, 0 = real.
    groups : sequence of str
        Items of one group share an identity or a source video; use with
        :class:`sklearn.model_selection.GroupKFold` so nothing leaks across folds.
    sources : sequence of str
        Generator, manipulation method or sub-collection of each item.
    frames : sequence of (int or None), optional
        Frame index for video items, ``None`` for still images. ``None``
        (the default) means every item is a still image.
    root : str, optional
        Folder that relative paths in :meth:`manifest_hash` are taken from.
    split : sequence of str, optional
        Official split of each item (``"train"``, ``"test"``, ...) when the
        layout defines one.
    skipped : list of (str, str), optional
        Files left out at load time and why.
    layout : str, optional
        Name of the layout the data set was read from.
    name : str, optional
        What reports call the data set: the CSV manifest's file name or the
        folder's name (see :func:`~facetruth.data.load_dataset`).

    Attributes
    ----------
    labels : ndarray of shape (n_items,), dtype int64

    Examples
    --------
    >>> from facetruth.data import Dataset
    >>> data = Dataset(
    ...     ["real/a.png", "fake/b.png", "fake/c.png"],
    ...     [0, 1, 1],
    ...     groups=["person1", "person1", "person2"],
    ...     sources=["camera", "stylegan", "stylegan"],
    ... )
    >>> data
    Dataset(n_items=3, real=1, fake=2, n_groups=2, layout=None)
    >>> data.counts()
    {0: 1, 1: 2}
    >>> data.subset([1, 2]).labels
    array([1, 1])
    """

    def __init__(
        self,
        paths,
        labels,
        groups,
        sources,
        *,
        frames=None,
        root=None,
        split=None,
        skipped=None,
        layout=None,
        name=None,
    ):
        self.paths = [os.fspath(p) for p in paths]
        self.labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        self.groups = [str(g) for g in groups]
        self.sources = [str(s) for s in sources]
        self.frames = None if frames is None else [None if f is None else int(f) for f in frames]
        self.root = None if root is None else os.fspath(root)
        self.split = None if split is None else [str(s) for s in split]
        self.skipped = list(skipped or [])
        self.layout = layout
        self.name = name
        n = len(self.paths)
        for name in ("labels", "groups", "sources", "frames", "split"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"{name} has {len(value)} entries but paths has {n}.")
        if n and not np.isin(self.labels, (0, 1)).all():
            raise ValueError("labels must be 0 (real) or 1 (fake).")

    def __len__(self):
        return len(self.paths)

    def __repr__(self):
        counts = self.counts()
        root = f", root={self.root!r}" if self.root else ""
        return (
            f"Dataset(n_items={len(self)}, real={counts[0]}, fake={counts[1]}, "
            f"n_groups={len(set(self.groups))}, layout={self.layout!r}{root})"
        )

    def counts(self):
        """Number of items per class.

        Returns
        -------
        counts : dict
            ``{0: n_real, 1: n_fake}``.
        """
        return {0: int(np.sum(self.labels == 0)), 1: int(np.sum(self.labels == 1))}

    def subset(self, indices):
        """A new :class:`Dataset` holding the given items.

        Parameters
        ----------
        indices : array-like of int, or boolean mask of shape (n_items,)

        Returns
        -------
        dataset : Dataset
        """
        idx = np.asarray(indices)
        if idx.dtype == bool:
            if idx.shape != (len(self),):
                raise ValueError(f"boolean mask has shape {idx.shape}; expected ({len(self)},).")
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.intp).reshape(-1)

        def pick(seq):
            return None if seq is None else [seq[i] for i in idx]

        return Dataset(
            pick(self.paths),
            self.labels[idx],
            pick(self.groups),
            pick(self.sources),
            frames=pick(self.frames),
            root=self.root,
            split=pick(self.split),
            skipped=self.skipped,
            layout=self.layout,
            name=self.name,
        )

    def relative_path(self, i):
        """Path of item ``i`` relative to :attr:`root` (POSIX separators), or as stored."""
        path = self.paths[i]
        if self.root:
            try:
                path = os.path.relpath(path, self.root)
            except ValueError:  # another drive on Windows
                pass
        return Path(path).as_posix()

    def manifest_hash(self):
        """SHA-256 of the sorted ``(relative path, frame, label)`` records.

        Equal for the same files and labels wherever the data set lies on
        disk and whatever the order of the items; it does not read pixels.

        Returns
        -------
        digest : str
            64 hex characters.
        """
        records = []
        for i in range(len(self)):
            frame = "" if self.frames is None or self.frames[i] is None else str(self.frames[i])
            records.append(
                b"\t".join((os.fsencode(self.relative_path(i)), frame.encode(), b"%d" % self.labels[i]))
            )
        digest = hashlib.sha256()
        for record in sorted(records):
            digest.update(record + b"\n")
        return digest.hexdigest()

    def content_hash(self):
        """SHA-256 of the sorted ``(relative path, frame, label, file SHA-256)`` records.

        Like :meth:`manifest_hash`, but it reads every file, so an image
        replaced under the same name changes it too.

        Returns
        -------
        digest : str
            64 hex characters.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from facetruth.data import load_dataset, make_demo_dataset
        >>> root = tempfile.mkdtemp()
        >>> _ = make_demo_dataset(4, size=16, out=root)
        >>> before = load_dataset(root).content_hash()
        >>> first = sorted(Path(root).rglob("*.png"))[0]
        >>> _ = first.write_bytes(first.read_bytes() + b"x")
        >>> load_dataset(root).content_hash() == before
        False
        """
        records = []
        for i in range(len(self)):
            frame = "" if self.frames is None or self.frames[i] is None else str(self.frames[i])
            with open(self.paths[i], "rb") as fh:
                file_digest = hashlib.file_digest(fh, "sha256").hexdigest()
            records.append(
                b"\t".join(
                    (
                        os.fsencode(self.relative_path(i)),
                        frame.encode(),
                        b"%d" % self.labels[i],
                        file_digest.encode(),
                    )
                )
            )
        digest = hashlib.sha256()
        for record in sorted(records):
            digest.update(record + b"\n")
        return digest.hexdigest()

    def read(self, i, **kwargs):
        """Decode item ``i``: the image, or the frame of the video.

        Parameters
        ----------
        i : int
            Item index.
        **kwargs
            Passed to :func:`~facetruth.data.read_image` (``max_pixels``,
            ``background``); only ``max_pixels`` applies to video frames.

        Returns
        -------
        image : ndarray of shape (height, width, 3), dtype uint8

        Raises
        ------
        ImageDecodeError
            When the file cannot be decoded.
        """
        frame = None if self.frames is None else self.frames[i]
        if frame is None:
            from ._image import read_image

            return read_image(self.paths[i], **kwargs)
        from ._video import read_video_frame

        return read_video_frame(self.paths[i], frame, max_pixels=kwargs.get("max_pixels", 64_000_000))
