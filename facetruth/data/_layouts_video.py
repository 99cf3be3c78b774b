"""Layouts of the public face-video benchmarks: FaceForensics++, Celeb-DF v2 and DFDC.

A fake video combines the identities of two real videos; a group holds every
video, real or fake, that shares an identity with another (union-find over
the identities named in file names or metadata), so that a group-aware split
never puts one person on both sides.

References
----------
.. [1] A. Rössler et al., "FaceForensics++: Learning to Detect Manipulated
   Facial Images", ICCV 2019.
.. [2] Y. Li et al., "Celeb-DF: A Large-scale Challenging Dataset for
   DeepFake Forensics", CVPR 2020.
.. [3] B. Dolhansky et al., "The DeepFake Detection Challenge (DFDC)
   Dataset", arXiv:2006.07397, 2020.
"""

import json
import logging
import os
import re

from ..exceptions import DatasetLayoutError
from ._layouts import ItemCollector, media_kind, walk
from ._video import uniform_indices

logger = logging.getLogger(__name__)


class UnionFind:
    """Disjoint sets of string keys; the name of a set is its smallest key."""

    def __init__(self):
        self.parent = {}

    def find(self, key):
        self.parent.setdefault(key, key)
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:  # path compression
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, *keys):
        roots = sorted({self.find(k) for k in keys})
        for other in roots[1:]:
            self.parent[other] = roots[0]


def _subdirs(folder):
    try:
        return sorted(e.name for e in os.scandir(folder) if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return []


def _child(folder, name):
    """``folder/name`` matched case-insensitively, or ``None``."""
    for entry in _subdirs(folder):
        if entry.lower() == name.lower():
            return os.path.join(folder, entry)
    return None


def _files(folder):
    return [os.path.join(d, f) for d, _, files in walk(folder) for f in files if media_kind(f)]


def ffpp_identities(video_id):
    """Identity keys named by a FaceForensics++ video id.

    ``"000"`` -> ``["000"]``; ``"000_003"`` -> ``["000", "003"]``; the
    DeepFakeDetection actors ``"01__scene"`` and ``"01_02__scene__X"`` ->
    ``["actor:01"]`` and ``["actor:01", "actor:02"]``.
    """
    if "__" in video_id:
        return [f"actor:{i}" for i in video_id.split("__")[0].split("_") if i]
    return [i for i in video_id.split("_") if i] or [video_id]


def build_faceforensics(root, n_frames):
    """FaceForensics++: ``{original,manipulated}_sequences/<name>/<compression>/{videos,images}``.

    Videos give ``n_frames`` sampled frames each; in the extracted-frames
    variant (``images/<video_id>/*.png``) ``n_frames`` image files are
    sampled per video folder.  ``sources`` is the manipulation method or
    ``"original"``; masks folders are left out.
    """
    root = os.fspath(root)
    entries = []  # (path, label, video_id, source, is_frame_folder)
    for top, label in (("original_sequences", 0), ("manipulated_sequences", 1)):
        top_dir = _child(root, top)
        for name in _subdirs(top_dir) if top_dir else []:
            for compression in _subdirs(os.path.join(top_dir, name)):
                if compression.lower() == "masks":
                    continue
                base = os.path.join(top_dir, name, compression)
                source = "original" if label == 0 else name
                videos = _child(base, "videos")
                for path in _files(videos) if videos else []:
                    entries.append((path, label, os.path.splitext(os.path.basename(path))[0], source, False))
                images = _child(base, "images")
                for video_id in _subdirs(images) if images else []:
                    entries.append((os.path.join(images, video_id), label, video_id, source, True))
    uf = UnionFind()
    for _, _, video_id, _, _ in entries:
        uf.union(*ffpp_identities(video_id))
    collector = ItemCollector(root, n_frames, "faceforensics")
    for path, label, video_id, source, is_frames in entries:
        group = uf.find(ffpp_identities(video_id)[0])
        if not is_frames:
            collector.add_file(path, label, group, source)
            continue
        frames = sorted(f for f in _files(path))
        if not frames:
            collector.skip(path, "frame folder holds no images")
        for i in uniform_indices(len(frames), n_frames):
            collector.add_file(frames[i], label, group, source)
    return collector.dataset()


_CELEB_REAL = re.compile(r"^(id\d+)_\d+$")
_CELEB_FAKE = re.compile(r"^(id\d+)_(id\d+)_\d+$")


def build_celebdf(root, n_frames):
    """Celeb-DF v2: ``Celeb-real/``, ``YouTube-real/``, ``Celeb-synthesis/``.

    ``split`` is ``"test"`` for the videos listed in
    ``List_of_testing_videos.txt`` and ``"train"`` for the others; it is
    absent when the list is.
    """
    root = os.fspath(root)
    listed = _celebdf_test_list(root)
    uf = UnionFind()
    entries = []
    for folder, label in (("Celeb-real", 0), ("YouTube-real", 0), ("Celeb-synthesis", 1)):
        path = _child(root, folder)
        for video in _files(path) if path else []:
            stem = os.path.splitext(os.path.basename(video))[0]
            fake, real = _CELEB_FAKE.match(stem), _CELEB_REAL.match(stem)
            keys = list(fake.groups()) if fake else [real.group(1)] if real else [f"{folder}/{stem}"]
            uf.union(*keys)
            rel = os.path.relpath(video, root).replace(os.sep, "/")
            entries.append((video, label, keys[0], os.path.basename(path), rel))
    collector = ItemCollector(root, n_frames, "celebdf")
    for video, label, key, source, rel in entries:
        split = None if listed is None else ("test" if rel in listed else "train")
        collector.add_file(video, label, uf.find(key), source, split=split)
    return collector.dataset()


def _celebdf_test_list(root):
    path = os.path.join(root, "List_of_testing_videos.txt")
    if not os.path.isfile(path):
        return None
    listed = set()
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise DatasetLayoutError(
                    f"{path!r}, line {number}: expected '<label> <video path>', got {line!r}."
                )
            listed.add(parts[1].replace("\\", "/"))
    return listed


def build_dfdc(root, n_frames):
    """DFDC: one or more part folders, each with ``metadata.json`` beside its videos.

    ``metadata.json`` maps ``"x.mp4"`` to ``{"label": "FAKE"|"REAL",
    "original": "y.mp4"|null, "split": ...}``; a fake is grouped with its
    original (also across parts).  ``sources`` is the part folder's name.
    """
    root = os.fspath(root)
    parts = [root] if os.path.isfile(os.path.join(root, "metadata.json")) else []
    parts += [
        os.path.join(root, d)
        for d in _subdirs(root)
        if os.path.isfile(os.path.join(root, d, "metadata.json"))
    ]
    uf = UnionFind()
    entries = []
    for part in parts:
        meta_path = os.path.join(part, "metadata.json")
        try:
            with open(meta_path, encoding="utf-8") as fh:
                meta = json.load(fh)
        except (OSError, ValueError) as exc:
            raise DatasetLayoutError(f"{meta_path!r}: unreadable metadata ({exc}).") from exc
        if not isinstance(meta, dict):
            raise DatasetLayoutError(f"{meta_path!r}: expected a JSON object of video name -> record.")
        for name, record in sorted(meta.items()):
            label = str(record.get("label", "")).upper() if isinstance(record, dict) else ""
            if label not in ("REAL", "FAKE"):
                raise DatasetLayoutError(f"{meta_path!r}: entry {name!r} has no label REAL or FAKE.")
            original = record.get("original")
            uf.union(name, *([original] if original and label == "FAKE" else []))
            split = record.get("split")
            entries.append(
                (os.path.join(part, name), int(label == "FAKE"), name, os.path.basename(part), split)
            )
    collector = ItemCollector(root, n_frames, "dfdc")
    for path, label, name, source, split in entries:
        collector.add_file(path, label, uf.find(name), source, split=None if split is None else str(split))
    return collector.dataset()
