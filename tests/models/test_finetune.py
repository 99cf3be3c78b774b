"""Fine-tuning EfficientNet-Lite0 end to end on a tiny subset of a real data set (CPU)."""

import importlib.util
import json

import numpy as np
import pytest
import torch

import facetruth.data
from facetruth.data import jpeg_compress
from facetruth.features._backbone import load_backbone
from facetruth.features._cnn import CNNEmbedding
from facetruth.models._finetune import artefact_paths, finetune
from facetruth.models._finetune_data import augment_image, colour_jitter, iterate_batches

TINY = {"epochs": 1, "batch_size": 4, "image_size": 64, "progress": False}


@pytest.fixture
def reader(monkeypatch):
    """Use facetruth.data.read_image; a Pillow reader stands in while that module is absent."""
    if importlib.util.find_spec("facetruth.data._image") is None:
        from PIL import Image

        def read_image(path, **kwargs):
            with Image.open(path) as img:
                return np.asarray(img.convert("RGB"))

        monkeypatch.setattr(facetruth.data, "read_image", read_image, raising=False)


@pytest.fixture
def tiny_set(hardfake_dir, reader):
    """8 real and 8 fake images of the hardfake set (paths), labels 1 = fake."""
    real = sorted((hardfake_dir / "real").glob("*.jpg"))[:8]
    fake = sorted((hardfake_dir / "fake").glob("*.jpg"))[:8]
    assert len(real) == len(fake) == 8
    return [str(p) for p in real + fake], np.array([0] * 8 + [1] * 8)


@pytest.mark.shared_data
def test_finetune_end_to_end(tmp_path, tiny_set, capsys):
    paths, labels = tiny_set
    out = tmp_path / "tuned.pt"
    result = finetune(paths, labels, out=out, **{**TINY, "progress": True})
    assert "epoch 1/1" in capsys.readouterr().err  # the tqdm bar goes to stderr

    assert result.backbone_path == out and result.epochs_run == 1 and result.best_epoch == 1
    assert 0.0 <= result.best_val_auc <= 1.0
    assert artefact_paths(out) == (out, tmp_path / "tuned.head.pt", tmp_path / "tuned.json")
    state = torch.load(out, weights_only=True)
    assert not any(k.startswith("classifier") for k in state)
    head = torch.load(result.head_path, weights_only=True)
    assert head["weight"].shape == (1, 1280) and head["bias"].shape == (1,)

    meta = json.loads(result.metadata_path.read_text())
    assert meta["counts"] == {"train": {"real": 6, "fake": 6}, "val": {"real": 2, "fake": 2}}
    assert meta["random_state"] == 0 and meta["epochs_run"] == 1 and len(meta["history"]) == 1
    assert meta["best_val_auc"] == result.best_val_auc
    assert set(meta["versions"]) >= {"facetruth", "torch", "timm"}
    assert not list(tmp_path.glob("*.tmp"))

    # the saved backbone loads strictly and differs from the ImageNet one
    tuned, imagenet = load_backbone(out), load_backbone("imagenet")
    assert not torch.equal(tuned.conv_stem.weight, imagenet.conv_stem.weight)
    images = [facetruth.data.read_image(p) for p in paths[:2]]
    emb_tuned = CNNEmbedding(weights=out, device="cpu").fit(images).transform(images)
    emb_imagenet = CNNEmbedding(device="cpu").fit(images).transform(images)
    assert emb_tuned.shape == (2, 1280)
    assert not np.allclose(emb_tuned, emb_imagenet)


def _blobs(n_per_class, size=40, seed=0):
    """Synthetic faces: real ones darker than fake ones."""
    rng = np.random.default_rng(seed)
    real = [rng.integers(0, 120, (size, size, 3), dtype=np.uint8) for _ in range(n_per_class)]
    fake = [rng.integers(120, 256, (size, size, 3), dtype=np.uint8) for _ in range(n_per_class)]
    return real + fake, np.array([0] * n_per_class + [1] * n_per_class)


def test_finetune_is_reproducible(tmp_path):
    images, labels = _blobs(6)
    first = finetune(images, labels, out=tmp_path / "a.pt", **TINY)
    second = finetune(images, labels, out=tmp_path / "b.pt", **TINY)
    assert first.history[0]["train_loss"] == second.history[0]["train_loss"]
    a, b = torch.load(first.backbone_path), torch.load(second.backbone_path)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_early_stopping_on_validation_auc(tmp_path, monkeypatch):
    import sklearn.metrics

    monkeypatch.setattr(sklearn.metrics, "roc_auc_score", lambda y, s: 0.5)  # never improves
    images, labels = _blobs(4)
    result = finetune(images, labels, out=tmp_path / "t.pt", **{**TINY, "epochs": 5}, patience=2)
    assert result.epochs_run == 3 and result.best_epoch == 1


def test_max_items_takes_a_stratified_subset(tmp_path):
    images, labels = _blobs(10)
    result = finetune(images, labels, out=tmp_path / "t.pt", max_items=8, val_fraction=0.5, **TINY)
    meta = json.loads(result.metadata_path.read_text())
    assert meta["counts"] == {"train": {"real": 2, "fake": 2}, "val": {"real": 2, "fake": 2}}


@pytest.mark.parametrize(
    "labels, params, match",
    [
        ([0] * 7 + [1], {}, "at least 2"),
        ([0, 1] * 3, {}, "one label per item"),
        ([0, 2] * 4, {}, "0 \\(real\\) or 1"),
        ([0, 1] * 4, {"epochs": 0}, "epochs"),
        ([0, 1] * 4, {"val_fraction": 1.5}, "val_fraction"),
        ([0, 1] * 4, {"image_size": 8}, "image_size"),
    ],
)
def test_invalid_arguments(tmp_path, labels, params, match):
    images = [np.zeros((16, 16, 3), np.uint8)] * 8
    with pytest.raises(ValueError, match=match):
        finetune(images, labels, out=tmp_path / "t.pt", **{**TINY, **params})
    assert not (tmp_path / "t.pt").exists()


def test_augmentation_keeps_shape_and_is_seeded():
    image = np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    outs = [augment_image(image, np.random.default_rng(s)) for s in (3, 3, 4)]
    assert all(o.shape == image.shape and o.dtype == np.uint8 for o in outs)
    np.testing.assert_array_equal(outs[0], outs[1])
    assert any(not np.array_equal(augment_image(image, np.random.default_rng(s)), image) for s in range(5))


def test_colour_jitter_and_jpeg():
    image = np.random.default_rng(2).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    np.testing.assert_array_equal(colour_jitter(image, (1.0, 1.0, 1.0)), image)
    assert colour_jitter(image, (1.2, 1.0, 1.0)).mean() > image.mean()
    grey = colour_jitter(image, (1.0, 1.0, 0.0))
    assert np.abs(grey[..., 0].astype(int) - grey[..., 2]).max() <= 1
    flat = np.full((32, 32, 3), (200, 100, 50), np.uint8)
    assert np.abs(jpeg_compress(flat, 90).astype(int) - flat).max() <= 3


def test_iterate_batches_drops_the_remainder():
    images = np.zeros((10, 8, 8, 3), np.uint8)
    labels = np.arange(10) % 2
    rng = np.random.default_rng(0)
    batches = list(iterate_batches(images, labels, 4, rng, augment=False, shuffle=True, drop_last=True))
    assert [len(b) for b, _ in batches] == [4, 4]
    batches = list(iterate_batches(images, labels, 4, rng, augment=False, shuffle=False, drop_last=False))
    assert [len(b) for b, _ in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([t for _, t in batches]), labels.astype(np.float32))


def test_classifier_fit_predict_pickle(tmp_path):
    import pickle

    from sklearn.base import clone

    from facetruth.models import FineTunedCNNClassifier

    images, labels = _blobs(6)
    names = np.where(labels == 1, "fake", "real")
    clf = FineTunedCNNClassifier(epochs=1, batch_size=4, image_size=64, device="cpu").fit(images, labels)
    proba = clf.predict_proba(images[:3] + images[-3:])
    assert proba.shape == (6, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(images)) <= {0, 1}
    assert len(clf.history_) == 1 and 0.0 <= clf.best_val_auc_ <= 1.0

    blob = pickle.dumps(clf)
    assert b"torch" not in blob
    restored = pickle.loads(blob)
    np.testing.assert_allclose(restored.predict_proba(images[:3] + images[-3:]), proba, rtol=1e-5)
    assert "backbone_state_" not in clone(clf).__dict__

    by_name = FineTunedCNNClassifier(epochs=1, batch_size=4, image_size=64, device="cpu").fit(images, names)
    assert list(by_name.classes_) == ["fake", "real"]
    assert set(by_name.predict(images[:2])) <= {"fake", "real"}
    with pytest.raises(ValueError, match="exactly 2 classes"):
        FineTunedCNNClassifier().fit(images[:3], [0, 1, 2])
