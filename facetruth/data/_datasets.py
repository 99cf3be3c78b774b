"""Labelled collections of images and video frames, and the detection of on-disk layouts.

:func:`load_dataset` turns a folder or a CSV manifest into a :class:`Dataset`:
parallel lists of paths, labels (1 = fake, 0 = real), groups (items that
share an identity or a source video, to keep together across folds) and
sources (the generator or sub-collection an item comes from).  Files are only
checked cheaply at load time; pixels are decoded on demand by
:meth:`Dataset.read`.
"""

import logging
import os
from pathlib import Path

import numpy as np

from ..exceptions import DatasetLayoutError
from ._layouts import LAYOUT_DESCRIPTIONS, build_flat, build_folders, detect_layout
from ._layouts_csv import build_csv

logger = logging.getLogger(__name__)

#: A folder holding a CSV of this name at its top is read as that manifest.
MANIFEST_NAME = "manifest.csv"


def load_dataset(source, *, n_frames=8, layout=None, subset=None, one_class=False, confine=False, label=None):
    """Read a data set from a folder or a CSV manifest.

    The layouts are tried in this order (see ``data/README.md``):

    1. ``"csv"``: a CSV file with header ``path,label[,group][,source]``, each path
       absolute or relative to the CSV's folder;
    2. ``"faceforensics"``: FaceForensics++ (``original_sequences/``, ``manipulated_sequences/``);
    3. ``"celebdf"``: Celeb-DF v2 (``Celeb-real/``, ``YouTube-real/``, ``Celeb-synthesis/``);
    4. ``"dfdc"``: DFDC parts, each with a ``metadata.json``;
    5. ``"folders"``: ``real/`` and ``fake/`` folders at any depth.

    A folder with a ``manifest.csv`` at its top (as ``dfdc/`` of the shared
    data, whose rows pair each fake with its real as a group) is read as that
    manifest, with ``confine=True``, whichever layout its folders match.

    Parameters
    ----------
    source : str or os.PathLike
        A folder, or the path of a ``.csv`` manifest.
    n_frames : int, default=8
        Frames sampled evenly from each video (and from each folder of
        extracted frames in FaceForensics++).
    layout : str, optional
        Force one layout instead of detecting it.
    subset : str, optional
        Keep only the items of this official split (e.g. ``"test"`` for
        Celeb-DF's ``List_of_testing_videos.txt``, ``"train"`` for the rest).

    one_class : bool, default=False
        Accept a data set with one class only, e.g. real faces to train on
        with self-blended pseudo-fakes.
    confine : bool, default=False
        For a CSV manifest from someone else: accept only relative paths that
        stay inside the CSV's folder (no absolute path, no ``..`` out of it).
    label : {"real", "fake", 0, 1}, default=None
        Read ``source`` as a folder of one class (layout ``"flat"``): every
        image and video below it, at any depth, takes this label, and no
        ``real/`` or ``fake/`` folder is needed. Implies ``one_class``. A
        folder that holds a class folder of the other class is refused, and
        so is a CSV manifest, which has labels of its own.

    Returns
    -------
    dataset : Dataset
        Its ``name`` (what reports call it) is :func:`dataset_name` of ``source``.

    Raises
    ------
    DatasetLayoutError
        When ``source`` is missing or empty, matches no layout, is
        inconsistent (bad CSV rows, a listed file that is missing, a path
        outside the CSV's folder with ``confine``), holds only one class (unless
        ``one_class``), or when
        ``subset`` is given for a layout without splits.

    Examples
    --------
    A ``real/`` and ``fake/`` folder tree, here the demo set written to disk:

    >>> import tempfile
    >>> from facetruth.data import load_dataset, make_demo_dataset
    >>> root = tempfile.mkdtemp()
    >>> _ = make_demo_dataset(4, size=32, out=root)
    >>> data = load_dataset(root)
    >>> len(data), data.layout, data.counts()
    (4, 'folders', {0: 2, 1: 2})

    A CSV manifest may list files anywhere: absolute paths, or paths relative
    to the CSV's folder (``..`` included):

    >>> import os
    >>> manifest = os.path.join(root, "manifests", "all.csv")
    >>> os.mkdir(os.path.dirname(manifest))
    >>> rows = [f"{os.path.relpath(p, os.path.dirname(manifest))},{y}" for p, y in zip(data.paths, data.labels)]
    >>> rows[0] = f"{data.paths[0]},{data.labels[0]}"  # an absolute path
    >>> with open(manifest, "w") as fh:
    ...     _ = fh.write("path,label\\n" + "\\n".join(rows) + "\\n")
    >>> load_dataset(manifest).counts()
    {0: 2, 1: 2}
    >>> load_dataset(manifest, confine=True)
    Traceback (most recent call last):
    ...
    facetruth.exceptions.DatasetLayoutError: ...row 2: path ... is absolute; confine=True accepts only ...
    >>> load_dataset(manifest).name
    'all.csv'

    A folder of one class, without class folders, read with its label:

    >>> reals = load_dataset(os.path.join(root, "real"), label="real")
    >>> reals.layout, reals.counts(), reals.name
    ('flat', {0: 2, 1: 0}, 'real')
    """
    if isinstance(n_frames, bool) or not isinstance(n_frames, (int, np.integer)) or n_frames < 1:
        raise ValueError(f"n_frames must be a positive integer, got {n_frames!r}.")
    label = _check_label(label, layout)
    if layout is not None and layout not in LAYOUT_DESCRIPTIONS and label is None:
        raise ValueError(f"layout must be one of {sorted(LAYOUT_DESCRIPTIONS)} or None, got {layout!r}.")
    path = Path(source)
    if not path.exists():
        raise DatasetLayoutError(f"{os.fsdecode(source)!r}: no such file or folder.")
    if label is not None:
        layout, one_class = "flat", True
    elif layout is None:
        layout = detect_layout(path)
        if path.is_dir() and (path / MANIFEST_NAME).is_file():
            # a folder that lists its own items (pairs as groups) is read through that list
            logger.info("%s: reading the items listed in its %s", path, MANIFEST_NAME)
            path, layout, confine = path / MANIFEST_NAME, "csv", True
    dataset = (
        build_flat(path, int(n_frames), label)
        if layout == "flat"
        else _build(layout, path, int(n_frames), confine)
    )
    dataset.name = dataset_name(source)
    if subset is not None:
        if dataset.split is None:
            raise DatasetLayoutError(
                f"{str(path)!r}: the {layout!r} layout defines no split; cannot take {subset!r}."
            )
        dataset = dataset.subset(np.array([s == subset for s in dataset.split], dtype=bool))
    _check_classes(dataset, path, one_class)
    logger.info("loaded %r", dataset)
    return dataset


def dataset_name(source):
    """What reports call a data set: a CSV manifest's file name, else the folder's own name.

    The folder's name is that of its absolute path, so ``"."`` is named
    after the working folder.

    Examples
    --------
    >>> import os
    >>> from facetruth.data._datasets import dataset_name
    >>> dataset_name("runs/test.csv"), dataset_name(".") == os.path.basename(os.getcwd())
    ('test.csv', True)
    """
    path = Path(os.path.abspath(os.fspath(source)))
    if path.suffix.lower() == ".csv" and not path.is_dir():
        return path.name
    return path.name or str(path)  # the file system's root has no name of its own


def _check_label(label, layout):
    """``label`` as 0 (real) or 1 (fake), or ``None``."""
    if label is None:
        return None
    labels = {"real": 0, "fake": 1, 0: 0, 1: 1}
    key = label.lower() if isinstance(label, str) else label
    if isinstance(label, bool) or key not in labels:
        raise ValueError(f"label must be 'real', 'fake', 0 or 1, got {label!r}.")
    if layout not in (None, "flat"):
        raise ValueError(
            f"a label reads a folder of one class (layout 'flat'); it cannot go with {layout!r}."
        )
    return labels[key]


def _build(layout, path, n_frames, confine=False):
    if layout == "csv":
        return build_csv(path, n_frames, confine=confine)
    if layout == "folders":
        return build_folders(path, n_frames)
    from ._layouts_video import build_celebdf, build_dfdc, build_faceforensics

    builders = {"faceforensics": build_faceforensics, "celebdf": build_celebdf, "dfdc": build_dfdc}
    return builders[layout](path, n_frames)


def _check_classes(dataset, path, one_class=False):
    counts = dataset.counts()
    skipped = f"; {len(dataset.skipped)} file(s) skipped" if dataset.skipped else ""
    if len(dataset) == 0:
        raise DatasetLayoutError(
            f"{str(path)!r}: no usable image or video found ({dataset.layout} layout){skipped}."
        )
    if not one_class and (counts[0] == 0 or counts[1] == 0):
        raise DatasetLayoutError(
            f"{str(path)!r}: only one class found ({counts[0]} real, {counts[1]} fake, "
            f"{dataset.layout} layout){skipped}; both real and fake items are needed."
        )
