"""Nuisance properties of image files and the crop geometry of face boxes."""

import inspect
import io

import numpy as np
import pytest
from PIL import Image

from facetruth.data import CROP_GEOMETRY, NUISANCE_PROPERTIES, crop_face, crop_geometry, nuisance_properties
from facetruth.data._crop_geometry import crop_square
from facetruth.data._nuisance import jpeg_quality
from facetruth.exceptions import ImageDecodeError
from facetruth.pipelines import ImageLoader


@pytest.fixture
def photo():
    """A 48x64 RGB image with some texture (JPEG tables do not depend on content)."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:48, 0:64]
    base = np.stack([x * 3, y * 4, (x + y) * 2], axis=2) + rng.integers(0, 30, (48, 64, 3))
    return np.clip(base, 0, 255).astype(np.uint8)


def encode(array, fmt, **kwargs):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt, **kwargs)
    return buffer.getvalue()


@pytest.mark.parametrize("quality", [10, 50, 75, 90, 95])
def test_jpeg_quality_of_pillow_files(tmp_path, photo, quality):
    path = tmp_path / f"q{quality}.jpg"
    Image.fromarray(photo).save(path, "JPEG", quality=quality)
    props = nuisance_properties(path)
    assert abs(props["jpeg_quality"] - quality) <= 2
    assert props["format_jpeg"] == 1.0 and props["format_png"] == 0.0 and props["format_other"] == 0.0


def test_jpeg_quality_validates_the_table():
    with pytest.raises(ValueError, match="64 positive"):
        jpeg_quality(np.ones(63))
    with pytest.raises(ValueError, match="64 positive"):
        jpeg_quality(np.zeros(64))


def test_properties_of_a_jpeg(tmp_path, photo):
    path = tmp_path / "a.jpg"
    Image.fromarray(photo).save(path, "JPEG", quality=80, subsampling=0)
    props = nuisance_properties(path)
    assert tuple(props) == NUISANCE_PROPERTIES
    assert all(isinstance(v, float) for v in props.values())
    assert (props["width"], props["height"]) == (64.0, 48.0)
    assert props["aspect_ratio"] == pytest.approx(64 / 48)
    assert props["file_bytes"] == path.stat().st_size
    assert props["bytes_per_pixel"] == pytest.approx(path.stat().st_size / (64 * 48))
    assert props["jpeg_subsampling"] == 0.0 and props["exif"] == 0.0
    grey = np.asarray(Image.open(path).convert("L"), dtype=float)
    assert props["brightness"] == pytest.approx(grey.mean(), abs=2)
    assert props["contrast"] == pytest.approx(grey.std(), abs=2)


def test_exif_is_detected_and_orientation_swaps_the_size(photo):
    exif = Image.Exif()
    exif[0x010F] = "FaceTruth camera"  # Make
    assert nuisance_properties(encode(photo, "JPEG", exif=exif))["exif"] == 1.0
    assert nuisance_properties(encode(photo, "JPEG"))["exif"] == 0.0
    exif[0x0112] = 6  # rotated 90 degrees: displayed 48 wide, 64 high, as read_image returns it
    props = nuisance_properties(encode(photo, "JPEG", exif=exif))
    assert (props["width"], props["height"]) == (48.0, 64.0)


@pytest.mark.parametrize(
    "fmt,onehot", [("PNG", "format_png"), ("WEBP", "format_webp"), ("BMP", "format_other")]
)
def test_other_formats_have_no_jpeg_figures(photo, fmt, onehot):
    props = nuisance_properties(encode(photo, fmt))
    assert props[onehot] == 1.0
    assert sum(props[f"format_{f}"] for f in ("jpeg", "png", "webp", "other")) == 1.0
    assert np.isnan(props["jpeg_quality"]) and np.isnan(props["jpeg_subsampling"])


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "I;16", "1", "CMYK"])
def test_every_mode_gives_finite_exposure(photo, mode):
    if mode == "I;16":
        img = Image.fromarray(photo[..., 0].astype(np.uint16) * 200)
        assert img.mode == "I;16"
    else:
        img = Image.fromarray(photo).convert(mode)
    buffer = io.BytesIO()
    img.save(buffer, "TIFF" if mode == "CMYK" else "PNG")
    props = nuisance_properties(buffer.getvalue())
    assert np.isfinite(props["brightness"]) and np.isfinite(props["contrast"])
    assert 0 <= props["brightness"] <= 255


@pytest.mark.parametrize(
    "data,match",
    [
        (b"not an image at all", "not an image"),
        (b"", "empty"),
    ],
)
def test_bad_bytes_raise_decode_errors(data, match):
    with pytest.raises(ImageDecodeError, match=match):
        nuisance_properties(data)


def test_truncated_and_missing_files_raise_decode_errors(tmp_path, photo):
    data = encode(np.tile(photo, (4, 4, 1)), "JPEG", quality=90)
    with pytest.raises(ImageDecodeError, match="truncated|corrupt"):
        nuisance_properties(data[: len(data) // 2])
    with pytest.raises(ImageDecodeError, match="no such file"):
        nuisance_properties(tmp_path / "missing.jpg")
    with pytest.raises(ImageDecodeError, match="too many pixels"):
        nuisance_properties(data, max_pixels=100)
    with pytest.raises(ValueError, match="max_pixels"):
        nuisance_properties(data, max_pixels=0)


def test_crop_geometry_margin_default_is_the_croppers():
    default = inspect.signature(crop_geometry).parameters["margin"].default
    assert default == inspect.signature(crop_face).parameters["margin"].default
    assert default == ImageLoader().margin


def test_crop_geometry_of_a_small_face():
    # 40 x 20 face in a 100 x 200 image: side 40 * (1 + 2 * 0.5) = 80 source pixels, inside the image
    geometry = crop_geometry((100, 200, 3), (60, 30, 100, 50), image_size=40, margin=0.5)
    assert tuple(geometry) == CROP_GEOMETRY
    assert geometry == {
        "face_area_share": 800 / 20000,
        "face_side_share": 40 / 100,
        "resize_factor": 2.0,
        "margin_used": 0.5,
        "padded_share": 0.0,
    }


def test_crop_geometry_of_a_large_face_shrinks_the_margin():
    # 80 x 80 face in a 100 x 100 image: the wanted 128-pixel square is cut to the image's 100
    geometry = crop_geometry((100, 100), (10, 10, 90, 90), image_size=50, margin=0.3)
    assert geometry["face_area_share"] == pytest.approx(0.64)
    assert geometry["face_side_share"] == pytest.approx(0.8)
    assert geometry["resize_factor"] == 2.0
    assert geometry["margin_used"] == 0.125  # (100 / 80 - 1) / 2
    assert geometry["padded_share"] == 0.0


def test_crop_geometry_of_a_face_larger_than_the_image_is_padded():
    # a 120-pixel face box reaching past a 100 x 100 image: the square (120) leaves it on all sides
    geometry = crop_geometry((100, 100), (-10, -10, 110, 110), image_size=60)
    assert geometry["face_area_share"] == 1.0  # the visible part of the box
    assert geometry["face_side_share"] == pytest.approx(1.2)
    assert geometry["resize_factor"] == 2.0
    assert geometry["margin_used"] == 0.0
    assert geometry["padded_share"] == pytest.approx(1 - 100 * 100 / 120**2, abs=1e-4)


def test_crop_geometry_without_a_face_and_native():
    geometry = crop_geometry((100, 300), None, image_size=50)
    assert geometry["face_area_share"] == geometry["face_side_share"] == 0.0
    assert geometry["resize_factor"] == 2.0 and geometry["padded_share"] == 0.0
    native = crop_geometry((100, 300), (10, 10, 30, 30), image_size=64, native=True)
    assert native["resize_factor"] == 1.0 and native["padded_share"] == 0.0


def test_crop_geometry_agrees_with_crop_face():
    image = np.zeros((90, 160, 3), np.uint8)
    for box in [(5, 5, 45, 45), (120, 40, 158, 88), (0, 0, 90, 90)]:
        expected = crop_square(image.shape, box, 0.3)
        geometry = crop_geometry(image.shape, box, image_size=32)
        assert geometry["resize_factor"] == expected["crop_side"] / 32
        assert geometry["padded_share"] == expected["padded_share"]
        assert geometry["margin_used"] == expected["margin_used"]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"image_shape": (0, 10), "box": None, "image_size": 8}, "image_shape"),
        ({"image_shape": (10,), "box": None, "image_size": 8}, "image_shape"),
        ({"image_shape": (10, 10), "box": (5, 5, 1, 9), "image_size": 8}, "x1 > x0"),
        ({"image_shape": (10, 10), "box": (1, 2, 3), "image_size": 8}, "box"),
        ({"image_shape": (10, 10), "box": (1, 2, 3, float("nan")), "image_size": 8}, "box"),
        ({"image_shape": (10, 10), "box": None, "image_size": 0}, "image_size"),
        ({"image_shape": (10, 10), "box": None, "image_size": 8, "margin": -1}, "margin"),
        ({"image_shape": (10, 10), "box": None, "image_size": 8, "native": "yes"}, "native"),
    ],
)
def test_crop_geometry_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        crop_geometry(**kwargs)
