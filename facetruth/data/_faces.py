"""Face crops of a batch: :func:`crop_faces` with its on-disk cache, and the :class:`FaceCropper` transformer.

:func:`detect_face` finds the largest face in one ``(height, width, 3)``
uint8 RGB image; :func:`crop_face` cuts a square around it (or the centre
square when no face is found); :func:`crop_faces` maps it over a batch with
an optional on-disk cache; :class:`FaceCropper` wraps that as a scikit-learn
transformer. Detection lives in :mod:`facetruth.data._landmarks`, the crop of
one image in :mod:`facetruth.data._crop_face`.
"""

import logging

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .._validation import check_images
from ._crop_face import check_align, check_crop_params, crop_face
from ._landmarks import DETECT_SIDE, FaceDetection, check_max_side, detect_face

__all__ = ["FaceCropper", "FaceDetection", "check_align", "crop_face", "crop_faces", "detect_face"]

logger = logging.getLogger(__name__)


#: bump when crop_face's output changes, to invalidate old cache entries
#: (4: faces are searched on a copy of at most ``detect_max_side`` pixels first;
#: 5: ``method="auto"`` no longer falls back on scikit-image's LBP cascade)
_CROP_VERSION = 5


def _crop_one(image, params):
    return crop_face(image, **params)


def _crop_chunk(images, params):
    return [_crop_one(image, params) for image in images]


def crop_faces(
    images,
    *,
    size=256,
    margin=0.3,
    method="auto",
    align=False,
    pad="black",
    native=False,
    detect_max_side=DETECT_SIDE,
    cache=None,
    n_jobs=None,
):
    """Apply :func:`crop_face` to a batch of images, optionally through a disk cache.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width, 3) or list of ndarray
        RGB uint8 images; a list may mix sizes.
    size, margin, method, align, pad, native, detect_max_side
        As in :func:`crop_face`.
    cache : str, os.PathLike, ArrayCache or None
        Folder (or cache object) for crops, keyed by the image's content hash
        and these parameters; each entry holds the crop and its info as JSON.
    n_jobs : int or None
        Parallel joblib workers for the images not in the cache.

    Returns
    -------
    crops : ndarray of shape (n_images, size, size, 3), dtype uint8
    infos : list of dict
        One :func:`crop_face` info per image.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.data import crop_faces
    >>> images = [np.zeros((50, 80, 3), np.uint8), np.zeros((90, 60, 3), np.uint8)]
    >>> crops, infos = crop_faces(images, size=32, method="off")
    >>> crops.shape, [info["crop_box"] for info in infos]
    ((2, 32, 32, 3), [[15, 0, 65, 50], [0, 15, 60, 75]])
    """
    import json

    from .._cache import ArrayCache, hash_array, hash_bytes, hash_params

    check_crop_params(size, margin, method, pad, align, native, detect_max_side)
    images = check_images(images)
    params = {"size": int(size), "margin": float(margin), "method": method, "align": align, "pad": pad}
    params["detect_max_side"] = check_max_side(detect_max_side)
    if native:
        params["native"] = True
    crops = np.empty((len(images), size, size, 3), dtype=np.uint8)
    infos = [None] * len(images)
    if cache is not None and not isinstance(cache, ArrayCache):
        cache = ArrayCache(cache)
    todo, keys = list(range(len(images))), None
    if cache is not None:
        tag = hash_params({**params, "version": _CROP_VERSION})
        keys = [hash_bytes(hash_array(img).encode(), tag.encode()) for img in images]
        todo = []
        for i, key in enumerate(keys):
            crop = cache.get("faces", key)
            meta = cache.get("faces_info", key) if crop is not None else None
            if crop is not None and meta is not None and crop.shape == crops.shape[1:]:
                crops[i], infos[i] = crop, json.loads(meta.tobytes().decode("utf-8"))
            else:
                todo.append(i)
    for i, (crop, info) in zip(todo, _map_crops([images[i] for i in todo], params, n_jobs), strict=True):
        crops[i], infos[i] = crop, info
        if cache is not None:
            meta = np.frombuffer(json.dumps(info, sort_keys=True).encode("utf-8"), dtype=np.uint8)
            cache.put("faces_info", keys[i], meta)
            cache.put("faces", keys[i], crop)
    return crops, infos


def _map_crops(images, params, n_jobs, chunk_size=8):
    if n_jobs in (None, 1) or len(images) <= chunk_size:
        return _crop_chunk(images, params)
    from joblib import Parallel, delayed

    chunks = [images[i : i + chunk_size] for i in range(0, len(images), chunk_size)]
    parts = Parallel(n_jobs=n_jobs)(delayed(_crop_chunk)(chunk, params) for chunk in chunks)
    return [item for part in parts for item in part]


class FaceCropper(TransformerMixin, BaseEstimator):
    """Crop the largest face of each image to a square of ``size`` pixels.

    A stateless transformer around :func:`crop_faces`: ``fit`` only checks
    the parameters and the batch, and nothing is learnt from the data.

    Parameters
    ----------
    method : {"auto", "dlib", "haar", "lbp", "off"} or tuple of str
        Face detector, or a chain of them (see :func:`crop_face`).
    size : int
        Side of the output crops.
    margin : float
        Context around the face box, as a fraction of its side, on each side.
    align : {False, "eyes", "canonical"}
        Alignment of :func:`crop_face`.
    pad : {"black"}
        Fill where the square cannot stay inside the image.
    native : bool, default=False
        Native-resolution crops (see :func:`crop_face`).
    detect_max_side : int or None, default=DETECT_SIDE
        Longest side of the copy searched for faces first (see :func:`crop_face`).
    cache : str, os.PathLike or None
        Folder caching crops by image content and parameters.
    n_jobs : int or None
        Parallel joblib workers.

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> FaceCropper(size=64).fit_transform([astronaut()]).shape
    (1, 64, 64, 3)
    """

    def __init__(
        self,
        *,
        method="auto",
        size=256,
        margin=0.3,
        align=False,
        pad="black",
        native=False,
        detect_max_side=DETECT_SIDE,
        cache=None,
        n_jobs=None,
    ):
        self.method = method
        self.size = size
        self.margin = margin
        self.align = align
        self.pad = pad
        self.native = native
        self.detect_max_side = detect_max_side
        self.cache = cache
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        """Validate the parameters and the batch.

        Parameters
        ----------
        X : ndarray of shape (n_images, height, width, 3) or list of ndarray
            RGB uint8 images.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        check_crop_params(
            self.size, self.margin, self.method, self.pad, self.align, self.native, self.detect_max_side
        )
        check_images(X)
        return self

    def transform(self, X):
        """Crop each image.

        Parameters
        ----------
        X : ndarray of shape (n_images, height, width, 3) or list of ndarray
            RGB uint8 images.

        Returns
        -------
        crops : ndarray of shape (n_images, size, size, 3), dtype uint8
        """
        crops, _ = crop_faces(X, **self._crop_params())
        return crops

    def transform_with_info(self, X):
        """Like :meth:`transform`, also returning the per-image :func:`crop_face` infos."""
        return crop_faces(X, **self._crop_params())

    def _crop_params(self):
        names = ("method", "size", "margin", "align", "pad", "native", "detect_max_side", "cache", "n_jobs")
        return {name: getattr(self, name) for name in names}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = []
        return tags
