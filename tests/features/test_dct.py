"""Tests of the block and global DCT family."""

import cv2
import numpy as np
import pytest

from facetruth.features import DCTFeatures, dct_features
from facetruth.features._dct import ZIGZAG, block_dct, dct_feature_names, estimate_step

MODES = ZIGZAG[1:7]
# IJG quantisation steps of those modes (standard luminance table, quality scaling)
STEPS = {90: [2, 2, 3, 2, 2, 3], 60: [9, 10, 11, 10, 8, 13]}


def jpeg(image, quality):
    ok, data = cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)[:, :, ::-1]


@pytest.fixture
def texture(rng):
    """A 128x128 smooth random colour texture with strong contrast."""
    field = cv2.GaussianBlur(rng.normal(128, 60, (128, 128, 3)).astype(np.float32), (0, 0), 1.5)
    return np.clip(field * 2.5 - 190, 0, 255).astype(np.uint8)


def named(feats, **kwargs):
    return dict(zip(dct_feature_names(**kwargs), feats, strict=True))


def test_zigzag_order_starts_like_jpeg():
    assert ZIGZAG[:6] == [(0, 0), (0, 1), (1, 0), (2, 0), (1, 1), (0, 2)]


def test_block_dct_matches_the_jpeg_transform_of_one_block():
    block = np.arange(64, dtype=np.float32).reshape(8, 8) + 100
    coef = block_dct(block)[0]
    x = np.arange(8)
    basis = np.cos((2 * x[:, None] + 1) * x[None, :] * np.pi / 16)  # [pixel, frequency]
    c = np.where(x == 0, 1 / np.sqrt(2), 1.0)
    expected = 0.25 * np.outer(c, c) * (basis.T @ (block - 128) @ basis)
    np.testing.assert_allclose(coef, expected, atol=1e-3)


def test_constant_image_has_no_ac_energy():
    feats = named(dct_features(np.full((40, 48, 3), 200, np.uint8)))
    assert feats["mean_abs_00"] == pytest.approx(8 * (200 - 128), rel=1e-5)
    ac = [v for k, v in feats.items() if k.startswith("mean_abs_") and k != "mean_abs_00"]
    np.testing.assert_allclose(ac, 0, atol=1e-3)
    for r, c in MODES:  # all coefficients round to 0
        assert feats[f"hist_{r}{c}_+0"] == pytest.approx(1.0)
        assert feats[f"periodicity_{r}{c}"] == 0


@pytest.mark.parametrize("quality", [90, 60])
def test_quantisation_step_is_recovered_from_a_decoded_jpeg(texture, quality):
    feats = named(dct_features(jpeg(texture, quality)))
    assert [feats[f"step_{r}{c}"] for r, c in MODES] == STEPS[quality]


def test_uncompressed_texture_has_step_one(texture):
    feats = named(dct_features(texture))
    assert [feats[f"step_{r}{c}"] for r, c in MODES] == [1] * 6


def test_double_compression_raises_histogram_periodicity(texture):
    single = named(dct_features(jpeg(texture, 90)))
    double = named(dct_features(jpeg(jpeg(texture, 60), 90)))
    keys = [f"periodicity_{r}{c}" for r, c in MODES]
    single_max = max(single[k] for k in keys)
    double_max = max(double[k] for k in keys)
    assert double_max > 0.5
    assert double_max > 2 * single_max
    # the last compression's step is still the one estimated where the comb is clean
    assert double["step_01"] == 2


def test_estimate_step_on_synthetic_histograms():
    hist = np.zeros(65)
    hist[[0, 5, 10, 15, 20]] = [1000, 300, 120, 40, 10]
    assert estimate_step(hist) == 5
    assert estimate_step(np.r_[0, np.linspace(100, 1, 64)]) == 1
    assert estimate_step(np.zeros(65)) == 1


@pytest.mark.parametrize("shape", [(5, 5), (8, 8), (33, 71), (300, 300)])
def test_output_length_does_not_depend_on_the_image_size(rng, shape):
    image = rng.integers(0, 256, size=(*shape, 3), dtype=np.uint8)
    feats = dct_features(image)
    assert feats.shape == (64 + 6 * 19 + 256,)
    assert feats.dtype == np.float32 and np.all(np.isfinite(feats))


def test_nearest_upsampling_empties_the_high_half_of_the_global_spectrum(rng):
    image = rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
    up = image.repeat(2, axis=0).repeat(2, axis=1)
    spec = dct_features(image)[-256:].reshape(16, 16)
    spec_up = dct_features(up)[-256:].reshape(16, 16)
    assert spec_up[8:, 8:].mean() < spec[8:, 8:].mean() - 0.5
    assert abs(spec_up[:4, :4].mean() - spec[:4, :4].mean()) < 0.5


def test_transformer(rng):
    images = [rng.integers(0, 256, size=(24, 32, 3), dtype=np.uint8) for _ in range(2)]
    est = DCTFeatures(n_modes=2, hist_range=3, spectrum_size=4).fit(images)
    out = est.transform(images)
    assert out.shape == (2, 64 + 2 * 9 + 16)
    assert est.get_feature_names_out()[64] == "dct_hist_01_-3"
    np.testing.assert_array_equal(out[0], dct_features(images[0], n_modes=2, hist_range=3, spectrum_size=4))


@pytest.mark.parametrize(
    "params", [{"n_modes": 64}, {"hist_range": -1}, {"spectrum_size": 0}, {"n_modes": 2.0}]
)
def test_invalid_parameters_raise_in_fit(params, noise_image):
    with pytest.raises(ValueError):
        DCTFeatures(**params).fit([noise_image])
