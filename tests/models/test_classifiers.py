"""The linear probe: unit-norm rows, standardised, logistic regression with C chosen by inner AUC."""

import numpy as np
from sklearn.metrics import roc_auc_score

from facetruth.models import CLASSIFIERS, CalibratedDetector, classifier_name, make_classifier


def _directions(n, d, rng, signal=1.5):
    """Rows whose class lies in their direction, with norms that vary a hundredfold and say nothing."""
    y = np.arange(n) % 2
    X = rng.normal(size=(n, d))
    X[:, 0] += signal * (2 * y - 1)
    X *= rng.uniform(0.1, 10.0, size=(n, 1))
    return X, y


def test_linear_probe_is_named_and_built_from_the_logistic_cv_search():
    assert "linear_probe" in CLASSIFIERS
    probe, plain = make_classifier("linear_probe"), make_classifier("logistic_cv")
    assert [step for step, _ in probe.steps] == ["normalizer", "standardscaler", "logisticregressioncv"]
    assert probe[0].norm == "l2"
    assert classifier_name(probe) == "linear_probe" and classifier_name(plain) == "logistic_cv"
    probe_params, plain_params = probe[-1].get_params(), plain[-1].get_params()
    np.testing.assert_array_equal(probe_params.pop("Cs"), plain_params.pop("Cs"))
    assert probe_params == plain_params


def test_linear_probe_fits_and_predicts(rng):
    X, y = _directions(300, 20, rng)
    model = make_classifier("linear_probe").fit(X[:200], y[:200])
    prob = model.predict_proba(X[200:])[:, 1]
    assert prob.shape == (100,) and np.all((prob >= 0) & (prob <= 1))
    assert set(model.predict(X[200:])) <= {0, 1}
    assert roc_auc_score(y[200:], prob) > 0.9


def test_linear_probe_chooses_c_by_inner_auc(rng):
    y = np.arange(200) % 2
    X = np.column_stack([y + rng.normal(0, 0.8, 200), rng.normal(size=(200, 400))])
    search = make_classifier("linear_probe").fit(X, y)[-1]
    assert search.scoring == "roc_auc" and search.cv == 3 and len(search.Cs_) == 6
    assert search.C_ in search.Cs_
    assert search.C_ < 10  # wide noise: not the weakest penalty of the grid


def test_rows_of_any_norm_give_the_same_prediction(rng):
    X, y = _directions(200, 10, rng)
    scale = rng.uniform(1e-3, 1e3, size=(len(X), 1))
    model = make_classifier("linear_probe").fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X * scale), model.predict_proba(X), rtol=1e-10)
    np.testing.assert_array_equal(model.predict(X * scale), model.predict(X))
    refit = make_classifier("linear_probe").fit(X * scale, y)
    np.testing.assert_allclose(refit[-1].coef_, model[-1].coef_, rtol=1e-8, atol=1e-12)
    assert refit[-1].C_ == model[-1].C_


def test_linear_probe_inside_a_calibrated_detector(rng):
    X, y = _directions(200, 16, rng)
    detector = CalibratedDetector(make_classifier("linear_probe"), cv=3).fit(X, y)
    prob = detector.predict_proba(X * 7.0)[:, 1]
    np.testing.assert_allclose(prob, detector.predict_proba(X)[:, 1])
    assert np.mean(detector.predict(X) == y) > 0.8
