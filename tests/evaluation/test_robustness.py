"""Perturbations, robustness curves and cross-dataset evaluation on tiny data."""

import numpy as np
import pytest

from facetruth.data import load_dataset
from facetruth.evaluation import cross_dataset, make_detector, run_robustness
from facetruth.evaluation._robustness import PERTURBATIONS, perturb
from facetruth.pipelines import build_extras, build_features, build_loader


def estimators():
    """Loader, fft family and the experiments' XGBoost detector on the tiny set's 48 px crops."""
    return build_loader("off", 48), build_features("fft"), make_detector(device="cpu")


@pytest.fixture
def image(rng):
    base = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    return base.repeat(4, axis=0).repeat(4, axis=1)  # 64x64 with sharp edges


@pytest.mark.parametrize(("kind", "level"), [("jpeg", 100), ("resize", 1.0), ("blur", 0.0), ("noise", 0.0)])
def test_neutral_levels_leave_the_crop_unchanged(image, kind, level):
    out = perturb(image, kind, level, random_state=0)
    assert np.array_equal(out, image) and out is not image


@pytest.mark.parametrize("kind", sorted(PERTURBATIONS))
def test_perturbations_keep_shape_and_grow_with_strength(image, kind):
    levels = PERTURBATIONS[kind][1]
    neutral = {"jpeg": 100, "resize": 1.0, "blur": 0.0, "noise": 0.0}[kind]
    assert neutral in levels
    strongest = {"jpeg": min(levels), "resize": min(levels), "blur": max(levels), "noise": max(levels)}[kind]
    milder = {"jpeg": 95, "resize": 0.75, "blur": 0.5, "noise": 2.5}[kind]
    errs = []
    for level in (milder, strongest):
        out = perturb(image, kind, level, random_state=0)
        assert out.shape == image.shape and out.dtype == np.uint8
        errs.append(np.abs(out.astype(float) - image).mean())
    assert 0 < errs[0] < errs[1]


def test_noise_is_seeded(image):
    a = perturb(image, "noise", 5.0, random_state=3)
    b = perturb(image, "noise", 5.0, random_state=3)
    assert np.array_equal(a, b)
    assert np.std(a.astype(float) - image) == pytest.approx(5.0, rel=0.15)


def test_unknown_perturbation_is_refused(image):
    with pytest.raises(ValueError, match="Unknown perturbation"):
        perturb(image, "rotate", 10)


def test_run_robustness_curves(tiny_set):
    perturbations = {"blur": ("sigma", (0.0, 2.0)), "jpeg": ("quality", (100, 30))}
    result = run_robustness(
        load_dataset(tiny_set), *estimators(), ["fft"], n_splits=4, perturbations=perturbations
    )
    curves = result["curves"]["fft"]
    assert curves["blur"]["levels"] == [0.0, 2.0]
    assert result["meta"]["n_test"] == 12 and result["meta"]["n_train"] == 36
    # unperturbed crops: the spectral cue of the tiny fakes is obvious
    assert curves["blur"]["auc"][0] > 0.95
    assert curves["jpeg"]["auc"][0] == curves["blur"]["auc"][0]  # both neutral levels are the clean crops
    assert all(0.0 <= a <= 1.0 for c in curves.values() for a in c["auc"])
    assert result["labels"] == {"blur": "sigma", "jpeg": "quality"}


def test_cross_dataset_on_itself_is_near_perfect(tiny_set):
    ds = load_dataset(tiny_set)
    result = cross_dataset(ds, ds, *estimators(), ["fft"])
    m = result["metrics"]["fft"]
    assert m["n"] == 48 and m["auc"] > 0.95 and m["train_oof_auc"] > 0.9
    assert result["meta"]["train"]["manifest_sha256"] == result["meta"]["test"]["manifest_sha256"]


def test_run_robustness_with_augmented_training(tiny_set):
    result = run_robustness(
        load_dataset(tiny_set),
        *estimators(),
        ["fft"],
        n_splits=4,
        perturbations={"jpeg": ("quality", (100, 60))},
        extras=build_extras(augment="robust"),
    )
    assert result["meta"]["augment"] == "robust"
    assert result["meta"]["extra_training_rows"] == {"augment": 36}  # one copy per training crop
    assert result["curves"]["fft"]["jpeg"]["auc"][0] > 0.9


def test_cross_dataset_from_real_images_only(tiny_set):
    dataset = load_dataset(tiny_set)
    reals = dataset.subset(np.asarray(dataset.labels) == 0)
    result = cross_dataset(reals, dataset, *estimators(), ["fft"], extras=build_extras("sbi"))
    assert result["meta"]["train"]["counts"] == {"real": 24, "fake": 0}
    assert result["meta"]["extra_training_rows"] == {"sbi": 24}
    assert 0.0 <= result["metrics"]["fft"]["auc"] <= 1.0


def test_a_set_needs_its_families_in_the_union(tiny_set):
    loader, union, detector = estimators()
    with pytest.raises(ValueError, match="dct are not in the feature union"):
        run_robustness(load_dataset(tiny_set), loader, union, detector, ["spectral"])
