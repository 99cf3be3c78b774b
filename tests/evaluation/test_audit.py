"""The shortcut audit: nuisance properties alone must not predict the label."""

import json

import numpy as np
import pytest
from PIL import Image, ImageFilter

from facetruth.data import CROP_GEOMETRY, NUISANCE_PROPERTIES, Dataset, load_dataset
from facetruth.evaluation import audit_dataset
from facetruth.evaluation._audit import WARN_AUC
from facetruth.evaluation._shortcuts import shortcut_aucs, single_feature_aucs
from facetruth.exceptions import DatasetLayoutError
from facetruth.pipelines import ImageLoader


def _textures(rng, n, size=48):
    """Smooth random colour fields: every image drawn from the same distribution."""
    for _ in range(n):
        base = rng.normal(128, 40, (size // 8, size // 8, 3)).clip(0, 255).astype(np.uint8)
        yield Image.fromarray(base).resize((size, size), Image.BICUBIC)


def make_set(root, *, real_quality, fake_quality, n=40, sizes=(48, 48), sources=None, fake_blur=0):
    """``n`` reals and ``n`` fakes of the same content distribution, saved at the given qualities."""
    rng = np.random.default_rng(0)
    paths, labels = [], []
    for label, quality, size in ((0, real_quality, sizes[0]), (1, fake_quality, sizes[1])):
        folder = root / ("fake" if label else "real")
        folder.mkdir(parents=True, exist_ok=True)
        for i, image in enumerate(_textures(rng, n, size)):
            paths.append(str(folder / f"{i:03d}.jpg"))
            labels.append(label)
            if label and fake_blur:
                image = image.filter(ImageFilter.GaussianBlur(fake_blur))
            image.save(paths[-1], "JPEG", quality=quality)
    sources = sources or ["set"] * len(paths)
    return Dataset(paths, labels, paths, sources, root=root)


def test_classes_differing_only_in_jpeg_quality_warn(tmp_path):
    result = audit_dataset(make_set(tmp_path, real_quality=95, fake_quality=70), cv=4)
    assert result.warning and result.nuisance_auc >= 0.9
    assert result.nuisance_auc == max(result.model_aucs.values())
    assert set(result.model_aucs) == {"logistic", "gradient_boosting"}
    names = [row["name"] for row in result.top_features[:3]]
    assert "jpeg_quality" in names
    top = result.ranking[0]["name"]
    assert top in ("jpeg_quality", "file_bytes", "bytes_per_pixel")
    assert top in result.advice and "re-encode" in result.advice
    assert result.feature_names == list(NUISANCE_PROPERTIES)
    assert result.features.shape == (80, len(NUISANCE_PROPERTIES)) and result.n_splits == 4


def test_classes_encoded_alike_do_not_warn(tmp_path):
    result = audit_dataset(make_set(tmp_path, real_quality=85, fake_quality=85), cv=4)
    assert not result.warning and result.nuisance_auc < WARN_AUC
    assert "No strong shortcut" in result.advice
    quality = result.ranking[[row["name"] for row in result.ranking].index("jpeg_quality")]
    assert quality["auc"] == 0.5 and quality["importance"] == 0.0


def test_smoother_fakes_encoded_alike_are_told_by_file_size(tmp_path):
    # same JPEG settings: the file size then measures detail, and re-encoding would not help
    result = audit_dataset(make_set(tmp_path, real_quality=90, fake_quality=90, fake_blur=3), cv=4)
    assert result.warning and result.ranking[0]["name"] in ("file_bytes", "bytes_per_pixel")
    assert "image detail" in result.advice and "re-encode" not in result.advice


def test_as_dict_is_json(tmp_path):
    result = audit_dataset(make_set(tmp_path, real_quality=90, fake_quality=90, n=10), cv=3)
    summary = result.as_dict()
    text = json.dumps(summary, allow_nan=False)
    assert json.loads(text)["counts"] == {"real": 10, "fake": 10}
    assert {"nuisance_auc", "model_aucs", "warning", "advice", "top_features", "per_source", "errors"} <= set(
        summary
    )


def test_bad_items_are_reported_and_left_out(tmp_path):
    data = make_set(tmp_path, real_quality=90, fake_quality=90, n=10)
    broken = tmp_path / "real" / "000.jpg"
    broken.write_bytes(broken.read_bytes()[:200])
    missing = tmp_path / "fake" / "001.jpg"
    missing.unlink()
    result = audit_dataset(data, cv=3)
    assert sorted(path for path, _ in result.errors) == sorted([str(broken), str(missing)])
    assert result.counts == {"real": 9, "fake": 9} and str(broken) not in result.paths
    assert len(result.as_dict()["errors"]) == 2


def test_one_class_is_refused(tmp_path):
    data = make_set(tmp_path, real_quality=90, fake_quality=90, n=4)
    with pytest.raises(DatasetLayoutError, match="both classes"):
        audit_dataset(data.subset(data.labels == 0))
    broken = data.subset([0, 1, 4, 5])
    for path in broken.paths[2:]:
        open(path, "wb").write(b"broken")
    with pytest.raises(DatasetLayoutError, match="at least 2 readable"):
        audit_dataset(broken)


def test_loader_adds_crop_geometry_and_is_cloned(tmp_path):
    # no face detector: the centre square, whose resize factor gives the image size away
    data = make_set(tmp_path, real_quality=90, fake_quality=90, n=12, sizes=(48, 96))
    loader = ImageLoader(face="off", image_size=32)
    result = audit_dataset(data, loader=loader, cv=3)
    assert result.feature_names == [*NUISANCE_PROPERTIES, *CROP_GEOMETRY, "face_found"]
    assert not hasattr(loader, "is_fitted_")
    column = result.features[:, result.feature_names.index("resize_factor")]
    np.testing.assert_array_equal(column, np.where(result.labels == 1, 3.0, 1.5))
    assert result.warning
    with pytest.raises(ValueError, match="ImageLoader"):
        audit_dataset(data, loader="auto")
    with pytest.raises(ValueError, match="cv must be"):
        audit_dataset(data, cv=1)


def test_per_source_breakdown(tmp_path):
    sources = ["camera"] * 20 + ["gan_a"] * 10 + ["gan_b"] * 10
    result = audit_dataset(make_set(tmp_path, real_quality=90, fake_quality=90, n=20, sources=sources), cv=3)
    rows = {row["source"]: row for row in result.per_source}
    assert set(rows) == {"camera", "gan_a", "gan_b"}
    assert (rows["gan_a"]["n_real"], rows["gan_a"]["n_fake"]) == (0, 10)
    assert rows["gan_a"]["compared_with"] == "all real items"
    assert rows["camera"]["compared_with"] == "all fake items"
    assert 0 <= rows["gan_b"]["auc"] <= 1 and rows["gan_b"]["top_feature"] in result.feature_names


def test_shortcut_statistics_validate():
    X = np.arange(12, dtype=float).reshape(6, 2)
    with pytest.raises(ValueError, match="at least 2"):
        single_feature_aucs(X, [0, 1, 1, 1, 1, 1])
    with pytest.raises(ValueError, match="one row per label"):
        shortcut_aucs(X, [0, 1])
    with pytest.raises(ValueError, match="cv"):
        shortcut_aucs(X, [0, 0, 0, 1, 1, 1], cv=1)
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinite"):
        single_feature_aucs(X, [0, 0, 0, 1, 1, 1])


def test_a_column_missing_in_a_training_fold_is_harmless():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 10)
    X = np.column_stack([rng.normal(size=20), np.full(20, np.nan)])
    X[0, 1] = 1.0  # present in one item: all missing in the training part of its fold
    result = shortcut_aucs(X, y, cv=5)
    assert np.isfinite(result["scores"]).all() and result["importance"].shape == (2,)


@pytest.mark.slow
@pytest.mark.shared_data
def test_hardfake_face_size_shortcut_is_found(hardfake_dir):
    # a stratified sample of 120 items keeps face detection short; the full set reaches a higher AUC
    data = load_dataset(hardfake_dir)
    rng = np.random.default_rng(0)
    keep = np.concatenate([rng.choice(np.flatnonzero(data.labels == c), 60, replace=False) for c in (0, 1)])
    result = audit_dataset(data.subset(np.sort(keep)), loader=ImageLoader(face="auto"), cv=5)
    assert result.warning and result.nuisance_auc >= 0.75
    assert result.ranking[0]["name"] in (*CROP_GEOMETRY, "face_found")
