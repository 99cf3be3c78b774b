"""The calibration map never decreases: a weak detector is never turned upside down."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import KNeighborsClassifier

import facetruth
from facetruth.models import CalibratedDetector
from facetruth.models._calibrators import apply_calibrator, fit_calibrator
from facetruth.models._strength import calibration_decreases, detector_weaknesses


def _alternating(n=24):
    """1-D points whose nearest neighbours have the other label.

    A 1-nearest-neighbour classifier then ranks every held-out point wrongly
    (out-of-fold scores anti-correlated with the labels) but every training
    point rightly (each is its own neighbour): the pattern of a tiny weak model.
    """
    X = np.arange(n, dtype=float)[:, None]
    y = np.tile([0, 1], n // 2)
    return X, y


@pytest.mark.parametrize("calibration", ["sigmoid", "isotonic"])
def test_calibrator_is_non_decreasing_on_anti_correlated_scores(calibration):
    scores = np.linspace(0, 1, 40)
    y = (scores < 0.5).astype(int)  # higher score, more often real
    cal = fit_calibrator(calibration, scores, y)
    prob = apply_calibrator(cal, np.linspace(-1, 2, 301))
    assert np.all(np.diff(prob) >= 0)


def test_anti_correlated_sigmoid_is_the_base_rate():
    scores = np.linspace(0, 1, 40)
    y = (scores < 0.3).astype(int)
    prob = apply_calibrator(fit_calibrator("sigmoid", scores, y), scores)
    np.testing.assert_allclose(prob, y.mean())


def test_positive_sigmoid_is_unchanged():
    scores = np.linspace(0, 1, 40)
    y = (scores > 0.5).astype(int)
    y[[3, 30]] = 1 - y[[3, 30]]
    cal = fit_calibrator("sigmoid", scores, y)
    assert cal.coef_[0, 0] > 0
    assert np.all(np.diff(apply_calibrator(cal, scores)) > 0)


def test_detector_with_anti_correlated_oof_scores_is_not_inverted():
    X, y = _alternating()
    det = CalibratedDetector(KNeighborsClassifier(n_neighbors=1), calibration="sigmoid", cv=3).fit(X, y)
    raw = det.estimator_.predict_proba(X)[:, 1]
    assert roc_auc_score(y, raw) == 1.0  # the refitted classifier knows its training points
    prob = det.predict_proba(X)[:, 1]
    assert roc_auc_score(y, prob) >= 0.5  # never inverted (was 0.0 with a decreasing sigmoid)
    # the out-of-fold estimate is not flattered by flipping the scores
    assert det.oof_metrics_["auc"] <= 0.5
    assert detector_weaknesses(det)


def _separable(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    return rng.normal(size=(n, 3)) + 2 * y[:, None], y


def test_a_decreasing_sigmoid_of_an_older_version_is_a_weakness_and_warns_at_load(tmp_path):
    X, y = _separable()
    det = CalibratedDetector(calibration="sigmoid", cv=3, random_state=0).fit(X, y)
    assert not calibration_decreases(det) and not detector_weaknesses(det)
    det.calibrator_.coef_ *= -1  # as fitted before the slope was kept non-negative
    assert calibration_decreases(det)
    reasons = detector_weaknesses(det)
    assert any("calibration decreases" in r and "retrain" in r for r in reasons)
    path = tmp_path / "old.joblib"
    facetruth.save(det, path)
    with pytest.warns(UserWarning, match="calibration decreases.*retrain"):
        loaded = facetruth.load(path)
    assert calibration_decreases(loaded)


def test_a_sound_calibration_loads_without_that_warning(tmp_path, recwarn):
    X, y = _separable()
    for calibration in ("sigmoid", "isotonic", None):
        det = CalibratedDetector(calibration=calibration, cv=3, random_state=0).fit(X, y)
        assert not calibration_decreases(det)
        path = tmp_path / f"{calibration}.joblib"
        facetruth.save(det, path)
        facetruth.load(path)
    assert not [w for w in recwarn if "calibration decreases" in str(w.message)]
