"""expand_inputs: files, folders and videos become named items, problems become error items."""

import numpy as np
import pytest
from PIL import Image

from facetruth.data import expand_inputs
from facetruth.data._inputs import InputItem
from facetruth.exceptions import ImageDecodeError


def write_video(path, n=6, size=(32, 24)):
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, size)
    for i in range(n):
        writer.write(np.full((size[1], size[0], 3), 20 * i, np.uint8))
    writer.release()


def test_files_folders_and_videos_in_order(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    for name in ("b.png", "a.jpg", "sub/c.png"):
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(folder / name)
    (folder / ".hidden.png").write_bytes(b"x")
    (folder / "notes.txt").write_text("not an image")
    write_video(folder / "clip.mp4")
    single = tmp_path / "single.png"
    entries = expand_inputs([single, folder], n_frames=3)
    assert all(isinstance(e, InputItem) for e in entries)
    assert entries[0] == InputItem(str(single), str(single), None)  # passed on, even if missing
    names = [e.name for e in entries[1:]]
    assert names[0] == str(folder / "a.jpg") and names[1] == str(folder / "b.png")
    frames = [e for e in entries if e.video is not None]
    assert [e.name for e in frames] == [f"{folder / 'clip.mp4'}#frame={i}" for i in (0, 2, 5)]
    assert all(isinstance(e.item, np.ndarray) and e.item.shape == (24, 32, 3) for e in frames)
    assert names[-1] == str(folder / "sub" / "c.png") and len(entries) == 1 + 2 + 3 + 1


def test_problems_become_error_items(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken.mp4").write_bytes(b"not a video")
    entries = expand_inputs([tmp_path / "empty", tmp_path / "broken.mp4"])
    assert [e.name for e in entries] == [str(tmp_path / "empty"), str(tmp_path / "broken.mp4")]
    assert all(isinstance(e.item, ImageDecodeError) and e.video is None for e in entries)
    assert "folder holds no images" in str(entries[0].item)


def test_bad_frame_count_is_refused(tmp_path):
    write_video(tmp_path / "clip.mp4")
    with pytest.raises(ValueError, match="n_frames"):
        expand_inputs([tmp_path / "clip.mp4"], n_frames=0)
