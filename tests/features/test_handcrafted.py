"""The one-pass union of handcrafted families against scikit-learn's FeatureUnion."""

import numpy as np
import pytest
from sklearn.pipeline import FeatureUnion

from facetruth.features import (
    DCTFeatures,
    FFTFeatures,
    HandcraftedUnion,
    LBPFeatures,
    NoiseFeatures,
)
from facetruth.features._handcrafted import one_pass_transform
from facetruth.pipelines import build_features


def families(**params):
    steps = [
        ("fft", FFTFeatures(n_bins=16)),
        ("dct", DCTFeatures(n_modes=3)),
        ("noise", NoiseFeatures()),
        ("lbp", LBPFeatures()),
    ]
    for _, est in steps:
        est.set_params(**params)
    return steps


@pytest.fixture
def images(rng):
    """Images of different sizes, so a list rather than an array."""
    return [
        rng.integers(0, 256, size=shape, dtype=np.uint8) for shape in [(40, 48, 3), (33, 33, 3), (64, 40, 3)]
    ]


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_same_values_and_names_as_a_feature_union(images, n_jobs):
    union = HandcraftedUnion(families(n_jobs=n_jobs))
    plain = FeatureUnion(families())
    out = union.fit_transform(images)
    np.testing.assert_array_equal(out, plain.fit_transform(images))  # bit-identical
    np.testing.assert_array_equal(union.transform(images), out)
    assert list(union.get_feature_names_out()) == list(plain.get_feature_names_out())


@pytest.mark.parametrize(
    "steps",
    [
        [("fft", FFTFeatures(n_bins=8, per_channel=True)), ("lbp", LBPFeatures(channels="grey"))],
        [("lbp", LBPFeatures(channels="rgb", scales=[(4, 1.5)])), ("noise", NoiseFeatures(truncation=3))],
        [("dct", DCTFeatures()), ("skip", "drop"), ("fft", FFTFeatures())],
    ],
)
def test_other_parameters_and_orders(images, steps):
    np.testing.assert_array_equal(
        HandcraftedUnion(steps).fit_transform(images), FeatureUnion(steps).fit_transform(images)
    )


def test_weights_fall_back_to_the_plain_union(images):
    steps = families()
    weights = {"fft": 2.0, "lbp": 0.5}
    out = HandcraftedUnion(steps, transformer_weights=weights).fit_transform(images)
    np.testing.assert_array_equal(out, FeatureUnion(steps, transformer_weights=weights).fit_transform(images))


def test_other_transformers_keep_their_place(images):
    class Mean(FFTFeatures):
        def _planes_function(self):
            return None  # computed on its own, like a network family

        def _function(self):
            return lambda image, **_: image.mean(axis=(0, 1))

        def _feature_names(self):
            return ["r", "g", "b"]

    steps = [("fft", FFTFeatures(n_bins=4)), ("mean", Mean()), ("lbp", LBPFeatures(scales=[(8, 1)]))]
    out = HandcraftedUnion(steps).fit_transform(images)
    np.testing.assert_array_equal(out, FeatureUnion(steps).fit_transform(images))
    np.testing.assert_allclose(out[:, 9:12], [img.mean(axis=(0, 1)) for img in images], rtol=1e-6)


def test_cache_entries_are_those_of_each_family(images, tmp_path, monkeypatch):
    steps = families(cache=tmp_path)
    expected = FeatureUnion(families()).fit_transform(images)
    # half the images through each family on its own, the rest computed in one pass
    for _, est in steps[:2]:
        est.transform(images[:1])
    out = HandcraftedUnion(steps, n_jobs=None).fit_transform(images)
    np.testing.assert_array_equal(out, expected)
    n_entries = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert len(n_entries) == 4 * len(images)

    def fail(*args, **kwargs):
        raise AssertionError("computed instead of read from the cache")

    # each family on its own now finds every row the one pass wrote
    for name, est in families(cache=tmp_path):
        monkeypatch.setattr(type(est), "_function", lambda self: fail)
        monkeypatch.setattr(type(est), "_planes_function", lambda self: fail)
        block = est.transform(images)
        columns = [
            i
            for i, n in enumerate(FeatureUnion(families()).fit(images).get_feature_names_out())
            if n.startswith(f"{name}__")
        ]
        np.testing.assert_array_equal(block, expected[:, columns])


def test_a_bad_image_raises_as_the_family_does(rng):
    union = HandcraftedUnion(families())
    with pytest.raises(ValueError, match="5x5"):
        union.fit_transform([np.zeros((4, 40, 3), np.uint8)])


def test_one_pass_transform_matches_each_transformer(images):
    ests = [FFTFeatures(n_bins=8), NoiseFeatures(q=2.0)]
    for block, est in zip(one_pass_transform(ests, images), ests, strict=True):
        np.testing.assert_array_equal(block, est.transform(images))


def test_build_features_uses_it():
    union = build_features("all", fft__n_bins=32)
    assert isinstance(union, HandcraftedUnion)
    assert [name for name, _ in union.transformer_list] == ["fft", "dct", "noise", "lbp", "cnn"]
    assert union.get_params()["fft__n_bins"] == 32
    assert HandcraftedUnion(families())._one_pass_members() == [0, 1, 2, 3]


def test_clone_and_pickle_keep_the_one_pass(images):
    import pickle

    from sklearn.base import clone

    union = HandcraftedUnion(families(n_jobs=1)).fit(images)
    expected = union.transform(images)
    for copy in (clone(union).fit(images), pickle.loads(pickle.dumps(union))):
        assert type(copy) is HandcraftedUnion
        np.testing.assert_array_equal(copy.transform(images), expected)
