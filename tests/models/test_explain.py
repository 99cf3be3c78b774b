"""Per-family explanations: exact for XGBoost, occlusion otherwise; the training summary."""

import numpy as np
import pytest

from facetruth.models._explain import (
    family_contributions,
    feature_families,
    log_spectrum,
    training_summary,
)
from facetruth.pipelines import build_pipeline


def _fit(classifier, images, labels):
    pipe = build_pipeline("fft,dct", classifier, "off", image_size=32, cv=2, fft__n_bins=8)
    crops = pipe.named_steps["loader"].fit_transform(images)
    feats = pipe.named_steps["features"].fit_transform(crops)
    pipe.named_steps["classifier"].fit(feats, labels)
    return pipe, crops, feats


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    smooth = [np.full((32, 32, 3), rng.integers(60, 200), np.uint8) for _ in range(12)]
    noisy = [rng.integers(0, 256, (32, 32, 3), dtype=np.uint8) for _ in range(12)]
    return smooth + noisy, np.array([0] * 12 + [1] * 12)


def test_feature_families_follow_the_name_prefixes(data):
    pipe, _, feats = _fit("logistic", *data)
    families, index = feature_families(pipe)
    assert families == ["fft", "dct"]
    assert index.shape == (feats.shape[1],)
    assert (index == 0).sum() == 8 + 5  # dc, 8 bins, 3 energy ratios, slope


def test_xgboost_contributions_add_up_to_the_margin(data):
    from xgboost import DMatrix

    pipe, _, feats = _fit("xgboost", *data)
    result = family_contributions(pipe, feats)
    assert result.method == "pred_contribs" and result.unit == "log-odds"
    booster = pipe[-1].estimator_.get_booster()
    margin = booster.predict(DMatrix(feats.astype(np.float32)), output_margin=True)
    bias = booster.predict(DMatrix(feats.astype(np.float32)), pred_contribs=True)[:, -1]
    np.testing.assert_allclose(result.values.sum(axis=1) + bias, margin, rtol=1e-4, atol=1e-4)
    assert result.as_dicts()[0].keys() == {"fft", "dct"}


def test_occlusion_uses_the_training_mean(data):
    pipe, crops, feats = _fit("logistic", *data)
    prob = pipe[-1].predict_proba(feats)[:, 1]
    # at the baseline itself nothing changes, so every contribution is zero
    at_mean = family_contributions(pipe, feats.mean(axis=0, keepdims=True), baseline=feats.mean(axis=0))
    np.testing.assert_allclose(at_mean.values, 0.0, atol=1e-12)
    # with the scaler's means (the default), one family's value is p(x) - p(x with it at the mean)
    result = family_contributions(pipe, feats)
    assert result.method == "occlusion" and result.unit == "probability"
    occluded = feats.copy()
    occluded[:, feature_families(pipe)[1] == 1] = feats.mean(axis=0)[feature_families(pipe)[1] == 1]
    expected = prob - pipe[-1].predict_proba(occluded)[:, 1]
    np.testing.assert_allclose(result.values[:, 1], expected, atol=1e-5)


def test_no_baseline_means_no_contributions(data):
    pipe, _, feats = _fit("random_forest", *data)
    result = family_contributions(pipe, feats)
    assert result.method == "unavailable" and result.as_dicts() is None
    pipe.facetruth_card_ = {"training_summary": {"feature_mean": feats.mean(axis=0).tolist()}}
    assert family_contributions(pipe, feats).method == "occlusion"
    with pytest.raises(ValueError, match="shape"):
        family_contributions(pipe, feats[:, :3])


def test_training_summary_holds_class_mean_spectra(data):
    pipe, crops, feats = _fit("logistic", *data)
    labels = data[1]
    summary = training_summary(pipe, crops, labels, features=feats, n_bins=16)
    spectra = summary["mean_log_spectrum"]
    expected_fake = np.mean([log_spectrum(c, n_bins=16) for c in crops[labels == 1]], axis=0)
    np.testing.assert_allclose(spectra["fake"], expected_fake, atol=1e-4)
    # constant images have (almost) no AC power; noise has a flat, high spectrum
    assert max(spectra["real"]) < min(spectra["fake"])
    assert summary["counts"] == {"real": 12, "fake": 12}
    np.testing.assert_allclose(summary["feature_mean"], feats.mean(axis=0), rtol=1e-6)
    with pytest.raises(ValueError, match="labels"):
        training_summary(pipe, crops, labels[:-1])


def test_families_computed_once_give_the_same_contributions(data, monkeypatch):
    from facetruth.models import _explain

    pipe, _, feats = _fit("xgboost", *data)
    once = feature_families(pipe)
    expected = family_contributions(pipe, feats)

    def refuse(pipeline):
        raise AssertionError("feature names rebuilt although the families were given")

    monkeypatch.setattr(_explain, "feature_families", refuse)
    given = family_contributions(pipe, feats, families=once)
    assert given.families == expected.families
    np.testing.assert_array_equal(given.values, expected.values)
    with pytest.raises(ValueError, match="X must have shape"):
        family_contributions(pipe, feats[:, :-1], families=once)
