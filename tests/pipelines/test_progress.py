import numpy as np
import pytest

from facetruth.evaluation import make_detector
from facetruth.evaluation._cv import cross_validate_features, cv_splits
from facetruth.pipelines import build_features, transform_batches


def test_transform_batches_equals_one_call_and_draws_a_bar(capsys):
    images = np.random.default_rng(1).integers(0, 256, (7, 32, 32, 3), dtype=np.uint8)
    union = build_features("fft,dct").fit(images[:2])
    whole = union.transform(images)
    np.testing.assert_allclose(transform_batches(union, images, batch_size=3), whole)
    np.testing.assert_allclose(transform_batches(union, images, batch_size=3, progress=True), whole)
    err = capsys.readouterr().err
    assert "features: 100%" in err and "7/7" in err
    transform_batches(union, images, batch_size=3)
    assert capsys.readouterr().err == ""
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        transform_batches(union, images, batch_size=0)


def test_cross_validation_calls_on_fold_after_each_fold():
    labels = np.arange(40) % 2
    X = labels[:, None] + np.random.default_rng(0).normal(0, 0.1, (40, 2))
    groups = [str(i) for i in range(40)]
    splits = cv_splits(labels, groups, n_splits=2, n_repeats=2)
    done = []
    cross_validate_features(
        X, labels, groups, splits, make_detector("svm", inner_cv=2), on_fold=lambda: done.append(1)
    )
    assert len(done) == len(splits) == 4
