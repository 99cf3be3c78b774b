"""Atomic file writes: write to a temporary file in the target folder, then rename.

A reader never sees a half-written artefact, and a killed writer leaves at
most a ``.tmp`` file that no reader looks at.
"""

import contextlib
import json
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_open(path, mode="wb"):
    """Open a temporary file beside ``path``; rename it over ``path`` on success.

    Parameters
    ----------
    path : str or os.PathLike
        Final destination. Its parent folder is created if needed.
    mode : {"wb", "w"}
        Binary or text mode.

    Yields
    ------
    file : file object
        Write to it; it is fsynced and renamed when the block exits cleanly,
        and deleted when the block raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        # text: UTF-8; a file name that is not UTF-8 (surrogate escapes) is written back as its bytes
        text = {} if "b" in mode else {"encoding": "utf-8", "errors": "surrogateescape"}
        with os.fdopen(fd, mode, **text) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path, data):
    """Write ``data`` (bytes) to ``path`` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def atomic_write_text(path, text):
    """Write ``text`` (str, UTF-8) to ``path`` atomically."""
    with atomic_open(path, "w") as fh:
        fh.write(text)


def atomic_write_json(path, obj, **kwargs):
    """Serialise ``obj`` as indented JSON and write it to ``path`` atomically."""
    kwargs.setdefault("indent", 2)
    atomic_write_text(path, json.dumps(obj, **kwargs) + "\n")
