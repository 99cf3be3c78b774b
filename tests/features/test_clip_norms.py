"""Tuned LayerNorms of the clip family: names, checks, files, and both encoders."""

import pickle

import numpy as np
import pytest

from facetruth.exceptions import ModelIntegrityError
from facetruth.features import (
    CLIPEmbedding,
    clip_embedding,
    load_clip_encoder,
    norm_names,
    read_norms,
    save_norms,
)
from facetruth.features._clip_norms import check_norms, norms_digest


def published(names):
    from onnx import numpy_helper

    from facetruth.features import read_clip_weights
    from facetruth.features._clip_weights import _import_onnx

    inits = {t.name: t for t in _import_onnx().load_from_string(read_clip_weights()).graph.initializer}
    return {n: numpy_helper.to_array(inits[n]) for n in names}


def changed(norms):
    return {
        n: v * np.float32(1.1) if n.endswith("weight") else v + np.float32(0.05) for n, v in norms.items()
    }


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(3).integers(0, 256, (3, 40, 36, 3), dtype=np.uint8)


def test_names_cover_the_last_blocks_and_the_final_norm():
    assert len(norm_names(0)) == 2 and len(norm_names(12)) == 50
    assert norm_names(2)[0] == "vision_model.encoder.layers.10.layer_norm1.weight"
    assert norm_names(2, timm=True)[0] == "blocks.10.norm1.weight"
    with pytest.raises(ValueError, match="from 0 to 12"):
        norm_names(13)


@pytest.mark.parametrize(
    "norms, match",
    [
        ({"vision_model.encoder.layers.3.mlp.fc1.bias": np.zeros(768)}, "not a LayerNorm"),
        ({"vision_model.post_layernorm.bias": np.zeros(5)}, "768 finite"),
        ({"vision_model.post_layernorm.bias": np.full(768, np.nan)}, "768 finite"),
        ({}, "empty"),
        ([1, 2], "must map"),
    ],
)
def test_bad_norms_are_refused(norms, match):
    with pytest.raises(ValueError, match=match):
        check_norms(norms)


def test_a_norms_file_round_trips_and_a_foreign_file_is_refused(tmp_path):
    norms = {"vision_model.post_layernorm.weight": np.arange(768, dtype=np.float32)}
    path = save_norms(tmp_path / "norms.npz", norms, {"epochs": 3})
    back, recipe = read_norms(path)
    assert recipe == {"epochs": 3} and norms_digest(back) == norms_digest(norms)
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ModelIntegrityError, match="not a file of tuned CLIP norms"):
        read_norms(tmp_path / "other.npz")
    with pytest.raises(ModelIntegrityError):
        read_norms(tmp_path / "missing.npz")


def test_published_norms_change_nothing_and_tuned_ones_change_both_encoders_alike(weights, images):
    names = norm_names(2)
    plain = CLIPEmbedding(device="cpu").fit_transform(images)
    same = CLIPEmbedding(device="cpu", norms=published(names)).fit_transform(images)
    np.testing.assert_array_equal(plain, same)
    tuned = changed(published(names))
    onnx = CLIPEmbedding(device="cpu", norms=tuned).fit_transform(images)
    assert np.abs(onnx - plain).max() > 0.1
    torch_rows = clip_embedding(images, encoder=load_clip_encoder("cpu", backend="torch", norms=tuned))
    np.testing.assert_allclose(torch_rows, onnx, atol=1e-4)


def test_the_cache_key_names_the_tuned_norms_and_an_old_pickle_has_none(weights):
    tuned = changed(published(norm_names(0)))
    est = CLIPEmbedding(device="cpu", norms=tuned)
    assert est._feature_kwargs()["norms"] == norms_digest(tuned)
    assert "norms" not in CLIPEmbedding(device="cpu")._feature_kwargs()
    state = CLIPEmbedding(device="cpu").__getstate__()
    del state["norms"]
    old = CLIPEmbedding.__new__(CLIPEmbedding)
    old.__setstate__(state)
    assert old.norms is None
    assert pickle.loads(pickle.dumps(est)).get_params()["norms"].keys() == tuned.keys()
