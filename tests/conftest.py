"""Shared fixtures: the real data sets beside the repository, and tiny synthetic images."""

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("FACETRUTH_SHARED_DATA", REPO.parent / "shared" / "data"))


def shared_set(name):
    """Path of ``../shared/data/<name>``; skips the test when it is absent."""
    path = SHARED_DATA / name
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the shared data set at {path}")
        pytest.skip(f"shared data set {name!r} not found at {path}")
    return path


@pytest.fixture
def hardfake_dir():
    return shared_set("hardfake")


@pytest.fixture
def ciplab_dir():
    return shared_set("ciplab")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def noise_image(rng):
    """A 64x64 RGB uint8 image of uniform noise."""
    return rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
