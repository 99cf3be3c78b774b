"""Known feature values of a fixed image, and equivalence of the fast code paths.

The pinned values were computed with the straightforward implementations the
faster ones replaced; a change of any feature value beyond float32 rounding
fails here (and then needs a new ``FEATURE_VERSION`` for the cache).
"""

import cv2
import numpy as np
import pytest

from facetruth.features import _lbp, _lbp_numpy, _noise
from facetruth.features._dct import dct_features
from facetruth.features._fft import fft_spectrum
from facetruth.features._lbp import lbp_histograms
from facetruth.features._noise import noise_residual_features

#: family -> (function, length, indices, values at those indices, sum of all values)
PINNED = {
    "lbp": (
        lbp_histograms,
        162,
        [0, 23, 46, 69, 92, 115, 138, 161],
        [
            0.101048216,
            0.024633124,
            0.019496856,
            0.040670861,
            0.037211739,
            0.090775684,
            0.010587002,
            0.387526214,
        ],
        9.0,
    ),
    "noise": (
        noise_residual_features,
        135,
        [0, 19, 38, 57, 76, 95, 114, 134],
        [
            0.816133440,
            0.262606740,
            0.009607564,
            0.111478247,
            0.069788702,
            0.006354209,
            0.050792363,
            0.012347626,
        ],
        40.275244619,
    ),
    "fft": (
        fft_spectrum,
        69,
        [0, 9, 19, 29, 38, 48, 58, 68],
        [
            -0.569659531,
            -1.413139462,
            -3.191731215,
            -3.659129381,
            -3.739948750,
            -3.831614017,
            -3.806861162,
            -2.455202103,
        ],
        -203.316372698,
    ),
    "dct": (
        dct_features,
        434,
        [0, 61, 123, 185, 247, 309, 371, 433],
        [
            75.424079895,
            3.262650728,
            0.011904762,
            0.377365083,
            0.284395427,
            0.240272075,
            0.358360022,
            0.409541637,
        ],
        497.547353000,
    ),
}


@pytest.fixture(scope="module")
def textured_image():
    """A smooth random field with fine noise (96x112), so that every code and bin is populated."""
    rng = np.random.default_rng(20240601)
    base = cv2.GaussianBlur(rng.integers(0, 256, (96, 112, 3)).astype(np.float32), (0, 0), 3)
    return np.clip(base * 3 - 250 + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("family", sorted(PINNED))
def test_pinned_values(family, textured_image):
    func, length, idx, values, total = PINNED[family]
    out = func(textured_image)
    assert out.shape == (length,) and out.dtype == np.float32
    np.testing.assert_allclose(out[idx], values, rtol=1e-5, atol=1e-7)
    assert out.astype(np.float64).sum() == pytest.approx(total, rel=1e-5)


@pytest.mark.parametrize("band_pixels", [112, 1000, 10**6])
def test_lbp_does_not_depend_on_the_band_height(monkeypatch, textured_image, band_pixels):
    expected = lbp_histograms(textured_image, channels="rgb")
    monkeypatch.setattr(_lbp_numpy, "_BAND_PIXELS", band_pixels)
    monkeypatch.setattr(_lbp, "compiled_kernel", lambda: None)  # the numpy kernel works in bands
    np.testing.assert_array_equal(lbp_histograms(textured_image, channels="rgb"), expected)


def test_pair_counts_match_a_direct_count(rng):
    codes = rng.integers(0, 5, (10, 7, 9)).astype(np.uint8)
    horiz, vert = _noise._pair_counts_uint8(codes, 5)
    offsets = (np.arange(10) * 25)[:, None, None]
    wide = codes.astype(np.intp)
    expected_h = np.bincount((wide[:, :, :-1] * 5 + wide[:, :, 1:] + offsets).ravel(), minlength=250)
    expected_v = np.bincount((wide[:, :-1, :] * 5 + wide[:, 1:, :] + offsets).ravel(), minlength=250)
    np.testing.assert_array_equal(horiz, expected_h)
    np.testing.assert_array_equal(vert, expected_v)


def test_tune_allocator_is_applied_once_and_keeps_results(textured_image):
    from facetruth._libc import tune_allocator

    before = noise_residual_features(textured_image)
    first = tune_allocator(children=False)
    assert isinstance(first, bool)
    assert tune_allocator(children=False) is first
    np.testing.assert_array_equal(noise_residual_features(textured_image), before)
