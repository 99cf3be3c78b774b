"""Fuzzing the video reader, ``load_dataset`` folders and CSV manifests.

Videos: mutated AVI (MJPEG) and MP4 files, files with no frames, images and
noise named ``.mp4``. Data sets: random trees of good, damaged and empty
files under ``real/`` and ``fake/``, and random CSV manifests. The only
exceptions allowed out are ImageDecodeError (naming the file) and
DatasetLayoutError (naming the folder or CSV).
"""

import functools
import os
import tempfile

import numpy as np
import pytest
from fuzz_corpus import SEEDS, mutated
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facetruth.data import load_dataset
from facetruth.data._video import read_video_frames, video_frame_count
from facetruth.exceptions import DatasetLayoutError, ImageDecodeError

# Pillow warns about the damaged files it is fed here; they are the point of the tests
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL")

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def write_video(path, n_frames, fourcc="MJPG", size=(16, 12)):
    """Write ``n_frames`` frames whose grey level is ``20 * index`` (OpenCV's VideoWriter)."""
    import cv2

    writer = cv2.VideoWriter(os.fspath(path), cv2.VideoWriter_fourcc(*fourcc), 10, size)
    assert writer.isOpened()
    for i in range(n_frames):
        writer.write(np.full((size[1], size[0], 3), 20 * i, np.uint8))
    writer.release()


@functools.cache
def video_seeds():
    with tempfile.TemporaryDirectory() as tmp:
        seeds = {}
        for name, fourcc in (("clip.avi", "MJPG"), ("clip.mp4", "mp4v")):
            write_video(os.path.join(tmp, name), 4, fourcc)
            with open(os.path.join(tmp, name), "rb") as fh:
                seeds[name] = fh.read()
        return seeds


def read_or_refuse(path):
    try:
        frames, indices = read_video_frames(path, n_frames=3)
    except ImageDecodeError as exc:
        assert str(exc).startswith(repr(os.fsdecode(path))), str(exc)
        return None
    assert len(frames) == len(indices) >= 1 and indices == sorted(set(indices))
    assert all(f.dtype == np.uint8 and f.ndim == 3 and f.shape[2] == 3 for f in frames)
    return frames, indices


@pytest.mark.parametrize("name", ["clip.avi", "clip.mp4"])
def test_video_seeds_decode_to_known_frames(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(video_seeds()[name])
    frames, indices = read_video_frames(path, n_frames=3)
    assert indices == [0, 2, 3] and video_frame_count(path) == 4
    assert [int(round(f.mean())) for f in frames] == pytest.approx([0, 40, 60], abs=3)


@FUZZ
@given(
    mutated(seeds={k: (v, None, None) for k, v in video_seeds().items()}), st.sampled_from([".avi", ".mp4"])
)
def test_mutated_videos(data, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"clip{suffix}")
        with open(path, "wb") as fh:
            fh.write(data)
        read_or_refuse(path)


def test_videos_without_frames_and_impostors(tmp_path):
    write_video(tmp_path / "empty.avi", 0)
    (tmp_path / "zero.mp4").write_bytes(b"")
    (tmp_path / "noise.mp4").write_bytes(np.random.default_rng(0).bytes(4096))
    (tmp_path / "image.mp4").write_bytes(SEEDS["png"][0])
    (tmp_path / "folder.mp4").mkdir()
    for name, reason in [
        ("empty.avi", "no decodable frames"),
        ("zero.mp4", "empty"),
        ("noise.mp4", "not a readable video"),
        ("folder.mp4", "directory"),
        ("missing.mp4", "no such file"),
    ]:
        with pytest.raises(ImageDecodeError, match=reason):
            read_video_frames(tmp_path / name)
    read_or_refuse(tmp_path / "image.mp4")  # an image named .mp4: decoded as a frame or refused, no crash


def test_video_names_are_files_never_protocols_or_crashes(tmp_path, monkeypatch):
    """FFmpeg reads ``concat:a|b`` as a protocol; OpenCV crashed on names that are not UTF-8."""
    write_video(tmp_path / "a.avi", 3)
    monkeypatch.chdir(tmp_path)
    protocol = "concat:a.avi|a.avi"
    (tmp_path / protocol).write_bytes(b"not a video")
    with pytest.raises(ImageDecodeError, match="not a readable video"):
        read_video_frames(protocol, strategy="all")
    odd = os.path.join(os.fsencode(tmp_path), b"clip\xff.avi")
    os.link(tmp_path / "a.avi", odd)
    frames, indices = read_video_frames(os.fsdecode(odd), strategy="all")
    assert indices == [0, 1, 2] and video_frame_count(odd) == 3


FILE_NAME = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), max_size=12)
CONTENT = st.one_of(
    st.sampled_from(sorted(SEEDS)).map(lambda k: SEEDS[k][0]), mutated(), st.just(b""), st.binary(max_size=64)
)


@FUZZ
@given(
    st.lists(
        st.tuples(st.sampled_from(["real", "fake", "other", "real/sub"]), FILE_NAME, CONTENT),
        max_size=10,
    ),
    st.sampled_from([".png", ".jpg", ".gif", ".tiff", ".webp", ".txt", ".mp4"]),
)
def test_random_folder_trees(entries, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        for folder, name, content in entries:
            os.makedirs(os.path.join(tmp, folder), exist_ok=True)
            with open(os.path.join(tmp, folder, f"{name}{suffix}"), "wb") as fh:
                fh.write(content)
        try:
            dataset = load_dataset(tmp)
        except DatasetLayoutError as exc:
            assert repr(tmp) in str(exc)
            return
        assert set(np.unique(dataset.labels)) == {0, 1}
        for path, reason in dataset.skipped:
            assert path.startswith(tmp) and reason
        for i in range(len(dataset)):
            try:
                assert dataset.read(i).dtype == np.uint8
            except ImageDecodeError as exc:
                assert repr(dataset.paths[i]) in str(exc)


PATHS = st.sampled_from(
    [
        "real/a.png",
        "fake/b.png",
        "../escape.png",
        "/etc/passwd.png",
        "real/../../x.png",
        "missing.png",
        "real",
    ]
)
CELL = st.one_of(PATHS, st.sampled_from(["0", "1", "fake", "REAL", "2", "", "-1"]), st.text(max_size=8))


@FUZZ
@given(st.lists(st.lists(CELL, min_size=0, max_size=4), max_size=6), st.booleans())
def test_random_csv_manifests(rows, with_header):
    with tempfile.TemporaryDirectory() as tmp:
        for name, key in (("real/a.png", "png"), ("fake/b.png", "jpeg")):
            os.makedirs(os.path.dirname(os.path.join(tmp, name)), exist_ok=True)
            with open(os.path.join(tmp, name), "wb") as fh:
                fh.write(SEEDS[key][0])
        lines = (["path,label"] if with_header else []) + [",".join(r) for r in rows]
        csv_path = os.path.join(tmp, "list.csv")
        with open(csv_path, "w", encoding="utf-8", errors="surrogatepass") as fh:
            fh.write("\n".join(lines))
        try:
            dataset = load_dataset(csv_path)
        except DatasetLayoutError as exc:
            assert repr(csv_path) in str(exc)
            return
        for path in dataset.paths:  # nothing outside the manifest's folder
            assert os.path.realpath(path).startswith(os.path.realpath(tmp) + os.sep)
