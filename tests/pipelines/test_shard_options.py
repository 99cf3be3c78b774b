"""Every option works on shards: the estimators themselves reach the tasks, extra rows included."""

import numpy as np
import pytest

from facetruth.data import load_dataset
from facetruth.pipelines import (
    build_extras,
    build_features,
    build_loader,
    build_pipeline,
    extract_features,
    train_on_shards,
)
from facetruth.pipelines._dask_tasks import shard_seed
from facetruth.pipelines._shards import read_manifest

distributed = pytest.importorskip("distributed")


def expected_extra_rows(loader, union, extras, dataset, shard_size):
    """The extra rows each shard should make: its crops, its own seed, global source positions."""
    crops = loader.fit().transform(dataset.paths)
    union = union.fit(crops)
    labels = np.asarray(dataset.labels)
    X, y, sources = [], [], []
    for start in range(0, len(dataset), shard_size):
        part = slice(start, start + shard_size)
        rows = extras.make(
            crops[part], labels[part], random_state=shard_seed(extras.random_state, start), need_reals=False
        )
        if len(rows):
            X.append(union.transform(rows.images))
            y.append(rows.labels)
            sources.append(start + rows.sources)
    return np.concatenate(X), np.concatenate(y), np.concatenate(sources)


def test_shards_make_and_store_the_extra_rows_of_their_crops(tiny_set, tmp_path):
    dataset = load_dataset(tiny_set)
    loader, union = build_loader("off", 48), build_features("fft")
    extras = build_extras("sbi:0.5", "robust", random_state=3)
    result = extract_features(loader, union, dataset, out=tmp_path / "s", shard_size=16, extras=extras)
    X_extra, y_extra, sources = expected_extra_rows(loader, union, extras, dataset, 16)
    np.testing.assert_allclose(result.X_extra, X_extra, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(result.extra_labels, y_extra)
    np.testing.assert_array_equal(result.extra_sources, sources)
    assert set(np.unique(result.extra_kinds)) == {"sbi", "augment"}
    X, y, groups = result.training_rows()
    assert len(X) == len(y) == len(groups) == 48 + len(y_extra)
    np.testing.assert_array_equal(groups[48:], np.asarray(dataset.groups, dtype=object)[sources])
    assert read_manifest(tmp_path / "s")["extras"] == {
        "pseudo_fakes": "sbi:0.5",
        "augment": "robust",
        "seed": 3,
    }
    # the recipe is part of the shard names: other extras never reuse these shards
    other = extract_features(loader, union, dataset, out=tmp_path / "s", shard_size=16)
    assert other.shards_done == 3 and other.extra_labels.size == 0


def test_training_on_shards_from_real_images_only(tiny_set, tmp_path):
    dataset = load_dataset(tiny_set)
    reals = dataset.subset(np.asarray(dataset.labels) == 0)
    pipe = build_pipeline("fft", "logistic", "off", 48, cv=3)
    with pytest.raises(ValueError, match="one class"):
        train_on_shards(pipe, reals, out=tmp_path / "a", shard_size=8)
    extras = build_extras("sbi", "robust")
    result = train_on_shards(pipe, reals, out=tmp_path / "b", shard_size=8, extras=extras)
    data = result.metadata["training_data"]
    assert data["counts"] == {"real": 24, "fake": 0}
    assert data["extra_rows"] == {"sbi": 24, "augment": 48}
    assert (data["pseudo_fakes"], data["augment"]) == ("sbi", "robust")
    assert result.metadata["training_summary"]["counts"] == {"real": 48, "fake": 48}
    with pytest.raises(ValueError, match="real images"):
        train_on_shards(
            pipe, dataset.subset(np.asarray(dataset.labels) == 1), out=tmp_path / "c", extras=extras
        )


@pytest.mark.shared_data
@pytest.mark.slow
def test_alignment_backbone_and_extra_rows_on_the_cluster(cluster_client, hardfake_dir, tmp_path):
    torch = pytest.importorskip("torch")
    from facetruth.features import load_backbone

    dataset = load_dataset(hardfake_dir)
    dataset = dataset.subset(np.r_[0:3, len(dataset) - 3 : len(dataset)])
    state = load_backbone("imagenet").state_dict()
    state["conv_stem.weight"] = state["conv_stem.weight"] * 1.05
    torch.save(state, tmp_path / "tuned.pt")
    loader = build_loader("auto", 96, align="canonical")
    union = build_features("fft,cnn", backbone=tmp_path / "tuned.pt", device="cpu", cnn__image_size=64)
    extras = build_extras("sbi", "robust", random_state=1)
    out = tmp_path / "shards"
    result = extract_features(
        loader, union, dataset, client=cluster_client, out=out, shard_size=3, extras=extras
    )
    assert result.shards_done == 2 and not result.failed and result.face_found.all()
    crops = loader.fit().transform(dataset.paths)
    np.testing.assert_allclose(result.X, union.fit_transform(crops), rtol=1e-4, atol=1e-5)
    imagenet = build_features("fft,cnn", device="cpu", cnn__image_size=64).fit_transform(crops)
    assert np.abs(result.X - imagenet).max() > 1e-3  # the workers used the tuned backbone
    X_extra, y_extra, sources = expected_extra_rows(loader, union, extras, dataset, 3)
    np.testing.assert_array_equal(result.extra_sources, sources)
    np.testing.assert_array_equal(result.extra_labels, y_extra)
    np.testing.assert_allclose(result.X_extra, X_extra, rtol=1e-4, atol=1e-5)
    assert read_manifest(out)["align"] == "canonical"
