"""Layout detection and the ``real/``/``fake/`` folder layout.

Also the helpers every layout shares: a deterministic, symlink-safe folder
walk, cheap file checks and :class:`ItemCollector`, which turns files (and
sampled video frames) into the columns of a :class:`~facetruth.data.Dataset`.
"""

import logging
import os
from pathlib import Path

from ..exceptions import DatasetLayoutError, ImageDecodeError
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
    """Cheap readability check; returns the reason a file is unusable, or ``None``."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "missing file (or dangling link)"
    except OSError as exc:
        return f"cannot stat ({exc.strerror or exc})"
    if not os.path.isfile(path):
        return "not a regular file"
    if st.st_size == 0:
        return "empty (0-byte) file"
    if not os.access(path, os.R_OK):
        return "permission denied"
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
            self.skip(path, f"cannot stat ({exc})")
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
    raise DatasetLayoutError(
        f"{str(path)!r} matches no known dataset layout. Looked for: {looked_for}. Found: {shown}."
    )


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
    collector = ItemCollector(root, n_frames, "folders")
    default_source = os.path.basename(os.path.abspath(root))
    real_root = os.path.realpath(root)
    direct, linked = [], []  # files reached through a link come last, so a direct path wins
    for class_folder, label in classes:
        parent = os.path.relpath(os.path.dirname(class_folder), root)
        prefix = Path(parent).as_posix() if len(parents) > 1 and parent != "." else ""
        for folder, _, files in walk(class_folder):
            sub = os.path.relpath(folder, class_folder)
            sub = Path(sub).as_posix() if sub != "." else ""
            source = "/".join(p for p in (prefix, sub) if p) or default_source
            for name in files:
                path = os.path.join(folder, name)
                if media_kind(name) is None:
                    continue
                relative = os.path.relpath(path, root)
                is_linked = os.path.realpath(path) != os.path.join(real_root, relative)
                (linked if is_linked else direct).append((path, label, Path(relative).as_posix(), source))
    for path, label, group, source in direct + linked:
        collector.add_file(path, label, group, source)
    return collector.dataset()
