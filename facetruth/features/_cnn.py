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

import logging
import os
from numbers import Integral

import numpy as np

from .._cache import hash_file
from .._params import Interval, validate_arguments
from ._base import ImageFeatureTransformer, check_images
from ._network import NetworkFeatureTransformer, _torch_threads
from ._torch_batches import _BATCH_SIZE, _MODEL, run_batches

logger = logging.getLogger(__name__)

#: must match facetruth.features._backbone (kept here to avoid importing torch for constants)
_EMBEDDING_DIM = 1280
#: constraints on the parameters of the function and of the transformer
_NETWORK_CONSTRAINTS = {
    "device": [str],
    "batch_size": [_BATCH_SIZE],
    "image_size": [Interval(Integral, 32, 1024, closed="both")],
}


def _pooled(model, x):
    return model.forward_head(model.forward_features(x), pre_logits=True)


@validate_arguments({"images": ["array-like"], "model": [None, _MODEL], **_NETWORK_CONSTRAINTS})
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
        A backbone from :func:`facetruth.features.load_backbone`; it runs on
        the device its parameters are on. Default: the ImageNet backbone,
        loaded on ``device`` (slow: load it once and pass it).
    device : str, default="auto"
        Used only when ``model`` is None; see
        :func:`facetruth.features.resolve_device`.
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
    facetruth.exceptions.InvalidParameterError
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


@validate_arguments(
    {
        "images": ["array-like"],
        "model": [_MODEL],
        "batch_size": [_BATCH_SIZE],
        "image_size": _NETWORK_CONSTRAINTS["image_size"],
    }
)
def predict_imagenet(images, model, *, batch_size=32, image_size=224):
    """Top-1 ImageNet-1k class index of each image.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width, 3) or list of ndarray
        uint8 RGB.
    model : torch.nn.Module
        A backbone with its 1000-class classifier, from
        :func:`facetruth.features.load_backbone`.
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
