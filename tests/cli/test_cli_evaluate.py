import json

import numpy as np

from facetruth.cli import main


def test_evaluate_json(trained, tiny_set, capsys):
    assert main(["evaluate", str(trained), "--data", str(tiny_set), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    keys = {
        "n",
        "auc",
        "ap",
        "accuracy",
        "balanced_accuracy",
        "precision",
        "recall",
        "f1",
        "eer",
        "threshold",
    }
    assert keys <= set(m) and m["n"] == 48 and m["auc"] > 0.9
    assert np.array(m["confusion"]).sum() == 48
    assert 0 <= m["coverage"] <= 1 and sum(m["inconclusive"].values()) == round(48 * (1 - m["coverage"]))


def test_evaluate_band_zero_gives_every_item_a_verdict(trained, tiny_set, capsys):
    assert main(["evaluate", str(trained), "--data", str(tiny_set), "--band", "0"]) == 0
    out = capsys.readouterr().out
    assert "coverage: 1.0000" in out and "covered_accuracy" in out
    assert main(["evaluate", str(trained), "--data", str(tiny_set), "--band", "1", "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["coverage"] == 0 and m["covered_accuracy"] is None and m["inconclusive"] == {"uncertain": 48}
    assert m["n"] == 48 and m["auc"] > 0.9  # the usual metrics stay on every scored item
