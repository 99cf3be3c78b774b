"""The feature-space distance behind out_of_distribution verdicts."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from facetruth.models import CalibratedDetector
from facetruth.models._novelty import NOVELTY_PERCENTILE, FeatureNovelty, rms_zscore


def test_rms_zscore_is_the_root_mean_square_of_standardised_features(rng):
    X = rng.normal(size=(5, 3))
    mean, scale = np.array([1.0, -1.0, 0.0]), np.array([2.0, 0.5, 1.0])
    expected = np.sqrt((((X - mean) / scale) ** 2).mean(axis=1))
    np.testing.assert_allclose(rms_zscore(X, mean, scale), expected)


def test_the_limit_leaves_about_half_a_percent_of_like_rows_outside(rng):
    X = rng.normal(size=(4000, 20)) * np.arange(1, 21) + 5
    novelty = FeatureNovelty().fit(X, folds=KFold(5, shuffle=True, random_state=0).split(X))
    new = rng.normal(size=(20000, 20)) * np.arange(1, 21) + 5
    assert novelty.percentile == NOVELTY_PERCENTILE
    assert 0.002 < novelty.is_novel(new).mean() < 0.01
    assert novelty.is_novel(new * 3).mean() > 0.9


def test_out_of_fold_distances_do_not_understate_small_sets(rng):
    X = rng.normal(size=(30, 50))
    in_sample = FeatureNovelty().fit(X)
    out_of_fold = FeatureNovelty().fit(X, folds=KFold(3).split(X))
    assert out_of_fold.limit_ > in_sample.limit_
    new = rng.normal(size=(2000, 50))
    assert out_of_fold.is_novel(new).mean() < 0.1 < in_sample.is_novel(new).mean()


def test_constant_features_and_bad_percentile(rng):
    X = np.c_[rng.normal(size=(50, 2)), np.full(50, 7.0)]
    novelty = FeatureNovelty().fit(X)
    assert novelty.scale_[2] == 1.0 and np.isfinite(novelty.distance(X)).all()
    with pytest.raises(ValueError, match="percentile"):
        FeatureNovelty(percentile=0).fit(X)


def test_the_detector_keeps_novelty_statistics_without_changing_its_probabilities(rng):
    X = rng.normal(size=(200, 6))
    y = (X[:, 0] + rng.normal(size=200) > 0).astype(int)
    det = CalibratedDetector(LogisticRegression(), cv=3).fit(X, y)
    assert det.novelty_.limit_ > 0 and det.novelty(X).shape == (200,)
    assert det.novelty(X[:1] * 20).item() > det.novelty_.limit_
    np.testing.assert_allclose(det.novelty_.mean_, X.mean(axis=0))
    with pytest.raises(ValueError, match="features"):
        det.novelty(X[:, :3])
