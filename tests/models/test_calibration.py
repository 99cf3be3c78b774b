import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from facetruth.metrics import equal_error_rate
from facetruth.models import CalibratedDetector


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=400, n_features=12, n_informative=5, random_state=0, flip_y=0.05)


def test_xgboost_default_learns_and_stores_threshold(data):
    X, y = data
    clf = CalibratedDetector(cv=3).fit(X, y)
    assert 0 < clf.threshold_ < 1
    assert clf.oof_metrics_["auc"] > 0.85
    p = clf.predict_proba(X)
    assert p.shape == (len(y), 2) and np.allclose(p.sum(1), 1)
    assert ((p[:, 1] >= 0) & (p[:, 1] <= 1)).all()
    # predict uses the stored threshold, not 0.5
    assert np.array_equal(clf.predict(X), (p[:, 1] >= clf.threshold_).astype(int))
    assert clf.estimator_.best_iteration < 600  # early stopping happened


def test_threshold_at_oof_equal_error_rate(data):
    X, y = data
    clf = CalibratedDetector(LogisticRegression(), cv=4, threshold="eer").fit(X, y)
    fixed = CalibratedDetector(LogisticRegression(), cv=4, threshold=0.9).fit(X, y)
    assert fixed.threshold_ == 0.9
    assert fixed.predict(X).mean() < clf.predict(X).mean()


def test_threshold_f1_and_sigmoid(data):
    X, y = data
    clf = CalibratedDetector(LogisticRegression(), calibration="sigmoid", threshold="f1").fit(X, y)
    eer_clf = CalibratedDetector(LogisticRegression(), calibration="sigmoid", threshold="eer").fit(X, y)
    assert clf.oof_metrics_["f1"] >= eer_clf.oof_metrics_["f1"] - 1e-9
    assert clf.threshold_ != eer_clf.threshold_


def test_eer_threshold_balances_errors_on_oof():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(600, 3))
    y = (X[:, 0] + rng.normal(scale=1.0, size=600) > 0.8).astype(int)  # imbalanced
    clf = CalibratedDetector(LogisticRegression(), cv=5).fit(X, y)
    eer, _ = equal_error_rate(y, clf.predict_proba(X)[:, 1])
    assert abs(clf.oof_metrics_["eer"] - eer) < 0.1


def test_string_labels_and_groups(data):
    X, y = data
    labels = np.where(y == 1, "fake", "real")
    groups = np.arange(len(y)) // 4
    clf = CalibratedDetector(LogisticRegression(), cv=3).fit(X, labels, groups=groups)
    assert set(clf.predict(X)) <= {"fake", "real"}
    assert list(clf.classes_) == ["fake", "real"]


@pytest.mark.parametrize(
    "params, match",
    [
        ({"calibration": "beta"}, "calibration"),
        ({"threshold": "youden"}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"cv": 1}, "cv"),
    ],
)
def test_invalid_params(data, params, match):
    X, y = data
    with pytest.raises(ValueError, match=match):
        CalibratedDetector(LogisticRegression(), **params).fit(X, y)


def test_multiclass_rejected():
    X = np.random.default_rng(0).normal(size=(30, 2))
    with pytest.raises(ValueError, match="Only binary classification"):
        CalibratedDetector(LogisticRegression()).fit(X, np.arange(30) % 3)
