"""Tests of the multi-scale colour LBP family, against scikit-image's reference."""

import warnings

import cv2
import numpy as np
import pytest
from skimage.feature import local_binary_pattern

from facetruth.features import LBPFeatures, lbp_histograms
from facetruth.features._color import to_channels
from facetruth.features._lbp import circle_offsets, lbp_feature_names

SCALES = ((8, 1), (16, 2), (24, 3))


def reference(image, scales=SCALES, channels="ycbcr"):
    """Histograms from skimage's per-channel loop over the same interior pixels."""
    planes = to_channels(image, channels).astype(np.float64)
    margin = max(int(np.ceil(r)) for _, r in scales)
    out = []
    for c in range(planes.shape[2]):
        for p, r in scales:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # float input
                codes = local_binary_pattern(planes[:, :, c], p, r, method="uniform")
            codes = codes[margin:-margin, margin:-margin].astype(int).ravel()
            out.append(np.bincount(codes, minlength=p + 2) / codes.size)
    return np.concatenate(out)


def test_flat_image_gives_the_all_equal_code_everywhere():
    feats = lbp_histograms(np.full((20, 24, 3), 77, np.uint8))
    assert feats.shape == (162,) and feats.dtype == np.float32
    start = 0
    for _channel in range(3):
        for p, _ in SCALES:
            expected = np.zeros(p + 2)
            expected[p] = 1.0  # every sample equals the centre: P ones, uniform
            np.testing.assert_array_equal(feats[start : start + p + 2], expected)
            start += p + 2


def test_sampling_points_match_scikit_image():
    offsets = circle_offsets(8, 1.0)
    assert offsets[0] == (0, 1, 0.0, 0.0)  # to the right
    assert offsets[2] == (-1, 0, 0.0, 0.0)  # above
    r0, c0, fr, fc = offsets[1]  # up-right diagonal
    assert (r0, c0) == (-1, 0)
    assert fr == pytest.approx(1 - 0.70711) and fc == pytest.approx(0.70711)


@pytest.mark.parametrize("channels", ["ycbcr", "rgb", "grey"])
def test_matches_scikit_image_on_noise(rng, channels):
    image = rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8)
    ours = lbp_histograms(image, channels=channels)
    np.testing.assert_allclose(ours, reference(image, channels=channels), atol=1e-6)


def test_matches_scikit_image_on_a_real_face(hardfake_dir):
    path = sorted((hardfake_dir / "fake").glob("*.jpg"))[0]
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)[::2, ::2, ::-1]
    ours = lbp_histograms(image, channels="rgb")
    ref = reference(image, channels="rgb")
    # skimage breaks exact ties of interpolated samples by float rounding; we count them as equal
    assert np.abs(ours - ref).sum() < 0.02
    assert np.abs(ours - ref).max() < 0.005


def test_vertical_stripes_are_edges_at_radius_one():
    stripes = np.zeros((16, 16, 3), np.uint8)
    stripes[:, ::2] = 200
    feats = lbp_histograms(stripes, scales=((4, 1),), channels="rgb")[:6]
    # P=4, R=1: the four neighbours are left, up, right, down. A bright column sees its
    # column neighbours equal and both side neighbours darker: 1010 -> 4 transitions.
    # A dark column sees all four >= itself: code 4.
    np.testing.assert_allclose(feats, [0, 0, 0, 0, 0.5, 0.5])


@pytest.mark.parametrize("shape", [(7, 7), (45, 31), (300, 300)])
def test_output_length_does_not_depend_on_the_image_size(rng, shape):
    image = rng.integers(0, 256, size=(*shape, 3), dtype=np.uint8)
    feats = lbp_histograms(image)
    assert feats.shape == (162,)
    np.testing.assert_allclose(feats.reshape(3, -1).sum(axis=1), 3.0, rtol=1e-5)


def test_too_small_image_raises():
    with pytest.raises(ValueError, match="radius 3"):
        lbp_histograms(np.zeros((6, 30, 3), np.uint8))


def test_transformer(rng):
    images = rng.integers(0, 256, size=(2, 16, 16, 3), dtype=np.uint8)
    est = LBPFeatures(scales=[(8, 1)], channels="grey").fit(images)
    out = est.transform(images)
    assert out.shape == (2, 10)
    assert list(est.get_feature_names_out()) == [f"lbp_{n}" for n in lbp_feature_names([(8, 1)], "grey")]
    assert est.get_feature_names_out()[0] == "lbp_grey_p8r1_00"
    np.testing.assert_array_equal(out[0], lbp_histograms(images[0], scales=[(8, 1)], channels="grey"))


@pytest.mark.parametrize(
    "params",
    [{"scales": []}, {"scales": [(0, 1)]}, {"scales": [(8, -1)]}, {"scales": 3}, {"channels": "hsv"}],
)
def test_invalid_parameters_raise_in_fit(params, noise_image):
    with pytest.raises(ValueError):
        LBPFeatures(**params).fit([noise_image])
