"""One cutoff per side, chosen on out-of-fold data: both sides reachable, whatever the threshold."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from facetruth.models import CalibratedDetector
from facetruth.models._calibrators import choose_band, choose_cutoffs
from facetruth.pipelines._verdicts import VerdictRules


class ColumnScore(ClassifierMixin, BaseEstimator):
    """A 'classifier' whose score is its first feature: the out-of-fold scores are the data."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        p = np.asarray(X, dtype=float)[:, 0]
        return np.column_stack([1 - p, p])


def _shifted_scores(rng):
    """Out-of-fold scores whose errors are confident 'real' calls: 40 fakes the model misses."""
    real = rng.uniform(0.02, 0.5, 200)
    caught = rng.uniform(0.6, 0.99, 150)
    missed = np.r_[0.01, rng.uniform(0.02, 0.1, 39)]  # the lowest score of all is a fake
    prob = np.r_[real, caught, missed]
    y = np.r_[np.zeros(200, int), np.ones(190, int)]
    return prob, y


def _fakes_called(rules, prob):
    return sum(rules.judge(p, {})[0] == "fake" for p in prob)


def test_a_threshold_above_half_still_calls_its_confident_fakes_fake(rng):
    prob, y = _shifted_scores(rng)
    detector = CalibratedDetector(ColumnScore(), calibration=None, threshold=0.558, cv=5)
    detector.fit(prob[:, None], y)
    assert detector.threshold_ == 0.558
    # the old rule: one symmetric band, wide enough that the confident side's verdicts are 95 % right
    band = choose_band(y, prob, detector.threshold_, 0.95)
    assert detector.threshold_ + band > 1
    old = VerdictRules(threshold=detector.threshold_, band=band)
    assert _fakes_called(old, prob) == 0
    # the new rule: the fake side has its own cutoff
    new = VerdictRules(
        threshold=detector.threshold_, real_cutoff=detector.real_cutoff_, fake_cutoff=detector.fake_cutoff_
    )
    called = prob >= detector.fake_cutoff_
    assert _fakes_called(new, prob) == called.sum() >= 140
    assert y[called].mean() >= 0.95 and detector.side_precision_["fake"] == y[called].mean()
    assert detector.side_coverage_["fake"] == pytest.approx(called[y == 1].mean())


def test_the_fake_cutoff_is_the_smallest_that_reaches_the_confidence(rng):
    prob, y = _shifted_scores(rng)
    cut = choose_cutoffs(y, prob, 0.558, 0.95)
    assert cut.reached["fake"] and y[prob >= cut.fake].mean() >= 0.95
    below = np.unique(prob[(prob > 0.558) & (prob < cut.fake)])
    assert all(y[prob >= t].mean() < 0.95 for t in below)
    # the real side: the missed fakes sit among the most confident reals, so no cutoff reaches 95 %
    assert not cut.reached["real"] and cut.real == prob[y == 0].min()
    assert cut.coverage["real"] == pytest.approx(1 / 200)


@pytest.mark.parametrize("seed", range(20))
def test_both_cutoffs_are_reachable_and_ordered(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(10, 400))
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    prob = np.clip(
        0.5 + rng.uniform(-0.4, 0.4) + (y - 0.5) * rng.uniform(-0.2, 0.8) + rng.normal(0, 0.2, n), 0, 1
    )
    threshold = float(rng.uniform(0.2, 0.8))
    confidence = float(rng.uniform(0.6, 0.99))
    cut = choose_cutoffs(y, prob, threshold, confidence)
    assert prob[y == 0].min() <= cut.real < cut.fake <= prob[y == 1].max()
    assert cut.coverage["fake"] > 0 and cut.coverage["real"] > 0
    for side, label, called in (("fake", 1, prob >= cut.fake), ("real", 0, prob <= cut.real)):
        if cut.reached[side]:
            assert (y[called] == label).mean() >= confidence
            assert (cut.fake > threshold) if side == "fake" else (cut.real <= threshold or cut.crossed)
            assert cut.precision[side] == pytest.approx((y[called] == label).mean())


def test_sides_that_meet_are_pulled_apart():
    # every score the same: neither side reaches the confidence, both fall back to the one score
    y, prob = np.array([0, 1, 0, 1]), np.full(4, 0.5)
    cut = choose_cutoffs(y, prob, 0.5, 0.95)
    assert cut.crossed and not any(cut.reached.values())
    assert cut.real < cut.fake == 0.5 and cut.coverage == {"real": 0.0, "fake": 1.0}


def test_choose_cutoffs_refuses_bad_input():
    with pytest.raises(ValueError, match="both classes"):
        choose_cutoffs([1, 1], [0.2, 0.8], 0.5)
    with pytest.raises(ValueError, match="confidence"):
        choose_cutoffs([0, 1], [0.2, 0.8], 0.5, confidence=1.0)


def test_a_side_that_covers_under_half_its_class_is_recorded(rng):
    prob, y = _shifted_scores(rng)
    detector = CalibratedDetector(ColumnScore(), calibration=None, threshold=0.558, cv=5)
    warning = detector.fit(prob[:, None], y).sides_warning_
    assert "\n" not in warning and "reals" in warning and "fakes" not in warning
    assert "no cutoff makes them right 95%" in warning and "--confidence" in warning
    clean = np.r_[rng.uniform(0.0, 0.4, 50), rng.uniform(0.6, 1.0, 50)]
    labels = np.repeat([0, 1], 50)
    detector = CalibratedDetector(ColumnScore(), calibration=None, threshold=0.5, cv=5)
    assert detector.fit(clean[:, None], labels).sides_warning_ is None
    assert detector.side_coverage_ == {"real": 1.0, "fake": 1.0}
