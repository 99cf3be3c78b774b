"""Fuzzing ``read_image``: the seed corpus, mutated files of every supported flavour, hostile files on disk.

The unmutated seeds and crafted headers (``fuzz_corpus``) decode to known
pixels, so a mutation that decodes can be told apart from a decoder that
ignores its input. Whatever the input, the only exception allowed out is
ImageDecodeError, whose message names the file (or ``<bytes>``); a successful
decode is a ``(height, width, 3) uint8`` array. Each property runs a bounded
number of cases here; ``benchmarks/fuzz_long.py`` runs ten thousand and more.
"""

import json
import os
import subprocess
import sys
import tempfile

import fuzz_corpus
import numpy as np
import pytest
from fuzz_corpus import HEADERS, SEEDS, mutated
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facetruth.data import IMAGE_EXTENSIONS, read_image
from facetruth.exceptions import ImageDecodeError

# Pillow warns about the damaged files it is fed here; they are the point of the tests
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL")

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)
MAGICS = [
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF\x00\x00\x00\x00WEBP",
]


def decode_or_refuse(source, where, **kwargs):
    """Decode ``source``; an ImageDecodeError must name ``where``; anything else fails the test."""
    try:
        image = read_image(source, **kwargs)
    except ImageDecodeError as exc:
        assert str(exc).startswith(where), str(exc)
        return None
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert image.flags.c_contiguous and image.size > 0
    return image


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seeds_decode_to_known_pixels(name):
    data, shape, pixel = SEEDS[name]
    image = read_image(data)
    assert image.shape == (*shape, 3) and image.dtype == np.uint8 and image.flags.c_contiguous
    if pixel is not None:
        assert np.abs(image[0, 0].astype(int) - pixel).max() <= 3, image[0, 0]


@pytest.mark.parametrize("kind", sorted(HEADERS))
def test_one_by_one_headers_decode(kind):
    image = read_image(HEADERS[kind](1, 1))
    assert image.shape == (1, 1, 3)


@pytest.mark.parametrize("kind", sorted(HEADERS))
def test_huge_headers_are_refused_before_decoding(kind):
    data = HEADERS[kind](20000, 20000)
    assert len(data) < 2000
    for max_pixels in (64_000_000, None):
        with pytest.raises(ImageDecodeError, match=r"^<bytes>: too many pixels"):
            read_image(data, max_pixels=max_pixels)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=512))
def test_random_bytes(data):
    decode_or_refuse(data, "<bytes>", max_pixels=1_000_000)


@FUZZ
@given(mutated())
def test_mutated_seeds_as_bytes(data):
    decode_or_refuse(data, "<bytes>", max_pixels=4_000_000)


@FUZZ
@given(st.sampled_from(MAGICS), st.binary(max_size=300))
def test_random_bytes_behind_a_valid_magic(magic, tail):
    decode_or_refuse(magic + tail, "<bytes>", max_pixels=4_000_000)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(mutated(), st.sampled_from(sorted(IMAGE_EXTENSIONS) + [".mp4", ".txt", ""]))
def test_mutated_files_with_any_extension_name_the_file(data, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"sample{suffix}")
        with open(path, "wb") as fh:
            fh.write(data)
        decode_or_refuse(path, repr(path), max_pixels=4_000_000)
        with open(path, "rb") as fh:
            decode_or_refuse(fh, repr(path), max_pixels=4_000_000)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_every_truncation_of_small_seeds_is_refused_or_decoded(name):
    data = SEEDS[name][0]
    step = max(1, len(data) // 64)
    decoded = [decode_or_refuse(data[:cut], "<bytes>") is not None for cut in range(0, len(data), step)]
    assert not decoded[0]  # zero bytes
    assert decode_or_refuse(data, "<bytes>").shape[:2] == SEEDS[name][1]


def test_right_content_wrong_extension_decodes(tmp_path):
    png = tmp_path / "photo.jpg"
    png.write_bytes(SEEDS["png"][0])
    assert read_image(png).shape == (16, 16, 3)
    text = tmp_path / "photo.png"
    text.write_text("<html><script>alert(1)</script></html>")
    with pytest.raises(ImageDecodeError, match=r"photo\.png.*not an image"):
        read_image(text)


def test_hostile_paths_name_the_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "dir.png").mkdir()
    os.symlink(tmp_path / "nowhere.png", tmp_path / "dangling.png")
    os.mkfifo(tmp_path / "pipe.png")  # reading it would block forever
    odd = os.path.join(os.fsencode(tmp_path), b"caf\xe9.png")
    with open(odd, "wb") as fh:
        fh.write(SEEDS["png"][0][:40])
    for name, reason in [
        ("empty.png", "empty"),
        ("dir.png", "directory"),
        ("dangling.png", "no such file"),
        ("pipe.png", "not a regular file"),
        ("nul\x00.png", "cannot decode"),
    ]:
        with pytest.raises(ImageDecodeError, match=reason) as info:
            read_image(tmp_path / name)
        assert str(info.value).startswith(repr(str(tmp_path / name)))
    with pytest.raises(ImageDecodeError, match="not an image") as info:
        read_image(os.fsdecode(odd))  # bytes are image content; a bytes name goes through fsdecode
    assert "caf\\udce9.png" in str(info.value)


def test_unsupported_formats_are_refused_unread():
    """EPS would hand the file to Ghostscript; PPM, ICO and TGA are not formats FaceTruth reads."""
    import io

    from PIL import Image

    for fmt in ("PPM", "ICO", "TGA", "PCX"):
        buf = io.BytesIO()
        Image.new("RGB", (4, 4)).save(buf, fmt)
        with pytest.raises(ImageDecodeError, match="not an image of a supported format"):
            read_image(buf.getvalue())
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n(x) print\n"
    with pytest.raises(ImageDecodeError, match="not an image of a supported format"):
        read_image(eps)


_PEAK_SCRIPT = """
import json, resource, sys
from fuzz_corpus import HEADERS, png_bomb
from facetruth.data import read_image
from facetruth.exceptions import ImageDecodeError
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
refused = []
for kind, make in sorted(HEADERS.items()):
    for max_pixels in (64_000_000, None):
        try:
            read_image(make(20000, 20000), max_pixels=max_pixels)
        except ImageDecodeError as exc:
            refused.append(str(exc).startswith("<bytes>: too many pixels"))
try:
    read_image(png_bomb(8000, 8000), max_pixels=4_000_000)
except ImageDecodeError as exc:
    refused.append("too many pixels" in str(exc))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"refused": refused, "growth_kib": after - before}))
"""


def test_bombs_are_refused_in_bounded_memory():
    """Headers claiming 20000x20000 and a zlib bomb: refused with < 64 MiB of peak growth (fresh process)."""
    env = {**os.environ, "PYTHONPATH": os.path.dirname(fuzz_corpus.__file__)}
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["refused"] == [True] * (2 * len(HEADERS) + 1)
    assert result["growth_kib"] < 64 * 1024, result
