"""A content-addressed on-disk cache of numpy arrays.

Entries are ``.npy`` files named by a key (a hex digest) and written
atomically, so several processes may share one cache folder: the worst a race
can do is compute the same entry twice.
"""

import hashlib
import json
import logging
import os
from pathlib import Path

import numpy as np

from ._atomic import atomic_open

logger = logging.getLogger(__name__)


def hash_bytes(*parts):
    """Return the hex BLAKE2b digest (32 hex chars) of the given byte strings."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part)
    return h.hexdigest()


def hash_array(array):
    """Content hash of a numpy array, including its shape and dtype."""
    array = np.ascontiguousarray(array)
    header = f"{array.dtype.str}{array.shape}".encode()
    return hash_bytes(header, memoryview(array).cast("B"))


def hash_params(params):
    """Stable hash of a JSON-serialisable parameter mapping."""
    return hash_bytes(json.dumps(params, sort_keys=True, default=str).encode())


def hash_file(path, chunk_size=1 << 20):
    """Content hash of a file's bytes."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


class ArrayCache:
    """Folder of ``.npy`` entries addressed by ``(namespace, key)``.

    Parameters
    ----------
    directory : str or os.PathLike
        Root folder; created on the first write.

    Attributes
    ----------
    hits, misses, writes : int
        Counters for this instance (per process).
    """

    def __init__(self, directory):
        self.directory = Path(directory)
        self.hits = 0
        self.misses = 0
        self.writes = 0

    def _path(self, namespace, key):
        return self.directory / namespace / key[:2] / f"{key}.npy"

    def get(self, namespace, key):
        """Return the cached array, or ``None`` when absent or unreadable."""
        path = self._path(namespace, key)
        try:
            value = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            self.misses += 1
            logger.debug("cache miss %s/%s", namespace, key)
            return None
        except (OSError, ValueError) as exc:  # damaged entry: recompute it
            logger.warning("ignoring damaged cache entry %s: %s", path, exc)
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, namespace, key, value):
        """Store ``value`` atomically under ``(namespace, key)``."""
        with atomic_open(self._path(namespace, key), "wb") as fh:
            np.save(fh, np.asarray(value), allow_pickle=False)
        self.writes += 1
        logger.debug("cache write %s/%s", namespace, key)

    def __len__(self):
        return sum(1 for _ in self.directory.rglob("*.npy")) if self.directory.exists() else 0

    def __repr__(self):
        return f"ArrayCache({os.fspath(self.directory)!r})"
