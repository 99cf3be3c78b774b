"""Extra training rows: self-blended pseudo-fakes and robust-augmented copies."""

import json

import numpy as np
import pytest

from facetruth.cli import main
from facetruth.data import load_dataset
from facetruth.evaluation._cv import cv_splits
from facetruth.pipelines import TrainingExtras, build_extras
from facetruth.pipelines._extras import fold_extras, parse_augment, robust_copy


def training_extras(images, labels, *, pseudo_fakes=None, augment=None, random_state=0):
    """The extra rows the factory's recipe makes from these crops."""
    extras = build_extras(pseudo_fakes, augment, random_state=random_state) or TrainingExtras()
    return extras.make(images, labels)


@pytest.fixture
def crops(rng):
    images = rng.integers(0, 256, (6, 48, 48, 3), dtype=np.uint8)
    return images, np.array([0, 0, 0, 0, 1, 1])


@pytest.mark.parametrize(
    ("spec", "copies"), [(None, 0), ("none", 0), ("robust", 1), ("robust:3", 3), (" robust ", 1)]
)
def test_parse_augment(spec, copies):
    assert parse_augment(spec) == copies


@pytest.mark.parametrize("spec", ["jpeg", "robust:0", "robust:9", "robust:x"])
def test_parse_augment_rejects(spec):
    with pytest.raises(ValueError, match="augment"):
        parse_augment(spec)
    with pytest.raises(ValueError, match="augment"):
        build_extras(augment=spec)


def test_build_extras_reads_the_options_once():
    assert build_extras() is None and build_extras("", "none") is None
    extras = build_extras("sbi:0.5", "robust:2", random_state=7)
    assert (extras.ratio, extras.copies, extras.random_state) == (0.5, 2, 7)
    assert (extras.pseudo_fakes, extras.augment) == ("sbi:0.5", "robust:2")
    assert build_extras("sbi").describe() == {"pseudo_fakes": "sbi", "augment": None, "seed": 0}
    with pytest.raises(ValueError, match="pseudo-fake kind"):
        build_extras("mixup")


def test_no_extras_gives_an_empty_set(crops):
    extra = training_extras(*crops)
    assert len(extra) == 0 and extra.images.shape == (0, 48, 48, 3)


def test_pseudo_fakes_come_from_reals_and_are_fake(crops):
    images, labels = crops
    extra = training_extras(images, labels, pseudo_fakes="sbi:0.5")
    assert extra.counts() == {"sbi": 2}
    assert set(extra.sources) <= {0, 1, 2, 3} and np.all(extra.labels == 1)
    for img, src in zip(extra.images, extra.sources, strict=True):
        assert img.shape == (48, 48, 3) and not np.array_equal(img, images[src])


def test_augmented_copies_keep_label_and_size_and_are_reproducible(crops):
    images, labels = crops
    first = training_extras(images, labels, pseudo_fakes="sbi", augment="robust:2", random_state=3)
    again = training_extras(images, labels, pseudo_fakes="sbi", augment="robust:2", random_state=3)
    other = training_extras(images, labels, pseudo_fakes="sbi", augment="robust:2", random_state=4)
    assert first.counts() == {"sbi": 4, "augment": 2 * (6 + 4)}
    np.testing.assert_array_equal(first.images, again.images)  # the feature cache can serve a re-run
    assert not np.array_equal(first.images, other.images)
    aug = first.kinds == "augment"
    base_labels = np.concatenate([labels, np.ones(4, int)])
    np.testing.assert_array_equal(first.labels[aug], np.tile(base_labels, 2))


def test_robust_copy_restores_the_size(rng):
    image = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
    outs = [robust_copy(image, seed) for seed in range(12)]
    assert all(o.shape == image.shape and o.dtype == np.uint8 for o in outs)
    assert sum(not np.array_equal(o, image) for o in outs) >= 10


def test_pseudo_fakes_need_reals(crops):
    images, _ = crops
    with pytest.raises(ValueError, match="real images"):
        training_extras(images, np.ones(6, int), pseudo_fakes="sbi")


def test_folds_only_train_on_extras_of_their_training_part(rng):
    from facetruth.evaluation._cv import _training_rows

    n = 40
    labels = np.repeat([0, 1], n // 2)
    X = rng.normal(size=(n, 3))
    groups = np.array([f"g{i}" for i in range(n)])
    sources = np.arange(n // 2)  # one extra fake per real
    X_extra = 100.0 + np.arange(n // 2)[:, None] * np.ones((1, 3))  # each row names its source
    for split in cv_splits(labels, groups, n_splits=4):
        X_fit, y_fit, g_fit = _training_rows(
            X, labels, groups, split["train"], (X_extra, np.ones(n // 2), sources)
        )
        added = X_fit[len(split["train"]) :, 0] - 100.0
        expected = np.intersect1d(sources, split["train"])
        np.testing.assert_array_equal(np.sort(added), expected)
        assert np.all(y_fit[len(split["train"]) :] == 1)
        np.testing.assert_array_equal(g_fit[len(split["train"]) :], groups[added.astype(int)])
        assert fold_extras(type("E", (), {"sources": sources})(), split["train"]).sum() == expected.size


def test_train_from_real_images_only(tiny_set, tmp_path, capsys):
    real_only = tmp_path / "reals"
    (real_only / "real").mkdir(parents=True)
    for path in sorted((tiny_set / "real").iterdir())[:10]:
        (real_only / "real" / path.name).symlink_to(path)
    with pytest.raises(Exception, match="only one class"):
        load_dataset(real_only)
    assert len(load_dataset(real_only, one_class=True)) == 10
    out = tmp_path / "m.joblib"
    argv = ["train", "--data", str(real_only), "--features", "fft", "--face", "off", "--out", str(out)]
    # ten reals test the pseudo-fake mechanics, not the detector's strength: --allow-weak
    assert main([*argv, "--pseudo-fakes", "sbi", "--augment", "robust", "--allow-weak"]) == 0
    card = json.loads(out.with_name("m.joblib.json").read_text())
    data = card["metadata"]["training_data"] if "metadata" in card else card["training_data"]
    assert data["counts"] == {"real": 10, "fake": 0}
    assert data["extra_rows"] == {"sbi": 10, "augment": 20}
    assert main(["predict", str(out), str(sorted((tiny_set / "fake").iterdir())[0])]) == 0


def test_append_to_gives_each_extra_row_its_sources_group(crops):
    images, labels = crops
    groups = np.array([f"g{i}" for i in range(6)], dtype=object)
    extra = training_extras(images, labels, pseudo_fakes="sbi:0.5")
    all_images, all_labels, all_groups = extra.append_to(images, labels, groups)
    assert all_images.shape == (8, 48, 48, 3) and list(all_labels) == [0, 0, 0, 0, 1, 1, 1, 1]
    assert list(all_groups[6:]) == [f"g{s}" for s in extra.sources]
    same = training_extras(images, labels).append_to(images, labels, groups)
    assert same[0] is images and same[2] is groups  # nothing to add: no copy
