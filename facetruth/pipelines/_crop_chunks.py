"""The crop workers of :class:`._loader.ImageLoader`: decode the items of a chunk and crop them.

:func:`_load_chunk` runs in a worker process (or in the caller's), on a
chunk from :func:`_chunks`: it reads each item (:func:`read_item`, each video
once for its frames in the chunk), crops the face with
:func:`facetruth.data.crop_face`, and keeps crops and their info in the
optional on-disk crop cache, keyed by the item's content hash and the
loader's parameters.
"""

import os

import numpy as np

from .._cache import ArrayCache, hash_array, hash_file, hash_params
from ..exceptions import ImageDecodeError

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

#: the ``detect_max_side`` of loaders pickled before it existed: they searched the whole
#: image (up to 640 pixels), and their detectors were trained on those crops
_LEGACY_DETECT_SIDE = 640


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
    shape = (params["size"], params["size"], 3)
    reader = _ChunkReader(items, params["max_pixels"])
    out = []
    for position, item in enumerate(items):
        try:
            key = _item_key(item, tag) if cache is not None else None
            if cache is not None:
                crop, info = cache.get("crops", key), cache.get("crop_info", key)
                if _usable(crop, info, shape):
                    out.append((crop, _decode_info(info), None))
                    continue
            image = reader.read(position)
            crop, info = crop_face(
                image,
                size=params["size"],
                margin=params["margin"],
                method=tuple(params["chain"]) if params["face"] == "auto" else params["face"],
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
        except OSError as exc:  # unreadable file while hashing: worded as read_image words it
            out.append((None, None, str(ImageDecodeError.from_os_error(describe_item(item), exc))))
    return out


def _usable(crop, info, shape):
    """Whether a cached crop and its info are whole: an entry of another shape is cropped again."""
    return (
        crop is not None
        and info is not None
        and crop.shape == shape
        and crop.dtype == np.uint8
        and info.ndim == 1
        and len(info) >= 5
    )


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
