"""Shards of a feature extraction: planning, content-derived names, atomic files, manifest, result.

A shard is a contiguous run of items. Its file name is a hash of the items
(their identity and label) and of the feature parameters, so a re-run of the
same extraction finds the shards that are already done and skips them, while
any change of items or parameters gives new names. Each shard is one ``.npz``
file written through :func:`facetruth._atomic.atomic_open`, so a reader never
sees half a shard and a killed run leaves nothing that looks finished.
"""

import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .._atomic import atomic_open, atomic_write_json
from .._cache import hash_array, hash_bytes

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "facetruth-shards/1"


@dataclass(frozen=True)
class ShardSpec:
    """One unit of work.

    Attributes
    ----------
    name : str
        Hex digest naming the shard file (``<name>.npz``).
    start, stop : int
        Positions ``[start, stop)`` of its items in the whole item list.
    items : list
        Loader inputs (paths, ``(video, frame)`` tuples or arrays).
    labels : ndarray of int or None
        1 = fake, 0 = real, aligned with ``items``; ``None`` when unlabelled.
    """

    name: str
    start: int
    stop: int
    items: list
    labels: object = None

    @property
    def filename(self):
        return f"{self.name}.npz"


def item_identity(item):
    """A string that identifies a loader input: its path, ``path#frame=i``, or an array hash."""
    if isinstance(item, tuple) and len(item) == 2:
        return f"{os.fspath(item[0])}#frame={int(item[1])}"
    if isinstance(item, (str, os.PathLike)):
        return os.fspath(item)
    if isinstance(item, (bytes, bytearray, memoryview)):
        return "bytes:" + hash_bytes(bytes(item))
    return "array:" + hash_array(np.asarray(item))


def plan_shards(items, labels, params_hash, shard_size):
    """Cut items into shards named by content (positions, items, labels, parameters).

    Parameters
    ----------
    items : list
        Loader inputs.
    labels : array-like of int or None
    params_hash : str
        Hash of everything that changes the features (see
        :func:`~facetruth.pipelines.extract_features`).
    shard_size : int
        Items per shard (the last one may be smaller).

    Returns
    -------
    shards : list of ShardSpec
    """
    shard_size = int(shard_size)
    if shard_size < 1:
        raise ValueError(f"shard_size must be a positive integer, got {shard_size!r}.")
    labels = None if labels is None else np.asarray(labels, dtype=np.int64)
    shards = []
    for start in range(0, len(items), shard_size):
        stop = min(start + shard_size, len(items))
        part = items[start:stop]
        part_labels = None if labels is None else labels[start:stop]
        ident = "\n".join(item_identity(item) for item in part).encode()
        label_bytes = b"" if part_labels is None else part_labels.tobytes()
        name = hash_bytes(params_hash.encode(), f"{start}:{stop}".encode(), ident, label_bytes)
        shards.append(ShardSpec(name, start, stop, part, part_labels))
    return shards


def write_shard(path, *, X, ok, errors, face_found, spectrum_sum, spectrum_count, extra=None):
    """Write one shard atomically.

    Parameters
    ----------
    path : str or os.PathLike
    X : ndarray of shape (n_ok, n_features), dtype float32
    ok : ndarray of int of shape (n_ok,)
        Global positions of the rows of ``X``.
    errors : list of (int, str)
        Global position and message of each item that failed.
    face_found : ndarray of bool of shape (n_ok,)
    spectrum_sum : ndarray of shape (2, n_bins)
        Sum of the log power profiles of the real (row 0) and fake (row 1) crops.
    spectrum_count : ndarray of shape (2,)
    extra : dict, default=None
        Extra training rows made from the shard's crops: ``X`` (their
        features), ``labels``, ``sources`` (global position of each row's
        source item) and ``kinds`` (``"sbi"`` or ``"augment"``).
    """
    arrays = {}
    if extra is not None:
        arrays = {
            "extra_X": np.asarray(extra["X"], dtype=np.float32),
            "extra_labels": np.asarray(extra["labels"], dtype=np.int64),
            "extra_sources": np.asarray(extra["sources"], dtype=np.int64),
            "extra_kinds": np.asarray(extra["kinds"], dtype=str),
        }
    with atomic_open(path, "wb") as fh:
        np.savez(
            fh,
            X=np.asarray(X, dtype=np.float32),
            ok=np.asarray(ok, dtype=np.int64),
            face_found=np.asarray(face_found, dtype=bool),
            errors=np.asarray(json.dumps([[int(i), str(m)] for i, m in errors])),
            spectrum_sum=np.asarray(spectrum_sum, dtype=np.float64),
            spectrum_count=np.asarray(spectrum_count, dtype=np.int64),
            **arrays,
        )


def read_shard(path, *, arrays=True):
    """Read a shard file.

    Parameters
    ----------
    path : str or os.PathLike
    arrays : bool, default=True
        Also read the feature matrix ``X`` (otherwise only the small fields).

    Returns
    -------
    shard : dict
        ``ok``, ``face_found``, ``errors`` (list of (int, str)),
        ``spectrum_sum``, ``spectrum_count``, ``extra_labels``,
        ``extra_sources``, ``extra_kinds`` (empty without extra rows) and,
        with ``arrays``, ``X`` and ``extra_X``.
    """
    with np.load(path, allow_pickle=False) as data:
        has_extra = "extra_labels" in data.files
        out = {
            "ok": data["ok"],
            "face_found": data["face_found"],
            "errors": [(int(i), str(m)) for i, m in json.loads(str(data["errors"]))],
            "spectrum_sum": data["spectrum_sum"],
            "spectrum_count": data["spectrum_count"],
            "extra_labels": data["extra_labels"] if has_extra else np.empty(0, np.int64),
            "extra_sources": data["extra_sources"] if has_extra else np.empty(0, np.int64),
            "extra_kinds": data["extra_kinds"] if has_extra else np.empty(0, str),
        }
        if arrays:
            out["X"] = data["X"]
            if has_extra:
                out["extra_X"] = data["extra_X"]
            else:
                out["extra_X"] = np.empty((0, data["X"].shape[1]), np.float32)
    return out


def shard_is_done(path):
    """Whether a readable shard file exists at ``path`` (a damaged one counts as not done)."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        read_shard(path, arrays=False)
    except (OSError, ValueError, KeyError):
        return False
    return True


def write_manifest(directory, manifest):
    """Write ``manifest.json`` in ``directory`` atomically; returns its path."""
    path = Path(directory) / MANIFEST
    atomic_write_json(path, {"format": MANIFEST_FORMAT, **manifest})
    return path


def read_manifest(directory):
    """The manifest of a shard folder, as a dict."""
    with open(Path(directory) / MANIFEST, encoding="utf-8") as fh:
        return json.load(fh)


@dataclass
class ExtractionResult:
    """Features of a data set, stored as shard files in ``directory``.

    Attributes
    ----------
    directory : pathlib.Path
        The shard folder (``*.npz`` and ``manifest.json``).
    items : list
        Every input item, in order.
    labels, groups : ndarray of shape (n_items,) or None
        Of every input item (``None`` for an unlabelled list of items).
    ok : ndarray of int
        Positions in ``items`` of the rows of :attr:`X`.
    feature_names : list of str
        ``fft__fft_bin_000``-style names, as the pipeline's feature union gives them.
    failed : list of (str, str)
        Item and message of every item that failed (decoding or features).
    shard_files : list of pathlib.Path
        In item order.
    shards_done, shards_skipped : int
        Shards computed by this call, and shards found finished on disk.
    face_found : ndarray of bool of shape (n_ok,)
    spectrum_sum : ndarray of shape (2, n_bins)
        Summed log power profiles of the real (row 0) and fake (row 1) crops.
    spectrum_count : ndarray of shape (2,)
    extra_labels, extra_sources : ndarray of int of shape (n_extra,)
        Labels of the extra training rows made in the shards, and the
        position in ``items`` of each row's source.
    extra_kinds : ndarray of str of shape (n_extra,)
        ``"sbi"`` or ``"augment"``.

    Examples
    --------
    >>> import tempfile
    >>> from facetruth.data import load_dataset, make_demo_dataset
    >>> from facetruth.pipelines import build_features, build_loader, extract_features
    >>> folder = tempfile.mkdtemp()
    >>> _ = make_demo_dataset(n=8, size=32, out=folder)
    >>> result = extract_features(
    ...     build_loader("off", 32), build_features("fft"), load_dataset(folder),
    ...     out=tempfile.mkdtemp(), shard_size=4,
    ... )
    >>> result.X.shape, result.shards_done, result.feature_names[:2]
    ((8, 69), 2, ['fft__fft_dc', 'fft__fft_bin_000'])
    >>> X, y, groups = result.training_rows()
    >>> len(X) == len(y) == len(groups) == 8
    True
    """

    directory: Path
    items: list
    labels: object
    groups: object
    ok: np.ndarray
    feature_names: list
    failed: list = field(default_factory=list)
    shard_files: list = field(default_factory=list)
    shards_done: int = 0
    shards_skipped: int = 0
    face_found: object = None
    spectrum_sum: object = None
    spectrum_count: object = None
    extra_labels: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    extra_sources: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    extra_kinds: np.ndarray = field(default_factory=lambda: np.empty(0, str))

    def _stack(self, key):
        parts = [read_shard(p)[key] for p in self.shard_files]
        parts = [p for p in parts if len(p)]
        if not parts:
            return np.empty((0, len(self.feature_names)), dtype=np.float32)
        return np.concatenate(parts)

    @cached_property
    def X(self):
        """Feature matrix of shape (n_ok, n_features), float32, read from the shards on first use."""
        return self._stack("X")

    @cached_property
    def X_extra(self):
        """Features of the extra training rows, shape (n_extra, n_features), float32."""
        return self._stack("extra_X")

    def training_rows(self):
        """What a detector trains on: the items' rows, then the extra rows.

        Returns
        -------
        X : ndarray of shape (n_ok + n_extra, n_features)
        y : ndarray of shape (n_ok + n_extra,)
        groups : ndarray of shape (n_ok + n_extra,)
            An extra row takes its source item's group, so calibration folds
            keep a crop and the rows made from it together.
        """
        groups = np.asarray(self.groups, dtype=object)
        if not self.extra_labels.size:
            return self.X, self.y, groups[self.ok]
        return (
            np.concatenate([self.X, self.X_extra]),
            np.concatenate([self.y, self.extra_labels]),
            np.concatenate([groups[self.ok], groups[self.extra_sources]]),
        )

    @property
    def y(self):
        """Labels of the rows of :attr:`X` (``None`` when unlabelled)."""
        return None if self.labels is None else np.asarray(self.labels)[self.ok]

    def to_dask_array(self):
        """:attr:`X` as a lazy ``dask.array`` with one chunk per shard (needs a shared filesystem)."""
        import dask
        import dask.array as da

        counts = [int(read_shard(p, arrays=False)["ok"].size) for p in self.shard_files]
        n = len(self.feature_names)
        blocks = [
            da.from_delayed(dask.delayed(_shard_matrix)(os.fspath(p)), shape=(c, n), dtype=np.float32)
            for p, c in zip(self.shard_files, counts)
        ]
        return da.concatenate(blocks, axis=0)


def _shard_matrix(path):
    return read_shard(path)["X"]
