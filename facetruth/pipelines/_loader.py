"""The pipeline's first step: decode images, crop the face, resize.

:class:`ImageLoader` turns paths (or arrays, or video frames) into a batch of
``(image_size, image_size, 3) uint8`` face crops, with an optional on-disk
crop cache keyed by the file's content hash and the loader's parameters.
"""

import logging
import os
from dataclasses import dataclass, field

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin

from .._cache import ArrayCache, hash_array, hash_file, hash_params
from ..data import DETECT_SIDE, check_align, check_max_side
from ..exceptions import ImageDecodeError
from ._verdicts import face_size_limit

logger = logging.getLogger(__name__)

_FACE_CHOICES = ("auto", "off", "dlib", "haar", "lbp")
_METHODS = ("off", "centre", "dlib", "haar", "lbp")

#: per-item crop info the loader keeps: the face box and how the crop was fitted around it
_INFO_KEYS = (
    "box",
    "method",
    "face_found",
    "aligned",
    "crop_box",
    "face_side",
    "crop_side",
    "margin_used",
    "padded_share",
    "resize_factor",
)

#: bump when the crops change for the same parameters (3: the square stays inside the image,
#: no mirror padding), so that cached crops of an older version are not reused
CROP_VERSION = 3
#: the ``detect_max_side`` of loaders pickled before it existed: they searched the whole
#: image (up to 640 pixels), and their detectors were trained on those crops
_LEGACY_DETECT_SIDE = 640


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


def describe_item(item):
    """A short human-readable name for an input item (path, frame or array)."""
    if isinstance(item, tuple) and len(item) == 2:
        return f"{os.fspath(item[0])}#frame={int(item[1])}"
    if isinstance(item, (str, os.PathLike)):
        return os.fspath(item)
    return f"<array {getattr(item, 'shape', '?')}>"


def read_item(item, *, max_pixels):
    """Decode one input item to an RGB uint8 array.

    ``item`` is a path, bytes, an ``(H, W, 3)`` / ``(H, W)`` array, or a
    ``(video_path, frame_index)`` tuple.
    """
    from ..data import read_image, read_video_frame

    if isinstance(item, tuple) and len(item) == 2:
        return read_video_frame(item[0], int(item[1]), max_pixels=max_pixels)
    if isinstance(item, np.ndarray):
        from .._validation import check_images

        return check_images([item])[0]
    return read_image(item, max_pixels=max_pixels)


_ALIGNED = (False, "eyes", "canonical")


def _encode_info(info):
    box = info.get("box") or [-1, -1, -1, -1]
    aligned = _ALIGNED.index(info.get("aligned", False))
    return np.array([*box, _METHODS.index(info["method"]), aligned], dtype=np.float64)


def _decode_info(row):
    box = [int(v) for v in row[:4]]
    method = _METHODS[int(row[4])]
    return {
        "box": None if box[0] < 0 else box,
        "method": method,
        "face_found": method not in ("off", "centre"),
        "aligned": _ALIGNED[int(row[5])] if len(row) > 5 else False,
    }


def _item_key(item, tag):
    if isinstance(item, np.ndarray):
        return hash_array(item) + tag
    if isinstance(item, tuple):
        return hash_file(item[0]) + f"f{int(item[1])}" + tag
    if isinstance(item, (bytes, bytearray, memoryview)):
        return hash_array(np.frombuffer(bytes(item), dtype=np.uint8)) + tag
    return hash_file(item) + tag


class _ChunkReader:
    """Decodes the items of one chunk, each video once for all its frames in the chunk.

    A ``(video, frame)`` item decoded alone costs a pass from the video's
    start; the first frame of a video that is needed here triggers one pass
    for the frames of that video still to come in the chunk (cached items
    among them only cost the pass, not a crop).
    """

    def __init__(self, items, max_pixels):
        self.items = items
        self.max_pixels = max_pixels
        self.frames = {}

    def read(self, position):
        item = self.items[position]
        video = _video_of(item)
        if video is None:
            return read_item(item, max_pixels=self.max_pixels)
        key = (video, int(item[1]))
        if key not in self.frames:
            from ..data import frames_at

            wanted = [int(other[1]) for other in self.items[position:] if _video_of(other) == video]
            try:
                found = frames_at(item[0], wanted, max_pixels=self.max_pixels)
            except ImageDecodeError as exc:  # the whole video: every one of its items gets it
                found = dict.fromkeys(wanted, exc)
            self.frames.update({(video, index): frame for index, frame in found.items()})
        frame = self.frames.pop(key)
        if isinstance(frame, ImageDecodeError):
            raise frame
        return frame


def _load_chunk(items, params, cache_dir):
    from ..data import crop_face

    cache = ArrayCache(cache_dir) if cache_dir else None
    tag = hash_params(params)[:8]
    reader = _ChunkReader(items, params["max_pixels"])
    out = []
    for position, item in enumerate(items):
        try:
            key = _item_key(item, tag) if cache is not None else None
            if cache is not None:
                crop, info = cache.get("crops", key), cache.get("crop_info", key)
                if crop is not None and info is not None:
                    out.append((crop, _decode_info(info), None))
                    continue
            image = reader.read(position)
            crop, info = crop_face(
                image,
                size=params["size"],
                margin=params["margin"],
                method=params["face"],
                align=params.get("align", False),
                native=params.get("native", False),
                detect_max_side=params.get("detect_max_side", _LEGACY_DETECT_SIDE),
            )
            info = {k: info[k] for k in _INFO_KEYS}
            if cache is not None:
                cache.put("crops", key, crop)
                cache.put("crop_info", key, _encode_info(info))
            out.append((crop, info, None))
        except ImageDecodeError as exc:
            out.append((None, None, str(exc)))
        except OSError as exc:  # unreadable file while hashing
            out.append((None, None, f"{describe_item(item)}: {exc.strerror or exc}"))
    return out


class ImageLoader(TransformerMixin, BaseEstimator):
    """Decode images, crop the largest face and resize to a square.

    Parameters
    ----------
    face : {"auto", "off", "dlib", "haar", "lbp"}, default="auto"
        ``"auto"`` tries dlib's HOG detector, then OpenCV's cascades, and
        falls back to the centre crop (recorded as ``method="centre"``);
        ``"off"`` always takes the centre square.
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
        Processes used to decode and crop.

    Attributes
    ----------
    min_face_side_ : int or None
        The smallest face side (source pixels) the training faces cover
        (:func:`~facetruth.pipelines.face_size_limit`), learnt by
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
        n_jobs = self.n_jobs or 1
        chunk = max(1, min(32, -(-len(items) // max(1, n_jobs * 4))))
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


def _video_of(item):
    """The video path of a ``(video, frame)`` item, or ``None`` for any other item."""
    return os.fspath(item[0]) if isinstance(item, tuple) and len(item) == 2 else None


def _chunks(items, size):
    """Consecutive chunks of about ``size`` items that never split a run of one video's frames."""
    chunks, start = [], 0
    for i in range(1, len(items) + 1):
        if i < len(items):
            video = _video_of(items[i])
            if i - start < size or (video is not None and video == _video_of(items[i - 1])):
                continue
        chunks.append(items[start:i])
        start = i
    return chunks


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
