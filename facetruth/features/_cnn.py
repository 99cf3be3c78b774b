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

import cv2
import numpy as np

from .._cache import hash_file
from ._base import ImageFeatureTransformer, check_images

logger = logging.getLogger(__name__)

#: must match facetruth.features._backbone (kept here to avoid importing torch for constants)
_EMBEDDING_DIM = 1280
_MEAN, _STD = 127.0, 128.0
#: images per forward pass on CPU: a depthwise-separable network is bound by
#: memory traffic there, and the activations of a few images stay in cache
#: while those of 32 do not (about 1.5x faster per image, same results)
_CPU_MICRO_BATCH = 4


def resize_square(image, size):
    """Resize an image to ``(size, size, 3)``: area averaging down, bilinear up.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
    size : int

    Returns
    -------
    resized : ndarray of shape (size, size, 3), dtype uint8
    """
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
    """
    import torch

    batch = torch.from_numpy(np.ascontiguousarray(images)).to(device, non_blocking=True)
    batch = batch.permute(0, 3, 1, 2).float().sub_(_MEAN).div_(_STD)
    return batch.contiguous(memory_format=torch.channels_last)


def autocast_context(device):
    """Mixed precision on CUDA (bfloat16 where supported, else float16); nothing on CPU."""
    import torch

    if torch.device(device).type != "cuda":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)


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


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}.")


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
        Side of the network input.

    Returns
    -------
    embedding : ndarray of shape (n_images, 1280) or (1280,), dtype float32

    Notes
    -----
    On CUDA the forward pass runs under autocast (bfloat16 or float16), so
    results differ from CPU ones in the third significant digit.
    """
    single = isinstance(images, np.ndarray) and images.ndim == 3
    batch = check_images([images] if single else images)
    _check_batch_size(batch_size)
    if model is None:
        from ._backbone import load_backbone

        model = load_backbone("imagenet", device=device)
    out = run_batches(batch, model, int(batch_size), int(image_size), _pooled).astype(np.float32)
    return out[0] if single else out


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
    _check_batch_size(batch_size)
    logits = run_batches(batch, model, int(batch_size), int(image_size), lambda m, x: m(x))
    return logits.argmax(axis=1).astype(np.int64)


@contextlib.contextmanager
def _torch_threads(n_jobs):
    """Use ``n_jobs`` intra-op threads inside the block, then restore the previous setting."""
    if n_jobs is None:
        yield
        return
    import torch
    from joblib import effective_n_jobs

    previous = torch.get_num_threads()
    torch.set_num_threads(effective_n_jobs(n_jobs))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class CNNEmbedding(ImageFeatureTransformer):
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
    """

    family = "cnn"

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

        _check_batch_size(self.batch_size)
        if isinstance(self.image_size, bool) or not isinstance(self.image_size, (int, np.integer)):
            raise ValueError(f"image_size must be an integer; got {self.image_size!r}.")
        if not 32 <= self.image_size <= 1024:
            raise ValueError(f"image_size must be between 32 and 1024; got {self.image_size}.")
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

    def fit(self, X, y=None):
        """Validate the parameters and the batch and build the network.

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
        from ._backbone import load_backbone, resolve_device

        self.device_ = resolve_device(self.device)
        self.model_ = load_backbone(self.weights, device=self.device_)
        return self.model_

    def _compute_rows(self, images, kwargs):
        model = getattr(self, "model_", None)
        if model is None:
            model = self._build_model()
        size = kwargs["image_size"]
        with _torch_threads(self.n_jobs):
            return cnn_embedding(images, model=model, batch_size=self.batch_size, image_size=size)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("model_", None)
        return state
