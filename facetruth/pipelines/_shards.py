"""Shards of a feature extraction: planning, content-derived names, atomic files, manifest.

A shard is a contiguous run of items. Its file name is a hash of the items
(their identity and label) and of the feature parameters, so a re-run of the
same extraction finds the shards that are already done and skips them, while
any change of items or parameters gives new names. Each shard is one ``.npz``
file written through :func:`facetruth._atomic.atomic_open`, so a reader never
sees half a shard and a killed run leaves nothing that looks finished.
"""

import json
import os
from dataclasses import dataclass
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


def write_shard(path, *, X, ok, errors, face_found, spectrum_sum, spectrum_count):
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
    """
    with atomic_open(path, "wb") as fh:
        np.savez(
            fh,
            X=np.asarray(X, dtype=np.float32),
            ok=np.asarray(ok, dtype=np.int64),
            face_found=np.asarray(face_found, dtype=bool),
            errors=np.asarray(json.dumps([[int(i), str(m)] for i, m in errors])),
            spectrum_sum=np.asarray(spectrum_sum, dtype=np.float64),
            spectrum_count=np.asarray(spectrum_count, dtype=np.int64),
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
        ``spectrum_sum``, ``spectrum_count`` and, with ``arrays``, ``X``.
    """
    with np.load(path, allow_pickle=False) as data:
        out = {
            "ok": data["ok"],
            "face_found": data["face_found"],
            "errors": [(int(i), str(m)) for i, m in json.loads(str(data["errors"]))],
            "spectrum_sum": data["spectrum_sum"],
            "spectrum_count": data["spectrum_count"],
        }
        if arrays:
            out["X"] = data["X"]
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
