import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from facetruth.cli import main
from facetruth.cli._shared import pipeline_params
from facetruth.cli.main import build_parser
from facetruth.pipelines import build_pipeline


def test_train_writes_model_and_card(trained):
    card = json.loads(trained.with_name(trained.name + ".json").read_text())
    assert card["features"] == ["fft", "dct"] and card["training_data"]["counts"] == {"real": 24, "fake": 24}


def test_train_records_the_cutoffs_and_their_confidence(trained, tiny_set, tmp_path, capsys):
    import joblib

    card = json.loads(trained.with_name(trained.name + ".json").read_text())
    detector = joblib.load(trained)[-1]
    assert card["confidence"] == 0.95 and "band" not in card
    assert card["real_cutoff"] == detector.real_cutoff_ <= card["threshold"] < card["fake_cutoff"]
    out = tmp_path / "c.joblib"
    args = ["train", "--data", str(tiny_set), "--features", "fft", "--face", "off", "--image-size", "32"]
    assert main([*args, "--confidence", "0.8", "--out", str(out)]) == 0
    card = json.loads(out.with_name(out.name + ".json").read_text())
    assert card["confidence"] == 0.8 and joblib.load(out)[-1].confidence == 0.8
    assert f"fake at or above {card['fake_cutoff']:.4f}" in capsys.readouterr().out
    assert main([*args, "--confidence", "0", "--out", str(out)]) == 0  # the threshold alone decides
    card = json.loads(out.with_name(out.name + ".json").read_text())
    assert card["confidence"] == 0 and card["fake_cutoff"] is None and card["real_cutoff"] is None
    for bad in ("1", "-0.1", "high"):
        with pytest.raises(SystemExit):
            main([*args, "--confidence", bad, "--out", str(out)])
        assert "--confidence" in capsys.readouterr().err


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


def test_backbone_needs_and_reaches_every_cnn_family(tiny_set, tmp_path, capsys):
    base = ["train", "--data", str(tiny_set), "--out", str(tmp_path / "m.joblib"), "--backbone", "b.pt"]
    assert main([*base, "--features", "handcrafted"]) == 2
    assert "backbone needs a CNN family (cnn, parts, cnnstats)" in capsys.readouterr().err
    args = build_parser().parse_args([*base, "--features", "fft,cnn,parts,cnnstats,clip"])
    union = build_pipeline(args.features, **pipeline_params(args)).named_steps["features"]
    weights = {name: getattr(t, "weights", None) for name, t in union.transformer_list}
    expected = str(Path("b.pt").resolve())
    assert weights == {"fft": None, "cnn": expected, "parts": expected, "cnnstats": expected, "clip": None}


def test_a_model_trained_on_random_labels_is_refused_and_nothing_is_saved(tmp_path, capsys):
    from facetruth.data import make_demo_dataset

    data = make_demo_dataset(n=120, size=32, random_state=3)
    rng = np.random.default_rng(0)
    labels = rng.permutation(np.repeat([0, 1], 60))
    rows = ["path,label"]
    for i, image in enumerate(data.images):
        cv2.imwrite(str(tmp_path / f"{i}.png"), image[:, :, ::-1])
        rows.append(f"{i}.png,{labels[i]}")
    (tmp_path / "random.csv").write_text("\n".join(rows) + "\n")
    args = ["train", "--data", str(tmp_path / "random.csv"), "--features", "fft", "--face", "off"]
    args += ["--classifier", "logistic", "--image-size", "32", "--out", str(tmp_path / "m.joblib")]
    assert main(args) == 2
    assert "too weak to use" in capsys.readouterr().err
    assert not (tmp_path / "m.joblib").exists() and not (tmp_path / "m.joblib.json").exists()
    assert main([*args, "--allow-weak"]) == 0
    assert (tmp_path / "m.joblib").exists()


def test_clip_blocks_reach_the_clip_family(tiny_set, tmp_path, capsys):
    base = ["train", "--data", str(tiny_set), "--out", str(tmp_path / "m.joblib")]
    args = build_parser().parse_args([*base, "--features", "fft,clip", "--clip-blocks", "8,3"])
    union = build_pipeline(args.features, **pipeline_params(args)).named_steps["features"]
    assert dict(union.transformer_list)["clip"].blocks == (3, 8)
    every = build_parser().parse_args([*base, "--features", "clip", "--clip-blocks", "all"])
    assert every.clip_blocks == tuple(range(12))
    assert main([*base, "--features", "handcrafted", "--clip-blocks", "all"]) == 2
    assert "--clip-blocks needs the clip family" in capsys.readouterr().err
    assert not (tmp_path / "m.joblib").exists()
    for bad in ("12", "x", ","):
        try:
            build_parser().parse_args([*base, "--clip-blocks", bad])
        except SystemExit as exc:
            assert exc.code == 2
        else:
            raise AssertionError(f"--clip-blocks {bad} was accepted")
    assert "block" in capsys.readouterr().err


def test_clip_flip_reaches_the_clip_family(tiny_set, tmp_path, capsys):
    base = ["train", "--data", str(tiny_set), "--out", str(tmp_path / "m.joblib")]
    args = build_parser().parse_args([*base, "--features", "fft,clip", "--clip-flip"])
    union = build_pipeline(args.features, **pipeline_params(args)).named_steps["features"]
    assert dict(union.transformer_list)["clip"].flip is True
    plain = build_parser().parse_args([*base, "--features", "clip"])
    union = build_pipeline(plain.features, **pipeline_params(plain)).named_steps["features"]
    assert dict(union.transformer_list)["clip"].flip is False
    assert main([*base, "--features", "handcrafted", "--clip-flip", "--clip-blocks", "4"]) == 2
    assert "--clip-blocks and --clip-flip need the clip family" in capsys.readouterr().err
    assert not (tmp_path / "m.joblib").exists()


def test_experiment_refuses_a_clip_option_without_clip_before_reading_data(tmp_path, capsys):
    missing = tmp_path / "no-such-data"
    args = [
        "experiment",
        "--data",
        str(missing),
        "--sets",
        "fft,lbp",
        "--clip-flip",
        "--out",
        str(tmp_path / "run"),
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--clip-flip needs the clip family" in err and "no-such-data" not in err
