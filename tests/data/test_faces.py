"""Face detection and ``crop_face`` on a real photograph, noise and tiny images.

The batch, its cache and the real data sets are tested through ``ImageLoader``
(``tests/pipelines/test_loader_crops.py``).
"""

import json

import cv2
import numpy as np
import pytest
from skimage.data import astronaut

from facetruth.data import crop_face, detect_face
from facetruth.data._landmarks import backend_available, eye_angle
from facetruth.exceptions import FaceTruthError

#: Eileen Collins's face in skimage.data.astronaut(), checked by eye: (x0, y0, x1, y1)
ASTRONAUT_FACE = (170, 70, 275, 180)


def _inside(box, outer, slack=0):
    return (
        box[0] >= outer[0] - slack
        and box[1] >= outer[1] - slack
        and box[2] <= outer[2] + slack
        and box[3] <= outer[3] + slack
    )


@pytest.fixture(scope="module")
def face_image():
    return astronaut()


def test_dlib_finds_the_astronaut_with_68_landmarks_inside_the_box(face_image):
    found = detect_face(face_image, method="dlib")
    assert found is not None and found.method == "dlib"
    assert _inside(found.box, ASTRONAUT_FACE)
    assert found.box[2] - found.box[0] > 60
    assert found.landmarks.shape == (68, 2) and found.landmarks.dtype == np.float32
    x0, y0, x1, y1 = found.box
    pad = 0.15 * (x1 - x0)  # the jaw line may touch the box edge
    lm = found.landmarks
    assert np.all(
        (lm[:, 0] >= x0 - pad) & (lm[:, 0] <= x1 + pad) & (lm[:, 1] >= y0 - pad) & (lm[:, 1] <= y1 + pad)
    )
    assert abs(eye_angle(lm)) < 15  # she faces the camera upright


def test_cascade_fallback_finds_the_astronaut(face_image):
    found = detect_face(face_image, method="lbp")
    assert found is not None and found.method == "lbp" and found.landmarks is None
    assert _inside(found.box, ASTRONAUT_FACE, slack=10)


@pytest.mark.skipif(not backend_available("haar"), reason="this OpenCV build ships no Haar cascades")
def test_haar_finds_the_astronaut(face_image):
    found = detect_face(face_image, method="haar")
    assert found is not None and found.method == "haar"
    assert _inside(found.box, ASTRONAUT_FACE, slack=10)


def test_haar_request_fails_clearly_when_opencv_lacks_it(face_image):
    if backend_available("haar"):
        pytest.skip("this OpenCV build ships Haar cascades")
    with pytest.raises(FaceTruthError, match="Haar"):
        detect_face(face_image, method="haar")


def test_large_images_are_searched_downscaled_and_boxes_mapped_back(face_image):
    big = cv2.resize(face_image, (1536, 1536), interpolation=cv2.INTER_LINEAR)
    found = detect_face(big)
    assert found is not None
    assert _inside(found.box, tuple(3 * v for v in ASTRONAUT_FACE), slack=6)
    assert found.landmarks.max() < 1536 and found.landmarks[:, 0].min() > 3 * ASTRONAUT_FACE[0] - 30


def test_crop_face_square_around_the_face(face_image):
    crop, info = crop_face(face_image, size=64, margin=0.3)
    assert crop.shape == (64, 64, 3) and crop.dtype == np.uint8
    assert info["face_found"] is True and info["method"] == "dlib"
    assert info["landmarks"] is None and len(info["box"]) == 4  # fitted for aligned crops only
    json.dumps(info)  # serialisable
    x0, y0, x1, y1 = info["box"]
    side = round(max(x1 - x0, y1 - y0) * 1.6)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    xa, ya = int(round(cx - side / 2)), int(round(cy - side / 2))
    expected = cv2.resize(face_image[ya : ya + side, xa : xa + side], (64, 64), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(crop, expected)


def test_noise_gives_the_centre_crop(rng):
    noise = rng.integers(0, 256, size=(64, 96, 3), dtype=np.uint8)
    crop, info = crop_face(noise, size=64)
    expected = {"box": None, "method": "centre", "landmarks": None, "face_found": False, "aligned": False}
    assert {k: info[k] for k in expected} == expected
    assert info["crop_box"] == [16, 0, 80, 64] and info["padded_share"] == 0.0
    assert info["resize_factor"] == 1.0
    np.testing.assert_array_equal(crop, noise[:, 16:80])
    assert detect_face(noise) is None


def test_method_off_skips_detection(face_image):
    crop, info = crop_face(face_image[:, :400], size=100, method="off")
    expected = {"box": None, "method": "off", "landmarks": None, "face_found": False, "aligned": False}
    assert {k: info[k] for k in expected} == expected
    assert info["crop_side"] == 400 and info["resize_factor"] == 4.0
    expected = cv2.resize(face_image[56:456, :400], (100, 100), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(crop, expected)


@pytest.mark.parametrize("shape", [(1, 1, 3), (5, 7, 3), (5, 7), (33, 17, 3), (2, 300)])
def test_tiny_grey_and_odd_images(shape, rng):
    image = rng.integers(0, 256, size=shape, dtype=np.uint8)
    crop, info = crop_face(image, size=16)
    assert crop.shape == (16, 16, 3) and crop.dtype == np.uint8
    assert info["face_found"] is False
    if len(shape) == 2:
        assert np.all(crop[..., 0] == crop[..., 2])


def test_face_near_the_border_slides_the_crop_inside(face_image):
    shifted = face_image[60:, 150:]  # the face is near the top-left corner
    crop, info = crop_face(shifted, size=48, margin=0.5)
    assert info["face_found"] and crop.shape == (48, 48, 3)
    x0, y0, x1, y1 = info["crop_box"]
    assert x0 >= 0 and y0 >= 0 and x1 <= shifted.shape[1] and y1 <= shifted.shape[0]
    assert info["padded_share"] == 0.0 and info["margin_used"] == 0.5
    box = info["box"]
    assert x0 <= box[0] and y0 <= box[1] and x1 >= box[2] and y1 >= box[3]  # the face is whole


def test_margin_shrinks_before_anything_is_padded(face_image):
    x0, y0, x1, y1 = detect_face(face_image).box
    side = max(x1 - x0, y1 - y0)
    tight = face_image[max(0, y0 - 10) : y1 + 10, max(0, x0 - 10) : x1 + 10]
    _, info = crop_face(tight, size=48, margin=0.5)
    assert info["face_found"] and info["padded_share"] == 0.0
    assert 0 <= info["margin_used"] < 0.5 and info["crop_side"] <= min(tight.shape[:2])
    assert info["crop_side"] >= side * 0.8


def test_mirror_padding_is_refused(face_image):
    with pytest.raises(ValueError, match="mirror padding was removed"):
        crop_face(face_image, pad="reflect")


def test_native_crops_are_not_resampled(face_image):
    crop, info = crop_face(face_image, size=64, native=True)
    assert info["crop_side"] == 64 and info["resize_factor"] == 1.0
    x0, y0, x1, y1 = info["crop_box"]
    np.testing.assert_array_equal(crop, face_image[y0:y1, x0:x1])


def test_align_levels_the_eyes(face_image):
    h, w = face_image.shape[:2]
    tilted = cv2.warpAffine(face_image, cv2.getRotationMatrix2D((w / 2, h / 2), 12, 1.0), (w, h))
    before = detect_face(tilted)
    aligned, info = crop_face(tilted, size=256, margin=0.5, align=True)
    after = detect_face(aligned)
    assert before is not None and after is not None and info["face_found"]
    assert abs(eye_angle(before.landmarks)) > 8
    assert abs(eye_angle(after.landmarks)) < 4


@pytest.mark.parametrize(
    "kwargs",
    [{"size": 0}, {"size": 2.5}, {"margin": -0.1}, {"method": "mtcnn"}, {"pad": "wrap"}],
)
def test_invalid_parameters(kwargs, noise_image):
    with pytest.raises(ValueError):
        crop_face(noise_image, **kwargs)
