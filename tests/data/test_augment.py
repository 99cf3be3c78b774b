"""Augmentation primitives: known effects, shapes, determinism and parameter checks."""

import cv2
import numpy as np
import pytest
from skimage.data import astronaut

from facetruth.data import gaussian_blur, gaussian_noise, jpeg_compress, random_augment, rescale


@pytest.fixture(scope="module")
def photo():
    return np.ascontiguousarray(astronaut()[:96, :128])


def test_jpeg_quality_controls_the_error(photo):
    errors = [np.abs(jpeg_compress(photo, q).astype(int) - photo).mean() for q in (10, 50, 95)]
    assert errors[0] > errors[1] > errors[2] > 0
    out = jpeg_compress(photo, 50)
    assert out.shape == photo.shape and out.dtype == np.uint8
    assert out.flags.c_contiguous


def test_jpeg_keeps_colour_order():
    red = np.zeros((32, 32, 3), dtype=np.uint8)
    red[..., 0] = 200
    out = jpeg_compress(red, 90)
    assert out[..., 0].mean() > 180 and out[..., 2].mean() < 20


def test_rescale_sizes_and_values(photo):
    assert rescale(photo, 0.5).shape == (48, 64, 3)
    assert rescale(photo, 1.5).shape == (144, 192, 3)
    assert rescale(photo, 1e-4).shape == (1, 1, 3)
    np.testing.assert_array_equal(rescale(photo, 1.0), photo)
    flat = np.full((10, 10, 3), 77, dtype=np.uint8)
    assert np.all(rescale(flat, 0.3) == 77) and np.all(rescale(flat, 2.7) == 77)
    # shrinking by 2 with INTER_AREA averages 2x2 blocks
    block = np.kron(np.array([[0, 100], [200, 40]], dtype=np.uint8), np.ones((2, 2), dtype=np.uint8))
    np.testing.assert_array_equal(rescale(np.dstack([block] * 3), 0.5)[..., 0], [[0, 100], [200, 40]])


def test_gaussian_blur_smooths(photo):
    np.testing.assert_array_equal(gaussian_blur(photo, 0), photo)
    grads = [np.abs(np.diff(gaussian_blur(photo, s).astype(int), axis=1)).mean() for s in (0, 1, 3)]
    assert grads[0] > grads[1] > grads[2]
    impulse = np.zeros((21, 21, 3), dtype=np.uint8)
    impulse[10, 10] = 255
    out = gaussian_blur(impulse, 1.0).astype(float)[..., 0]
    assert out.argmax() == 10 * 21 + 10
    assert out.sum() == pytest.approx(255, rel=0.03)


def test_gaussian_noise_statistics_and_seed():
    grey = np.full((200, 200, 3), 128, dtype=np.uint8)
    out = gaussian_noise(grey, 10, random_state=0)
    residual = out.astype(float) - 128
    assert abs(residual.mean()) < 0.2 and residual.std() == pytest.approx(10, rel=0.05)
    np.testing.assert_array_equal(out, gaussian_noise(grey, 10, random_state=0))
    assert not np.array_equal(out, gaussian_noise(grey, 10, random_state=1))
    np.testing.assert_array_equal(gaussian_noise(grey, 0, random_state=0), grey)
    clipped = gaussian_noise(np.zeros((8, 8, 3), np.uint8), 50, random_state=np.random.default_rng(3))
    assert clipped.min() == 0 and clipped.dtype == np.uint8


def test_random_augment_is_deterministic(photo):
    for seed in range(5):
        a, pa = random_augment(photo, random_state=seed, return_params=True)
        b, pb = random_augment(photo, random_state=seed, return_params=True)
        np.testing.assert_array_equal(a, b)
        assert pa == pb
    outs = [random_augment(photo, random_state=s, p=1.0) for s in range(3)]
    assert any(o.shape != outs[0].shape or not np.array_equal(o, outs[0]) for o in outs[1:])


def test_random_augment_probability_and_params(photo):
    out, params = random_augment(photo, random_state=0, p=0.0, return_params=True)
    np.testing.assert_array_equal(out, photo)
    assert params == {}
    out, params = random_augment(photo, random_state=1, p=1.0, return_params=True)
    assert list(params) == ["blur", "scale", "noise", "jpeg"]
    assert 30 <= params["jpeg"] <= 100 and 0.5 <= params["scale"] <= 1.5
    assert 0 <= params["blur"] <= 2 and 0 <= params["noise"] <= 10
    h, w = photo.shape[:2]
    assert out.shape == (round(h * params["scale"]), round(w * params["scale"]), 3)
    # replaying the reported operations reproduces the output
    replay = rescale(gaussian_blur(photo, params["blur"]), params["scale"])
    assert np.abs(replay.astype(int) - out.astype(int)).mean() < 12
    fired = [len(random_augment(photo, random_state=s, return_params=True)[1]) for s in range(200)]
    assert 1.6 < np.mean(fired) < 2.4  # four operations at p = 0.5


def test_random_augment_disabled_operations(photo):
    out, params = random_augment(
        photo, random_state=0, p=1.0, jpeg=None, scale=None, noise=None, return_params=True
    )
    assert list(params) == ["blur"]
    np.testing.assert_array_equal(out, gaussian_blur(photo, params["blur"]))


def test_random_augment_single_jpeg_matches_primitive(photo):
    out, params = random_augment(
        photo, random_state=4, p=1.0, scale=None, blur=None, noise=None, jpeg=(60, 60), return_params=True
    )
    assert params == {"jpeg": 60}
    np.testing.assert_array_equal(out, jpeg_compress(photo, 60))
    ok, buf = cv2.imencode(".jpg", photo[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 60])
    np.testing.assert_array_equal(out, cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1])


@pytest.mark.parametrize(
    "call",
    [
        lambda im: jpeg_compress(im, 0),
        lambda im: jpeg_compress(im, 101),
        lambda im: rescale(im, 0),
        lambda im: rescale(im, float("nan")),
        lambda im: gaussian_blur(im, -1),
        lambda im: gaussian_noise(im, -1),
        lambda im: random_augment(im, p=1.5),
        lambda im: random_augment(im, jpeg=(10, 120)),
        lambda im: random_augment(im, scale=(1.5, 0.5)),
        lambda im: jpeg_compress(np.zeros((4, 4, 4), np.uint8), 50),
    ],
)
def test_invalid_arguments(call, photo):
    with pytest.raises(ValueError):
        call(photo)


@pytest.mark.parametrize("shape", [(1, 1, 3), (5, 7, 3), (5, 7)])
def test_tiny_and_grey_images(shape, rng):
    image = rng.integers(0, 256, size=shape, dtype=np.uint8)
    for out in (jpeg_compress(image, 80), gaussian_blur(image, 1), gaussian_noise(image, 3, random_state=0)):
        assert out.shape == shape[:2] + (3,) and out.dtype == np.uint8
    assert random_augment(image, random_state=0, p=1.0).ndim == 3
