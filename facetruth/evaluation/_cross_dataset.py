"""Cross-dataset generalisation: train on one data set, test on another.

Detectors trained on one generator or manipulation often fail on another
(Cozzolino et al., "ForensicTransfer", 2018; Wang et al., CVPR 2020); this
measures how far each feature set carries.
"""

import logging
import time

import numpy as np

from ..metrics import detection_metrics
from ..pipelines import training_extras
from ._features import classifier_label, extract_families, load_crops, make_detector, stack_families

logger = logging.getLogger(__name__)


def cross_dataset(
    train_set,
    test_set,
    feature_sets=("fft", "dct", "noise", "lbp", "cnn", "handcrafted", "all"),
    *,
    face="auto",
    image_size=256,
    cache=None,
    n_jobs=None,
    device="auto",
    random_state=0,
    align=False,
    pseudo_fakes=None,
    augment=None,
    backbone=None,
    classifier="xgboost",
):
    """Fit one detector per feature set on ``train_set`` and score ``test_set``.

    The decision threshold is the one chosen on the training set (out-of-fold,
    inside the :class:`~facetruth.models.CalibratedDetector`), so threshold
    metrics show the shift between the sets as well as the AUC does.

    Parameters
    ----------
    train_set, test_set : Dataset
    feature_sets : sequence of str or dict
        Set names or ``{name: [families]}``.
    face, image_size, cache, n_jobs, device, random_state :
        Loader, feature and classifier settings.
    align : {False, "eyes", "canonical"}, default=False
        Face alignment of the loader, for both sets.
    pseudo_fakes, augment : str or None
        Extra training rows made from ``train_set``'s crops (see
        :func:`~facetruth.pipelines.training_extras`); with pseudo-fakes,
        ``train_set`` may hold real images only.
    backbone : str or os.PathLike, default=None
        Fine-tuned CNN backbone for the CNN families (``cnn``, ``parts``,
        ``cnnstats``).
    classifier : str, default="xgboost"
        Base classifier (see :func:`~facetruth.pipelines.make_classifier`).

    Returns
    -------
    result : dict
        ``metrics`` (set name to :func:`~facetruth.evaluation.detection_metrics`
        on the test set) and ``meta`` (hashes and counts of both sets).
    """
    from ._experiment import resolve_sets

    start = time.perf_counter()
    sets = resolve_sets(feature_sets)
    families = list(dict.fromkeys(f for fams in sets.values() for f in fams))
    kw = {"face": face, "image_size": image_size, "align": align, "cache": cache, "n_jobs": n_jobs}
    train = load_crops(train_set, one_class=bool(pseudo_fakes), **kw)
    test = load_crops(test_set, **kw)
    extra = training_extras(
        train.images,
        train.labels,
        pseudo_fakes=pseudo_fakes,
        augment=augment,
        random_state=random_state,
        n_jobs=n_jobs,
    )
    fkw = {"cache": cache, "n_jobs": n_jobs, "device": device, "timing_sample": 0, "backbone": backbone}
    images, y_train, g_train = extra.append_to(train.images, train.labels, train.groups)
    feats_train = extract_families(images, families, **fkw)
    feats_test = extract_families(test.images, families, **fkw)
    metrics = {}
    for name, fams in sets.items():
        X_train, _ = stack_families(feats_train, fams)
        X_test, _ = stack_families(feats_test, fams)
        det = make_detector(random_state=random_state, device=device, classifier=classifier)
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
            "seed": random_state,
            "face": face,
            "image_size": image_size,
            "align": align,
            "pseudo_fakes": pseudo_fakes,
            "augment": augment,
            "backbone": str(backbone) if backbone else None,
            "classifier": classifier_label(classifier),
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
