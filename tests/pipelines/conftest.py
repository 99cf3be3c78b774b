import numpy as np
import pytest
from PIL import Image


def _make_pair(rng, size=48):
    """A smooth 'real' image and a 'fake' with nearest-neighbour up-sampling artefacts."""
    base = rng.normal(128, 40, (size // 4, size // 4, 3))
    real = np.asarray(
        Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).resize((size, size), Image.BICUBIC)
    )
    small = rng.integers(0, 256, (size // 2, size // 2, 3), dtype=np.uint8)
    fake = small.repeat(2, axis=0).repeat(2, axis=1)
    return real, fake


@pytest.fixture(scope="session")
def tiny_set(tmp_path_factory):
    """A small real/fake folder tree with an obvious spectral difference (not a realistic set)."""
    root = tmp_path_factory.mktemp("tiny_set")
    rng = np.random.default_rng(0)
    for cls in ("real", "fake"):
        (root / cls).mkdir()
    for i in range(24):
        real, fake = _make_pair(rng)
        Image.fromarray(real).save(root / "real" / f"r{i:02d}.png")
        Image.fromarray(fake).save(root / "fake" / f"f{i:02d}.png")
    return root
