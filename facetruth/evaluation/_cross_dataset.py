"""Cross-dataset generalisation: train on one data set, test on another.

Detectors trained on one generator or manipulation often fail on another
(Cozzolino et al., "ForensicTransfer", 2018; Wang et al., CVPR 2020); this
measures how far each feature set carries.
"""

import logging
import time

import numpy as np

from ..metrics import detection_metrics
from ..pipelines import TrainingExtras
from ._features import (
    describe_estimators,
    extract_families,
    fold_detector,
    load_crops,
    stack_families,
)
from ._sets import sets_and_families

logger = logging.getLogger(__name__)


def cross_dataset(train_set, test_set, loader, features, detector, feature_sets, *, extras=None):
    """Fit one detector per feature set on ``train_set`` and score ``test_set``.

    The decision threshold is the one chosen on the training set (out-of-fold,
    inside the :class:`~facetruth.models.CalibratedDetector`), so threshold
    metrics show the shift between the sets as well as the AUC does.

    Parameters
    ----------
    train_set, test_set : Dataset
    loader : ImageLoader
        Unfitted; crops both sets.
    features : FeatureUnion
        Every family the sets need.
    detector : CalibratedDetector
        Unfitted; each set fits a clone.
    feature_sets : sequence of str or dict
        Set names or ``{name: [families]}``.
    extras : TrainingExtras, default=None
        Extra training rows made from ``train_set``'s crops
        (:func:`~facetruth.pipelines.build_extras`); with pseudo-fakes,
        ``train_set`` may hold real images only.

    Returns
    -------
    result : dict
        ``metrics`` (set name to :func:`~facetruth.metrics.detection_metrics`
        on the test set) and ``meta`` (hashes and counts of both sets).

    Examples
    --------
    >>> import tempfile
    >>> from facetruth.data import load_dataset, make_demo_dataset
    >>> from facetruth.evaluation import cross_dataset, make_detector
    >>> from facetruth.pipelines import build_features, build_loader
    >>> folder = tempfile.mkdtemp()
    >>> _ = make_demo_dataset(n=12, size=32, out=folder)
    >>> data = load_dataset(folder)
    >>> result = cross_dataset(
    ...     data, data, build_loader("off", 32), build_features("fft"),
    ...     make_detector("svm", inner_cv=2), ["fft"],
    ... )
    >>> result["metrics"]["fft"]["n"]
    12
    """
    start = time.perf_counter()
    sets, families = sets_and_families(feature_sets, features)
    one_class = extras is not None and bool(extras.ratio)
    train = load_crops(train_set, loader, one_class=one_class)
    test = load_crops(test_set, loader)
    extra = (extras or TrainingExtras()).make(train.images, train.labels)
    images, y_train, g_train = extra.append_to(train.images, train.labels, train.groups)
    feats_train = extract_families(images, features, families, timing_sample=0)
    feats_test = extract_families(test.images, features, families, timing_sample=0)
    metrics = {}
    for name, fams in sets.items():
        X_train, _ = stack_families(feats_train, fams)
        X_test, _ = stack_families(feats_test, fams)
        det = fold_detector(detector)
        det.fit(X_train, y_train, groups=g_train)
        prob = det.predict_proba(X_test)[:, 1]
        metrics[name] = detection_metrics(test.labels, prob, det.threshold_)
        metrics[name]["train_oof_auc"] = det.oof_metrics_["auc"]
        logger.info("%s: AUC %.4f", name, metrics[name]["auc"])
    return {
        "metrics": metrics,
        "meta": {
            "train": _describe(train_set, train),
            "test": _describe(test_set, test),
            "seed": detector.random_state,
            **describe_estimators(loader, features, detector, extras),
            "extra_training_rows": extra.counts(),
            "wall_seconds": round(time.perf_counter() - start, 1),
        },
    }


def _describe(dataset, loaded):
    counts = np.bincount(loaded.labels, minlength=2)
    return {
        "data": str(getattr(dataset, "root", "") or ""),
        "manifest_sha256": dataset.manifest_hash(),
        "counts": {"real": int(counts[0]), "fake": int(counts[1])},
        "n_skipped": len(loaded.skipped),
    }
