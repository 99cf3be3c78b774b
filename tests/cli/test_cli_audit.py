"""facetruth audit: the AUC, the warning and the most telling properties, as text or JSON; exit 0."""

import json
import os

import numpy as np
from PIL import Image

from facetruth.cli import main


def _quality_shortcut(folder):
    """Reals saved at JPEG quality 95, fakes at 60: the file alone tells them apart."""
    rng = np.random.default_rng(0)
    for cls, quality in (("real", 95), ("fake", 60)):
        os.makedirs(folder / cls)
        for i in range(10):
            pixels = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / cls / f"{i}.jpg", quality=quality)
    return folder


def test_json_output_has_the_auc_the_warning_and_the_ranking(tmp_path, capsys):
    data = _quality_shortcut(tmp_path / "q")
    assert main(["audit", str(data), "--json", "--face", "off", "--folds", "3"]) == 0
    audit = json.loads(capsys.readouterr().out)
    assert audit["nuisance_auc"] == 1.0 and audit["warning"] is True
    assert audit["ranking"][0]["name"] in ("jpeg_quality", "file_bytes", "bytes_per_pixel")
    assert {"name", "auc", "importance"} <= set(audit["ranking"][0]) and audit["counts"] == {
        "real": 10,
        "fake": 10,
    }


def test_plain_output_says_the_auc_the_advice_and_the_top_features(tmp_path, capsys):
    data = _quality_shortcut(tmp_path / "q")
    assert main(["audit", "--data", str(data), "--face", "off", "--folds", "3"]) == 0
    out = capsys.readouterr().out
    assert (
        out.startswith("nuisance AUC: 1.000")
        and "WARNING: Nuisance properties alone tell fake from real" in out
    )
    assert "most telling properties" in out and "jpeg_quality" in out


def test_no_shortcut_also_exits_zero_and_sets_are_sources(three_sources, capsys):
    args = ["audit", str(three_sources[0]), "--data", *map(str, three_sources[1:]), "--folds", "3"]
    assert main([*args, "--face", "haar", "--image-size", "48"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("nuisance AUC: ") and "per source:" in out
    for name in "abc":
        assert f"  {name}: AUC" in out


def test_no_data_is_an_error(capsys):
    assert main(["audit"]) == 2
    assert "no data set given" in capsys.readouterr().err
