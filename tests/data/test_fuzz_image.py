"""Property test: arbitrary bytes and truncations never raise anything but ImageDecodeError."""

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from facetruth.data import read_image
from facetruth.exceptions import ImageDecodeError


def _encoded(fmt):
    rng = np.random.default_rng(1)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(buf, fmt)
    return buf.getvalue()


VALID = {"PNG": _encoded("PNG"), "JPEG": _encoded("JPEG")}
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _decode_or_decode_error(data):
    try:
        image = read_image(data, max_pixels=1_000_000)
    except ImageDecodeError as exc:
        assert "<bytes>" in str(exc)
        return None
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    return image


@SETTINGS
@given(st.binary(max_size=512))
def test_random_bytes(data):
    _decode_or_decode_error(data)


@pytest.mark.parametrize("fmt", sorted(VALID))
def test_valid_files_decode(fmt):
    assert _decode_or_decode_error(VALID[fmt]).shape == (16, 16, 3)


@SETTINGS
@given(fmt=st.sampled_from(sorted(VALID)), data=st.data())
def test_truncations_and_bit_flips(fmt, data):
    blob = bytearray(VALID[fmt])
    cut = data.draw(st.integers(0, len(blob)), label="cut")
    flips = data.draw(st.lists(st.integers(0, len(blob) - 1), max_size=4), label="flips")
    for i in flips:
        blob[i] ^= 0xFF
    _decode_or_decode_error(bytes(blob[:cut]))
