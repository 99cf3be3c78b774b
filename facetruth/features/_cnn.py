"""The CNN embedding: pooled EfficientNet-Lite0 features of each image.

:func:`cnn_embedding` is the pure function (a batch in, one 1280-vector per
image out); :class:`CNNEmbedding` is its scikit-learn transformer, built in
the manner of skorch: ``device="auto"``, ``batch_size``, the network lives in
``model_`` and is never pickled.

References
----------
.. [1] M. Tan and Q. V. Le, "EfficientNet: Rethinking Model Scaling for
       Convolutional Neural Networks", ICML 2019.
"""

import contextlib
import logging
import os
from numbers import Integral

import cv2
import numpy as np
from sklearn.utils._param_validation import HasMethods, Interval, validate_params

from .._cache import hash_file
from ._base import ImageFeatureTransformer, check_images
from ._network import NetworkFeatureTransformer, _torch_threads

logger = logging.getLogger(__name__)

#: must match facetruth.features._backbone (kept here to avoid importing torch for constants)
_EMBEDDING_DIM = 1280
_MEAN, _STD = 127.0, 128.0
#: images per forward pass on CPU: a depthwise-separable network is bound by
#: memory traffic there, and the activations of a few images stay in cache
#: while those of 32 do not (about 1.5x faster per image, same results)
_CPU_MICRO_BATCH = 4
#: a network: a torch module, run on the device of its parameters
_MODEL = HasMethods(["parameters", "eval"])
_BATCH_SIZE = Interval(Integral, 1, None, closed="left")
#: constraints on the parameters of the function and of the transformer
_NETWORK_CONSTRAINTS = {
    "device": [str],
    "batch_size": [_BATCH_SIZE],
    "image_size": [Interval(Integral, 32, 1024, closed="both")],
}


@validate_params(
    {"image": ["array-like"], "size": [Interval(Integral, 1, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def resize_square(image, size):
    """Resize an image to ``(size, size, 3)``: area averaging down, bilinear up.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
    size : int
        At least 1.

    Returns
    -------
    resized : ndarray of shape (size, size, 3), dtype uint8

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import resize_square
    >>> image = np.zeros((48, 64, 3), np.uint8)
    >>> image[:, 32:] = 200
    >>> small = resize_square(image, 4)
    >>> small.shape
    (4, 4, 3)
    >>> print(small[0, :, 0])
    [  0   0 200 200]
    """
    image = np.asarray(image)
    if image.shape[:2] == (size, size):
        return np.ascontiguousarray(image)
    shrink = image.shape[0] * image.shape[1] > size * size
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def images_to_tensor(images, device):
    """Normalise a stack of uint8 RGB images for EfficientNet-Lite.

    Parameters
    ----------
    images : ndarray of shape (n, size, size, 3), dtype uint8
    device : str or torch.device

    Returns
    -------
    tensor : torch.Tensor of shape (n, 3, size, size), float32, channels_last
        ``(x - 127) / 128`` on ``device``.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import images_to_tensor
    >>> tensor = images_to_tensor(np.full((2, 8, 8, 3), 255, np.uint8), "cpu")
    >>> tuple(tensor.shape), tensor.dtype, float(tensor.max())
    ((2, 3, 8, 8), torch.float32, 1.0)
    """
    import torch

    batch = torch.from_numpy(np.ascontiguousarray(images)).to(device, non_blocking=True)
    batch = batch.permute(0, 3, 1, 2).float().sub_(_MEAN).div_(_STD)
    return batch.contiguous(memory_format=torch.channels_last)


def autocast_context(device):
    """Mixed precision on CUDA (bfloat16 where supported, else float16); nothing on CPU.

    Parameters
    ----------
    device : str or torch.device

    Returns
    -------
    context : context manager
        ``torch.autocast`` on CUDA, else a :func:`contextlib.nullcontext`.

    Examples
    --------
    >>> from facetruth.features import autocast_context
    >>> autocast_context("cpu")
    <contextlib.nullcontext object at ...>
    """
    import torch

    if torch.device(device).type != "cuda":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)


@validate_params(
    {
        "images": ["array-like"],
        "model": [_MODEL],
        "batch_size": [_BATCH_SIZE],
        "image_size": [Interval(Integral, 1, None, closed="left")],
        "forward": [callable],
    },
    prefer_skip_nested_validation=True,
)
def run_batches(images, model, batch_size, image_size, forward):
    """Apply ``forward(model, tensor)`` to resized batches of images under ``torch.inference_mode``.

    Parameters
    ----------
    images : sequence of ndarray of shape (height, width, 3), dtype uint8
    model : torch.nn.Module
        Run on the device of its parameters (mixed precision on CUDA).
    batch_size : int
        Images per batch (smaller micro-batches on the CPU).
    image_size : int
        Square side each image is resized to.
    forward : callable
        ``forward(model, tensor) -> tensor`` of shape ``(batch, ...)``.

    Returns
    -------
    outputs : ndarray of shape (n_images, ...), dtype float32

    Examples
    --------
    A one-layer network, mean-pooled:

    >>> import numpy as np
    >>> import torch
    >>> from facetruth.features import run_batches
    >>> net = torch.nn.Conv2d(3, 2, kernel_size=1)
    >>> images = [np.zeros((10, 12, 3), np.uint8), np.zeros((20, 20, 3), np.uint8)]
    >>> out = run_batches(images, net, 8, 16, lambda model, x: model(x).mean((2, 3)))
    >>> out.shape, out.dtype
    ((2, 2), dtype('float32'))
    """
    import torch

    device = next(model.parameters()).device
    model = model.eval().to(memory_format=torch.channels_last)
    step = min(batch_size, _CPU_MICRO_BATCH) if device.type == "cpu" else batch_size
    outputs = []
    with torch.inference_mode(), autocast_context(device):
        for start in range(0, len(images), batch_size):
            chunk = np.stack([resize_square(img, image_size) for img in images[start : start + batch_size]])
            tensor = images_to_tensor(chunk, device)
            for i in range(0, len(chunk), step):
                outputs.append(forward(model, tensor[i : i + step]).float().cpu().numpy())
    return np.concatenate(outputs, axis=0)


def _pooled(model, x):
    return model.forward_head(model.forward_features(x), pre_logits=True)


@validate_params(
    {"images": ["array-like"], "model": [None, _MODEL], **_NETWORK_CONSTRAINTS},
    prefer_skip_nested_validation=True,
)
def cnn_embedding(images, *, model=None, device="auto", batch_size=32, image_size=224):
    """Global-average-pooled EfficientNet-Lite0 features of images.

    Each image is resized to ``image_size`` square (area averaging when
    shrinking), normalised as ``(x - 127) / 128`` and passed through the
    network up to the pooled 1280-channel head, i.e. the input of the
    ImageNet classifier (timm's ``forward_head(..., pre_logits=True)``).

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width, 3) or list of ndarray, or one image
        uint8 RGB. A single ``(height, width, 3)`` image gives a 1-D result.
    model : torch.nn.Module, optional
        A backbone from :func:`facetruth.models.load_backbone`; it runs on
        the device its parameters are on. Default: the ImageNet backbone,
        loaded on ``device`` (slow: load it once and pass it).
    device : str, default="auto"
        Used only when ``model`` is None; see
        :func:`facetruth.models.resolve_device`.
    batch_size : int, default=32
        Images per forward pass (on CPU, images are resized and normalised
        ``batch_size`` at a time and passed through the network at most 4 at
        a time, which is faster there and gives the same embeddings).
    image_size : int, default=224
        Side of the network input, 32 to 1024.

    Returns
    -------
    embedding : ndarray of shape (n_images, 1280) or (1280,), dtype float32

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        For a parameter of the wrong type or out of range (a ``ValueError``).

    See Also
    --------
    CNNEmbedding : The transformer, which keeps the network between calls.

    Notes
    -----
    On CUDA the forward pass runs under autocast (bfloat16 or float16), so
    results differ from CPU ones in the third significant digit.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import cnn_embedding, load_backbone
    >>> backbone = load_backbone("imagenet", device="cpu")  # doctest: +SKIP
    >>> images = np.zeros((2, 64, 64, 3), np.uint8)
    >>> cnn_embedding(images, model=backbone, batch_size=2).shape  # doctest: +SKIP
    (2, 1280)
    >>> cnn_embedding(images[0], model=backbone).shape  # one image  # doctest: +SKIP
    (1280,)
    """
    single = isinstance(images, np.ndarray) and images.ndim == 3
    batch = check_images([images] if single else images)
    if model is None:
        from ._backbone import load_backbone

        model = load_backbone("imagenet", device=device)
    out = run_batches(batch, model, int(batch_size), int(image_size), _pooled).astype(np.float32)
    return out[0] if single else out


@validate_params(
    {
        "images": ["array-like"],
        "model": [_MODEL],
        "batch_size": [_BATCH_SIZE],
        "image_size": _NETWORK_CONSTRAINTS["image_size"],
    },
    prefer_skip_nested_validation=True,
)
def predict_imagenet(images, model, *, batch_size=32, image_size=224):
    """Top-1 ImageNet-1k class index of each image.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width, 3) or list of ndarray
        uint8 RGB.
    model : torch.nn.Module
        A backbone with its 1000-class classifier, from
        :func:`facetruth.models.load_backbone`.
    batch_size, image_size : int
        As in :func:`cnn_embedding`.

    Returns
    -------
    classes : ndarray of shape (n_images,), dtype int64
    """
    batch = check_images(images)
    logits = run_batches(batch, model, int(batch_size), int(image_size), lambda m, x: m(x))
    return logits.argmax(axis=1).astype(np.int64)


class CNNEmbedding(NetworkFeatureTransformer):
    """Pooled EfficientNet-Lite0 embedding of each image (1280 features).

    Parameters
    ----------
    weights : "imagenet" or str, default="imagenet"
        ImageNet weights, or the path of a backbone fine-tuned by
        :func:`facetruth.models.finetune`.
    device : str, default="auto"
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``; resolved when the
        network is built, so an unpickled transformer picks the device of the
        machine it runs on.
    batch_size : int, default=32
        Images per forward pass.
    image_size : int, default=224
        Side of the square network input.
    n_jobs : int, optional
        CPU threads torch uses during :meth:`transform` (restored afterwards);
        None leaves torch's setting alone.
    cache : str or os.PathLike, optional
        Folder of an :class:`~facetruth._cache.ArrayCache`; entries are keyed
        by image content, weights file content, image size and precision.

    Attributes
    ----------
    model_ : torch.nn.Module
        The network; dropped when pickled and rebuilt on first use.
    device_ : str
        The device ``model_`` was built on.
    feature_names_out_ : ndarray of str
        ``cnn_emb_0000`` ... ``cnn_emb_1279``.
    n_features_out_ : int
        1280.

    See Also
    --------
    cnn_embedding : The function it maps over batches.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import CNNEmbedding
    >>> cnn = CNNEmbedding(device="cpu", batch_size=8)
    >>> cnn.get_params()["image_size"]
    224
    >>> images = np.zeros((2, 64, 64, 3), np.uint8)
    >>> cnn.fit_transform(images).shape  # doctest: +SKIP
    (2, 1280)
    >>> cnn.get_feature_names_out()[:2]  # doctest: +SKIP
    array(['cnn_emb_0000', 'cnn_emb_0001'], dtype=object)
    """

    family = "cnn"
    _parameter_constraints: dict = {
        **ImageFeatureTransformer._parameter_constraints,
        "weights": [str, os.PathLike],
        **_NETWORK_CONSTRAINTS,
    }

    def __init__(
        self, *, weights="imagenet", device="auto", batch_size=32, image_size=224, n_jobs=None, cache=None
    ):
        self.weights = weights
        self.device = device
        self.batch_size = batch_size
        self.image_size = image_size
        self.n_jobs = n_jobs
        self.cache = cache

    def _feature_names(self):
        return [f"emb_{i:04d}" for i in range(_EMBEDDING_DIM)]

    def _feature_kwargs(self):
        from ._backbone import resolve_device

        if self.weights == "imagenet":
            weights_id = "imagenet"
        else:
            try:
                weights_id = hash_file(self.weights)
            except (OSError, TypeError) as exc:
                msg = f"Backbone weights file not readable: {self.weights!r} ({exc})"
                raise FileNotFoundError(msg) from exc
        precision = "autocast" if resolve_device(self.device).startswith("cuda") else "float32"
        return {"weights": weights_id, "image_size": int(self.image_size), "precision": precision}

    def _load_model(self, device):
        from ._backbone import load_backbone

        return load_backbone(self.weights, device=device)

    def _compute_rows(self, images, kwargs):
        model = self._current_model(kwargs)
        size = kwargs["image_size"]
        with _torch_threads(self.n_jobs):
            return cnn_embedding(images, model=model, batch_size=self.batch_size, image_size=size)
