"""Tests of the SRM noise residual family."""

import numpy as np
import pytest

from facetruth.features import NoiseFeatures, noise_residual_features
from facetruth.features._noise import _pair_orbits, noise_feature_names


def grey(plane):
    return np.repeat(np.asarray(plane, np.uint8)[:, :, None], 3, axis=2)


def named(feats, **kwargs):
    return dict(zip(noise_feature_names(**kwargs), feats, strict=True))


def test_pair_orbits_under_sign_and_order_symmetry():
    labels, n_classes = _pair_orbits(2)
    labels = labels.reshape(5, 5)
    assert n_classes == 9
    assert labels[0, 1] == labels[1, 0] == labels[4, 3] == labels[3, 4]  # (-2,-1) ~ (-1,-2) ~ (2,1) ~ (1,2)
    assert labels[2, 2] not in np.delete(labels.ravel(), 12)  # (0, 0) stands alone


def test_constant_image_has_zero_residuals():
    feats = named(noise_residual_features(np.full((32, 40, 3), 90, np.uint8)))
    zero_class = _pair_orbits(2)[0][12]
    for name in ("first", "second", "third", "edge3x3", "square3x3", "square5x5"):
        assert feats[f"{name}_hist_+0"] == pytest.approx(1.0)
        kind = "cooc" if name.startswith("square") else "par"
        assert feats[f"{name}_{kind}_{zero_class}"] == pytest.approx(1.0)
    for c in "rgb":
        assert feats[f"median_std_{c}"] == 0
        assert feats[f"median_kurtosis_{c}"] == 0


def test_vertical_stripes_excite_only_the_horizontal_first_order_residual():
    stripes = np.zeros((32, 33), np.uint8)  # histograms count the 28 inner pixels with a right neighbour
    stripes[:, ::2] = 1
    feats = named(noise_residual_features(grey(stripes)))
    # half the first-order residuals (the horizontal ones) are +-1, the vertical ones 0
    assert feats["first_hist_+0"] == pytest.approx(0.5)
    assert feats["first_hist_+1"] == pytest.approx(0.25)
    assert feats["first_hist_-1"] == pytest.approx(0.25)
    assert feats["first_logstd"] == pytest.approx(np.log10(np.sqrt(0.5)), abs=1e-3)


def test_residual_std_of_white_noise(rng):
    sigma = 20.0
    image = grey(np.clip(np.rint(rng.normal(128, sigma, (256, 256))), 0, 255))
    feats = named(noise_residual_features(image))
    s = np.std(image[:, :, 0].astype(float))
    # residual variances of white noise: sum of squared (order-normalised) kernel weights
    assert feats["first_logstd"] == pytest.approx(np.log10(s * np.sqrt(2)), abs=0.01)
    assert feats["second_logstd"] == pytest.approx(np.log10(s * np.sqrt(6) / 2), abs=0.01)
    assert feats["square3x3_logstd"] == pytest.approx(np.log10(s * np.sqrt(36) / 4), abs=0.01)
    # identical channels: the median residuals are perfectly correlated
    np.testing.assert_allclose([feats["median_corr_rg"], feats["median_corr_gb"]], 1.0, atol=1e-6)
    # residuals 10x larger than T saturate: most mass in the two end bins
    assert feats["first_hist_-2"] + feats["first_hist_+2"] > 0.9


def test_independent_channel_noise_is_uncorrelated(rng):
    image = rng.integers(0, 256, size=(128, 128, 3), dtype=np.uint8)
    feats = named(noise_residual_features(image))
    assert abs(feats["median_corr_rg"]) < 0.05
    # uniform noise has negative excess kurtosis, but the median residual is closer to Laplacian
    assert feats["median_std_r"] > 30


@pytest.mark.parametrize("shape", [(5, 5), (41, 17), (300, 300)])
def test_output_length_does_not_depend_on_the_image_size(rng, shape):
    image = rng.integers(0, 256, size=(*shape, 3), dtype=np.uint8)
    feats = noise_residual_features(image)
    assert feats.shape == (135,) and feats.dtype == np.float32
    assert np.all(np.isfinite(feats))


def test_larger_truncation_and_coarser_quantisation(rng):
    image = rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
    feats = noise_residual_features(image, q=4.0, truncation=3)
    assert feats.shape == (len(noise_feature_names(truncation=3)),)
    hist = named(feats, truncation=3)
    assert sum(hist[f"first_hist_{v:+d}"] for v in range(-3, 4)) == pytest.approx(1.0)


def test_too_small_image_raises():
    with pytest.raises(ValueError, match="5x5"):
        noise_residual_features(np.zeros((4, 9, 3), np.uint8))


def test_transformer(rng):
    images = rng.integers(0, 256, size=(2, 20, 20, 3), dtype=np.uint8)
    est = NoiseFeatures().fit(images)
    out = est.transform(images)
    assert out.shape == (2, 135)
    assert est.get_feature_names_out()[0] == "noise_first_logstd"
    np.testing.assert_array_equal(out[1], noise_residual_features(images[1]))


@pytest.mark.parametrize("params", [{"q": 0}, {"q": float("nan")}, {"truncation": 0}, {"truncation": 2.5}])
def test_invalid_parameters_raise_in_fit(params, noise_image):
    with pytest.raises(ValueError):
        NoiseFeatures(**params).fit([noise_image])
