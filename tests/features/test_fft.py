"""Tests of the azimuthal power spectrum family."""

import numpy as np
import pytest

from facetruth.features import FFTFeatures, fft_spectrum
from facetruth.features._fft import POWER_FLOOR, fft_feature_names

N_BINS = 64
DC, PROFILE = 0, slice(1, N_BINS + 1)
HF050, HF075, HF100, SLOPE = N_BINS + 1, N_BINS + 2, N_BINS + 3, N_BINS + 4


def grey(plane):
    return np.repeat(np.asarray(plane, np.uint8)[:, :, None], 3, axis=2)


def test_constant_image_has_only_a_dc_term():
    feats = fft_spectrum(np.full((48, 64, 3), 51, np.uint8))
    assert feats.shape == (N_BINS + 5,)
    assert feats.dtype == np.float32
    np.testing.assert_allclose(feats[DC], np.log10((51 / 255) ** 2), atol=1e-4)
    np.testing.assert_allclose(feats[PROFILE], np.log10(POWER_FLOOR), atol=1e-3)
    assert feats[HF050] == feats[HF075] == feats[HF100] == 0


def test_columns_alternating_put_all_energy_at_nyquist():
    stripes = np.zeros((64, 64), np.uint8)
    stripes[:, ::2] = 255
    feats = fft_spectrum(grey(stripes))
    assert feats[HF050] == pytest.approx(1.0)
    assert feats[HF075] == pytest.approx(1.0)
    assert feats[HF100] == pytest.approx(0.0, abs=1e-6)  # exactly at Nyquist, not beyond
    assert np.argmax(feats[PROFILE]) == N_BINS - 1


def test_checkerboard_puts_energy_in_the_spectrum_corner():
    board = (np.indices((64, 64)).sum(axis=0) % 2 * 255).astype(np.uint8)
    feats = fft_spectrum(grey(board))
    assert feats[HF100] == pytest.approx(1.0)


def test_white_noise_has_a_flat_spectrum_at_the_expected_level(rng):
    # uniform levels: variance 1/12 on [0, 1]; the mean log10 of an exponential
    # power is log10(mean) - euler_gamma / ln(10)
    image = grey(rng.integers(0, 256, size=(256, 256)))
    feats = fft_spectrum(image)
    expected = np.log10(np.var(image[:, :, 0] / 255)) - np.euler_gamma / np.log(10)
    assert np.mean(feats[PROFILE][4:]) == pytest.approx(expected, abs=0.03)
    assert abs(feats[SLOPE]) < 0.1
    # share of the spectrum's area beyond half Nyquist: 1 - pi / 16
    assert feats[HF050] == pytest.approx(1 - np.pi / 16, abs=0.02)


def test_nearest_upsampling_removes_high_frequency_energy(rng):
    image = rng.integers(0, 256, size=(128, 128, 3), dtype=np.uint8)
    upsampled = image.repeat(2, axis=0).repeat(2, axis=1)
    original, up = fft_spectrum(image), fft_spectrum(upsampled)
    assert up[HF075] < original[HF075] - 0.3
    assert np.mean(up[PROFILE][-8:]) < np.mean(original[PROFILE][-8:]) - 0.5


@pytest.mark.parametrize("shape", [(16, 16), (37, 53), (300, 300), (256, 192)])
def test_output_length_does_not_depend_on_the_image_size(rng, shape):
    image = rng.integers(0, 256, size=(*shape, 3), dtype=np.uint8)
    feats = fft_spectrum(image, n_bins=32)
    assert feats.shape == (37,)
    assert np.all(np.isfinite(feats))


def test_per_channel_of_a_grey_image_repeats_the_luminance_features(rng):
    image = grey(rng.integers(0, 256, size=(40, 40)))
    single = fft_spectrum(image, n_bins=16)
    per_channel = fft_spectrum(image, n_bins=16, per_channel=True)
    assert per_channel.shape == (3 * single.size,)
    for c in range(3):
        np.testing.assert_allclose(per_channel[c * single.size : (c + 1) * single.size], single, atol=1e-3)


def test_transformer_names_shape_and_cache(rng, tmp_path):
    images = rng.integers(0, 256, size=(3, 32, 32, 3), dtype=np.uint8)
    est = FFTFeatures(n_bins=8, cache=tmp_path)
    out = est.fit_transform(images)
    assert out.shape == (3, 13) and out.dtype == np.float32
    names = est.get_feature_names_out()
    assert names[0] == "fft_dc" and names[1] == "fft_bin_000" and names[-1] == "fft_slope"
    assert list(names) == [f"fft_{n}" for n in fft_feature_names(8)]
    np.testing.assert_array_equal(out[1], fft_spectrum(images[1], n_bins=8))
    np.testing.assert_array_equal(est.transform(images), out)  # served from the cache
    assert any(tmp_path.rglob("*.npy"))


@pytest.mark.parametrize("params", [{"n_bins": 1}, {"n_bins": 2.5}, {"per_channel": "yes"}])
def test_invalid_parameters_raise_in_fit(params, noise_image):
    est = FFTFeatures(**params)
    with pytest.raises(ValueError):
        est.fit([noise_image])
