"""The probe images of the feature fingerprint: fixed pixels on every machine."""

import numpy as np
import pytest

from facetruth.data import probe_digest, probe_images
from facetruth.data._probes import PROBES

#: sha256 of the probe images' pixels: a changed photograph or pattern moves every saved fingerprint
PROBE_DIGEST = "f0ecd1f3c5b2ad4cf714be1a64e8aa6d41a5a53112fdbe0828a1061868800376"


def test_probes_are_fixed_and_read_only():
    images = probe_images()
    assert len(images) == len(PROBES) == 4
    assert all(image.shape == (256, 256, 3) and image.dtype == np.uint8 for image in images)
    assert probe_digest() == PROBE_DIGEST  # a changed photo or pattern moves every fingerprint
    with pytest.raises(ValueError):
        images[0][0, 0] = 0
    assert len({image.tobytes() for image in images}) == 4


def test_the_photographs_are_those_of_scikit_image():
    from skimage import data as skdata

    from facetruth.data._probes import _photo

    for name in ("astronaut", "chelsea", "coffee"):
        assert np.array_equal(_photo(name), getattr(skdata, name)())


def test_the_probes_match_whichever_way_the_photographs_are_read(monkeypatch):
    from facetruth.data import _probes

    monkeypatch.setattr(
        _probes.importlib.util, "find_spec", lambda name: None
    )  # no file: through scikit-image
    _probes._probes.cache_clear()
    try:
        assert probe_digest() == PROBE_DIGEST
    finally:
        _probes._probes.cache_clear()
