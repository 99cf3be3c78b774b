"""Dataset layouts on tiny trees built in tmp_path, and on the shared real data sets."""

import json
import os

import cv2
import numpy as np
import pytest
from PIL import Image

from facetruth.data import Dataset, load_dataset
from facetruth.data._layouts_video import UnionFind, ffpp_identities
from facetruth.exceptions import DatasetLayoutError


def image(path, level=0, size=(8, 8)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (level, level, level)).save(path)
    return path


def video(path, n=10, level=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (16, 16))
    assert writer.isOpened()
    for _ in range(n):
        writer.write(np.full((16, 16, 3), level, np.uint8))
    writer.release()
    assert cv2.VideoCapture(str(path)).isOpened()
    return path


def rel(ds):
    return [ds.relative_path(i) for i in range(len(ds))]


# ---------------------------------------------------------------- folders


def test_real_fake_folders(tmp_path):
    image(tmp_path / "real" / "a.png", 10)
    image(tmp_path / "real" / "b.jpg")
    image(tmp_path / "fake" / "stylegan" / "c.png", 200)
    image(tmp_path / "fake" / ".hidden.png")
    (tmp_path / "fake" / "notes.txt").write_text("ignored: not an image")
    (tmp_path / "fake" / "broken.png").write_bytes(b"")
    ds = load_dataset(tmp_path)
    assert ds.layout == "folders" and len(ds) == 3
    assert rel(ds) == ["fake/stylegan/c.png", "real/a.png", "real/b.jpg"]
    by_path = dict(zip(rel(ds), zip(ds.labels.tolist(), ds.sources, ds.groups, strict=True), strict=True))
    assert by_path["real/a.png"] == (0, tmp_path.name, "real/a.png")
    assert by_path["fake/stylegan/c.png"] == (1, "stylegan", "fake/stylegan/c.png")
    assert ds.counts() == {0: 2, 1: 1}
    assert ds.skipped == [(str(tmp_path / "fake" / "broken.png"), "empty (0-byte) file")]
    assert ds.frames is None
    assert ds.read(rel(ds).index("real/a.png"))[0, 0].tolist() == [10, 10, 10]


def test_folders_at_depth_with_several_parents_and_videos(tmp_path):
    for gen in ("gan1", "gan2"):
        image(tmp_path / "sets" / gen / "0_real" / "r.png")
        image(tmp_path / "sets" / gen / "1_Fake" / "f.png")
    video(tmp_path / "sets" / "gan2" / "1_Fake" / "clip.mp4", n=10, level=120)
    ds = load_dataset(tmp_path, n_frames=3)
    assert len(ds) == 4 + 3
    assert sorted(set(ds.sources)) == ["sets/gan1", "sets/gan2"]
    clip = [i for i, p in enumerate(ds.paths) if p.endswith("clip.mp4")]
    assert [ds.frames[i] for i in clip] == [0, 4, 9]
    assert len({ds.groups[i] for i in clip}) == 1 and ds.labels[clip].tolist() == [1, 1, 1]
    assert ds.frames[rel(ds).index("sets/gan1/0_real/r.png")] is None
    assert abs(ds.read(clip[1]).mean() - 120) < 8


def test_order_and_hash_are_deterministic(tmp_path):
    for name in ("b", "a", "c"):
        image(tmp_path / "x" / "real" / f"{name}.png")
        image(tmp_path / "x" / "fake" / f"{name}.png")
    ds = load_dataset(tmp_path / "x")
    assert rel(ds) == [f"fake/{n}.png" for n in "abc"] + [f"real/{n}.png" for n in "abc"]
    moved = tmp_path / "moved"
    os.rename(tmp_path / "x", moved)
    again = load_dataset(moved)
    assert again.manifest_hash() == ds.manifest_hash() and len(ds.manifest_hash()) == 64
    flipped = Dataset(again.paths, 1 - again.labels, again.groups, again.sources, root=again.root)
    assert flipped.manifest_hash() != ds.manifest_hash()
    reordered = again.subset(np.arange(len(again))[::-1])
    assert reordered.manifest_hash() == ds.manifest_hash()


def test_subset_and_counts(tmp_path):
    image(tmp_path / "real" / "a.png")
    image(tmp_path / "fake" / "b.png")
    image(tmp_path / "fake" / "c.png")
    ds = load_dataset(tmp_path)
    part = ds.subset(ds.labels == 1)
    assert len(part) == 2 and part.counts() == {0: 0, 1: 2} and part.root == ds.root
    assert ds.subset([0]).paths == [ds.paths[0]]
    with pytest.raises(ValueError, match="mask"):
        ds.subset(np.array([True, False]))
    with pytest.raises(ValueError, match="labels"):
        Dataset(["a.png"], [2], ["a"], ["s"])


def test_empty_one_class_and_no_layout(tmp_path):
    with pytest.raises(DatasetLayoutError, match="no such"):
        load_dataset(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetLayoutError, match="empty"):
        load_dataset(tmp_path / "empty")
    image(tmp_path / "one" / "real" / "a.png")
    with pytest.raises(DatasetLayoutError, match="only one class"):
        load_dataset(tmp_path / "one")
    image(tmp_path / "none" / "cats" / "a.png")
    with pytest.raises(DatasetLayoutError, match="matches no known dataset layout") as info:
        load_dataset(tmp_path / "none")
    assert "real/ and fake/" in str(info.value) and "cats" in str(info.value)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "real").mkdir()
    (tmp_path / "bad" / "fake").mkdir()
    (tmp_path / "bad" / "fake" / "x.png").write_bytes(b"")
    with pytest.raises(DatasetLayoutError, match="1 file"):
        load_dataset(tmp_path / "bad")


def test_symlink_loop_terminates(tmp_path):
    image(tmp_path / "real" / "a.png")
    image(tmp_path / "fake" / "b.png")
    try:
        os.symlink(tmp_path, tmp_path / "fake" / "loop", target_is_directory=True)
    except (OSError, NotImplementedError):
        pytest.skip("symbolic links are not available")
    ds = load_dataset(tmp_path)
    assert sorted(rel(ds)) == ["fake/b.png", "real/a.png"]


def test_linked_class_folders_do_not_count_a_file_twice(tmp_path):
    image(tmp_path / "real" / "a.png")
    image(tmp_path / "fake" / "b.png")
    try:
        os.symlink(tmp_path / "fake", tmp_path / "real" / "more", target_is_directory=True)
        os.symlink(tmp_path / "real", tmp_path / "fake" / "more", target_is_directory=True)
    except (OSError, NotImplementedError):
        pytest.skip("symbolic links are not available")
    ds = load_dataset(tmp_path)
    assert len(ds) == 2 and ds.counts() == {0: 1, 1: 1}
    assert len(ds.skipped) == 2 and all("same file as" in reason for _, reason in ds.skipped)


def test_non_utf8_file_name(tmp_path):
    image(tmp_path / "real" / "a.png")
    name = os.fsencode(tmp_path / "fake") + b"/caf\xe9.png"
    os.makedirs(tmp_path / "fake", exist_ok=True)
    try:
        with open(name, "wb") as fh:
            Image.new("RGB", (4, 4), (9, 9, 9)).save(fh, "PNG")
    except (OSError, UnicodeError):
        pytest.skip("the file system refuses non-UTF-8 names")
    ds = load_dataset(tmp_path)
    i = int(np.flatnonzero(ds.labels == 1)[0])
    assert os.fsencode(ds.paths[i]) == name
    assert ds.read(i)[0, 0].tolist() == [9, 9, 9]
    assert len(ds.manifest_hash()) == 64


# ---------------------------------------------------------------- CSV


def write_csv(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_manifest(tmp_path):
    image(tmp_path / "imgs" / "a.png")
    image(tmp_path / "imgs" / "b.png")
    video(tmp_path / "clips" / "v.mp4", n=6)
    csv_path = write_csv(
        tmp_path / "list.csv",
        "Path,Label,group,source\nimgs/a.png,Real,g1,cam\nimgs/b.png,1,,\n\nclips/v.mp4,FAKE,g1,gen\n",
    )
    ds = load_dataset(csv_path, n_frames=2)
    assert ds.layout == "csv" and rel(ds) == ["imgs/a.png", "imgs/b.png", "clips/v.mp4", "clips/v.mp4"]
    assert ds.labels.tolist() == [0, 1, 1, 1]
    assert ds.groups == ["g1", "imgs/b.png", "g1", "g1"]
    assert ds.sources == ["cam", "csv", "gen", "gen"]
    assert ds.frames == [None, None, 0, 5]


@pytest.mark.parametrize(
    "body,match",
    [
        ("", "empty CSV"),
        ("file,label\na.png,0\n", "header"),
        ("path,label\n", "no rows"),
        ("path,label\na.png,0\na.png,maybe\n", "row 3: bad label"),
        ("path,label\n../a.png,0\n", "row 2: file '../a.png' not found"),
        ("path,label\n/no/such/a.png,0\n", "row 2: file '/no/such/a.png' not found"),
        ("path,label\nmissing.png,1\n", "row 2: file 'missing.png' not found"),
        ("path,label\nnotes.txt,1\n", "extension"),
        ("path,label,group\na.png\n", "row 2: expected"),
    ],
)
def test_csv_errors(tmp_path, body, match):
    image(tmp_path / "a.png")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DatasetLayoutError, match=match):
        load_dataset(write_csv(tmp_path / "m.csv", body))


def test_csv_not_utf8_and_not_csv(tmp_path):
    (tmp_path / "m.csv").write_bytes(b"path,label\n\xff\xfe.png,0\n")
    with pytest.raises(DatasetLayoutError, match="unreadable CSV"):
        load_dataset(tmp_path / "m.csv")
    (tmp_path / "m.json").write_text("{}")
    with pytest.raises(DatasetLayoutError, match="not a .csv"):
        load_dataset(tmp_path / "m.json")


# ---------------------------------------------------------------- video benchmarks


def test_ffpp_identities_and_union_find():
    assert ffpp_identities("000") == ["000"]
    assert ffpp_identities("000_003") == ["000", "003"]
    assert ffpp_identities("01_02__walk__ABC") == ["actor:01", "actor:02"]
    uf = UnionFind()
    uf.union("b", "c")
    uf.union("c", "a")
    uf.union("x")
    assert uf.find("b") == uf.find("c") == "a" and uf.find("x") == "x"


def test_faceforensics_groups_identities(tmp_path):
    orig = tmp_path / "original_sequences" / "youtube" / "c23" / "videos"
    for vid in ("000", "003", "004", "005"):
        video(orig / f"{vid}.mp4", n=5)
    fake = tmp_path / "manipulated_sequences" / "Deepfakes" / "c23" / "videos"
    video(fake / "000_003.mp4", n=5)
    video(fake / "004_005.mp4", n=5)
    video(tmp_path / "manipulated_sequences" / "Deepfakes" / "masks" / "videos" / "000_003.mp4", n=5)
    frames = tmp_path / "manipulated_sequences" / "Face2Face" / "c40" / "images" / "003_000"
    for k in range(6):
        image(frames / f"{k:04d}.png")
    ds = load_dataset(tmp_path, n_frames=2)
    assert ds.layout == "faceforensics"
    assert len(ds) == 4 * 2 + 2 * 2 + 2  # masks left out; 2 sampled extracted frames
    group_of = {}
    for p, g in zip(rel(ds), ds.groups, strict=True):
        group_of.setdefault(p, set()).add(g)
    assert all(len(g) == 1 for g in group_of.values())
    g = {p: next(iter(s)) for p, s in group_of.items()}
    a = g["original_sequences/youtube/c23/videos/000.mp4"]
    assert a == g["original_sequences/youtube/c23/videos/003.mp4"]
    assert a == g["manipulated_sequences/Deepfakes/c23/videos/000_003.mp4"]
    assert a == g["manipulated_sequences/Face2Face/c40/images/003_000/0000.png"]
    b = g["original_sequences/youtube/c23/videos/004.mp4"]
    assert b == g["manipulated_sequences/Deepfakes/c23/videos/004_005.mp4"] and a != b
    assert "manipulated_sequences/Face2Face/c40/images/003_000/0005.png" in g
    assert sorted(set(ds.sources)) == ["Deepfakes", "Face2Face", "original"]
    assert ds.counts() == {0: 8, 1: 6}


def test_celebdf_split_and_groups(tmp_path):
    video(tmp_path / "Celeb-real" / "id0_0000.mp4", n=4)
    video(tmp_path / "Celeb-real" / "id1_0000.mp4", n=4)
    video(tmp_path / "Celeb-real" / "id2_0001.mp4", n=4)
    video(tmp_path / "YouTube-real" / "00000.mp4", n=4)
    video(tmp_path / "Celeb-synthesis" / "id0_id1_0000.mp4", n=4)
    (tmp_path / "List_of_testing_videos.txt").write_text(
        "1 YouTube-real/00000.mp4\n0 Celeb-synthesis/id0_id1_0000.mp4\n1 Celeb-real/id2_0001.mp4\n"
    )
    ds = load_dataset(tmp_path, n_frames=1)
    assert ds.layout == "celebdf" and len(ds) == 5
    g = dict(zip(rel(ds), ds.groups, strict=True))
    assert (
        g["Celeb-real/id0_0000.mp4"] == g["Celeb-real/id1_0000.mp4"] == g["Celeb-synthesis/id0_id1_0000.mp4"]
    )
    assert len({g["Celeb-real/id0_0000.mp4"], g["Celeb-real/id2_0001.mp4"], g["YouTube-real/00000.mp4"]}) == 3
    split = dict(zip(rel(ds), ds.split, strict=True))
    assert split["YouTube-real/00000.mp4"] == "test" and split["Celeb-real/id0_0000.mp4"] == "train"
    test = load_dataset(tmp_path, n_frames=1, subset="test")
    assert sorted(rel(test)) == sorted(
        ["YouTube-real/00000.mp4", "Celeb-synthesis/id0_id1_0000.mp4", "Celeb-real/id2_0001.mp4"]
    )
    assert set(ds.sources) == {"Celeb-real", "YouTube-real", "Celeb-synthesis"}


def test_dfdc_parts_group_fakes_with_originals(tmp_path):
    video(tmp_path / "part_0" / "orig.mp4", n=3)
    video(tmp_path / "part_0" / "fake1.mp4", n=3)
    video(tmp_path / "part_1" / "fake2.mp4", n=3)
    video(tmp_path / "part_1" / "other.mp4", n=3)
    meta0 = {
        "orig.mp4": {"label": "REAL", "original": None, "split": "train"},
        "fake1.mp4": {"label": "FAKE", "original": "orig.mp4", "split": "train"},
        "gone.mp4": {"label": "FAKE", "original": "orig.mp4", "split": "train"},
    }
    meta1 = {
        "fake2.mp4": {"label": "fake", "original": "orig.mp4", "split": "train"},
        "other.mp4": {"label": "REAL", "original": None, "split": "train"},
    }
    (tmp_path / "part_0" / "metadata.json").write_text(json.dumps(meta0))
    (tmp_path / "part_1" / "metadata.json").write_text(json.dumps(meta1))
    ds = load_dataset(tmp_path, n_frames=2)
    assert ds.layout == "dfdc" and len(ds) == 8
    g = dict(zip(rel(ds), ds.groups, strict=True))
    assert g["part_0/orig.mp4"] == g["part_0/fake1.mp4"] == g["part_1/fake2.mp4"] != g["part_1/other.mp4"]
    assert ds.skipped and ds.skipped[0][0].endswith("gone.mp4")
    assert set(ds.sources) == {"part_0", "part_1"} and set(ds.split) == {"train"}
    (tmp_path / "part_1" / "metadata.json").write_text("{not json")
    with pytest.raises(DatasetLayoutError, match="metadata"):
        load_dataset(tmp_path)


def test_subset_needs_a_split(tmp_path):
    image(tmp_path / "real" / "a.png")
    image(tmp_path / "fake" / "b.png")
    with pytest.raises(DatasetLayoutError, match="no split"):
        load_dataset(tmp_path, subset="test")


# ---------------------------------------------------------------- shared real data


@pytest.mark.shared_data
def test_hardfake(hardfake_dir):
    ds = load_dataset(hardfake_dir)
    assert ds.layout == "folders" and ds.counts() == {0: 539, 1: 650}
    assert len(set(ds.groups)) == len(ds) and not ds.skipped
    assert ds.read(0).shape == (300, 300, 3)


@pytest.mark.shared_data
def test_ciplab(ciplab_dir):
    ds = load_dataset(ciplab_dir)
    assert ds.counts() == {0: 1081, 1: 960}
    assert ds.read(len(ds) - 1).shape == (160, 160, 3)
