"""The pipeline's first step: decode images, crop the face, resize.

:class:`ImageLoader` turns paths (or arrays, or video frames) into a batch of
``(image_size, image_size, 3) uint8`` face crops of
:func:`facetruth.data.crop_face`, with an optional on-disk crop cache keyed by
the file's content hash, the loader's parameters and
:data:`facetruth.data.CROP_VERSION`.
"""

import logging
import os
from dataclasses import dataclass, field

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin

from ..data import CROP_VERSION, DETECT_SIDE, check_align, check_max_side, is_chain
from ..exceptions import ImageDecodeError
from ._crop_chunks import _LEGACY_DETECT_SIDE, _chunks, _load_chunk
from ._verdicts import face_size_limit

logger = logging.getLogger(__name__)

_FACE_CHOICES = ("auto", "off", "dlib", "haar", "lbp")

#: the detectors after dlib of a loader pickled before ``fallback`` existed
_LEGACY_FALLBACK = ("haar", "lbp")


def check_fallback(fallback):
    """Validate :class:`ImageLoader`'s ``fallback``: distinct names from ``("haar", "lbp")``.

    Returns
    -------
    fallback : list of str

    Examples
    --------
    >>> from facetruth.pipelines._loader import check_fallback
    >>> check_fallback(("haar",)), check_fallback(())
    (['haar'], [])
    >>> check_fallback("haar")
    Traceback (most recent call last):
    ...
    ValueError: fallback must be a tuple of distinct detectors from ('haar', 'lbp'); got 'haar'.
    """
    # dlib comes first, so the fallback is any chain after it: distinct backends other than dlib
    if isinstance(fallback, (tuple, list)) and is_chain(("dlib", *fallback)):
        return list(fallback)
    raise ValueError(
        f"fallback must be a tuple of distinct detectors from ('haar', 'lbp'); got {fallback!r}."
    )


@dataclass
class LoadResult:
    """What :meth:`ImageLoader.load` returns.

    Attributes
    ----------
    images : ndarray of shape (n_ok, size, size, 3), dtype uint8
        Crops of the items that decoded, in input order.
    ok : ndarray of int
        Input positions of those items.
    infos : list of dict
        One per input item: ``box`` (x0, y0, x1, y1 or None), ``method``,
        ``face_found``; items that failed hold ``error`` instead.
    errors : list of tuple (int, str)
        Input position and message of each item that failed.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.pipelines import ImageLoader
    >>> loader = ImageLoader(face="off", image_size=32)
    >>> result = loader.load([np.zeros((40, 60, 3), np.uint8), b"not an image"], errors="collect")
    >>> result.images.shape, result.ok.tolist(), result.infos[0]["method"], result.errors[0][0]
    ((1, 32, 32, 3), [0], 'off', 1)
    """

    images: np.ndarray
    ok: np.ndarray
    infos: list = field(default_factory=list)
    errors: list = field(default_factory=list)


class ImageLoader(TransformerMixin, BaseEstimator):
    """Decode images, crop the largest face and resize to a square.

    Parameters
    ----------
    face : {"auto", "off", "dlib", "haar", "lbp"}, default="auto"
        ``"auto"`` tries dlib's HOG detector, then the ``fallback``
        detectors, and falls back to the centre crop (recorded as
        ``method="centre"``); ``"off"`` always takes the centre square.
    fallback : tuple of {"haar", "lbp"}, default=("haar",)
        With ``face="auto"``, the detectors tried in turn on images where
        dlib finds no face: OpenCV's Haar cascade and scikit-image's LBP
        cascade (slow, and on the shared sets mostly false alarms where the
        others found nothing); ``()`` stops at dlib. Loaders pickled before
        this parameter existed keep ``("haar", "lbp")``, the chain they were
        trained with.
    image_size : int, default=256
        Side of the output crops, in pixels.
    margin : float, default=0.3
        Border around the face box, as a fraction of its size.
    align : {False, "eyes", "canonical"}, default=False
        ``"canonical"`` warps each face onto a fixed five-point template
        (eye centres, nose tip, mouth corners), so features compare the same
        facial positions across images; ``"eyes"`` only levels the eyes.
        Needs dlib landmarks; other faces get the plain crop.
    native : bool, default=False
        Cut ``image_size`` source pixels around the face centre, never
        resampled (see :func:`facetruth.data.crop_face`); ``margin`` and
        ``align`` are then ignored.
    detect_max_side : int or None, default=DETECT_SIDE
        Faces are searched on a copy whose longest side is at most this many
        pixels, then at 640 pixels when none is found there; the crop is cut
        from the full image (see :func:`facetruth.data.crop_face`). ``None``
        searches the full image.
    max_pixels : int, default=64_000_000
        Larger images are refused as decompression bombs.
    cache : str or os.PathLike, default=None
        Folder of the crop cache; ``None`` disables it.
    n_jobs : int, default=None
        Processes used to decode and crop, as in scikit-learn: ``None`` is
        one unless in a :func:`joblib.parallel_config` context, ``-1`` every
        core, ``-2`` all but one.

    Attributes
    ----------
    min_face_side_ : int or None
        The smallest face side (source pixels) the training faces cover
        (:func:`~facetruth.pipelines._verdicts.face_size_limit`), learnt by
        :meth:`fit_transform` or set by the training code; smaller faces get
        an inconclusive verdict. ``None`` when no training image had a face
        or ``face="off"``.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.pipelines import ImageLoader
    >>> images = np.zeros((3, 48, 64, 3), np.uint8)
    >>> ImageLoader(face="off", image_size=32).fit(images).transform(images).shape
    (3, 32, 32, 3)
    """

    def __init__(
        self,
        *,
        face="auto",
        fallback=("haar",),
        image_size=256,
        margin=0.3,
        align=False,
        native=False,
        detect_max_side=DETECT_SIDE,
        max_pixels=64_000_000,
        cache=None,
        n_jobs=None,
    ):
        self.face = face
        self.fallback = fallback
        self.image_size = image_size
        self.margin = margin
        self.align = align
        self.native = native
        self.detect_max_side = detect_max_side
        self.max_pixels = max_pixels
        self.cache = cache
        self.n_jobs = n_jobs

    def _params(self):
        if self.face not in _FACE_CHOICES:
            raise ValueError(f"face must be one of {_FACE_CHOICES}, got {self.face!r}.")
        if int(self.image_size) < 16:
            raise ValueError(f"image_size must be at least 16 pixels, got {self.image_size!r}.")
        if not 0 <= float(self.margin) <= 2:
            raise ValueError(f"margin must lie in [0, 2], got {self.margin!r}.")
        params = {
            "face": self.face,
            "size": int(self.image_size),
            "margin": float(self.margin),
            "max_pixels": int(self.max_pixels),
            "crop_version": CROP_VERSION,
        }
        if self.native:
            params["native"] = True
        if self.face != "off":  # the crops of face="off" do not depend on it: their cache keys stay
            params["detect_max_side"] = check_max_side(self.detect_max_side)
        if self.face == "auto":  # the chain of backends: absent elsewhere, so their cache keys stay
            params["chain"] = ["dlib", *check_fallback(self.fallback)]
        if self.align not in (False, None, "none"):
            params["align"] = check_align(self.align)  # absent when off: older cache keys stay valid
        return params

    def __setstate__(self, state):
        if "native" not in state:  # pickled before crops stayed inside the image
            logger.warning(
                "This detector was trained on face crops of an older FaceTruth (mirror-padded at "
                "the image border); its scores may shift on such faces. Retrain it for the new crops."
            )
            state = {**state, "native": False}
        if "detect_max_side" not in state:  # pickled before: keep the detection it was trained with
            state = {**state, "detect_max_side": _LEGACY_DETECT_SIDE}
        if "fallback" not in state:  # pickled when "auto" still ended with the LBP cascade
            state = {**state, "fallback": _LEGACY_FALLBACK}
        super().__setstate__(state)

    def fit(self, X=None, y=None):
        """Validate the parameters; nothing is learnt."""
        self._params()
        self.is_fitted_ = True
        return self

    def fit_transform(self, X, y=None):
        """Crop every item, learning ``min_face_side_`` from the faces found.

        Returns
        -------
        crops : ndarray of shape (n_items, image_size, image_size, 3), dtype uint8
            As :meth:`transform`.

        Raises
        ------
        ImageDecodeError
            When an item cannot be decoded.

        Examples
        --------
        >>> import numpy as np
        >>> from facetruth.pipelines import ImageLoader
        >>> loader = ImageLoader(face="off", image_size=32)
        >>> loader.fit_transform(np.zeros((2, 40, 60, 3), np.uint8)).shape, loader.min_face_side_
        ((2, 32, 32, 3), None)
        """
        self.fit()
        result = self.load(X, errors="raise")
        self.min_face_side_ = face_size_limit(result.infos)  # None without faces (face="off")
        return result.images

    def load(self, X, *, errors="raise"):
        """Decode and crop every item, optionally collecting failures.

        Parameters
        ----------
        X : sequence
            Paths, byte strings, arrays or ``(video_path, frame_index)`` tuples.
        errors : {"raise", "collect"}, default="raise"
            Raise :class:`~facetruth.exceptions.ImageDecodeError` on the first
            bad item, or carry on and report every bad item.

        Returns
        -------
        result : LoadResult
        """
        params = self._params()
        items = _as_items(X)
        size = params["size"]
        n_jobs = effective_n_jobs(self.n_jobs)  # None: one (or the joblib context's), -1: every core
        chunk = max(1, min(32, -(-len(items) // (n_jobs * 4))))
        chunks = _chunks(items, chunk)
        cache = os.fspath(self.cache) if self.cache else None
        if n_jobs == 1 or len(chunks) == 1:
            parts = [_load_chunk(c, params, cache) for c in chunks]
        else:
            parts = Parallel(n_jobs=n_jobs)(delayed(_load_chunk)(c, params, cache) for c in chunks)
        rows = [r for part in parts for r in part]
        images, ok, infos, errs = [], [], [], []
        for i, (crop, info, err) in enumerate(rows):
            if err is not None:
                if errors == "raise":
                    raise ImageDecodeError(err)
                logger.info("skipping %s", err)  # returned in ``errors``: the caller reports it once
                errs.append((i, err))
                infos.append({"error": err})
            else:
                images.append(crop)
                ok.append(i)
                infos.append(info)
        stacked = np.stack(images) if images else np.empty((0, size, size, 3), np.uint8)
        return LoadResult(stacked, np.asarray(ok, dtype=int), infos, errs)

    def transform(self, X):
        """Face crops of all items, shape (n_items, image_size, image_size, 3), uint8.

        Raises
        ------
        ImageDecodeError
            When an item cannot be decoded.
        """
        return self.load(X, errors="raise").images

    def get_feature_names_out(self, input_features=None):
        """Images have no feature names: ``input_features`` is passed through.

        This lets ``Pipeline.get_feature_names_out`` reach the feature union.
        """
        return input_features

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags


def _as_items(X):
    if isinstance(X, (str, os.PathLike)):
        raise ValueError("Expected a sequence of images or paths, got a single path; wrap it in a list.")
    if isinstance(X, np.ndarray) and X.ndim in (3, 4) and X.dtype != object:
        items = list(X) if X.ndim == 4 else [X]
    else:
        items = list(X)
    if not items:
        raise ValueError("No images given (empty input).")
    return items
