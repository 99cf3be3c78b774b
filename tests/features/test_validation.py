"""Parameter validation of the feature functions and transformers, as scikit-learn validates.

Invalid values raise FaceTruth's ``InvalidParameterError`` (a ``ValueError``)
naming the parameter and the function or class in scikit-learn's words,
before any work is done (no network is loaded for the CNN functions).
"""

import numpy as np
import pytest
from feature_transformers import feature_transformers
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from facetruth._params import InvalidParameterError, generate_invalid_value
from facetruth.features import (
    CNNEmbedding,
    CNNStats,
    DCTFeatures,
    FFTFeatures,
    LBPFeatures,
    NoiseFeatures,
    PartEmbedding,
    RegionFeatures,
    cnn_embedding,
    cnn_stats,
    dct_features,
    fft_feature_names,
    fft_spectrum,
    lbp_histograms,
    noise_residual_features,
    part_embedding,
    region_features,
    resize_square,
    run_batches,
)
from facetruth.features._cnnstats import stats_feature_names
from facetruth.features._lbp import lbp_codes
from facetruth.features._parts import part_crops
from facetruth.features._region import region_boxes

IMAGE = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)


class _Network:
    """Stands for a torch module in calls refused before it is used."""

    def parameters(self):
        raise AssertionError("the network should not be used")

    def eval(self):
        raise AssertionError("the network should not be used")


def _call(func, **kwargs):
    """Call a feature function with its required positional arguments."""
    if func is region_boxes:
        return func(kwargs.pop("size", 64), **kwargs)
    if func is part_crops:
        return func([IMAGE], kwargs.pop("part", "nose"), **kwargs)
    if func is resize_square:
        return func(IMAGE, kwargs.pop("size", 8))
    if func is lbp_codes:
        return func(IMAGE[:, :, 0], **kwargs)
    if func is run_batches:
        return func([IMAGE], kwargs.pop("model", _Network()), kwargs.pop("batch_size", 1), 32, np.mean)
    if func in (fft_feature_names, stats_feature_names):
        return func(**kwargs)
    if func in (cnn_embedding, part_embedding, cnn_stats):
        return func([IMAGE], **kwargs)
    return func(IMAGE, **kwargs)


INVALID = [
    (fft_spectrum, {"n_bins": 0}),  # gave 5 values
    (fft_spectrum, {"n_bins": 1}),
    (fft_spectrum, {"n_bins": 2.5}),
    (fft_spectrum, {"per_channel": "yes"}),
    (fft_feature_names, {"n_bins": -3}),
    (dct_features, {"n_modes": 64}),  # fewer outputs than names
    (dct_features, {"n_modes": -1}),
    (dct_features, {"hist_range": -1}),
    (dct_features, {"spectrum_size": 0}),  # an OpenCV error
    (dct_features, {"spectrum_size": 2.0}),
    (noise_residual_features, {"q": 0}),
    (noise_residual_features, {"q": float("inf")}),
    (noise_residual_features, {"q": float("nan")}),
    (noise_residual_features, {"truncation": 0}),
    (noise_residual_features, {"truncation": 9}),
    (lbp_histograms, {"scales": [(0, 1)]}),  # an IndexError
    (lbp_histograms, {"scales": [(70, 1)]}),  # codes overflowed uint8 silently
    (lbp_histograms, {"scales": [(8, 0)]}),
    (lbp_histograms, {"scales": [(8, 17)]}),
    (lbp_histograms, {"scales": [(8.0, 1)]}),
    (lbp_histograms, {"scales": [(8, 1, 2)]}),
    (lbp_histograms, {"scales": [(8, 1), (8, 1.0)]}),  # duplicate feature names
    (lbp_histograms, {"scales": []}),
    (lbp_histograms, {"scales": 3}),
    (lbp_histograms, {"channels": "hsv"}),
    (lbp_codes, {"n_points": 63}),
    (lbp_codes, {"radius": 0}),
    (region_features, {"margin": -0.1}),
    (region_features, {"margin": 3}),
    (region_boxes, {"size": 1}),
    (region_boxes, {"margin": "wide"}),
    (part_crops, {"part": "ear"}),  # a KeyError
    (part_crops, {"zoom": 0}),
    (resize_square, {"size": 0}),
    (run_batches, {"model": None}),
    (run_batches, {"batch_size": 0}),
    (cnn_embedding, {"batch_size": 0}),
    (cnn_embedding, {"image_size": 8}),
    (cnn_embedding, {"device": None}),
    (cnn_embedding, {"model": "efficientnet"}),
    (part_embedding, {"parts": ("ear",)}),
    (part_embedding, {"parts": ()}),
    (part_embedding, {"parts": ("nose", "nose")}),
    (part_embedding, {"margin": 2.5}),
    (cnn_stats, {"parts": ("nose", "nose")}),
    (cnn_stats, {"parts": 3}),
    (cnn_stats, {"image_size": 2000}),
    (stats_feature_names, {"parts": ("ear",)}),
]


@pytest.mark.parametrize(
    "func, kwargs", INVALID, ids=[f"{f.__name__}-{next(iter(k))}={k[next(iter(k))]!r}" for f, k in INVALID]
)
def test_functions_refuse_invalid_parameters(func, kwargs):
    (name,) = kwargs
    match = rf"The '{name}' parameter of {func.__name__} must be .* Got .* instead\."
    with pytest.raises(InvalidParameterError, match=match):
        _call(func, **kwargs)


def test_invalid_parameter_error_is_a_value_error():
    assert issubclass(InvalidParameterError, ValueError)


def test_lbp_scales_error_states_the_valid_pairs():
    with pytest.raises(InvalidParameterError, match=r"P an int in the range \[1, 62\]"):
        lbp_histograms(IMAGE, scales=[(70, 1)])


@pytest.mark.parametrize(
    "func, kwargs",
    [
        (fft_spectrum, {"n_bins": np.int64(8), "per_channel": np.bool_(True)}),
        (noise_residual_features, {"q": 2, "truncation": np.int32(3)}),
        (lbp_histograms, {"scales": np.array([[8, 1]]), "channels": "grey"}),
        (region_boxes, {"size": np.int64(40), "margin": np.float64(0.5)}),
        (part_crops, {"part": "mouth", "zoom": 4}),
        (stats_feature_names, {"parts": "nose"}),
    ],
)
def test_numpy_scalars_and_ints_are_accepted(func, kwargs):
    _call(func, **kwargs)


TRANSFORMERS = feature_transformers()
STATELESS = [est for est in TRANSFORMERS if not est.__sklearn_tags__().requires_fit]


def check_param_validation(name, estimator):
    """scikit-learn's ``check_param_validation`` on FaceTruth's constraints.

    One constraint per parameter, and ``fit`` raises InvalidParameterError
    for a value of the wrong type and for one out of range of each constraint.
    """
    params = estimator.get_params(deep=False)
    assert set(estimator._parameter_constraints) == set(params)
    rng = np.random.RandomState(0)
    X, y = rng.uniform(size=(20, 5)), rng.randint(0, 2, size=20)
    bad_type = type("BadType", (), {})()
    for param in params:
        constraints = estimator._parameter_constraints[param]
        if constraints == "no_validation":
            continue
        bad_values = [bad_type]
        for constraint in constraints:
            try:
                bad_values.append(generate_invalid_value(constraint))
            except NotImplementedError:
                pass
        match = rf"The '{param}' parameter of {name} must be .* Got .* instead."
        for value in bad_values:
            bad = clone(estimator).set_params(**{param: value})
            for method in ("fit", "fit_transform"):
                with pytest.raises(InvalidParameterError, match=match):
                    getattr(bad, method)(X, y)


@pytest.mark.parametrize("est", TRANSFORMERS, ids=lambda e: type(e).__name__)
def test_transformers_validate_every_parameter_in_fit(est):
    check_param_validation(type(est).__name__, clone(est))


@pytest.mark.parametrize(
    "est, match",
    [
        (LBPFeatures(scales=[(70, 1)]), "'scales' parameter of LBPFeatures"),
        (LBPFeatures(scales=[(8, 1), (8, 1)]), "'scales' parameter of LBPFeatures"),
        (PartEmbedding(parts=("ear",)), "'parts' parameter of PartEmbedding"),
        (CNNStats(parts=["nose", "nose"]), "'parts' parameter of CNNStats"),
    ],
)
def test_element_checks_run_in_fit(est, match):
    with pytest.raises(InvalidParameterError, match=match):
        est.fit(IMAGE[None])


def test_stateless_transformers_are_the_handcrafted_ones():
    assert [type(e) for e in STATELESS] == [
        FFTFeatures,
        DCTFeatures,
        NoiseFeatures,
        LBPFeatures,
        RegionFeatures,
    ]


@pytest.mark.parametrize("est", STATELESS, ids=lambda e: type(e).__name__)
def test_stateless_transformers_need_no_fit(est):
    images = np.stack([IMAGE, IMAGE[::-1]])
    unfitted = clone(est)
    out = unfitted.transform(images)
    np.testing.assert_array_equal(out, clone(est).fit(images).transform(images))
    names = unfitted.get_feature_names_out()
    assert len(names) == out.shape[1]
    assert not hasattr(unfitted, "feature_names_out_")  # transform fits nothing


@pytest.mark.parametrize("est", STATELESS, ids=lambda e: type(e).__name__)
def test_an_unfitted_stateless_transformer_still_validates(est):
    bad = clone(est).set_params(n_jobs="many")
    with pytest.raises(InvalidParameterError, match="'n_jobs' parameter"):
        bad.transform(IMAGE[None])


def test_network_transformers_require_fit():
    est = CNNEmbedding(image_size=32)
    assert est.__sklearn_tags__().requires_fit
    with pytest.raises(NotFittedError):
        est.transform(IMAGE[None])
    with pytest.raises(NotFittedError):
        est.get_feature_names_out()
