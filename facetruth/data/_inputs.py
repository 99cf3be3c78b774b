"""Turning the files, folders and videos a user names into items a detector can score."""

from pathlib import Path
from typing import NamedTuple

from ..exceptions import ImageDecodeError
from ._image import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
from ._video import read_video_frames


class InputItem(NamedTuple):
    """One item to score, from :func:`expand_inputs`.

    Attributes
    ----------
    name : str
        Display name: the file's path, or ``video#frame=N`` for a video frame.
    item : str, ndarray or ImageDecodeError
        What the loader reads: the path of a still image, the decoded RGB
        frame of a video, or the error of an input that could not be read
        (an unreadable video, a folder without images).
    video : str or None
        The video a frame comes from; ``None`` for still images.

    Examples
    --------
    >>> from facetruth.data._inputs import InputItem
    >>> item = InputItem(name="photo.jpg", item="photo.jpg", video=None)
    >>> item.name, item.video is None
    ('photo.jpg', True)
    """

    name: str
    item: object
    video: object


def expand_inputs(inputs, *, n_frames=8):
    """Turn files, folders and videos into items with display names.

    Folders are searched recursively for images and videos (hidden files
    left out, names sorted); each video gives ``n_frames`` evenly spaced
    frames. Problems never raise: an unreadable video or a folder without
    images becomes an item holding the :class:`ImageDecodeError`, which
    :func:`facetruth.predict_items` reports as a failed row.

    Parameters
    ----------
    inputs : sequence of str or os.PathLike
        Image files, folders and videos. Names of other files are passed on
        as they are (the loader says why they fail).
    n_frames : int, default=8
        Frames sampled per video.

    Returns
    -------
    entries : list of InputItem
        In input order, folders expanded in place.

    Examples
    --------
    >>> from facetruth.data import expand_inputs
    >>> expand_inputs(["photo.jpg"])
    [InputItem(name='photo.jpg', item='photo.jpg', video=None)]
    """
    entries = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            files = [p for p in files if p.suffix.lower() in IMAGE_EXTENSIONS | VIDEO_EXTENSIONS]
            if not files:
                error = ImageDecodeError(f"{path}: folder holds no images or videos")
                entries.append(InputItem(str(path), error, None))
        else:
            files = [path]
        for f in files:
            if f.suffix.lower() in VIDEO_EXTENSIONS:
                try:
                    frames, indices = read_video_frames(f, n_frames=n_frames)
                except ImageDecodeError as exc:
                    entries.append(InputItem(str(f), exc, None))
                    continue
                entries.extend(
                    InputItem(f"{f}#frame={i}", frame, str(f)) for frame, i in zip(frames, indices)
                )
            else:
                entries.append(InputItem(str(f), str(f), None))
    return entries
