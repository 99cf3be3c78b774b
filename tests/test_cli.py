import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facetruth import __version__
from facetruth.cli import main


@pytest.fixture(scope="module")
def trained(tiny_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "model.joblib"
    code = main(
        ["train", "--data", str(tiny_set), "--features", "fft,dct", "--face", "off", "--out", str(out)]
    )
    assert code == 0
    return out


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and __version__ in capsys.readouterr().out


@pytest.mark.parametrize("command", ["train", "predict", "evaluate", "finetune", "demo"])
def test_every_command_has_help_with_examples(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "examples:" in capsys.readouterr().out


def test_train_writes_model_and_card(trained):
    card = json.loads(trained.with_name(trained.name + ".json").read_text())
    assert card["features"] == ["fft", "dct"] and card["training_data"]["counts"] == {"real": 24, "fake": 24}


def test_predict_json_lines_with_a_bad_file(trained, tiny_set, tmp_path, capsys):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 truncated jpeg")
    good = sorted((tiny_set / "fake").glob("*.png"))[:2]
    code = main(
        ["predict", str(trained), *map(str, good), str(bad), "--json", "--out", str(tmp_path / "r.csv")]
    )
    assert code == 1  # one input failed
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 3
    for row in lines:
        assert set(row) == {"path", "prob_fake", "label", "threshold", "face_box", "error"}
    assert lines[0]["label"] == "fake" and lines[0]["error"] is None and 0 <= lines[0]["prob_fake"] <= 1
    assert lines[2]["error"] and "bad.jpg" in lines[2]["error"] and lines[2]["prob_fake"] is None
    rows = list(csv.DictReader(open(tmp_path / "r.csv")))
    assert len(rows) == 3 and rows[2]["error"]


def test_predict_folder_and_video(trained, tiny_set, tmp_path, capsys):
    import cv2

    video = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 5, (48, 48))
    frame = np.asarray(Image.open(sorted((tiny_set / "real").glob("*.png"))[0]))
    for _ in range(6):
        writer.write(frame[:, :, ::-1])
    writer.release()
    code = main(["predict", str(trained), str(tiny_set / "real"), str(video), "--json", "--n-frames", "3"])
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    frames = [r for r in rows if "#frame=" in r["path"]]
    summary = [r for r in rows if r["path"] == str(video)]
    assert len(frames) == 3 and len(summary) == 1 and summary[0]["frames"] == 3
    assert summary[0]["prob_fake"] == pytest.approx(np.mean([r["prob_fake"] for r in frames]))
    assert len(rows) == 24 + 3 + 1


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


def test_errors_are_one_line(tmp_path, capsys, trained):
    assert main(["evaluate", str(trained), "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("facetruth evaluate: error:")
    assert main(["predict", str(tmp_path / "missing.joblib"), "x.jpg"]) == 2
    assert "not found" in capsys.readouterr().err


def test_tampered_model_is_refused(trained, tmp_path, capsys):
    copy = tmp_path / "m.joblib"
    shutil.copy(trained, copy)
    shutil.copy(trained.with_name(trained.name + ".json"), tmp_path / "m.joblib.json")
    raw = bytearray(copy.read_bytes())
    raw[100] ^= 0xFF
    copy.write_bytes(bytes(raw))
    assert main(["predict", str(copy), "x.jpg"]) == 2
    assert "sha256" in capsys.readouterr().err


def test_train_holdout_reports_test_metrics(tiny_set, tmp_path, capsys):
    out = tmp_path / "h.joblib"
    args = ["train", "--data", str(tiny_set), "--features", "fft", "--face", "off", "--holdout", "0.25"]
    assert main([*args, "--out", str(out)]) == 0
    card = json.loads(out.with_name(out.name + ".json").read_text())
    assert card["holdout_metrics"]["n"] == 12  # one of four stratified folds of 48 images
    assert card["training_data"]["counts"] == {"real": 18, "fake": 18}
    assert card["holdout_metrics"]["auc"] > 0.9
    assert "held-out test (12 images)" in capsys.readouterr().out
    summary = card["training_summary"]
    assert len(summary["mean_log_spectrum"]["real"]) == len(summary["mean_log_spectrum"]["fake"])


def test_demo_writes_model_and_report(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--n", "24", "--features", "fft"]) == 0
    printed = capsys.readouterr().out
    assert "facetruth serve" in printed and "not evidence of accuracy" in printed
    assert (out / "model.joblib").is_file() and (out / "model.joblib.json").is_file()
    html = (out / "experiment" / "report.html").read_text()
    assert "<img" in html and "data:image/png;base64," in html
    results = json.loads((out / "demo_results.json").read_text())
    assert results["test"]["n"] >= 16


def test_finetune_writes_a_loadable_backbone(tiny_set, tmp_path, capsys):
    torch = pytest.importorskip("torch")
    out = tmp_path / "backbone.pt"
    args = ["finetune", "--data", str(tiny_set), "--out", str(out), "--epochs", "1", "--max-items", "16"]
    assert main([*args, "--face", "off", "--batch-size", "8"]) == 0
    assert "best validation AUC" in capsys.readouterr().out
    state = torch.load(out, weights_only=True)
    assert "conv_stem.weight" in state and not any(k.startswith("classifier") for k in state)
    assert json.loads(out.with_suffix(".json").read_text())["epochs_run"] == 1


def test_backbone_needs_and_reaches_every_cnn_family(tiny_set, tmp_path, capsys):
    from facetruth._commands import _pipeline_params
    from facetruth.cli import build_parser

    base = ["train", "--data", str(tiny_set), "--out", str(tmp_path / "m.joblib"), "--backbone", "b.pt"]
    assert main([*base, "--features", "handcrafted"]) == 2
    assert "--backbone needs a CNN family (cnn, parts, cnnstats)" in capsys.readouterr().err
    params = _pipeline_params(build_parser().parse_args([*base, "--features", "fft,cnn,parts,cnnstats"]))
    assert (
        params["cnn__weights"]
        == params["parts__weights"]
        == params["cnnstats__weights"]
        == str(Path("b.pt").resolve())
    )


def test_experiment_records_its_classifier(tiny_set, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["experiment", "--data", str(tiny_set), "--sets", "fft", "--folds", "3", "--face", "off"]
    assert main([*args, "--classifier", "logistic_cv", "--image-size", "48", "--out", str(out)]) == 0
    meta = json.loads((out / "results.json").read_text())["meta"]
    assert meta["classifier"].startswith("logistic regression (C by inner 3-fold AUC)")
    assert "logistic regression" in (out / "report.md").read_text()
