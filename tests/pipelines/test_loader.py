import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from facetruth.exceptions import ImageDecodeError
from facetruth.pipelines import ImageLoader


@pytest.fixture
def files(tmp_path, rng):
    paths = []
    for i in range(3):
        p = tmp_path / f"img{i}.png"
        Image.fromarray(rng.integers(0, 256, (40 + 10 * i, 50, 3), dtype=np.uint8)).save(p)
        paths.append(str(p))
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image at all")
    return paths, str(bad)


def test_paths_and_arrays_give_fixed_size_crops(files, rng):
    paths, _ = files
    loader = ImageLoader(face="off", image_size=32)
    out = loader.fit_transform(paths + [rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)])
    assert out.shape == (4, 32, 32, 3) and out.dtype == np.uint8


def test_face_is_found_and_recorded():
    res = ImageLoader(face="auto", image_size=64).load([skdata.astronaut()])
    info = res.infos[0]
    assert info["face_found"] and info["method"] in ("dlib", "haar", "lbp")
    x0, y0, x1, y1 = info["box"]
    assert 120 < (x0 + x1) / 2 < 320 and 40 < (y0 + y1) / 2 < 250  # Eileen Collins' face


def test_bad_item_raises_or_is_collected(files):
    paths, bad = files
    loader = ImageLoader(face="off", image_size=16)
    with pytest.raises(ImageDecodeError, match="bad.jpg"):
        loader.transform(paths + [bad])
    res = loader.load([paths[0], bad, paths[1]], errors="collect")
    assert res.images.shape[0] == 2 and list(res.ok) == [0, 2]
    assert res.errors[0][0] == 1 and "bad.jpg" in res.errors[0][1]
    assert "error" in res.infos[1]


def test_crop_cache_is_reused(files, tmp_path):
    paths, _ = files
    cache = tmp_path / "cache"
    first = ImageLoader(face="off", image_size=24, cache=cache).load(paths)
    entries = sorted(p.name for p in cache.rglob("*.npy"))
    assert len(entries) == 2 * len(paths)  # crop + info per image
    again = ImageLoader(face="off", image_size=24, cache=cache).load(paths)
    assert np.array_equal(first.images, again.images)
    assert sorted(p.name for p in cache.rglob("*.npy")) == entries
    ImageLoader(face="off", image_size=28, cache=cache).load(paths)  # new parameters: new entries
    assert len(list(cache.rglob("*.npy"))) == 4 * len(paths)


def test_parallel_matches_serial(files):
    paths, _ = files
    a = ImageLoader(face="off", image_size=20).transform(paths * 3)
    b = ImageLoader(face="off", image_size=20, n_jobs=2).transform(paths * 3)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("params", [{"face": "mtcnn"}, {"image_size": 4}, {"margin": -1}])
def test_invalid_params(params):
    with pytest.raises(ValueError):
        ImageLoader(**params).fit()


def test_single_path_or_empty_input_rejected(files):
    with pytest.raises(ValueError, match="single path"):
        ImageLoader().transform(files[0][0])
    with pytest.raises(ValueError, match="empty"):
        ImageLoader().transform([])


def test_video_frames_of_a_chunk_are_decoded_in_one_pass(tmp_path, monkeypatch):
    import cv2

    from facetruth.data import _video

    path = tmp_path / "v.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (48, 40))
    for i in range(30):
        writer.write(np.full((40, 48, 3), 8 * i, np.uint8))
    writer.release()
    passes = []
    real_read = _video._read
    monkeypatch.setattr(_video, "_read", lambda *a: passes.append(a[2]) or real_read(*a))
    frames = [3, 11, 20, 29, 11]
    items = [(path, i) for i in frames] + [(path, 99), (tmp_path / "gone.mp4", 0)]
    result = ImageLoader(face="off", image_size=16).load(items, errors="collect")
    assert passes[0] == [3, 11, 20, 29, 99]  # one pass for the video, up to its last wanted frame
    assert len(passes) == 2  # and one more for the repeated frame 11 only
    levels = [round(float(crop.mean()) / 8) for crop in result.images]
    assert levels == frames
    assert [i for i, _ in result.errors] == [5, 6]
    assert "frame 99 not found (video has 30 decodable frames)" in result.errors[0][1]
    assert "no such file" in result.errors[1][1]
    # same crops as decoding each frame on its own
    alone = [ImageLoader(face="off", image_size=16).transform([(path, i)])[0] for i in frames]
    np.testing.assert_array_equal(result.images, np.stack(alone))


def test_chunks_keep_each_video_together():
    from facetruth.pipelines._loader import _chunks

    items = ["a.jpg", "b.jpg", ("v1", 0), ("v1", 5), ("v1", 9), ("v2", 0), "c.jpg", ("v2", 3)]
    chunks = _chunks(items, 2)
    assert [x for c in chunks for x in c] == items
    assert chunks[:3] == [["a.jpg", "b.jpg"], [("v1", 0), ("v1", 5), ("v1", 9)], [("v2", 0), "c.jpg"]]
    assert _chunks(items, 100) == [items]
