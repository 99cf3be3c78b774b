"""Layout detection and the ``real/``/``fake/`` folder layout.

Also the helpers every layout shares: a deterministic, symlink-safe folder
walk, cheap file checks and :class:`ItemCollector`, which turns files (and
sampled video frames) into the columns of a :class:`~facetruth.data.Dataset`.
"""

import logging
import os
from pathlib import Path

from ..exceptions import DatasetLayoutError, ImageDecodeError, file_problem, os_error_problem
from ._dataset import Dataset
from ._image import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

logger = logging.getLogger(__name__)

LAYOUT_DESCRIPTIONS = {
    "csv": "a CSV manifest with header path,label[,group][,source]",
    "faceforensics": "FaceForensics++ (original_sequences/, manipulated_sequences/)",
    "celebdf": "Celeb-DF v2 (Celeb-real/, YouTube-real/, Celeb-synthesis/)",
    "dfdc": "DFDC parts (metadata.json)",
    "folders": "real/ and fake/ folders at any depth (also 0_real/, 1_fake/)",
}
REAL_NAMES = frozenset({"real", "0_real"})
FAKE_NAMES = frozenset({"fake", "1_fake"})


def media_kind(path):
    """``"image"``, ``"video"`` or ``None`` from the file's suffix."""
    suffix = os.path.splitext(os.fsdecode(path))[1].lower()
    return "image" if suffix in IMAGE_EXTENSIONS else "video" if suffix in VIDEO_EXTENSIONS else None


def check_file(path):
    """Cheap readability check; returns the reason a file is unusable, or ``None``.

    The reason is worded as :func:`~facetruth.data.read_image` words it
    (:data:`~facetruth.exceptions.FILE_PROBLEMS`), without the file's name.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        return file_problem(*os_error_problem(exc))
    if not os.path.isfile(path):
        return file_problem("not_regular")
    if st.st_size == 0:
        return file_problem("empty")
    if not os.access(path, os.R_OK):
        return file_problem("permission")
    return None


def walk(root):
    """Yield ``(folder, subfolder_names, file_names)`` below ``root``, sorted, hidden entries left out.

    Linked folders are followed, except a link to one of its own ancestors
    (a loop), and a folder already visited (same device and inode) is not
    entered again.  Prune ``subfolder_names`` in place to stop the descent,
    as with :func:`os.walk`.
    """
    seen = set()
    stack = [os.fspath(root)]
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
        except OSError as exc:
            logger.warning("cannot enter %r: %s", folder, exc)
            continue
        if (st.st_dev, st.st_ino) in seen:
            logger.warning("not entering %r again (link loop)", folder)
            continue
        seen.add((st.st_dev, st.st_ino))
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            logger.warning("cannot list %r: %s", folder, exc)
            continue
        dirs, files = [], []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir()  # follows links
            except OSError:
                is_dir = False
            if is_dir and entry.is_symlink() and _is_ancestor(entry.path, folder):
                logger.warning("not following %r: it links to one of its ancestors", entry.path)
                continue
            (dirs if is_dir else files).append(entry.name)
        yield folder, dirs, files
        stack.extend(os.path.join(folder, d) for d in reversed(dirs))


def _is_ancestor(link, folder):
    target, here = os.path.realpath(link), os.path.realpath(folder)
    return here == target or here.startswith(target.rstrip(os.sep) + os.sep)


class ItemCollector:
    """Accumulates items and skipped files; :meth:`dataset` builds the result."""

    def __init__(self, root, n_frames, layout):
        self.root, self.n_frames, self.layout = os.fspath(root), n_frames, layout
        self.paths, self.labels, self.groups, self.sources, self.frames, self.split = [], [], [], [], [], []
        self.skipped = []
        self.seen = {}
        self.has_split = False

    def skip(self, path, reason):
        logger.warning("skipping %r: %s", os.fsdecode(path), reason)
        self.skipped.append((os.fsdecode(path), reason))

    def add_file(self, path, label, group, source, split=None, check=True):
        """Add an image, or ``n_frames`` sampled frames of a video; skip unusable files."""
        kind = media_kind(path)
        reason = (
            "not an image or video file extension" if kind is None else check_file(path) if check else None
        )
        if reason:
            self.skip(path, reason)
            return 0
        try:
            st = os.stat(path)
            identity = (st.st_dev, st.st_ino)
        except OSError as exc:
            self.skip(path, file_problem(*os_error_problem(exc)))
            return 0
        if identity in self.seen:  # the same file reached twice, e.g. through a link
            self.skip(path, f"same file as {os.fsdecode(self.seen[identity])!r}")
            return 0
        self.seen[identity] = path
        frames = [None]
        if kind == "video":
            from ._video import uniform_indices, video_frame_count

            try:
                frames = uniform_indices(video_frame_count(path), self.n_frames)
            except ImageDecodeError as exc:
                self.skip(path, str(exc))
                return 0
            if not frames:
                self.skip(path, "video has no frames")
                return 0
        for frame in frames:
            self._append(path, label, group, source, frame, split)
        return len(frames)

    def _append(self, path, label, group, source, frame, split):
        self.paths.append(os.fspath(path))
        self.labels.append(label)
        self.groups.append(group)
        self.sources.append(source)
        self.frames.append(frame)
        self.split.append(split)
        self.has_split = self.has_split or split is not None

    def dataset(self):
        return Dataset(
            self.paths,
            self.labels,
            self.groups,
            self.sources,
            frames=self.frames if any(f is not None for f in self.frames) else None,
            root=self.root,
            split=[s or "" for s in self.split] if self.has_split else None,
            skipped=self.skipped,
            layout=self.layout,
        )


def detect_layout(path):
    """Name of the first layout (in :data:`LAYOUT_DESCRIPTIONS` order) that ``path`` matches."""
    path = Path(path)
    if path.is_file():
        if path.suffix.lower() == ".csv":
            return "csv"
        raise DatasetLayoutError(
            f"{str(path)!r}: a file that is not a .csv manifest; expected a folder or a CSV."
        )
    try:
        top = sorted(e.name for e in os.scandir(path) if not e.name.startswith("."))
    except OSError as exc:
        raise DatasetLayoutError(f"{str(path)!r}: cannot list folder ({exc}).") from exc
    if not top:
        raise DatasetLayoutError(f"{str(path)!r}: the folder is empty.")
    names = {n.lower() for n in top if (path / n).is_dir()}
    if names & {"original_sequences", "manipulated_sequences"}:
        return "faceforensics"
    if names & {"celeb-real", "celeb-synthesis", "youtube-real"}:
        return "celebdf"
    if (path / "metadata.json").is_file() or any((path / n / "metadata.json").is_file() for n in top):
        return "dfdc"
    if _class_folders(path):
        return "folders"
    looked_for = "; ".join(LAYOUT_DESCRIPTIONS.values())
    shown = ", ".join(top[:20]) + (", ..." if len(top) > 20 else "")
    message = f"{str(path)!r} matches no known dataset layout. Looked for: {looked_for}. Found: {shown}."
    media = any(media_kind(name) for name in top)
    if media:
        message += " For a folder of images of one class, give its label (real or fake)."
    error = DatasetLayoutError(message)
    error.needs_label = media
    raise error


def _class_folders(root):
    """``[(folder, label)]`` of the class folders below ``root`` (not nested in one another)."""
    found = []
    for folder, dirs, _ in walk(root):
        keep = []
        for d in dirs:
            low = d.lower()
            if low in REAL_NAMES or low in FAKE_NAMES:
                found.append((os.path.join(folder, d), 0 if low in REAL_NAMES else 1))
            else:
                keep.append(d)
        dirs[:] = keep
    return found


def build_folders(root, n_frames):
    """Layout ``folders``: items below ``real/`` and ``fake/`` folders at any depth."""
    root = os.fspath(root)
    classes = _class_folders(root)
    parents = {os.path.dirname(folder) for folder, _ in classes}
    tree = _Tree(root)
    for class_folder, label in classes:
        parent = os.path.relpath(os.path.dirname(class_folder), root)
        prefix = Path(parent).as_posix() if len(parents) > 1 and parent != "." else ""
        tree.add(class_folder, label, prefix)
    return tree.dataset(n_frames, "folders")


def build_flat(root, n_frames, label):
    """Layout ``flat``: every image and video below ``root``, at any depth, all of class ``label``.

    A folder of one class (real photos to measure a detector's false alarms
    on, say) that has no ``real/`` or ``fake/`` folder. A class folder of the
    other class below ``root`` is refused: its files would be mislabelled.

    Parameters
    ----------
    root : str or os.PathLike
    n_frames : int
    label : {0, 1}
        1 = fake, 0 = real.

    Returns
    -------
    dataset : Dataset
        Sources are the sub-folders (the folder's own name for the files
        directly in it); groups are the files.
    """
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise DatasetLayoutError(
            f"{root!r}: a label is given for a folder of one class, but this is not a folder (a CSV "
            "manifest has labels of its own)."
        )
    other = [folder for folder, found in _class_folders(root) if found != label]
    if other:
        names = ("real", "fake")
        shown = ", ".join(repr(os.path.relpath(f, root)) for f in other[:3])
        raise DatasetLayoutError(
            f"{root!r}: every item was to be labelled {names[label]}, but the folder holds "
            f"{names[1 - label]} items ({shown}); read it without a label."
        )
    tree = _Tree(root)
    tree.add(root, int(label), "")
    return tree.dataset(n_frames, "flat")


class _Tree:
    """The media files below some folders of a root, with their labels, groups and sources.

    Files reached through a link come last, so that a file reached both
    directly and through a link keeps its direct path.
    """

    def __init__(self, root):
        self.root = root
        self.real_root = os.path.realpath(root)
        self.default_source = os.path.basename(os.path.abspath(root))
        self.direct, self.linked = [], []

    def add(self, top, label, prefix):
        """Every media file below ``top``, labelled ``label``; sources are ``prefix`` and the sub-folder."""
        for folder, _, files in walk(top):
            sub = os.path.relpath(folder, top)
            sub = Path(sub).as_posix() if sub != "." else ""
            source = "/".join(p for p in (prefix, sub) if p) or self.default_source
            for name in files:
                path = os.path.join(folder, name)
                if media_kind(name) is None:
                    continue
                relative = os.path.relpath(path, self.root)
                is_linked = os.path.realpath(path) != os.path.join(self.real_root, relative)
                entry = (path, label, Path(relative).as_posix(), source)
                (self.linked if is_linked else self.direct).append(entry)

    def dataset(self, n_frames, layout):
        collector = ItemCollector(self.root, n_frames, layout)
        for path, label, group, source in self.direct + self.linked:
            collector.add_file(path, label, group, source)
        return collector.dataset()
