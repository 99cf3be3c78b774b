import numpy as np
import pytest

from facetruth.metrics import (
    coverage_curve,
    detection_metrics,
    equal_error_rate,
    f1_threshold,
    flag_rates,
    reliability_curve,
)


def test_perfect_separation():
    y = np.array([0, 0, 0, 1, 1, 1])
    s = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    m = detection_metrics(y, s, threshold=0.5)
    assert m["auc"] == 1.0 and m["ap"] == 1.0 and m["eer"] == 0.0
    assert m["confusion"] == [[3, 0], [0, 3]]
    assert m["accuracy"] == 1.0 and m["f1"] == 1.0
    eer, thr = equal_error_rate(y, s)
    assert eer == 0.0 and 0.3 < thr <= 0.7


def test_random_scores_have_eer_near_half(rng):
    y = rng.integers(0, 2, 4000)
    s = rng.random(4000)
    eer, _ = equal_error_rate(y, s)
    assert 0.45 < eer < 0.55


def test_eer_matches_definition(rng):
    y = rng.integers(0, 2, 500)
    s = y * 0.5 + rng.random(500)
    eer, thr = equal_error_rate(y, s)
    pred = s >= thr
    fpr = pred[y == 0].mean()
    fnr = (~pred[y == 1]).mean()
    assert abs(fpr - fnr) < 0.03
    assert abs(eer - (fpr + fnr) / 2) < 0.03


def test_confusion_layout_and_threshold():
    y = np.array([0, 1, 1, 0])
    s = np.array([0.6, 0.4, 0.9, 0.1])
    m = detection_metrics(y, s, threshold=0.5)
    # [[tn, fp], [fn, tp]]
    assert m["confusion"] == [[1, 1], [1, 1]]
    assert m["threshold"] == 0.5


def test_f1_threshold_maximises_f1():
    y = np.array([0, 0, 1, 1, 1])
    s = np.array([0.1, 0.6, 0.5, 0.7, 0.9])
    f1, thr = f1_threshold(y, s)
    assert thr == 0.5 and f1 == pytest.approx(2 * 0.75 * 1 / 1.75)


def test_single_class_has_no_ranking_metrics():
    m = detection_metrics([1, 1, 1], [0.2, 0.9, 0.8])
    assert m["auc"] is None and m["eer"] is None and m["recall"] == pytest.approx(2 / 3)


def test_bad_labels_rejected():
    with pytest.raises(ValueError, match="0 \\(real\\) and 1"):
        detection_metrics([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="entries"):
        detection_metrics([0, 1], [0.1])


def test_reliability_curve_of_calibrated_scores(rng):
    p = rng.random(20000)
    y = (rng.random(20000) < p).astype(int)
    curve = reliability_curve(y, p, n_bins=10)
    assert np.allclose(curve["mean_predicted"], curve["fraction_fake"], atol=0.03)
    assert sum(curve["count"]) == 20000


def test_a_score_equal_to_the_threshold_is_real():
    m = detection_metrics([0, 1], [0.5, 0.9], threshold=0.5)
    assert m["confusion"] == [[1, 0], [0, 1]]


def test_coverage_curve_trades_coverage_for_accuracy(rng):
    y = rng.integers(0, 2, 2000)
    prob = np.clip(0.5 + (y - 0.5) * rng.uniform(0, 0.8, 2000) + rng.normal(0, 0.15, 2000), 0, 1)
    curve = coverage_curve(y, prob, 0.5)
    band, coverage, accuracy = curve["band"], curve["coverage"], curve["accuracy"]
    assert band[0] == 0 and coverage[0] == 1 and accuracy[0] == pytest.approx(((prob > 0.5) == y).mean())
    assert np.all(np.diff(band) > 0) and np.all(np.diff(coverage) <= 0) and coverage[-1] == 0
    assert accuracy[-1] is None and accuracy[len(band) // 2] > accuracy[0]
    # each point as the definition says: |prob - t| <= band has no verdict
    k = len(band) // 3
    covered = np.abs(prob - 0.5) > band[k]
    assert coverage[k] == pytest.approx(covered.mean())
    assert accuracy[k] == pytest.approx(((prob[covered] > 0.5) == y[covered]).mean())


def test_coverage_curve_on_given_bands():
    curve = coverage_curve([0, 1, 1], [0.2, 0.6, 0.95], 0.5, bands=[0.3, 0.0, 0.1])
    assert curve == {"band": [0.0, 0.1, 0.3], "coverage": [1.0, 2 / 3, 1 / 3], "accuracy": [1.0, 1.0, 1.0]}
    with pytest.raises(ValueError, match="negative"):
        coverage_curve([0, 1], [0.2, 0.8], 0.5, bands=[-0.1])


def test_flag_rates():
    assert flag_rates([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1], 0.5) == {
        "flag_rate": 0.25,
        "flag_rate_fake": 0.5,
        "flag_rate_real": 0.0,
    }
    with pytest.raises(ValueError, match="entries"):
        flag_rates([1, 0], [0.5], 0.5)
