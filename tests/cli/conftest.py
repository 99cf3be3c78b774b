"""A model trained once by ``facetruth train`` for the commands that load one."""

import pytest

from facetruth.cli import main


@pytest.fixture(scope="session")
def trained(tiny_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "model.joblib"
    code = main(
        ["train", "--data", str(tiny_set), "--features", "fft,dct", "--face", "off", "--out", str(out)]
    )
    assert code == 0
    return out


@pytest.fixture(scope="session")
def three_sources(tiny_set, tmp_path_factory):
    """Three data-set folders ``a``, ``b``, ``c``, each 8 real and 8 fake images of ``tiny_set``."""
    root = tmp_path_factory.mktemp("sources")
    for cls in ("real", "fake"):
        files = sorted((tiny_set / cls).iterdir())
        for k, name in enumerate("abc"):
            (root / name / cls).mkdir(parents=True, exist_ok=True)
            for path in files[8 * k : 8 * (k + 1)]:
                (root / name / cls / path.name).symlink_to(path)
    return [root / name for name in "abc"]
