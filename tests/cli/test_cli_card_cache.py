"""The model card records what shapes the input; a loaded model uses the caller's cache, never its own."""

import json

import pytest

from facetruth.cli import main
from facetruth.models import load


def card_of(path):
    return json.loads(path.with_name(path.name + ".json").read_text())


def test_card_records_the_loader_and_feature_settings(trained):
    card = card_of(trained)
    loader = {"face": "off", "image_size": 256, "margin": 0.3, "align": False, "native": False}
    assert card["loader"] == {**loader, "pad": "black"}
    assert set(card["feature_params"]) == {"fft", "dct"}
    assert card["feature_params"]["fft"]["n_bins"] == 64
    assert not any("cache" in params for params in card["feature_params"].values())


def test_card_records_align_and_native(tiny_set, tmp_path):
    out = tmp_path / "m.joblib"
    args = ["train", "--data", str(tiny_set), "--features", "fft", "--face", "off", "--image-size", "48"]
    assert main([*args, "--align", "eyes", "--native", "--allow-weak", "--out", str(out)]) == 0
    assert card_of(out)["loader"]["align"] == "eyes" and card_of(out)["loader"]["native"] is True


@pytest.fixture(scope="module")
def cached_model(tiny_set, tmp_path_factory):
    """A model trained with ``--cache``; that folder is then removed."""
    root = tmp_path_factory.mktemp("cached")
    out, cache = root / "m.joblib", root / "train-cache"
    args = ["train", "--data", str(tiny_set), "--features", "fft", "--face", "off", "--image-size", "48"]
    assert main([*args, "--cache", str(cache), "--out", str(out)]) == 0
    assert cache.is_dir()
    assert {v for k, v in load(out).get_params().items() if k.endswith("cache")} != {None}
    import shutil

    shutil.rmtree(cache)
    return out, cache


def _files(folder):
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_stored_cache_is_never_used(command, cached_model, tiny_set, tmp_path, monkeypatch, capsys):
    out, stored = cached_model
    monkeypatch.delenv("FACETRUTH_CACHE", raising=False)
    inputs = ["--data", str(tiny_set)] if command == "evaluate" else [str(tiny_set / "real")]
    assert main([command, str(out), *inputs]) == 0
    assert not stored.exists()  # no --cache: no cache at all
    mine = tmp_path / "mine"
    assert main([command, str(out), *inputs, "--cache", str(mine)]) == 0
    assert _files(mine) and not stored.exists()
    env = tmp_path / "env"
    monkeypatch.setenv("FACETRUTH_CACHE", str(env))
    assert main([command, str(out), *inputs]) == 0
    assert _files(env) and not stored.exists()
    capsys.readouterr()


def test_evaluate_prints_a_labelled_confusion_matrix(trained, tiny_set, capsys):
    assert main(["evaluate", str(trained), "--data", str(tiny_set), "--band", "0"]) == 0
    out = capsys.readouterr().out
    assert "confusion matrix (rows: true class, columns: predicted class):" in out
    assert "predicted real  predicted fake" in out
    assert "true real" in out and "true fake" in out and "[[" not in out
    rows = [line.split() for line in out.splitlines() if line.strip().startswith("true ")]
    assert sum(int(n) for row in rows for n in row[2:]) == 48


def test_one_class_training_says_what_to_do(tiny_set, tmp_path, capsys):
    (tmp_path / "reals").mkdir(), (tmp_path / "fakes").mkdir()
    (tmp_path / "reals" / "real").symlink_to(tiny_set / "real")
    (tmp_path / "fakes" / "fake").symlink_to(tiny_set / "fake")
    out = tmp_path / "m.joblib"
    assert main(["train", "--data", str(tmp_path / "reals"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "only one class found (24 real, 0 fake)" in err and "pass --pseudo-fakes sbi" in err
    assert main(["train", "--data", str(tmp_path / "fakes"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "only one class found (0 real, 24 fake)" in err and "both real and fake images are needed" in err
    assert "pass --pseudo-fakes" not in err
    args = ["--data", str(tmp_path / "fakes"), "--pseudo-fakes", "sbi", "--out", str(out)]
    assert main(["train", *args]) == 2
    assert "makes its fakes from real images" in capsys.readouterr().err
    assert main(["finetune", "--data", str(tmp_path / "reals"), "--out", str(tmp_path / "b.pt")]) == 2
    assert "pass --pseudo-fakes sbi" in capsys.readouterr().err
    assert not out.exists()
