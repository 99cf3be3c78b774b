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
