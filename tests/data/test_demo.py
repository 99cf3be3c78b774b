"""The built-in demo set: determinism, balance, files, and the simulated artefacts."""

import numpy as np
import pytest

from facetruth.data import make_demo_dataset
from facetruth.data._demo import gan_upsampling, self_blending


@pytest.fixture(scope="module")
def demo():
    return make_demo_dataset(n=24, random_state=7, size=96)


def nyquist_peak_energy(image):
    """Share of the spectral energy of the |gradient| residual on the Nyquist rows/columns.

    Resampling leaves periodic correlations in the derivative magnitudes, which
    show as peaks at half the sampling frequency (Kirchner, ACM MM&Sec 2008;
    Zhang et al., WIFS 2019).
    """
    grey = image.astype(float).mean(axis=2)
    residual = np.abs(np.diff(grey, axis=0))[:, :-1] + np.abs(np.diff(grey, axis=1))[:-1]
    residual -= residual.mean()
    n = min(residual.shape)
    residual = residual[:n, :n]
    window = np.outer(np.hanning(n), np.hanning(n))
    power = np.abs(np.fft.fft2(residual * window)) ** 2
    h = n // 2
    return (power[h - 1 : h + 2, :].sum() + power[:, h - 1 : h + 2].sum()) / power.sum()


def test_same_seed_same_bytes(tmp_path):
    a = make_demo_dataset(n=8, random_state=3, size=48, out=tmp_path / "a")
    b = make_demo_dataset(n=8, random_state=3, size=48, out=tmp_path / "b")
    assert a.kinds == b.kinds
    for x, y in zip(a.images, b.images, strict=True):
        np.testing.assert_array_equal(x, y)
    for p, q in zip(a.paths, b.paths, strict=True):
        assert p.relative_to(tmp_path / "a") == q.relative_to(tmp_path / "b")
        assert p.read_bytes() == q.read_bytes()
    c = make_demo_dataset(n=8, random_state=4, size=48)
    assert any(not np.array_equal(x, y) for x, y in zip(a.images, c.images, strict=True))


@pytest.mark.parametrize("n", [2, 7, 24])
def test_balance_and_labels(n):
    data = make_demo_dataset(n=n, random_state=0, size=32)
    kinds = data.kinds
    assert len(data.images) == len(kinds) == len(data.labels) == n
    assert kinds.count("real") == n // 2
    fakes = n - n // 2
    assert kinds.count("gan_upsampling") == fakes - fakes // 2
    assert kinds.count("self_blending") == fakes // 2
    np.testing.assert_array_equal(data.labels, [int(k != "real") for k in kinds])
    assert data.paths is None


def test_sizes_and_types(demo):
    for image in demo.images:
        assert image.shape == (96, 96, 3) and image.dtype == np.uint8
    assert len({img.tobytes() for img in demo.images}) == len(demo.images)  # no duplicates
    assert set(demo.kinds) == {"real", "gan_upsampling", "self_blending"}


def test_files_written_as_png(tmp_path):
    import cv2

    data = make_demo_dataset(n=6, random_state=1, size=40, out=tmp_path)
    assert len(data.paths) == 6 and all(p.suffix == ".png" for p in data.paths)
    for path, kind, image in zip(data.paths, data.kinds, data.images, strict=True):
        expected_folder = tmp_path / "real" if kind == "real" else tmp_path / "fake" / kind
        assert path.parent == expected_folder and path.name.startswith(kind)
        np.testing.assert_array_equal(cv2.imread(str(path))[:, :, ::-1], image)  # lossless
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == sorted(
        p.name for p, k in zip(data.paths, data.kinds, strict=True) if k == "real"
    )
    assert not list(tmp_path.rglob("*.tmp"))


def test_gan_upsampling_leaves_spectral_peaks():
    data = make_demo_dataset(n=64, random_state=0, size=128)
    energy = {kind: [] for kind in ("real", "gan_upsampling", "self_blending")}
    for image, kind in zip(data.images, data.kinds, strict=True):
        energy[kind].append(nyquist_peak_energy(image))
    real, gan = np.mean(energy["real"]), np.mean(energy["gan_upsampling"])
    assert gan > 3 * real
    assert np.median(energy["gan_upsampling"]) > np.median(energy["real"])


class _FixedDraw:
    """Stands in for a generator whose ``random()`` always returns ``value``."""

    def __init__(self, value):
        self.value = value

    def random(self):
        return self.value


def test_forgeries_change_the_image_where_expected():
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
    flat = np.full((64, 64, 3), 120, dtype=np.uint8)
    transposed = gan_upsampling(flat, _FixedDraw(0.1))
    # inside, the kernel's phase gains 0.95 and 1.05 give a checkerboard: 120 x gain_row x gain_col
    np.testing.assert_array_equal(transposed[10:12, 10:12, 0], [[108, 120], [120, 132]])
    np.testing.assert_array_equal(gan_upsampling(flat, _FixedDraw(0.9)), flat)  # nearest
    blended = self_blending(base, np.random.default_rng(2))
    diff = np.abs(blended.astype(int) - base.astype(int)).sum(axis=2)
    assert diff[28:36, 28:36].mean() > 5  # the ellipse covers the central region
    assert diff[:3, :3].mean() < diff[28:36, 28:36].mean() / 4  # corners mostly untouched


@pytest.mark.parametrize("kwargs", [{"n": 1}, {"n": 3.0}, {"size": 8}, {"size": True}])
def test_invalid_parameters(kwargs):
    with pytest.raises(ValueError):
        make_demo_dataset(**kwargs)


def test_source_photos_ship_with_scikit_image():
    from facetruth.data._demo import SOURCE_PHOTOS, _photos

    photos = _photos()
    assert len(photos) == len(SOURCE_PHOTOS) >= 10
    for photo in photos:
        assert photo.ndim == 3 and photo.shape[2] == 3 and photo.dtype == np.uint8
        assert min(photo.shape[:2]) >= 256 and not photo.flags.writeable
