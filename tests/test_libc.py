"""The glibc allocator tuning: applied only by programs, never by the library."""

import os

import numpy as np
import pytest

from facetruth import _libc
from facetruth.features import DCTFeatures, FFTFeatures, LBPFeatures, NoiseFeatures

_VARIABLES = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")
glibc_only = pytest.mark.skipif(_libc.glibc() is None, reason="glibc is not the C library")


@pytest.fixture
def untuned(monkeypatch):
    monkeypatch.setattr(_libc, "_tuned", None)
    for variable in _VARIABLES:
        monkeypatch.delenv(variable, raising=False)


def test_computing_features_leaves_the_allocator_alone(untuned):
    images = np.random.default_rng(0).integers(0, 256, (3, 24, 24, 3), dtype=np.uint8)
    for est in (FFTFeatures(n_bins=8), DCTFeatures(), NoiseFeatures(), LBPFeatures(scales=[(8, 1)])):
        est.fit_transform(images)
    assert _libc._tuned is None
    assert not any(variable in os.environ for variable in _VARIABLES)


@glibc_only
def test_tuning_reaches_worker_processes_through_the_environment(untuned):
    tuned = _libc.tune_allocator()
    assert isinstance(tuned, bool)
    assert os.environ["MALLOC_MMAP_THRESHOLD_"] == str(32 << 20)
    assert os.environ["MALLOC_TRIM_THRESHOLD_"] == str(128 << 20)
    assert _libc.tune_allocator() is tuned


@glibc_only
def test_an_explicit_environment_setting_is_kept(untuned, monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    _libc.tune_allocator()
    assert os.environ["MALLOC_MMAP_THRESHOLD_"] == "65536"


def test_without_children_the_environment_is_untouched(untuned):
    _libc.tune_allocator(children=False)
    assert not any(variable in os.environ for variable in _VARIABLES)
