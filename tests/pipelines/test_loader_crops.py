"""ImageLoader's crops are crop_face's: faces, no face, huge and corrupt images, landmarks, the cache."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage.data import astronaut

from facetruth.data import CROP_VERSION, crop_face, detect_face
from facetruth.data._landmarks import eye_angle
from facetruth.pipelines import ImageLoader

#: Eileen Collins's face in skimage.data.astronaut(), checked by eye: (x0, y0, x1, y1)
ASTRONAUT_FACE = (170, 70, 275, 180)
#: the crop info keys the loader keeps of crop_face's
INFO_KEYS = ("box", "method", "face_found", "aligned", "crop_box", "face_side", "crop_side", "margin_used")


@pytest.fixture(scope="module")
def face_image():
    return astronaut()


def _jpeg(image):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "params, crop_params",
    [
        ({}, {"method": ("dlib", "haar")}),
        ({"fallback": ()}, {"method": ("dlib",)}),
        ({"align": "eyes", "margin": 0.5}, {"method": ("dlib", "haar"), "align": "eyes", "margin": 0.5}),
        ({"align": "canonical"}, {"method": ("dlib", "haar"), "align": "canonical"}),
        ({"native": True}, {"method": ("dlib", "haar"), "native": True}),
        ({"face": "off"}, {"method": "off"}),
        ({"detect_max_side": None}, {"method": ("dlib", "haar"), "detect_max_side": None}),
    ],
)
def test_the_loader_crops_with_crop_face(face_image, params, crop_params):
    result = ImageLoader(image_size=96, **params).load([face_image])
    crop, info = crop_face(face_image, size=96, **crop_params)
    np.testing.assert_array_equal(result.images[0], crop)
    assert {k: result.infos[0][k] for k in INFO_KEYS} == {k: info[k] for k in INFO_KEYS}


def test_cache_keys_hold_the_crop_version():
    assert ImageLoader()._params()["crop_version"] == CROP_VERSION == 3  # existing caches stay valid


def test_no_face_gives_the_centre_crop(rng):
    noise = rng.integers(0, 256, size=(64, 96, 3), dtype=np.uint8)
    result = ImageLoader(image_size=64).load([noise])
    info = result.infos[0]
    assert info["box"] is None and info["method"] == "centre" and not info["face_found"]
    assert info["crop_box"] == [16, 0, 80, 64] and info["padded_share"] == 0.0
    np.testing.assert_array_equal(result.images[0], noise[:, 16:80])


def test_a_large_image_is_searched_downscaled_and_its_box_mapped_back(face_image, tmp_path):
    path = tmp_path / "big.png"
    Image.fromarray(cv2.resize(face_image, (1536, 1536), interpolation=cv2.INTER_LINEAR)).save(path)
    info = ImageLoader(image_size=64).load([path]).infos[0]
    assert info["face_found"] and info["method"] == "dlib"
    x0, y0, x1, y1 = info["box"]
    fx0, fy0, fx1, fy1 = (3 * v for v in ASTRONAUT_FACE)
    assert x0 >= fx0 - 6 and y0 >= fy0 - 6 and x1 <= fx1 + 6 and y1 <= fy1 + 6


def test_huge_and_corrupt_images_are_refused_with_a_reason(face_image, tmp_path):
    big = tmp_path / "big.png"
    Image.fromarray(np.zeros((1200, 1000, 3), np.uint8)).save(big)
    data = _jpeg(face_image)
    items = [big, data[: len(data) // 2], data[:200], face_image]
    result = ImageLoader(image_size=32, max_pixels=1_000_000).load(items, errors="collect")
    assert result.ok.tolist() == [3] and [i for i, _ in result.errors] == [0, 1, 2]
    assert "big.png" in result.errors[0][1]
    assert all("truncated" in message for _, message in result.errors[1:])
    assert result.infos[3]["face_found"]


def test_eyes_alignment_levels_a_tilted_face(face_image):
    h, w = face_image.shape[:2]
    tilted = cv2.warpAffine(face_image, cv2.getRotationMatrix2D((w / 2, h / 2), 12, 1.0), (w, h))
    assert abs(eye_angle(detect_face(tilted).landmarks)) > 8
    result = ImageLoader(image_size=256, margin=0.5, align="eyes").load([tilted])
    assert result.infos[0]["aligned"] == "eyes"
    assert abs(eye_angle(detect_face(result.images[0]).landmarks)) < 4


def test_canonical_alignment_needs_dlib_landmarks(face_image, rng):
    noise = rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
    infos = ImageLoader(image_size=64, align="canonical").load([face_image, noise]).infos
    assert infos[0]["aligned"] == "canonical" and infos[0]["crop_box"] is None
    assert infos[1]["aligned"] is False and not infos[1]["face_found"]  # no face: the plain crop


def test_cached_crops_and_face_infos_come_back(face_image, rng, tmp_path):
    images = [face_image, rng.integers(0, 256, size=(50, 70, 3), dtype=np.uint8)]
    loader = ImageLoader(image_size=40, align="eyes", cache=tmp_path)
    first = loader.load(images)
    assert len(list(tmp_path.rglob("*.npy"))) == 4  # crop + info per image
    again = loader.load(images)
    np.testing.assert_array_equal(again.images, first.images)
    kept = ("box", "method", "face_found", "aligned")
    assert [{k: i[k] for k in kept} for i in again.infos] == [{k: i[k] for k in kept} for i in first.infos]
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave no temporary file


@pytest.mark.parametrize("damage", ["garbage", "other shape"])
def test_damaged_cache_entries_are_cropped_again(face_image, tmp_path, damage):
    loader = ImageLoader(image_size=24, cache=tmp_path)
    crops = loader.transform([face_image])
    for entry in tmp_path.rglob("*.npy"):
        if damage == "garbage":
            entry.write_bytes(b"garbage")
        else:
            np.save(entry, np.zeros((3, 3), np.uint8))
    result = loader.load([face_image])
    np.testing.assert_array_equal(result.images, crops)
    assert result.infos[0]["face_found"]


def test_parallel_face_crops_match_serial(face_image, rng):
    items = [face_image[::2, ::2], rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8)] * 3
    serial = ImageLoader(image_size=24).load(items)
    parallel = ImageLoader(image_size=24, n_jobs=2).load(items)
    np.testing.assert_array_equal(serial.images, parallel.images)
    assert serial.infos == parallel.infos


@pytest.mark.shared_data
def test_faces_found_on_most_hardfake_images(hardfake_dir):
    files = (
        sorted((hardfake_dir / "real").glob("*.jpg"))[:6] + sorted((hardfake_dir / "fake").glob("*.jpg"))[:6]
    )
    result = ImageLoader(image_size=64).load(files)
    assert sum(info["face_found"] for info in result.infos) >= 10, [i["method"] for i in result.infos]
    assert result.images.shape == (12, 64, 64, 3)
