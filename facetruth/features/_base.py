"""The shared machinery of the feature transformers.

Each feature family is a pure function ``f(image, **params) -> 1-D float32``
on one ``(height, width, 3) uint8`` image. Its transformer is a thin
scikit-learn estimator that validates the batch, maps the function over the
images (in parallel with ``n_jobs``), optionally through an on-disk cache, and
names the output columns.
"""

import logging
import os
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._cache import ArrayCache, hash_array, hash_params
from .._params import validate_params
from .._validation import check_images

logger = logging.getLogger(__name__)

#: bump when a feature function's output changes, to invalidate old cache entries
FEATURE_VERSION = 1


class ImageFeatureTransformer(TransformerMixin, BaseEstimator):
    """Base class: map a per-image feature function over a batch.

    Subclasses set ``family`` (the name prefix), store their keyword
    arguments in ``__init__`` (which must also accept ``n_jobs`` and
    ``cache``), extend :attr:`_parameter_constraints` (constraints in
    scikit-learn's style, see :mod:`facetruth._validation`, checked by :meth:`fit`), and implement
    :meth:`_feature_kwargs`, :meth:`_function` and :meth:`_feature_names`.
    A family that computes a whole batch at once (e.g. a neural network)
    overrides :meth:`_compute_rows` instead of :meth:`_function`; the cache,
    keyed by image content and :meth:`_feature_kwargs`, works the same for
    both.

    The transformers learn nothing from the data. One that builds nothing in
    :meth:`fit` either (no network) is stateless and declares
    ``requires_fit=False`` in its ``__sklearn_tags__``: its :meth:`transform`
    then also works before :meth:`fit`, as scikit-learn's
    :class:`~sklearn.preprocessing.Normalizer` does.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import ImageFeatureTransformer
    >>> class MeanLevel(ImageFeatureTransformer):
    ...     family = "mean"
    ...
    ...     def __init__(self, *, n_jobs=None, cache=None):
    ...         self.n_jobs = n_jobs
    ...         self.cache = cache
    ...
    ...     def _function(self):
    ...         return lambda image: image.mean(axis=(0, 1))
    ...
    ...     def _feature_kwargs(self):
    ...         return {}
    ...
    ...     def _feature_names(self):
    ...         return ["r", "g", "b"]
    ...
    ...     def __sklearn_tags__(self):
    ...         tags = super().__sklearn_tags__()
    ...         tags.requires_fit = False
    ...         return tags
    >>> images = np.full((2, 8, 8, 3), 100, dtype=np.uint8)
    >>> MeanLevel().fit_transform(images)
    array([[100., 100., 100.],
           [100., 100., 100.]], dtype=float32)
    >>> MeanLevel().transform(images[:1])  # stateless: no fit needed
    array([[100., 100., 100.]], dtype=float32)
    >>> MeanLevel().fit(images).get_feature_names_out()
    array(['mean_r', 'mean_g', 'mean_b'], dtype=object)
    """

    family = None
    #: images per joblib task; per-image work is only a few milliseconds
    _chunk_size = 16

    _parameter_constraints: dict = {
        "n_jobs": [Integral, None],
        "cache": [str, os.PathLike, None],
    }

    def _validate_params(self):
        """Check every parameter against :attr:`_parameter_constraints` (before any work)."""
        validate_params(self, self._parameter_constraints)

    def _function(self):
        """Return the pure per-image feature function."""
        raise NotImplementedError

    def _planes_function(self):
        """The feature function on an :class:`~facetruth.features._color.ImagePlanes`, or None.

        A family that has one can be computed together with the other such
        families in one pass per image (:class:`HandcraftedUnion`), sharing
        the colour conversions; its output must equal :meth:`_function`'s.
        """
        return None

    def _feature_kwargs(self):
        """Keyword arguments passed to the feature function (parameters already validated)."""
        raise NotImplementedError

    def _feature_names(self):
        """Output names without the family prefix."""
        raise NotImplementedError

    def _prefixed_names(self):
        return np.asarray([f"{self.family}_{n}" for n in self._feature_names()], dtype=object)

    def fit(self, X, y=None):
        """Validate parameters and the batch; nothing is learnt from the data.

        Parameters
        ----------
        X : ndarray of shape (n_images, height, width, 3) or list of ndarray
            Images, uint8 RGB.
        y : None
            Ignored.

        Returns
        -------
        self : object

        Raises
        ------
        facetruth.exceptions.InvalidParameterError
            For a parameter of the wrong type or out of range (a
            ``ValueError``).
        """
        self._validate_params()
        check_images(X)
        self._feature_kwargs()  # e.g. an unreadable weights file
        self.feature_names_out_ = self._prefixed_names()
        self.n_features_out_ = len(self.feature_names_out_)
        return self

    def _names_for_transform(self):
        """The fitted names, or for a stateless transformer never fitted, those of its parameters."""
        if hasattr(self, "feature_names_out_") or self.__sklearn_tags__().requires_fit:
            check_is_fitted(self, "feature_names_out_")
            return self.feature_names_out_
        self._validate_params()
        return self._prefixed_names()

    def transform(self, X):
        """Compute the features of each image.

        Parameters
        ----------
        X : ndarray of shape (n_images, height, width, 3) or list of ndarray
            Images, uint8 RGB.

        Returns
        -------
        features : ndarray of shape (n_images, n_features_out_), dtype float32
        """
        n_features = len(self._names_for_transform())
        images = check_images(X)
        return self._extract(images, n_features)

    def _compute_rows(self, images, kwargs):
        """Features of ``images`` (the cache misses), one 1-D float32 row per image."""
        return _map(self._function(), kwargs, images, self.n_jobs, self._chunk_size)

    def _extract(self, images, n_features):
        kwargs = self._feature_kwargs()
        cache = ArrayCache(self.cache) if getattr(self, "cache", None) else None
        out = np.empty((len(images), n_features), dtype=np.float32)
        todo = list(range(len(images)))
        keys = None
        if cache is not None:
            keys = cache_keys(self.family, kwargs, [hash_array(img) for img in images])
            todo = read_cached(cache, self.family, keys, out)
        step = write_step(getattr(self, "n_jobs", None), cache is not None, len(todo))
        for start in range(0, len(todo), step):
            batch = todo[start : start + step]
            rows = self._compute_rows([images[i] for i in batch], kwargs)
            for i, row in zip(batch, rows, strict=True):
                out[i] = row
                if cache is not None:
                    cache.put(self.family, keys[i], row)
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the output features, prefixed with the family name.

        Parameters
        ----------
        input_features : None
            Ignored; images have no input feature names.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        return self._names_for_transform().copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.requires_fit = True
        tags.transformer_tags.preserves_dtype = []
        return tags


#: chunks per worker process when images are spread over processes
_CHUNKS_PER_WORKER = 4

#: images per worker computed between two writes to the feature cache
_CACHE_BATCH = 64


def cache_keys(family, kwargs, hashes):
    """Feature-cache keys of images (their ``hash_array``) for one family with ``kwargs``."""
    tag = hash_params({"family": family, **kwargs, "version": FEATURE_VERSION})[:8]
    return [f"{h}{tag}" for h in hashes]


def read_cached(cache, family, keys, out):
    """Fill the rows of ``out`` that ``cache`` holds; the positions still to compute."""
    todo = []
    for i, key in enumerate(keys):
        hit = cache.get(family, key)
        if hit is not None and hit.shape == out.shape[1:]:
            out[i] = hit
        else:
            todo.append(i)
    return todo


def write_step(n_jobs, cached, n_todo):
    """Images computed between two cache writes: with a cache, a killed run keeps what it finished."""
    workers = 1 if n_jobs in (None, 1) else effective_n_jobs(n_jobs)
    return _CACHE_BATCH * workers if cached else max(n_todo, 1)


def _run_chunk(func, kwargs, chunk, single_thread=False):
    if not single_thread:
        return [np.asarray(func(img, **kwargs), dtype=np.float32) for img in chunk]
    import cv2

    # in a worker process: one OpenCV thread, the workers already share the cores
    previous = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        return [np.asarray(func(img, **kwargs), dtype=np.float32) for img in chunk]
    finally:
        cv2.setNumThreads(previous)


def _map(func, kwargs, images, n_jobs, chunk_size):
    if n_jobs in (None, 1) or len(images) <= chunk_size:
        return _run_chunk(func, kwargs, images)
    # a few chunks per worker balance the load; larger chunks amortise the transfers
    size = max(chunk_size, -(-len(images) // (_CHUNKS_PER_WORKER * effective_n_jobs(n_jobs))))
    chunks = [images[i : i + size] for i in range(0, len(images), size)]
    parts = Parallel(n_jobs=n_jobs)(delayed(_run_chunk)(func, kwargs, c, True) for c in chunks)
    return [row for part in parts for row in part]
