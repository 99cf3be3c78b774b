"""Seed files of every supported still-image flavour, crafted headers and a mutation strategy.

Shared by the fuzz tests (``tests/data/test_fuzz_images.py``, which also pins
what the unmutated seeds decode to, and ``tests/data/test_fuzz_media.py``),
the dataset edge cases and the hostile web clients. It sits beside the root
``conftest.py``, whose folder pytest puts on ``sys.path`` for every test.
"""

import io
import struct
import zlib

import numpy as np
from hypothesis import strategies as st
from PIL import Image

RED, BLUE = (255, 0, 0), (0, 0, 255)


def _encode(img, fmt, **kwargs):
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def _rgb(size=16, seed=1):
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8))


def build_seeds():
    """``{name: (encoded bytes, expected (h, w), expected top-left pixel or None)}``."""
    rgb = _rgb()
    grey16 = Image.fromarray(np.full((12, 10), 0x1234, dtype=np.uint16))
    palette = Image.new("P", (8, 8), 1)
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    cmyk = Image.new("CMYK", (8, 8), (0, 255, 255, 0))
    frames = [Image.new("RGB", (10, 6), RED), Image.new("RGB", (10, 6), BLUE)]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    one_bit = Image.new("1", (9, 7), 1)
    return {
        "jpeg": (_encode(rgb, "JPEG", quality=90), (16, 16), None),
        "jpeg_cmyk": (_encode(cmyk, "JPEG", quality=95), (8, 8), RED),
        "png": (_encode(rgb, "PNG"), (16, 16), tuple(np.asarray(rgb)[0, 0])),
        "png_16bit": (_encode(grey16, "PNG"), (12, 10), (0x12, 0x12, 0x12)),
        "png_palette": (_encode(palette, "PNG"), (8, 8), RED),
        "png_la": (_encode(Image.new("LA", (5, 5), (0, 0)), "PNG"), (5, 5), (255, 255, 255)),
        "webp": (_encode(rgb, "WEBP", lossless=True), (16, 16), tuple(np.asarray(rgb)[0, 0])),
        "gif_animated": (gif.getvalue(), (6, 10), RED),
        "tiff": (_encode(rgb, "TIFF"), (16, 16), tuple(np.asarray(rgb)[0, 0])),
        "tiff_cmyk": (_encode(cmyk, "TIFF"), (8, 8), RED),
        "tiff_16bit": (_encode(grey16, "TIFF"), (12, 10), (0x12, 0x12, 0x12)),
        "bmp_1bit": (_encode(one_bit, "BMP"), (7, 9), (255, 255, 255)),
    }


SEEDS = build_seeds()


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(ihdr, idat):
    """A PNG file of one IHDR, one IDAT and the IEND chunk."""
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def png_header(width, height):
    """A PNG whose IHDR claims ``width x height`` RGB pixels, with one tiny IDAT (1x1 worth of data)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return _png(ihdr, zlib.compress(b"\x00\xff\x00\x00"))


def png_bomb(width, height):
    """A genuine greyscale PNG of ``width x height`` zeros: a few KiB that inflate to ``width * height`` bytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    comp, row = zlib.compressobj(9), b"\x00" * (width + 1)
    return _png(ihdr, b"".join(comp.compress(row) for _ in range(height)) + comp.flush())


def jpeg_header(width, height):
    """A small baseline JPEG whose SOF0 segment is rewritten to claim ``width x height``."""
    data = _encode(Image.new("RGB", (8, 8), RED), "JPEG")
    sof = data.index(b"\xff\xc0")
    return data[: sof + 5] + struct.pack(">HH", height, width) + data[sof + 9 :]


def gif_header(width, height):
    """A one-pixel GIF whose logical screen and image descriptor claim ``width x height``."""
    data = bytearray(_encode(Image.new("P", (1, 1)), "GIF"))
    data[6:10] = struct.pack("<HH", width, height)
    desc = data.index(b"\x2c")
    data[desc + 5 : desc + 9] = struct.pack("<HH", width, height)
    return bytes(data)


def bmp_header(width, height):
    """A 24-bit BMP header claiming ``width x height`` followed by almost no pixel data."""
    data = bytearray(_encode(Image.new("RGB", (2, 2)), "BMP"))
    data[18:26] = struct.pack("<ii", width, height)
    return bytes(data)


def tiff_header(width, height):
    """A one-pixel TIFF whose ImageWidth/ImageLength tags are patched to claim ``width x height``."""
    data = bytearray(_encode(Image.new("RGB", (1, 1)), "TIFF"))
    ifd = struct.unpack_from("<I", data, 4)[0]
    for i in range(struct.unpack_from("<H", data, ifd)[0]):
        entry = ifd + 2 + 12 * i
        tag = struct.unpack_from("<H", data, entry)[0]
        if tag in (256, 257):  # ImageWidth, ImageLength as one LONG
            struct.pack_into("<HHII", data, entry, tag, 4, 1, width if tag == 256 else height)
    return bytes(data)


HEADERS = {"png": png_header, "jpeg": jpeg_header, "gif": gif_header, "bmp": bmp_header, "tiff": tiff_header}


@st.composite
def mutated(draw, seeds=SEEDS):
    """A seed file after truncation, bit flips, random overwrites and inserted or repeated bytes."""
    blob = bytearray(seeds[draw(st.sampled_from(sorted(seeds)), label="seed")][0])
    for op in draw(st.lists(st.sampled_from(["flip", "overwrite", "insert", "repeat"]), max_size=4)):
        at = draw(st.integers(0, max(len(blob) - 1, 0)))
        if op == "flip" and blob:
            blob[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=16))
            blob[at : at + len(chunk)] = chunk
        elif op == "insert":
            blob[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "repeat":
            blob[at:at] = blob[at : at + draw(st.integers(1, 64))]
    cut = draw(st.integers(0, len(blob)))
    return bytes(blob[: cut if draw(st.booleans()) else len(blob)])
