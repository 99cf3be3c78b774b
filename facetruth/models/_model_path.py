"""Recognise what was given in place of a saved model: an image, a video, a model card, a folder.

A wrong argument is named for what it is before anything is read as a
model, so the message never suggests loading it anyway.
"""

import json
import os
from pathlib import Path

from ..exceptions import NotAModelError

#: leading bytes of the image and video formats people pass by mistake
_MAGIC = (
    (b"\xff\xd8\xff", "image", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "image", "PNG"),
    (b"GIF87a", "image", "GIF"),
    (b"GIF89a", "image", "GIF"),
    (b"BM", "image", "BMP"),
    (b"II*\x00", "image", "TIFF"),
    (b"MM\x00*", "image", "TIFF"),
    (b"\x1a\x45\xdf\xa3", "video", "Matroska/WebM"),
)

_CARD_FORMAT = "facetruth-model/"


def _sniff(path):
    """``(kind, format name)`` of a file's leading bytes, or ``None``."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"AVI "):
        return ("image", "WebP") if head[8:12] == b"WEBP" else ("video", "AVI")
    if head[4:8] == b"ftyp":
        return "video", "MP4/QuickTime"
    for magic, kind, name in _MAGIC:
        if head.startswith(magic):
            return kind, name
    return None


def _media_by_name(path):
    from ..data import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

    suffix = path.suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        return "image", suffix[1:].upper()
    if suffix in VIDEO_EXTENSIONS:
        return "video", suffix[1:].upper()
    return None


def _read_card(path):
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return card if isinstance(card, dict) else None


def _card_error(path):
    card = _read_card(path) if path.is_file() else None
    is_card = isinstance(card, dict) and str(card.get("format", "")).startswith(_CARD_FORMAT)
    if not is_card and not path.name.lower().endswith(".joblib.json"):
        if card is None and not path.is_file():
            return None  # a missing .json: reported as a missing model file
        return NotAModelError(
            f"{path}: is a JSON file, not a saved model (a .joblib file written by facetruth.save).",
            kind="json",
        )
    named = Path(str(card.get("file") or "")).name if is_card else ""
    model = path.with_name(named or path.name[: -len(".json")])
    where = "" if model.is_file() else f" (it is not there: {model} is missing)"
    return NotAModelError(
        f"{path}: is the model card of {model.name}, not the model; pass the model file {model} "
        f"instead{where}. The card is read from beside the model.",
        kind="card",
        suggestion=os.fspath(model),
    )


def check_model_path(path):
    """Raise :class:`~facetruth.exceptions.NotAModelError` when ``path`` is plainly not a saved model.

    A folder, a model card (``model.joblib.json``), another JSON file, and an
    image or a video (by content, else by file extension) are each named for
    what they are. Anything else passes, missing files included: the loader
    reports those itself.

    Parameters
    ----------
    path : str or os.PathLike

    Raises
    ------
    NotAModelError
        With ``kind`` one of ``"folder"``, ``"card"``, ``"json"``, ``"image"``
        or ``"video"``.

    Examples
    --------
    >>> import os, tempfile
    >>> from facetruth.exceptions import NotAModelError
    >>> from facetruth.models._model_path import check_model_path
    >>> folder = tempfile.mkdtemp()
    >>> photo = os.path.join(folder, "photo.jpg")
    >>> with open(photo, "wb") as fh:
    ...     _ = fh.write(b"\\xff\\xd8\\xff\\xe0 rest of a JPEG")
    >>> try:
    ...     check_model_path(photo)
    ... except NotAModelError as exc:
    ...     print(exc.kind, str(exc).endswith("is an image (JPEG), not a saved model."))
    image True
    >>> check_model_path(os.path.join(folder, "model.joblib"))  # missing: left to the loader
    """
    path = Path(path)
    if path.is_dir():
        models = sorted(p.name for p in path.iterdir() if p.suffix == ".joblib" and p.is_file())
        if models:
            shown = ", ".join(models[:10]) + (", ..." if len(models) > 10 else "")
            hint = f"; the .joblib files in it: {shown}"
        else:
            hint = "; it holds no .joblib model file"
        raise NotAModelError(
            f"{path}: is a folder, not a model file{hint}.",
            kind="folder",
            suggestion=os.fspath(path / models[0]) if len(models) == 1 else None,
        )
    if path.suffix.lower() == ".json":
        error = _card_error(path)
        if error is not None:
            raise error
        return
    found = _sniff(path) if path.is_file() else None
    if found is None and path.is_file():
        found = _media_by_name(path)
    if found is not None:
        kind, name = found
        article = "an" if kind == "image" else "a"
        raise NotAModelError(f"{path}: is {article} {kind} ({name}), not a saved model.", kind=kind)
