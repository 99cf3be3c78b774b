"""Calibration that cannot say "certain", the uncertainty band, and the cutoffs per side."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from xgboost import XGBClassifier

from facetruth.models import CalibratedDetector
from facetruth.models._calibrators import (
    ISOTONIC_MIN_SAMPLES,
    SmoothIsotonic,
    choose_band,
    probability_floor,
    resolve_calibration,
)


def _separable(n, rng, shift=4.0):
    y = np.repeat([0, 1], n // 2)
    X = rng.normal(size=(n, 5)) + shift * y[:, None]
    return X, y


@pytest.mark.parametrize("calibration", ["auto", "isotonic", "sigmoid"])
def test_no_probability_is_exactly_zero_or_one(calibration, rng):
    X, y = _separable(200, rng)
    clf = CalibratedDetector(XGBClassifier(n_estimators=30), calibration=calibration, cv=3).fit(X, y)
    far = np.vstack([X, X * 10, -X * 10])
    prob = clf.predict_proba(far)[:, 1]
    assert np.all(prob > 0) and np.all(prob < 1)
    assert prob.min() >= clf.prob_floor_ and prob.max() <= 1 - clf.prob_floor_
    assert clf.prob_floor_ == pytest.approx(1 / 202)


def test_auto_picks_sigmoid_for_small_and_isotonic_for_large_sets():
    assert resolve_calibration("auto", ISOTONIC_MIN_SAMPLES - 1) == "sigmoid"
    assert resolve_calibration("auto", ISOTONIC_MIN_SAMPLES) == "isotonic"
    assert resolve_calibration(None, 10) is None
    with pytest.raises(ValueError, match="calibration must be one of"):
        resolve_calibration("beta", 10)


def test_small_set_uses_sigmoid(rng):
    X, y = _separable(120, rng, shift=1.0)
    clf = CalibratedDetector(LogisticRegression(), cv=3).fit(X, y)
    assert clf.calibration_ == "sigmoid"


def test_smooth_isotonic_is_continuous_and_monotone(rng):
    scores = rng.uniform(size=500)
    y = (rng.uniform(size=500) < scores).astype(int)
    cal = SmoothIsotonic().fit(scores, y)
    grid = np.linspace(0, 1, 2001)
    out = cal.predict(grid)
    assert np.all(np.diff(out) >= 0)
    assert np.abs(np.diff(out)).max() < 0.05  # no big steps
    assert np.unique(out).size > 50  # more levels than the isotonic steps


def test_floor_is_laplace():
    assert probability_floor(0) == 0.5
    assert probability_floor(98) == pytest.approx(0.01)


def test_probability_equal_to_the_threshold_is_not_fake(rng):
    X, y = _separable(100, rng, shift=1.0)
    clf = CalibratedDetector(LogisticRegression(), cv=3).fit(X, y)
    clf.threshold_ = float(clf.predict_proba(X[:1])[0, 1])
    assert clf.predict(X[:1])[0] == 0


def test_band_makes_confident_verdicts_right_often_enough(rng):
    n = 2000
    y = rng.integers(0, 2, size=n)
    prob = np.clip(0.5 + (y - 0.5) * 0.3 + rng.normal(scale=0.2, size=n), 0.001, 0.999)
    band = choose_band(y, prob, 0.5, confidence=0.9)
    outside = np.abs(prob - 0.5) > band
    accuracy = np.mean((prob[outside] > 0.5) == y[outside])
    assert band > 0 and accuracy >= 0.9
    assert choose_band(y, prob, 0.5, confidence=0) == 0.0
    # a perfectly separated set needs no band
    assert choose_band(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9]), 0.5) == 0.0


def test_detector_stores_one_cutoff_per_side(rng):
    X, y = _separable(300, rng, shift=0.8)
    clf = CalibratedDetector(LogisticRegression(), cv=3, confidence=0.9).fit(X, y)
    assert clf.real_cutoff_ <= clf.threshold_ < clf.fake_cutoff_
    assert not hasattr(clf, "band_")  # the symmetric band is gone from new detectors
    assert all(0 < clf.side_coverage_[side] < 1 for side in ("real", "fake"))  # overlapping classes
    assert all(clf.side_precision_[side] >= 0.9 for side in ("real", "fake"))
    off = CalibratedDetector(LogisticRegression(), cv=3, confidence=0).fit(X, y)
    assert off.fake_cutoff_ is None and off.real_cutoff_ is None and off.sides_warning_ is None
    with pytest.raises(ValueError, match="confidence"):
        CalibratedDetector(LogisticRegression(), confidence=1.5).fit(X, y)
