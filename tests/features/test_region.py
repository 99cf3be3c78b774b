"""The region family: per-region statistics and inner-versus-skin contrasts."""

import numpy as np
import pytest

from facetruth.features import RegionFeatures, region_features
from facetruth.features._region import INNER, REGIONS, SKIN, region_boxes, region_feature_names


def _names():
    return np.asarray(region_feature_names())


def test_lengths_and_names_agree(rng):
    image = rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)
    out = region_features(image)
    assert out.shape == (len(REGIONS) * 20 + 5 * 11,) and out.dtype == np.float32
    assert len(set(_names())) == out.size
    names = RegionFeatures().fit(image[None]).get_feature_names_out()
    assert names[0] == "region_left_eye_y_mean"


def test_boxes_lie_inside_the_crop_and_do_not_swap_sides():
    boxes = region_boxes(256, 0.3)
    for x0, y0, x1, y1 in boxes.values():
        assert 0 <= x0 < x1 <= 256 and 0 <= y0 < y1 <= 256
    assert boxes["left_eye"][2] <= boxes["right_eye"][0]
    assert boxes["forehead"][3] <= boxes["left_eye"][1] < boxes["mouth"][1]


def test_uniform_face_has_zero_contrast():
    image = np.full((96, 96, 3), 120, dtype=np.uint8)
    out = dict(zip(_names(), region_features(image), strict=True))
    for inner in INNER:
        assert out[f"{inner}_vs_skin_y_mean_diff"] == 0
        assert out[f"{inner}_vs_skin_lap_std_logratio"] == pytest.approx(0)
        assert out[f"{inner}_vs_skin_lbp_chi2"] == pytest.approx(0)


def test_a_pasted_noisy_mouth_stands_out(rng):
    base = rng.normal(128, 2, (256, 256, 3))
    image = np.clip(base, 0, 255).astype(np.uint8)
    x0, y0, x1, y1 = region_boxes(256, 0.3)["mouth"]
    pasted = image.copy()
    pasted[y0:y1, x0:x1] = np.clip(128 + rng.normal(0, 12, (y1 - y0, x1 - x0, 3)), 0, 255)
    clean = dict(zip(_names(), region_features(image), strict=True))
    fake = dict(zip(_names(), region_features(pasted), strict=True))
    assert fake["mouth_vs_skin_srm_std_logratio"] > clean["mouth_vs_skin_srm_std_logratio"] + 1.0
    assert abs(fake["nose_vs_skin_srm_std_logratio"] - clean["nose_vs_skin_srm_std_logratio"]) < 0.2


def test_a_brighter_left_eye_shows_in_the_eye_pair():
    image = np.full((256, 256, 3), 100, dtype=np.uint8)
    x0, y0, x1, y1 = region_boxes(256, 0.3)["left_eye"]
    image[y0:y1, x0:x1] = 160
    out = dict(zip(_names(), region_features(image), strict=True))
    assert out["left_eye_vs_right_eye_y_mean_diff"] == pytest.approx(60, abs=1)
    assert out["left_eye_vs_skin_y_mean_diff"] == pytest.approx(60, abs=1)
    assert out["right_eye_vs_skin_y_mean_diff"] == pytest.approx(0, abs=1e-3)


def test_small_and_non_square_images_are_stretched(rng):
    out = region_features(rng.integers(0, 256, (5, 9, 3), dtype=np.uint8))
    assert out.shape == (len(REGIONS) * 20 + 5 * 11,) and np.all(np.isfinite(out))


def test_skin_regions_are_named():
    assert set(SKIN) | set(INNER) == set(REGIONS)


@pytest.mark.parametrize("margin", [-0.1, 3, "x", None])
def test_margin_is_validated(margin, rng):
    with pytest.raises(ValueError, match="margin"):
        RegionFeatures(margin=margin).fit(rng.integers(0, 256, (2, 32, 32, 3), dtype=np.uint8))
