"""Tests of the multi-scale colour LBP family, against scikit-image's reference."""

import warnings

import cv2
import numpy as np
import pytest
from skimage.feature import local_binary_pattern

from facetruth.features import LBPFeatures, lbp_histograms
from facetruth.features._color import to_channels
from facetruth.features._lbp import circle_offsets, lbp_codes, lbp_feature_names

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


# A 6x6 grey image and its riu2 codes for P=8, R=1, worked out by hand in the manner of
# scikit-image's tests of local_binary_pattern. Axis samples are pixels; a diagonal sample
# is the bilinear mix 0.5 D + 0.2071 (A + B) + 0.0858 C of the diagonal pixel D, the two
# axis neighbours A, B beside it and the centre C. A bit is 1 when the sample >= C; code
# = number of 1 bits when the circular pattern has at most 2 transitions, else 9.
LITERAL_IMAGE = np.array(
    [
        [10, 10, 10, 10, 10, 10],
        [10, 50, 50, 50, 10, 10],
        [10, 50, 200, 50, 10, 10],
        [10, 50, 50, 50, 200, 10],
        [10, 10, 10, 200, 100, 200],
        [10, 10, 10, 10, 200, 10],
    ],
    dtype=np.uint8,
)
# interior pixels (rows and columns 1-4). For instance (1, 1): right 50 >= 50 (tie), down 50,
# down-right 0.5*200 + 0.2071*100 >= 50, the other five below: 3 contiguous ones -> 3.
# (2, 2) = 200 is a peak -> 0; (1, 4) = 10 has no darker neighbour -> 8; (4, 4) = 100 has
# the axis neighbours 200 but the diagonals 0.5*10 + 0.2071*400 = 87.8 < 100, except
# up-left (0.5*50 + 82.8): bits 1 0 1 1 1 0 1 0, six transitions -> 9.
LITERAL_CODES = np.array(
    [
        [3, 5, 3, 8],
        [5, 0, 6, 8],
        [3, 6, 8, 0],
        [8, 8, 0, 9],
    ],
    dtype=np.uint8,
)
# code counts over the 16 interior pixels: 0 three times, 3 three times, 5 and 6 twice,
# 8 five times, 9 once
LITERAL_HISTOGRAM = np.array([3, 0, 0, 3, 0, 2, 2, 0, 5, 1]) / 16


def test_lbp_codes_of_a_literal_image():
    np.testing.assert_array_equal(lbp_codes(LITERAL_IMAGE, n_points=8, radius=1), LITERAL_CODES)
    np.testing.assert_array_equal(lbp_codes(LITERAL_IMAGE), LITERAL_CODES)  # the defaults
    # the same codes as scikit-image on the interior
    skimage_codes = local_binary_pattern(LITERAL_IMAGE, 8, 1, method="uniform")[1:-1, 1:-1]
    np.testing.assert_array_equal(skimage_codes, LITERAL_CODES)


def test_lbp_histogram_of_a_literal_image():
    rgb = np.repeat(LITERAL_IMAGE[:, :, None], 3, axis=2)
    hist = lbp_histograms(rgb, scales=[(8, 1)], channels="grey")
    np.testing.assert_allclose(hist, LITERAL_HISTOGRAM, rtol=1e-6)
    # every channel of a grey image is the same plane
    np.testing.assert_allclose(lbp_histograms(rgb, scales=[(8, 1)], channels="rgb"), np.tile(hist, 3))


@pytest.mark.parametrize("n_points, radius", [(8, 1), (16, 2), (12, 1.5), (24, 3)])
def test_lbp_codes_count_to_the_histograms(n_points, radius):
    image = np.random.default_rng(3).integers(0, 256, (23, 30, 3), dtype=np.uint8)
    grey = to_channels(image, "grey")[:, :, 0]
    codes = lbp_codes(grey, n_points=n_points, radius=radius)
    margin = int(np.ceil(radius))
    assert codes.shape == (23 - 2 * margin, 30 - 2 * margin)
    counts = np.bincount(codes.ravel(), minlength=n_points + 2)
    hist = lbp_histograms(image, scales=[(n_points, radius)], channels="grey")
    np.testing.assert_allclose(hist, counts / counts.sum(), rtol=1e-6)


@pytest.mark.parametrize("n_points, radius", SCALES)
@pytest.mark.parametrize("levels", ["continuous", "integer"])
def test_kernel_matches_scikit_image_at_every_scale_of_the_family(n_points, radius, levels):
    """The codes of each (P, R) LBPFeatures uses by default, with method="uniform", pixel by pixel."""
    rng = np.random.default_rng(n_points)
    plane = rng.uniform(0, 255, (61, 75)).astype(np.float32)
    if levels == "integer":  # exact ties between samples and centres, as in uint8 planes
        plane = np.rint(plane)
    ours = lbp_codes(plane, n_points=n_points, radius=radius)
    margin = int(np.ceil(radius))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # float input
        ref = local_binary_pattern(plane.astype(np.float64), n_points, radius, method="uniform")
    ref = ref[margin:-margin, margin:-margin].astype(np.uint8)
    # identical, exact ties included (interpolated near-ties, within TIE_TOLERANCE of the
    # centre, may differ on real images: see test_matches_scikit_image_on_a_real_face)
    np.testing.assert_array_equal(ours, ref)
