import json

from facetruth.cli import main


def test_experiment_records_its_classifier(tiny_set, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["experiment", "--data", str(tiny_set), "--sets", "fft", "--folds", "3", "--face", "off"]
    assert main([*args, "--classifier", "logistic_cv", "--image-size", "48", "--out", str(out)]) == 0
    meta = json.loads((out / "results.json").read_text())["meta"]
    assert meta["classifier"].startswith("logistic regression (C by inner 3-fold AUC)")
    assert "logistic regression" in (out / "report.md").read_text()
