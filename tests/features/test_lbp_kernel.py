"""The compiled LBP kernel gives the numpy kernel's counts, bit for bit."""

import subprocess
import sys

import cv2
import numpy as np
import pytest

from facetruth.features import _lbp, lbp_histograms
from facetruth.features._color import ImagePlanes
from facetruth.features._lbp_kernel import compiled_kernel

pytestmark = pytest.mark.skipif(compiled_kernel() is None, reason="numba is not installed")

#: the family's default scales, and others with every kind of sampling point
SCALES = ((8, 1.0), (16, 2.0), (24, 3.0), (12, 1.5), (4, 1.0), (2, 0.5), (1, 1.0), (62, 16.0))


def both_kernels(planes, scales):
    margin = _lbp._margin(scales)
    compiled = _lbp._code_counts(planes, scales, margin)
    numpy = _lbp._numpy_code_counts(planes, scales, margin)
    return compiled, numpy


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("levels", ["continuous", "integer", "few"])
@pytest.mark.parametrize("n_channels", [1, 3])
def test_same_counts_as_the_numpy_kernel_on_random_planes(scale, levels, n_channels):
    rng = np.random.default_rng(scale[0])
    shape = (41, 53, n_channels) if scale[1] < 16 else (40, 37, n_channels)
    planes = rng.uniform(0, 255, shape).astype(np.float32)
    if levels == "integer":  # exact ties between pixels, as in uint8 planes
        planes = np.rint(planes)
    elif levels == "few":  # many interpolated near-ties with the centre
        planes = rng.integers(0, 3, shape).astype(np.float32) * np.float32(0.1)
    compiled, numpy = both_kernels(planes, [scale])
    np.testing.assert_array_equal(compiled[0], numpy[0])
    assert compiled[0].sum() == n_channels * (shape[0] - 2 * np.ceil(scale[1])) * (
        shape[1] - 2 * np.ceil(scale[1])
    )


@pytest.mark.parametrize("channels", ["ycbcr", "rgb", "grey"])
def test_same_histograms_as_the_numpy_kernel_on_real_faces(hardfake_dir, channels):
    paths = (
        sorted((hardfake_dir / "fake").glob("*.jpg"))[:2] + sorted((hardfake_dir / "real").glob("*.jpg"))[:2]
    )
    for path in paths:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)[:, :, ::-1]
        planes = ImagePlanes(image).channels(channels)
        compiled, numpy = both_kernels(planes, _lbp._check_scales(((8, 1), (16, 2), (24, 3)), "test"))
        for ours, reference in zip(compiled, numpy, strict=True):
            np.testing.assert_array_equal(ours, reference)


def test_histograms_without_numba_are_the_same(monkeypatch, rng):
    image = rng.integers(0, 256, (37, 45, 3), dtype=np.uint8)
    expected = lbp_histograms(image)
    monkeypatch.setattr(_lbp, "compiled_kernel", lambda: None)
    np.testing.assert_array_equal(lbp_histograms(image), expected)


def test_non_contiguous_planes(rng):
    planes = rng.uniform(0, 255, (30, 40, 6)).astype(np.float32)[:, ::-1, ::2]
    compiled, numpy = both_kernels(planes, [(8, 1.0)])
    np.testing.assert_array_equal(compiled[0], numpy[0])


def test_importing_the_package_does_not_import_numba():
    code = "import sys, facetruth, facetruth.features\nprint('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False"


def _tie_on_a_rounding():
    """A 5x5 plane whose centre's first sample (P=2, R=1.3) is exactly the lowered centre when
    computed as a fused multiply-add and below it when rounded twice, or the other way round."""
    fc = np.float32(_lbp.circle_offsets(2, 1.3)[0][3])  # 0.3: column 3.3, between columns 3 and 4
    tol = np.float32(_lbp.TIE_TOLERANCE)
    rng = np.random.default_rng(0)
    left = rng.uniform(0, 255, 4096).astype(np.float32)
    right = rng.uniform(0, 255, 4096).astype(np.float32)
    fused = (fc.astype(np.float64) * (right - left) + left).astype(np.float32)
    plain = fc * (right - left) + left
    for i in np.flatnonzero(fused != plain):
        high = max(fused[i], plain[i])
        centre = np.float32(high + tol)
        for _ in range(8):  # the centre whose lowered value is exactly ``high``, if there is one
            if centre - tol == high:
                plane = np.full((5, 5, 1), 255, np.float32)
                plane[2, 2:5, 0] = centre, left[i], right[i]
                return plane
            centre = np.nextafter(centre, np.float32(np.inf) if centre - tol < high else np.float32(0))
    pytest.fail("no tie found")


def test_same_rounding_as_the_numpy_kernel_on_a_tie():
    compiled, numpy = both_kernels(_tie_on_a_rounding(), [(2, 1.3)])
    np.testing.assert_array_equal(compiled[0], numpy[0])
