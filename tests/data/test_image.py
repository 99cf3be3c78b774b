"""Decoding of still images and video frames: every mode, format and bad input."""

import io
import os
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from facetruth.data import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, read_image, read_video_frames
from facetruth.data._video import read_video_frame, uniform_indices, video_frame_count
from facetruth.exceptions import ImageDecodeError


@pytest.fixture
def rgb():
    """A 12x20 RGB image with distinct rows and columns."""
    y, x = np.mgrid[0:12, 0:20]
    return np.stack([x * 12, y * 20, (x + y) * 5], axis=2).astype(np.uint8)


def encode(img, fmt, **kwargs):
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


@pytest.mark.parametrize(
    "fmt,suffix", [("PNG", ".png"), ("BMP", ".bmp"), ("TIFF", ".tif"), ("WEBP", ".webp")]
)
def test_lossless_formats_round_trip(tmp_path, rgb, fmt, suffix):
    path = tmp_path / f"img{suffix}"
    Image.fromarray(rgb).save(path, fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    out = read_image(path)
    assert out.dtype == np.uint8 and out.shape == (12, 20, 3) and out.flags.c_contiguous
    np.testing.assert_array_equal(out, rgb)


def test_jpeg_is_close_and_sources_agree(tmp_path, rgb):
    data = encode(Image.fromarray(rgb), "JPEG", quality=95)
    path = tmp_path / "a.jpg"
    path.write_bytes(data)
    out = read_image(str(path))
    assert np.abs(out.astype(int) - rgb).mean() < 4
    np.testing.assert_array_equal(read_image(data), out)
    np.testing.assert_array_equal(read_image(bytearray(data)), out)
    np.testing.assert_array_equal(read_image(memoryview(data)), out)
    with open(path, "rb") as fh:
        np.testing.assert_array_equal(read_image(fh), out)


def test_modes(tmp_path):
    grey = Image.fromarray(np.array([[0, 128], [200, 255]], dtype=np.uint8), "L")
    np.testing.assert_array_equal(read_image(encode(grey, "PNG"))[..., 1], [[0, 128], [200, 255]])
    one = grey.convert("1")
    assert set(np.unique(read_image(encode(one, "PNG")))) <= {0, 255}
    pal = grey.convert("P")
    np.testing.assert_array_equal(read_image(encode(pal, "PNG"))[..., 0], [[0, 128], [200, 255]])
    ycc = Image.new("RGB", (3, 2), (10, 200, 30)).convert("YCbCr")
    assert np.abs(read_image(encode(ycc, "TIFF"))[0, 0].astype(int) - [10, 200, 30]).max() <= 2
    lab = Image.new("RGB", (3, 2), (200, 40, 40)).convert("LAB")
    assert np.abs(read_image(encode(lab, "TIFF"))[0, 0].astype(int) - [200, 40, 40]).max() <= 6


def test_cmyk_red_is_red():
    cmyk = Image.new("CMYK", (3, 2), (0, 255, 255, 0))
    r, g, b = read_image(encode(cmyk, "TIFF"))[0, 0]
    assert r == 255 and g == 0 and b == 0


@pytest.mark.parametrize("background,value", [("white", 255), ("black", 0)])
def test_alpha_is_composited(background, value):
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = (255, 0, 0, 255)  # opaque red; the rest fully transparent
    rgba[1, 1] = (0, 0, 255, 128)
    out = read_image(encode(Image.fromarray(rgba, "RGBA"), "PNG"), background=background)
    np.testing.assert_array_equal(out[0, 0], [255, 0, 0])
    np.testing.assert_array_equal(out[0, 1], [value] * 3)
    assert out[1, 1, 2] >= 127 and abs(int(out[1, 1, 0]) - value // 2) <= 1
    la = Image.fromarray(np.array([[[100, 0], [100, 255]]], np.uint8), "LA")
    np.testing.assert_array_equal(read_image(encode(la, "PNG"), background=background)[0, :, 0], [value, 100])


def test_palette_with_transparency_and_gif_first_frame(tmp_path):
    pal = Image.new("P", (4, 4), 1)
    pal.putpalette([0, 0, 0, 10, 20, 30] + [0] * 762)
    pal.info["transparency"] = 0
    pal.putpixel((0, 0), 0)
    out = read_image(encode(pal, "PNG", transparency=0))
    np.testing.assert_array_equal(out[0, 0], [255, 255, 255])
    np.testing.assert_array_equal(out[1, 1], [10, 20, 30])
    frames = [Image.new("RGB", (8, 8), c) for c in ((250, 0, 0), (0, 0, 250))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50)
    first = read_image(path)
    assert first[..., 0].mean() > 200 and first[..., 2].mean() < 50
    tiff = tmp_path / "multi.tif"
    frames[1].save(tiff, save_all=True, append_images=frames[:1])
    assert read_image(tiff)[..., 2].mean() > 200


def test_high_bit_depth():
    sixteen = Image.fromarray(np.array([[0, 256 * 100 + 7], [65535, 256]], dtype=np.uint16))
    assert sixteen.mode.startswith("I;16")
    np.testing.assert_array_equal(read_image(encode(sixteen, "PNG"))[..., 0], [[0, 100], [255, 1]])
    wide = Image.fromarray(np.array([[-1000, 0], [1000, 3000]], dtype=np.int32), "I")
    np.testing.assert_array_equal(read_image(encode(wide, "TIFF"))[..., 2], [[0, 64], [128, 255]])
    flt = Image.fromarray(np.array([[0.0, 0.5], [1.0, np.nan]], dtype=np.float32), "F")
    np.testing.assert_array_equal(read_image(encode(flt, "TIFF"))[..., 0], [[0, 128], [255, 0]])


def test_exif_orientation_is_applied(rgb):
    img = Image.fromarray(rgb)
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise for display
    out = read_image(encode(img, "JPEG", quality=100, exif=exif))
    assert out.shape == (20, 12, 3)
    expected = np.rot90(rgb, k=-1)
    assert np.abs(out.astype(int) - expected).mean() < 4


def check_fails(source, *words, **kwargs):
    with pytest.raises(ImageDecodeError) as info:
        read_image(source, **kwargs)
    message = str(info.value).lower()
    for word in words:
        assert word.lower() in message, message
    return message


def test_bad_paths(tmp_path):
    assert "nope.png" in check_fails(tmp_path / "nope.png", "no such file")
    check_fails(tmp_path, "directory")
    (tmp_path / "empty.jpg").write_bytes(b"")
    assert "empty.jpg" in check_fails(tmp_path / "empty.jpg", "empty")
    check_fails(b"", "<bytes>", "empty")
    (tmp_path / "notes.png").write_text("hello, not an image")
    check_fails(tmp_path / "notes.png", "notes.png", "not an image")
    check_fails(b"GIF89a garbage", "<bytes>")
    check_fails(12345, "expected a path")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_permission_denied(tmp_path, rgb):
    path = tmp_path / "locked.png"
    Image.fromarray(rgb).save(path)
    path.chmod(0)
    try:
        check_fails(path, "permission denied")
    finally:
        path.chmod(0o644)


def test_permission_error_on_open_is_reported(tmp_path, rgb, monkeypatch):
    path = tmp_path / "locked.png"
    Image.fromarray(rgb).save(path)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("facetruth.data._image.open", refuse, raising=False)
    check_fails(path, "locked.png", "permission denied")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_and_corrupt(rng, fmt):
    noise = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise), fmt)
    check_fails(data[: len(data) // 2], "<bytes>", "truncated")
    flipped = bytearray(data)
    flipped[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    if fmt == "PNG":  # zlib stream and CRC catch any damage
        check_fails(bytes(flipped), "<bytes>")
    else:  # JPEG may decode damaged scan data; it must then still be an image
        try:
            assert read_image(bytes(flipped)).shape == (32, 32, 3)
        except ImageDecodeError:
            pass
    header_flipped = bytearray(data)
    header_flipped[1] ^= 0xFF
    check_fails(bytes(header_flipped), "not an image")


def test_decompression_bombs():
    small = encode(Image.new("RGB", (100, 100)), "PNG")
    check_fails(small, "too many pixels", max_pixels=9_999)
    assert read_image(small, max_pixels=10_000).shape == (100, 100, 3)
    # A PNG whose header claims 100000 x 100000 pixels: refused before decoding.
    big = bytearray(small)
    ihdr = big.index(b"IHDR")
    big[ihdr + 4 : ihdr + 12] = (100_000).to_bytes(4, "big") * 2
    big[ihdr + 17 : ihdr + 21] = zlib.crc32(bytes(big[ihdr : ihdr + 17])).to_bytes(4, "big")
    check_fails(bytes(big), "too many pixels")
    check_fails(bytes(big), "too many pixels", max_pixels=None)  # Pillow's own limit


def test_invalid_arguments(rgb):
    with pytest.raises(ValueError, match="background"):
        read_image(encode(Image.fromarray(rgb), "PNG"), background="grey")
    with pytest.raises(ValueError, match="max_pixels"):
        read_image(b"x", max_pixels=0)


def test_extension_sets():
    assert {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"} <= IMAGE_EXTENSIONS
    assert {".mp4", ".avi", ".mov", ".mkv", ".webm"} <= VIDEO_EXTENSIONS
    assert all(e == e.lower() and e.startswith(".") for e in IMAGE_EXTENSIONS | VIDEO_EXTENSIONS)


def write_video(path, n=20, size=(32, 24)):
    """An mp4v video whose frame ``i`` is a flat grey of level ``10 * i``."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, size)
    assert writer.isOpened()
    for i in range(n):
        writer.write(np.full((size[1], size[0], 3), 10 * i, np.uint8))
    writer.release()
    return path


def test_uniform_indices():
    assert uniform_indices(20, 5) == [0, 5, 10, 14, 19]
    assert uniform_indices(3, 8) == [0, 1, 2]
    assert uniform_indices(0, 4) == []
    assert uniform_indices(100, 1) == [0]


def test_video_frames(tmp_path):
    path = write_video(tmp_path / "v.mp4")
    frames, idx = read_video_frames(path, 5)
    assert idx == [0, 5, 10, 14, 19]
    assert all(f.shape == (24, 32, 3) and f.dtype == np.uint8 and f.flags.c_contiguous for f in frames)
    assert [round(f.mean() / 10) for f in frames] == idx
    assert read_video_frames(path, 3, "first")[1] == [0, 1, 2]
    frames, idx = read_video_frames(path, strategy="all")
    assert idx == list(range(20)) and len(frames) == 20
    assert read_video_frames(path, 50)[1] == list(range(20))
    assert video_frame_count(path) == 20
    assert round(read_video_frame(path, 7).mean() / 10) == 7


def test_video_errors(tmp_path):
    with pytest.raises(ImageDecodeError, match="no such file"):
        read_video_frames(tmp_path / "missing.mp4")
    (tmp_path / "text.mp4").write_text("not a video at all")
    with pytest.raises(ImageDecodeError, match="text.mp4"):
        read_video_frames(tmp_path / "text.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(ImageDecodeError, match="empty"):
        read_video_frames(tmp_path / "empty.mp4")
    path = write_video(tmp_path / "v.mp4", n=4)
    with pytest.raises(ImageDecodeError, match="too many pixels"):
        read_video_frames(path, max_pixels=100)
    with pytest.raises(ImageDecodeError, match="frame 9"):
        read_video_frame(path, 9)
    with pytest.raises(ValueError, match="strategy"):
        read_video_frames(path, strategy="random")
    with pytest.raises(ValueError, match="n_frames"):
        read_video_frames(path, 0)
