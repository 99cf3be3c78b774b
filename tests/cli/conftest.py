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
