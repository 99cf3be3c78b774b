"""The CNN embedding function and its transformer."""

import pickle

import numpy as np
import pytest
import torch
from skimage import data
from sklearn.base import clone

from facetruth._cache import ArrayCache
from facetruth.features import resize_square
from facetruth.features._backbone import load_backbone
from facetruth.features._cnn import CNNEmbedding, cnn_embedding


@pytest.fixture(scope="module")
def backbone():
    return load_backbone("imagenet", device="cpu")


@pytest.fixture(scope="module")
def photos():
    return [data.chelsea(), data.coffee(), data.astronaut()[::4, ::4]]


def test_embedding_shape_dtype_and_values(backbone, photos):
    emb = cnn_embedding(photos, model=backbone, batch_size=2)
    assert emb.shape == (3, 1280)
    assert emb.dtype == np.float32
    assert np.all(np.isfinite(emb))
    assert np.all(emb >= 0)  # pooled after ReLU6
    assert not np.allclose(emb[0], emb[1])
    single = cnn_embedding(photos[0], model=backbone)
    assert single.shape == (1280,)
    np.testing.assert_allclose(single, emb[0], rtol=1e-4, atol=1e-5)


def test_embedding_is_the_classifier_input(backbone, photos):
    emb = torch.from_numpy(cnn_embedding(photos[:1], model=backbone))
    with torch.inference_mode():
        logits = backbone.classifier(emb)
    assert int(logits.argmax()) in {281, 282, 283, 284, 285}


def test_embedding_is_deterministic(backbone, photos):
    first = cnn_embedding(photos, model=backbone, batch_size=3)
    second = cnn_embedding(photos, model=backbone, batch_size=3)
    np.testing.assert_array_equal(first, second)


def test_resize_square():
    image = np.zeros((30, 50, 3), np.uint8)
    assert resize_square(image, 64).shape == (64, 64, 3)
    assert resize_square(image, 16).shape == (16, 16, 3)
    ramp = np.tile(np.arange(64, dtype=np.uint8)[None, :, None], (64, 1, 3))
    np.testing.assert_array_equal(resize_square(ramp, 64), ramp)
    halved = resize_square(ramp, 32)  # area averaging of pixel pairs
    np.testing.assert_allclose(halved[0, :, 0], np.arange(0, 64, 2) + 0.5, atol=0.51)


def test_transformer_names_and_output(photos):
    est = CNNEmbedding(device="cpu", batch_size=2).fit(photos)
    names = est.get_feature_names_out()
    assert names[0] == "cnn_emb_0000" and names[-1] == "cnn_emb_1279" and len(names) == 1280
    out = est.transform(photos)
    assert out.shape == (3, 1280) and out.dtype == np.float32
    np.testing.assert_allclose(out, cnn_embedding(photos, model=est.model_, batch_size=2), rtol=1e-6)


def test_pickle_round_trip_has_no_tensors(photos):
    est = CNNEmbedding(device="cpu", batch_size=4).fit(photos)
    expected = est.transform(photos)
    blob = pickle.dumps(est)
    assert b"torch" not in blob
    assert len(blob) < 100_000  # the 4.7 M-parameter network is not inside
    restored = pickle.loads(blob)
    assert not hasattr(restored, "model_")
    np.testing.assert_array_equal(restored.transform(photos), expected)
    assert hasattr(restored, "model_")
    assert "model_" not in clone(est).__dict__


def test_transform_builds_missing_model(photos):
    est = CNNEmbedding(device="cpu").fit(photos)
    expected = est.transform(photos[:1])
    del est.model_
    np.testing.assert_array_equal(est.transform(photos[:1]), expected)


def test_cache_reuses_embeddings(tmp_path, photos):
    est = CNNEmbedding(device="cpu", cache=tmp_path).fit(photos)
    first = est.transform(photos)
    assert len(ArrayCache(tmp_path)) == 3
    est.model_ = None  # all hits: the network is not needed, and not rebuilt
    second = est.transform(photos)
    np.testing.assert_array_equal(first, second)
    assert est.model_ is None


def test_n_jobs_restores_torch_threads(photos):
    before = torch.get_num_threads()
    CNNEmbedding(device="cpu", n_jobs=1).fit(photos[:1]).transform(photos[:1])
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    "params, match",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"image_size": 8}, "image_size"),
        ({"image_size": 224.0}, "image_size"),
        ({"device": "tpu"}, "device"),
    ],
)
def test_invalid_parameters(params, match, photos):
    with pytest.raises(ValueError, match=match):
        CNNEmbedding(**params).fit(photos[:1])


def test_missing_weights_path(tmp_path, photos):
    with pytest.raises(FileNotFoundError):
        CNNEmbedding(weights=tmp_path / "absent.pt").fit(photos[:1])


def test_rejects_feature_matrix():
    with pytest.raises(ValueError, match="batch of images"):
        CNNEmbedding().fit(np.zeros((4, 10)))
