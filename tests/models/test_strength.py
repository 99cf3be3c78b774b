"""Detectors no better than chance are refused."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from facetruth.exceptions import WeakModelError
from facetruth.models import CalibratedDetector, check_detector
from facetruth.models._strength import detector_weaknesses


def test_random_labels_are_refused(rng):
    X = rng.normal(size=(120, 8))
    y = rng.permutation(np.repeat([0, 1], 60))
    clf = CalibratedDetector(LogisticRegression(), cv=3).fit(X, y)
    with pytest.raises(WeakModelError, match="out-of-fold ROC-AUC is 0.[0-5]"):
        check_detector(clf)


def test_constant_predictions_are_refused(rng):
    X = np.zeros((40, 3))
    y = np.repeat([0, 1], 20)
    clf = CalibratedDetector(LogisticRegression(), cv=2).fit(X, y)
    assert "it gives every image the same probability" in detector_weaknesses(clf)


def test_a_working_detector_passes_and_pipelines_are_checked_by_their_last_step(rng):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = np.repeat([0, 1], 50)
    X = rng.normal(size=(100, 4)) + 2 * y[:, None]
    pipe = make_pipeline(StandardScaler(), CalibratedDetector(LogisticRegression(), cv=3)).fit(X, y)
    assert check_detector(pipe) is pipe
    assert detector_weaknesses(pipe, min_auc=0.999) != []
