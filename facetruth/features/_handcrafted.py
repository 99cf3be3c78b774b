"""The handcrafted families of a feature union, computed in one pass per image.

A :class:`~sklearn.pipeline.FeatureUnion` runs its transformers one after
the other: each handcrafted family converts every image to its planes again
and, with ``n_jobs``, ships the whole batch to its own worker processes.
:class:`HandcraftedUnion` is a ``FeatureUnion`` whose :meth:`transform`
instead hands each worker a chunk of images and computes all the
handcrafted families of each image there, converting the image to its
luminance and colour planes once (:class:`~facetruth.features._color.ImagePlanes`).
The values, the feature cache entries (one namespace per family, keyed as
each family's own transformer keys them) and the output names are those of
the plain union; the other families (networks) run as they do there.
"""

import numpy as np
from sklearn.pipeline import FeatureUnion

from .._cache import ArrayCache, hash_array
from .._validation import check_images
from ._base import ImageFeatureTransformer, _map, cache_keys, read_cached, write_step
from ._color import ImagePlanes

#: images per worker task: each image costs all its families at once
_CHUNK_SIZE = 8


def _one_pass(item, specs):
    """The rows of the families flagged in ``item = (image, mask)``, concatenated (float32)."""
    image, mask = item
    planes = ImagePlanes(image)
    rows = [
        np.asarray(func(planes, **kwargs), dtype=np.float32)
        for (func, kwargs), wanted in zip(specs, mask, strict=True)
        if wanted
    ]
    return np.concatenate(rows) if rows else np.zeros(0, np.float32)


def _shares_planes(transformer):
    return isinstance(transformer, ImageFeatureTransformer) and transformer._planes_function() is not None


def one_pass_transform(transformers, images):
    """Features of several handcrafted transformers, each image's families computed together.

    Parameters
    ----------
    transformers : list of ImageFeatureTransformer
        Transformers whose ``_planes_function`` is not None; their
        ``n_jobs`` (the largest) sets the worker processes and each one's
        ``cache`` its feature cache.
    images : list of ndarray of shape (height, width, 3), dtype uint8
        Validated images (:func:`~facetruth._validation.check_images`).

    Returns
    -------
    blocks : list of ndarray of shape (n_images, n_features_out_), dtype float32
        One per transformer, equal to its :meth:`transform` of ``images``.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import DCTFeatures, FFTFeatures
    >>> from facetruth.features._handcrafted import one_pass_transform
    >>> images = [np.zeros((32, 32, 3), np.uint8)] * 2
    >>> fft, dct = one_pass_transform([FFTFeatures(n_bins=8), DCTFeatures()], images)
    >>> fft.shape, dct.shape
    ((2, 13), (2, 434))
    >>> np.array_equal(fft, FFTFeatures(n_bins=8).transform(images))
    True
    """
    n_images, n_families = len(images), len(transformers)
    sizes = [len(t._names_for_transform()) for t in transformers]
    specs = [(t._planes_function(), t._feature_kwargs()) for t in transformers]
    blocks = [np.empty((n_images, n), np.float32) for n in sizes]
    caches = [ArrayCache(t.cache) if getattr(t, "cache", None) else None for t in transformers]
    missing = np.ones((n_images, n_families), bool)
    keys = [None] * n_families
    cached = any(c is not None for c in caches)
    if cached:
        hashes = [hash_array(img) for img in images]  # once for all the families
        for f, (t, cache) in enumerate(zip(transformers, caches, strict=True)):
            if cache is not None:
                keys[f] = cache_keys(t.family, specs[f][1], hashes)
                missing[:, f] = False
                missing[read_cached(cache, t.family, keys[f], blocks[f]), f] = True
    todo = np.flatnonzero(missing.any(axis=1))
    n_jobs = max((t.n_jobs for t in transformers if t.n_jobs is not None), default=None)
    step = write_step(n_jobs, cached, len(todo))
    for start in range(0, len(todo), step):
        batch = todo[start : start + step]
        items = [(images[i], missing[i]) for i in batch]
        rows = _map(_one_pass, {"specs": specs}, items, n_jobs, _CHUNK_SIZE)
        for i, row in zip(batch, rows, strict=True):
            offset = 0
            for f in np.flatnonzero(missing[i]):
                blocks[f][i] = row[offset : offset + sizes[f]]
                offset += sizes[f]
                if caches[f] is not None:
                    caches[f].put(transformers[f].family, keys[f][i], blocks[f][i])
    return blocks


class HandcraftedUnion(FeatureUnion):
    """A feature union that computes its handcrafted families in one pass per image.

    It takes the parameters of :class:`~sklearn.pipeline.FeatureUnion` and
    gives the same output, names and parameters (``fft__n_bins``). When two
    or more of its transformers are handcrafted families (``fft``, ``dct``,
    ``noise``, ``lbp``), :meth:`transform` computes them together
    (:func:`one_pass_transform`): each image is converted to its planes
    once, and with ``n_jobs`` each worker process gets a chunk of images
    for all those families at once. The other transformers run as in a
    ``FeatureUnion``. With ``transformer_weights``, metadata routed to
    ``transform`` or a container output other than the default (pandas),
    it behaves exactly as a ``FeatureUnion``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import FeatureUnion
    >>> from facetruth.features import FFTFeatures, HandcraftedUnion, LBPFeatures
    >>> steps = [("fft", FFTFeatures(n_bins=8)), ("lbp", LBPFeatures(scales=[(8, 1)]))]
    >>> union = HandcraftedUnion(steps)
    >>> images = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    >>> features = union.fit_transform(images)
    >>> features.shape
    (3, 43)
    >>> np.array_equal(features, FeatureUnion(steps).fit_transform(images))
    True
    >>> union.get_feature_names_out()[[0, 13]]
    array(['fft__fft_dc', 'lbp__lbp_y_p8r1_00'], dtype=object)
    """

    def _one_pass_members(self):
        """Positions in ``transformer_list`` of the transformers computed in one pass."""
        return [i for i, (_, t) in enumerate(self.transformer_list) if _shares_planes(t)]

    def _plain(self, params):
        dense = getattr(self, "_sklearn_output_config", {}).get("transform", "default") == "default"
        passthrough = any(t == "passthrough" for _, t in self.transformer_list)
        return bool(params) or bool(self.transformer_weights) or passthrough or not dense

    def transform(self, X, **params):
        """Transform ``X`` by each transformer and concatenate the results.

        Parameters
        ----------
        X : ndarray of shape (n_images, height, width, 3) or list of ndarray
            Images, uint8 RGB.
        **params : dict
            Passed to the transformers' ``transform`` (metadata routing);
            the union then computes each family on its own.

        Returns
        -------
        features : ndarray of shape (n_images, n_features)
            The blocks of the transformers, in ``transformer_list`` order.
        """
        members = self._one_pass_members()
        if len(members) < 2 or self._plain(params):
            return super().transform(X, **params)
        images = check_images(X)
        shared = one_pass_transform([self.transformer_list[i][1] for i in members], images)
        blocks = dict(zip(members, shared, strict=True))
        for i, (_, t) in enumerate(self.transformer_list):
            if i not in blocks and t not in ("drop", None):
                blocks[i] = np.asarray(t.transform(X))
        if not blocks:
            return np.zeros((len(images), 0))
        return np.hstack([blocks[i] for i in sorted(blocks)])

    def fit_transform(self, X, y=None, **params):
        """Fit every transformer, then :meth:`transform` ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_images, height, width, 3) or list of ndarray
            Images, uint8 RGB.
        y : array-like of shape (n_images,), default=None
        **params : dict
            Passed to the transformers' ``fit`` (metadata routing).

        Returns
        -------
        features : ndarray of shape (n_images, n_features)
        """
        if len(self._one_pass_members()) < 2 or self._plain(params):
            return super().fit_transform(X, y, **params)
        return self.fit(X, y).transform(X)
