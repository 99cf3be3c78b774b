"""Face detection on a downscaled copy: boxes and landmarks map back, and ``max_side`` is validated."""

import numpy as np
import pytest
from skimage.data import astronaut

from facetruth.data import _landmarks as lm
from facetruth.data import crop_face, detect_face
from facetruth.data._landmarks import detection_shape, to_full_resolution


def _iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union


@pytest.fixture
def fake_backend(monkeypatch):
    """dlib replaced by stubs: a fixed box; "landmarks" at the corners of the box they are given."""
    seen = []

    def detect(grey, upsample=0):
        seen.append(grey.shape)
        return np.array([[10, 20, 50, 60]], dtype=np.int64)

    def landmarks(grey, box):
        seen.append(("landmarks", grey.shape, tuple(int(v) for v in box)))
        x0, y0, x1, y1 = box
        return np.array([[x0, y0], [x1 - 0.5, y1 - 0.5]], dtype=np.float32)

    monkeypatch.setitem(lm._DETECTORS, "dlib", detect)
    monkeypatch.setattr(lm, "dlib_landmarks", landmarks)
    return seen


def test_box_and_landmarks_map_back_exactly(fake_backend):
    image = np.zeros((480, 640, 3), np.uint8)
    found = detect_face(image, method="dlib", max_side=320)
    # searched at 320 px; the landmarks fitted on the full 640 px image, in the box mapped there
    assert fake_backend == [(240, 320), ("landmarks", (480, 640), (20, 40, 100, 120))]
    assert found.box == (20, 40, 100, 120)
    np.testing.assert_array_equal(found.landmarks, [[20, 40], [99.5, 119.5]])
    assert found.landmarks.dtype == np.float32


def test_landmarks_of_a_large_image_are_fitted_at_640_and_mapped_back(fake_backend):
    found = detect_face(np.zeros((1280, 1280, 3), np.uint8), method="dlib", max_side=160)
    assert fake_backend == [(160, 160), ("landmarks", (640, 640), (40, 80, 200, 240))]
    assert found.box == (80, 160, 400, 480)
    np.testing.assert_array_equal(found.landmarks, [[80, 160], [399, 479]])
    assert detect_face(np.zeros((1280, 1280, 3), np.uint8), method="dlib", landmarks=False).landmarks is None


def test_each_axis_has_its_own_factor(fake_backend):
    # 1000 x 333 shrinks to 160 x 53: x scales by 1000/160, y by 333/53
    found = detect_face(np.zeros((333, 1000, 3), np.uint8), method="dlib", max_side=160, landmarks=False)
    assert fake_backend == [(53, 160)]
    assert found.box == (62, 126, 312, 333)  # y1 = 60 * 333 / 53 = 377, clipped to the image


def test_small_images_and_none_are_searched_at_full_size(fake_backend):
    small = detect_face(np.zeros((100, 120, 3), np.uint8), method="dlib", max_side=160, landmarks=False)
    assert small.box == (10, 20, 50, 60)
    detect_face(np.zeros((700, 900, 3), np.uint8), method="dlib", max_side=None, landmarks=False)
    assert fake_backend == [(100, 120), (700, 900)]


def test_no_face_on_the_small_copy_searches_again_at_640(monkeypatch):
    seen = []

    def detect(grey, upsample=0):
        seen.append(grey.shape)
        return np.zeros((0, 4), np.int64) if len(seen) == 1 else np.array([[64, 64, 128, 128]])

    monkeypatch.setitem(lm._DETECTORS, "haar", detect)
    found = detect_face(np.zeros((1280, 1280, 3), np.uint8), method="haar", max_side=160)
    assert seen == [(160, 160), (640, 640)]
    assert found.box == (128, 128, 256, 256)


def test_mapping_helpers():
    assert detection_shape((300, 200), 150) == (150, 100)
    assert detection_shape((300, 200), 300) == (300, 200)
    boxes = to_full_resolution([[0, 0, 160, 53]], (53, 160), (333, 1000))
    np.testing.assert_allclose(boxes, [[0, 0, 1000, 333]])


def test_downscaled_search_finds_the_astronaut_where_the_full_one_does():
    full = detect_face(astronaut(), method="dlib", max_side=None)
    for side in (320, 160):
        found = detect_face(astronaut(), method="dlib", max_side=side)
        # dlib's boxes come in the sizes of its scanning pyramid: a face near the 80 px window
        # of the small copy gets a box of another size than at full resolution
        assert _iou(found.box, full.box) > 0.5
        # fitted at full resolution from another starting box, the nose tip moves a few pixels at most
        assert np.abs(found.landmarks[30] - full.landmarks[30]).max() < 4


@pytest.mark.parametrize("bad", [0, 19, -5, 2.5, "160", True])
def test_max_side_is_validated(bad):
    image = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(ValueError, match="max_side"):
        detect_face(image, max_side=bad)
    with pytest.raises(ValueError, match="detect_max_side"):
        crop_face(image, detect_max_side=bad)


def test_loader_validates_it_and_keys_its_cache_on_it():
    from facetruth.pipelines import ImageLoader

    images = np.zeros((2, 48, 48, 3), np.uint8)
    with pytest.raises(ValueError, match="max_side"):
        ImageLoader(detect_max_side=5).fit(images).transform(images)
    assert ImageLoader()._params()["detect_max_side"] == lm.DETECT_SIDE
    assert "detect_max_side" not in ImageLoader(face="off")._params()
    assert ImageLoader(detect_max_side=None)._params()["detect_max_side"] is None


def test_a_loader_pickled_before_keeps_the_full_search():
    from facetruth.pipelines import ImageLoader

    state = ImageLoader().__getstate__()
    del state["detect_max_side"]
    old = ImageLoader.__new__(ImageLoader)
    old.__setstate__(state)
    assert old.detect_max_side == 640
    assert old.get_params()["detect_max_side"] == 640
