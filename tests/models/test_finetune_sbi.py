"""Fine-tuning with self-blended pseudo-fakes: real-only data, validation choice, per-epoch redraws, CLI."""

import json

import numpy as np
import pytest
from PIL import Image

import facetruth.data._sbi as sbi
from facetruth.cli import main
from facetruth.models._finetune import finetune
from facetruth.models._finetune_sbi import VALIDATION_REAL, VALIDATION_SBI, PseudoFakes, validation_set

TINY = {"epochs": 1, "batch_size": 4, "image_size": 48, "progress": False}


def _reals(n, size=40, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (size, size, 3), dtype=np.uint8) for _ in range(n)]


def test_real_only_training_validates_on_blends(tmp_path):
    out = tmp_path / "t.pt"
    result = finetune(
        _reals(10), np.zeros(10, int), out=out, pseudo_fakes="sbi:0.5", pseudo_fakes_mask="region", **TINY
    )
    meta = json.loads(result.metadata_path.read_text())
    assert meta["pseudo_fakes"]["mask"] == "region"
    assert meta["validation"] == VALIDATION_SBI
    assert meta["counts"] == {"train": {"real": 8, "fake": 0}, "val": {"real": 2, "fake": 2}}
    assert meta["pseudo_fakes"]["ratio"] == 0.5 and meta["pseudo_fakes"]["per_epoch"] == 4
    assert meta["pseudo_fakes"]["real_train_images"] == 8 and meta["params"]["pseudo_fakes"] == "sbi:0.5"
    assert result.epochs_run >= 1 and 0 <= result.best_val_auc <= 1
    assert result.backbone_path.is_file() and result.head_path.is_file()


def test_real_fakes_are_kept_and_used_for_validation(tmp_path):
    images = _reals(6) + [img // 2 for img in _reals(6, seed=1)]
    labels = np.array([0] * 6 + [1] * 6)
    result = finetune(images, labels, out=tmp_path / "t.pt", pseudo_fakes="sbi", val_fraction=0.3, **TINY)
    meta = json.loads(result.metadata_path.read_text())
    assert meta["validation"] == VALIDATION_REAL
    assert meta["counts"]["train"] == {"real": 4, "fake": 4} and meta["counts"]["val"] == {
        "real": 2,
        "fake": 2,
    }
    assert meta["pseudo_fakes"]["per_epoch"] == 4  # one per real training image


@pytest.mark.parametrize(
    ("labels", "spec", "match"),
    [
        ([0] * 8, None, "at least 2 real and 2 fake"),
        ([0] * 7 + [1], "sbi", "at least 2"),
        ([1] * 7 + [0], "sbi", "at least 2 real"),
        ([0] * 8, "sbi:9", "ratio"),
        ([0] * 8, "mix", "unknown pseudo-fake kind"),
    ],
)
def test_invalid_arguments(tmp_path, labels, spec, match):
    with pytest.raises(ValueError, match=match):
        finetune(_reals(8), labels, out=tmp_path / "t.pt", pseudo_fakes=spec, **TINY)
    assert not (tmp_path / "t.pt").exists()


def test_invalid_mask(tmp_path):
    with pytest.raises(ValueError, match="pseudo_fakes_mask"):
        finetune(
            _reals(8), [0] * 8, out=tmp_path / "t.pt", pseudo_fakes="sbi", pseudo_fakes_mask="oval", **TINY
        )


def test_landmarks_once_and_fresh_blends_each_epoch(monkeypatch):
    calls = []
    monkeypatch.setattr(sbi, "face_landmarks", lambda img: calls.append(1))
    source = PseudoFakes(np.stack(_reals(6, size=32)), 1.0, random_state=0)
    assert len(calls) == 6 and source.n_found == 0
    first, again, second = source.draw(1), source.draw(1), source.draw(2)
    assert len(calls) == 6  # no detection during the epochs
    assert first.shape == (6, 32, 32, 3) and first.dtype == np.uint8
    assert np.array_equal(first, again) and not np.array_equal(first, second)


def test_validation_set_blends_held_out_reals_only_without_real_fakes():
    x = np.stack(_reals(4, size=32))
    images, labels, kind = validation_set(x, np.zeros(4, np.int64), random_state=0)
    assert kind == VALIDATION_SBI and images.shape == (8, 32, 32, 3)
    assert labels.tolist() == [0] * 4 + [1] * 4 and np.array_equal(images[:4], x)
    same = validation_set(x, np.array([0, 0, 1, 1]), random_state=0)
    assert same[2] == VALIDATION_REAL and same[0] is x


def test_cli_finetune_on_a_real_only_folder(tmp_path, capsys):
    real = tmp_path / "data" / "real"
    real.mkdir(parents=True)
    for i, img in enumerate(_reals(10, size=48)):
        Image.fromarray(img).save(real / f"r{i}.png")
    out = tmp_path / "b.pt"
    args = ["finetune", "--data", str(tmp_path / "data"), "--out", str(out), "--epochs", "1", "--face", "off"]
    args += [
        "--batch-size",
        "4",
        "--input-size",
        "48",
        "--pseudo-fakes",
        "sbi:0.5",
        "--pseudo-fakes-mask",
        "hull",
    ]
    assert main(args) == 0
    assert "best validation AUC" in capsys.readouterr().out
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["validation"] == VALIDATION_SBI and meta["input"]["image_size"] == 48
    assert meta["pseudo_fakes"]["mask"] == "hull"
    assert meta["counts"]["train"] == {"real": 8, "fake": 0}


def test_cli_rejects_a_bad_spec_and_one_class_without_pseudo_fakes(tmp_path, capsys):
    real = tmp_path / "data" / "real"
    real.mkdir(parents=True)
    for i, img in enumerate(_reals(4, size=24)):
        Image.fromarray(img).save(real / f"r{i}.png")
    args = ["finetune", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "b.pt"), "--face", "off"]
    assert main([*args, "--pseudo-fakes", "sbi:0"]) != 0
    assert "ratio" in capsys.readouterr().err
    assert main(args) != 0
    assert "only one class" in capsys.readouterr().err
    assert not (tmp_path / "b.pt").exists()
