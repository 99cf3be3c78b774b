"""Canonical face crops: the similarity fit and the warp onto the template."""

import numpy as np
import pytest
from PIL import Image

from facetruth.data import FACE_TEMPLATE, canonical_crop, crop_face, detect_face, to_template_frame
from facetruth.data._canonical import five_points, similarity_matrix, transform_points
from facetruth.pipelines import ImageLoader


def test_similarity_matrix_recovers_a_known_transform(rng):
    src = rng.uniform(0, 100, (5, 2))
    angle, scale, shift = 0.3, 1.7, np.array([12.0, -4.0])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = scale * src @ rot.T + shift
    m = similarity_matrix(src, dst)
    np.testing.assert_allclose(m[:, :2], scale * rot, atol=1e-9)
    np.testing.assert_allclose(m[:, 2], shift, atol=1e-9)
    np.testing.assert_allclose(transform_points(src, m), dst, atol=1e-9)


def test_similarity_matrix_refuses_coincident_points():
    with pytest.raises(ValueError, match="coincide"):
        similarity_matrix(np.ones((5, 2)), np.zeros((5, 2)))


def test_template_frame_matches_the_margin():
    # margin 0: the tight square is the crop; margin 0.5: it is the middle half
    np.testing.assert_allclose(to_template_frame([[0, 0], [1, 1]], 100, 0.0), [[0, 0], [100, 100]])
    np.testing.assert_allclose(to_template_frame([[0, 0], [1, 1]], 100, 0.5), [[25, 25], [75, 75]])


def test_five_points_checks_the_shape():
    with pytest.raises(ValueError, match="68, 2"):
        five_points(np.zeros((5, 2)))


def _face(hardfake_dir, index=3):
    path = sorted((hardfake_dir / "real").iterdir())[index]
    return np.asarray(Image.open(path).convert("RGB"))


def test_canonical_crop_puts_landmarks_on_the_template(hardfake_dir):
    image = _face(hardfake_dir)
    found = detect_face(image, method="dlib")
    assert found is not None and found.landmarks is not None
    crop, matrix = canonical_crop(image, found.landmarks, size=128, margin=0.3)
    assert crop.shape == (128, 128, 3) and crop.dtype == np.uint8
    target = to_template_frame(FACE_TEMPLATE, 128, 0.3)
    moved = transform_points(five_points(found.landmarks), matrix)
    # a similarity cannot fit five points exactly, but a frontal face lands within a few pixels
    assert np.abs(moved - target).max() < 8
    # detecting again on the canonical crop finds the eyes where the template says
    again = detect_face(crop, method="dlib")
    assert again is not None
    assert np.abs(five_points(again.landmarks)[:2] - target[:2]).max() < 8


def test_canonical_crop_rotates_a_tilted_face_back(hardfake_dir):
    import cv2

    image = _face(hardfake_dir)
    h, w = image.shape[:2]
    tilted = cv2.warpAffine(image, cv2.getRotationMatrix2D((w / 2, h / 2), 20, 1.0), (w, h))
    upright, info = crop_face(image, size=128, align="canonical")
    rotated, info_t = crop_face(tilted, size=128, align="canonical")
    plain, _ = crop_face(tilted, size=128)
    assert info["aligned"] == info_t["aligned"] == "canonical"
    face = (slice(40, 88), slice(40, 88))  # eyes to mouth; the borders differ by construction
    err_aligned = np.abs(upright[face].astype(float) - rotated[face]).mean()
    err_plain = np.abs(upright[face].astype(float) - plain[face]).mean()
    assert err_aligned < 0.5 * err_plain


def test_crop_face_without_landmarks_is_not_aligned(rng):
    image = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    crop, info = crop_face(image, size=32, align="canonical")
    assert crop.shape == (32, 32, 3) and info["aligned"] is False


def test_crop_face_rejects_an_unknown_alignment(rng):
    with pytest.raises(ValueError, match="align"):
        crop_face(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8), align="affine")


def test_image_loader_caches_canonical_crops_apart(tmp_path, hardfake_dir):
    path = sorted((hardfake_dir / "real").iterdir())[3]
    plain = ImageLoader(image_size=64, cache=tmp_path).fit().load([path])
    canon = ImageLoader(image_size=64, align="canonical", cache=tmp_path).fit().load([path])
    again = ImageLoader(image_size=64, align="canonical", cache=tmp_path).fit().load([path])
    assert canon.infos[0]["aligned"] == again.infos[0]["aligned"] == "canonical"
    assert plain.infos[0]["aligned"] is False
    np.testing.assert_array_equal(canon.images, again.images)
    assert not np.array_equal(plain.images, canon.images)
