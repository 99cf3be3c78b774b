"""The shared machinery of the families that run a network (cnn, parts, cnnstats, clip).

They are built like skorch: ``device="auto"`` is resolved when the network is
built (:func:`~facetruth.features.resolve_device`), so an unpickled
transformer picks the device of the machine it runs on; the network lives in
``model_``, is built by ``fit``, rebuilt on first use after unpickling and
never pickled.
"""

import contextlib

from ._backbone import resolve_device
from ._base import ImageFeatureTransformer


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


class NetworkFeatureTransformer(ImageFeatureTransformer):
    """Base class of the feature transformers that run a network.

    Subclasses store a ``device`` parameter besides those of
    :class:`~facetruth.features.ImageFeatureTransformer`, implement
    :meth:`_load_model` and compute their rows in ``_compute_rows`` with the
    network of :meth:`_current_model`. :meth:`_model_is_stale` says when a
    network built earlier no longer suits the parameters (never, by default).

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features._network import NetworkFeatureTransformer
    >>> class MeanNet(NetworkFeatureTransformer):
    ...     family = "meannet"
    ...
    ...     def __init__(self, *, device="cpu", n_jobs=None, cache=None):
    ...         self.device = device
    ...         self.n_jobs = n_jobs
    ...         self.cache = cache
    ...
    ...     def _load_model(self, device):
    ...         return lambda batch: [image.mean(axis=(0, 1)) for image in batch]
    ...
    ...     def _feature_kwargs(self):
    ...         return {}
    ...
    ...     def _feature_names(self):
    ...         return ["r", "g", "b"]
    ...
    ...     def _compute_rows(self, images, kwargs):
    ...         return self._current_model(kwargs)(images)
    >>> images = np.full((1, 4, 4, 3), 7, np.uint8)
    >>> est = MeanNet().fit(images)
    >>> est.device_, est.transform(images)
    ('cpu', array([[7., 7., 7.]], dtype=float32))
    >>> "model_" in est.__getstate__()  # the network is never pickled
    False
    """

    def _load_model(self, device):
        """The network, built on the resolved ``device``."""
        raise NotImplementedError

    def _model_is_stale(self, model, kwargs):
        """Whether ``model``, built earlier, no longer suits the parameters."""
        return False

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
        self.device_ = resolve_device(self.device)
        self.model_ = self._load_model(self.device_)
        return self.model_

    def _current_model(self, kwargs):
        """``model_``, built again when missing (after unpickling) or stale."""
        model = getattr(self, "model_", None)
        if model is None or self._model_is_stale(model, kwargs):
            model = self._build_model()
        return model

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("model_", None)
        return state
