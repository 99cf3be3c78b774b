"""Reading frames of a video file with OpenCV.

Frames are decoded sequentially (``grab`` to skip, ``retrieve`` to keep):
seeking with ``CAP_PROP_POS_FRAMES`` lands on the wrong frame for many
inter-coded files, and the frame count in the container header may be wrong,
so the sampled indices are always checked against what was really decoded.
"""

import contextlib
import logging
import os

import numpy as np

from ..exceptions import ImageDecodeError

logger = logging.getLogger(__name__)

_STRATEGIES = ("uniform", "first", "all")


def uniform_indices(n_total, n_frames):
    """Return ``n_frames`` evenly spaced frame indices in ``range(n_total)``.

    Parameters
    ----------
    n_total : int
        Number of frames in the video.
    n_frames : int
        Number of indices wanted.

    Returns
    -------
    indices : list of int
        Strictly increasing, first ``0`` and last ``n_total - 1``; all of
        ``range(n_total)`` when ``n_frames >= n_total``.
    """
    if n_total <= 0:
        return []
    if n_frames >= n_total:
        return list(range(n_total))
    return [int(i) for i in np.rint(np.linspace(0, n_total - 1, n_frames))]


def read_video_frames(path, n_frames=8, strategy="uniform", *, max_pixels=64_000_000):
    """Decode frames of a video as RGB arrays.

    Parameters
    ----------
    path : str or os.PathLike
        The video file (any container and codec OpenCV's FFmpeg backend reads).
    n_frames : int, default=8
        Number of frames for ``"uniform"`` and ``"first"`` (fewer when the
        video is shorter); ignored by ``"all"``.
    strategy : {"uniform", "first", "all"}, default="uniform"
        ``"uniform"``: evenly spaced over the whole video; ``"first"``: the
        first ``n_frames``; ``"all"``: every frame.  When the frame count in
        the header is missing or wrong, ``"uniform"`` counts the frames by
        reading the video once and then samples over the true count.
    max_pixels : int, default=64_000_000
        Largest accepted ``width * height`` of a frame.

    Returns
    -------
    frames : list of ndarray of shape (height, width, 3), dtype uint8
        C-contiguous RGB frames.
    indices : list of int
        The 0-based frame number of each returned frame.

    Raises
    ------
    ImageDecodeError
        When the file is missing or unreadable, frames are too large, or no
        frame can be decoded.
    ValueError
        When ``n_frames`` or ``strategy`` is invalid.

    Examples
    --------
    >>> import os
    >>> import tempfile
    >>> import cv2
    >>> import numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "clip.avi")
    >>> writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
    >>> for level in range(0, 200, 20):  # 10 frames, brighter and brighter
    ...     writer.write(np.full((24, 32, 3), level, np.uint8))
    >>> writer.release()
    >>> from facetruth.data import read_video_frames
    >>> frames, indices = read_video_frames(path, n_frames=4)
    >>> len(frames), frames[0].shape, indices
    (4, (24, 32, 3), [0, 3, 6, 9])
    """
    if strategy not in _STRATEGIES:
        raise ValueError(f"strategy must be one of {_STRATEGIES}, got {strategy!r}.")
    if isinstance(n_frames, bool) or not isinstance(n_frames, (int, np.integer)) or n_frames < 1:
        raise ValueError(f"n_frames must be a positive integer, got {n_frames!r}.")
    name = _check_video_path(path)
    if strategy == "all":
        wanted = None
    elif strategy == "first":
        wanted = list(range(int(n_frames)))
    else:
        n_total = video_frame_count(path, max_pixels=max_pixels)
        wanted = uniform_indices(n_total, int(n_frames))
    frames, indices, n_read = _read(path, name, wanted, max_pixels)
    if strategy == "uniform" and len(frames) < len(wanted):
        # The header over-stated the frame count: resample over the real one.
        logger.warning("%s: header claims more frames than decodable (%d); resampling", name, n_read)
        frames, indices, _ = _read(path, name, uniform_indices(n_read, int(n_frames)), max_pixels)
    if not frames:
        raise ImageDecodeError(f"{name}: video has no decodable frames")
    return frames, indices


def read_video_frame(path, index, *, max_pixels=64_000_000):
    """Decode frame number ``index`` (0-based) of a video as an RGB array.

    Raises
    ------
    ImageDecodeError
        When the file cannot be read or has fewer than ``index + 1`` frames.

    Examples
    --------
    >>> import os
    >>> import tempfile
    >>> import cv2
    >>> import numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "clip.avi")
    >>> writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
    >>> for level in range(0, 200, 20):  # 10 frames, brighter and brighter
    ...     writer.write(np.full((24, 32, 3), level, np.uint8))
    >>> writer.release()
    >>> from facetruth.data import read_video_frame
    >>> read_video_frame(path, 9).shape
    (24, 32, 3)
    """
    frame = frames_at(path, [index], max_pixels=max_pixels)[int(index)]
    if isinstance(frame, ImageDecodeError):
        raise frame
    return frame


def frames_at(path, indices, *, max_pixels=64_000_000):
    """Decode several frames of a video in one sequential pass.

    Reading ``k`` frames one call at a time decodes the video from its start
    ``k`` times; this decodes it once, up to the last wanted frame.

    Parameters
    ----------
    path : str or os.PathLike
    indices : iterable of int
        0-based frame numbers, in any order; repeats are read once.
    max_pixels : int, default=64_000_000

    Returns
    -------
    frames : dict of int to ndarray or ImageDecodeError
        For each distinct index, its RGB frame of shape (height, width, 3),
        dtype uint8, or the error saying it was not found.

    Raises
    ------
    ImageDecodeError
        When the file cannot be read at all.

    Examples
    --------
    >>> import os
    >>> import tempfile
    >>> import cv2
    >>> import numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "clip.avi")
    >>> writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
    >>> for level in range(0, 200, 20):  # 10 frames, brighter and brighter
    ...     writer.write(np.full((24, 32, 3), level, np.uint8))
    >>> writer.release()
    >>> from facetruth.data import frames_at
    >>> frames = frames_at(path, [5, 2, 2, 20])
    >>> sorted(frames), frames[5].shape
    ([2, 5, 20], (24, 32, 3))
    >>> print(frames[20])
    '...clip.avi': frame 20 not found (video has 10 decodable frames)
    """
    name = _check_video_path(path)
    wanted = sorted({int(i) for i in indices})
    frames, got, n_read = _read(path, name, wanted, max_pixels)
    out = dict(zip(got, frames, strict=True))
    for index in wanted:
        if index not in out:
            out[index] = ImageDecodeError(
                f"{name}: frame {index} not found (video has {n_read} decodable frames)"
            )
    return out


def video_frame_count(path, *, max_pixels=64_000_000):
    """Number of frames of a video: the header's count, or a full count when the header has none.

    Raises
    ------
    ImageDecodeError
        When the file cannot be opened or its frames are larger than ``max_pixels``.
    """
    import cv2

    name = _check_video_path(path)
    try:
        with _capture(path, name, max_pixels) as cap:
            count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
            if count > 0:
                return count
            count = 0
            while cap.grab():
                count += 1
            return count
    except ImageDecodeError:
        raise
    except Exception as exc:  # cv2.error and anything else from the decoder
        raise ImageDecodeError(f"{name}: cannot read video ({type(exc).__name__}: {exc})") from exc


def _check_video_path(path):
    name = repr(os.fsdecode(path))
    if not os.path.exists(path):
        raise ImageDecodeError.about(name, "missing")
    if os.path.isdir(path):
        raise ImageDecodeError(f"{name}: is a directory, not a video file")
    if os.path.getsize(path) == 0:
        raise ImageDecodeError.about(name, "empty")
    if not os.access(path, os.R_OK):
        raise ImageDecodeError.about(name, "permission")
    return name


def _capture_name(path):
    """The name handed to OpenCV for ``path``: an absolute path, never a URL-like string.

    FFmpeg reads a name such as ``concat:a.mp4|b.mp4`` or ``pipe:0`` as a
    protocol, and OpenCV crashes on names that are not valid UTF-8; an
    absolute path is always a plain file to FFmpeg.
    """
    name = os.path.abspath(os.fsdecode(path))
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return name


@contextlib.contextmanager
def _capture(path, name, max_pixels):
    """Open ``path`` with OpenCV, check the frame size, release on exit."""
    import cv2

    fd = None
    target = _capture_name(path)
    if target is None:  # a non-UTF-8 file name: reach the file through its descriptor
        if not os.path.isdir("/proc/self/fd"):
            raise ImageDecodeError(f"{name}: OpenCV cannot open a file whose name is not valid UTF-8")
        fd = os.open(path, os.O_RDONLY)
        target = f"/proc/self/fd/{fd}"
    cap = cv2.VideoCapture(target)
    try:
        if not cap.isOpened():
            raise ImageDecodeError(f"{name}: not a readable video")
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
        if max_pixels is not None and width * height > max_pixels:
            raise ImageDecodeError(
                f"{name}: too many pixels per frame ({width}x{height} > max_pixels={max_pixels})"
            )
        yield cap
    finally:
        cap.release()
        if fd is not None:
            os.close(fd)


def _read(path, name, wanted, max_pixels):
    """Decode the frames whose indices are in ``wanted`` (all when ``None``).

    Returns ``(frames, indices, n_read)``; ``n_read`` counts the frames
    grabbed, i.e. the true length when the end of the video was reached.
    """

    frames, indices, n_read = [], [], 0
    keep = None if wanted is None else set(wanted)
    last = None if wanted is None else max(wanted, default=-1)
    try:
        with _capture(path, name, max_pixels) as cap:
            while last is None or n_read <= last:
                if not cap.grab():
                    break
                index, n_read = n_read, n_read + 1
                if keep is not None and index not in keep:
                    continue
                ok, bgr = cap.retrieve()
                if not ok or bgr is None:
                    logger.warning("%s: frame %d could not be decoded", name, index)
                    continue
                if max_pixels is not None and bgr.shape[0] * bgr.shape[1] > max_pixels:
                    raise ImageDecodeError(
                        f"{name}: too many pixels in frame {index} ({bgr.shape[1]}x{bgr.shape[0]})"
                    )
                frames.append(_to_rgb(bgr))
                indices.append(index)
    except ImageDecodeError:
        raise
    except Exception as exc:  # cv2.error and anything else from the decoder
        raise ImageDecodeError(f"{name}: cannot decode video ({type(exc).__name__}: {exc})") from exc
    return frames, indices, n_read


def _to_rgb(frame):
    import cv2

    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    elif frame.shape[2] == 4:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB)
    else:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(frame, dtype=np.uint8)
