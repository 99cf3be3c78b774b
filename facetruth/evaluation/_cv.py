"""Grouped, stratified cross-validation of feature sets on shared folds.

Every feature set is evaluated on the same folds: ``StratifiedGroupKFold``
over the data set's groups (identity, source video), so the same image,
video or identity never lands in two folds. Each fold fits a fresh
:class:`~facetruth.models.CalibratedDetector`, whose threshold is chosen on
the training part only, and scores the held-out part at that threshold.
"""

import logging

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from ..exceptions import FaceTruthError
from ..metrics import detection_metrics
from ._features import fold_detector, make_detector

logger = logging.getLogger(__name__)

#: metrics summarised as mean and std over folds
SUMMARY_METRICS = (
    "auc",
    "ap",
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "eer",
    "brier",
)


class FoldLeakError(FaceTruthError):
    """A group (image, video or identity) appears in more than one test fold or on both sides of a split.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.evaluation._cv import FoldLeakError, check_no_leak
    >>> split = {"repeat": 0, "fold": 0, "train": np.array([0, 1]), "test": np.array([2, 3])}
    >>> try:
    ...     check_no_leak([split], ["a", "b", "b", "c"])
    ... except FoldLeakError as exc:
    ...     print(exc)
    groups on both sides of fold 0: ...
    """


def cv_splits(labels, groups, *, n_splits=5, n_repeats=1, random_state=0):
    """Stratified group k-fold splits, optionally repeated with different seeds.

    Parameters
    ----------
    labels : array-like of shape (n_samples,)
        1 = fake, 0 = real.
    groups : array-like of shape (n_samples,)
        Items sharing a group are kept in one fold.
    n_splits : int, default=5
    n_repeats : int, default=1
        Repeat ``r`` shuffles with seed ``random_state + r``.
    random_state : int, default=0

    Returns
    -------
    splits : list of dict
        ``repeat``, ``fold``, ``train`` and ``test`` (index arrays).

    Raises
    ------
    ValueError
        When there are fewer groups than folds.

    Examples
    --------
    >>> from facetruth.evaluation._cv import cv_splits
    >>> labels = [0, 1] * 6
    >>> groups = [f"id{i // 2}" for i in range(12)]  # two images per identity
    >>> splits = cv_splits(labels, groups, n_splits=3, n_repeats=2)
    >>> len(splits), sorted(splits[0]), [len(s["test"]) for s in splits[:3]]
    (6, ['fold', 'repeat', 'test', 'train'], [4, 4, 4])
    """
    labels = np.asarray(labels).astype(int)
    _, group_ids = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    if int(n_splits) < 2 or int(n_repeats) < 1:
        raise ValueError(f"need n_splits >= 2 and n_repeats >= 1; got {n_splits}, {n_repeats}.")
    if group_ids.max() + 1 < n_splits:
        raise ValueError(f"{group_ids.max() + 1} groups cannot fill {n_splits} folds.")
    splits = []
    for repeat in range(int(n_repeats)):
        cv = StratifiedGroupKFold(int(n_splits), shuffle=True, random_state=int(random_state) + repeat)
        for fold, (train, test) in enumerate(cv.split(np.zeros(len(labels)), labels, group_ids)):
            splits.append({"repeat": repeat, "fold": fold, "train": train, "test": test})
    check_no_leak(splits, groups)
    return splits


def check_no_leak(splits, groups):
    """Raise :class:`FoldLeakError` when a group crosses a split or two test folds of a repeat.

    Parameters
    ----------
    splits : list of dict
        As returned by :func:`cv_splits`.
    groups : array-like of shape (n_samples,)

    Raises
    ------
    FoldLeakError
        Naming the group and the folds.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.evaluation._cv import FoldLeakError, check_no_leak
    >>> folds = [
    ...     {"repeat": 0, "fold": 0, "train": np.array([0, 1]), "test": np.array([2, 3])},
    ...     {"repeat": 0, "fold": 1, "train": np.array([2, 3]), "test": np.array([0, 1])},
    ... ]
    >>> check_no_leak(folds, ["a", "a", "b", "b"])  # no leak: returns None
    >>> try:
    ...     check_no_leak(folds, ["a", "b", "b", "c"])
    ... except FoldLeakError as exc:
    ...     print(exc)
    groups on both sides of fold 0: ...
    """
    groups = np.asarray(groups, dtype=str)
    seen = {}
    for split in splits:
        train, test = set(groups[split["train"]]), set(groups[split["test"]])
        both = train & test
        if both:
            raise FoldLeakError(f"groups on both sides of fold {split['fold']}: {sorted(both)[:5]}")
        owner = seen.setdefault(split["repeat"], {})
        for g in test:
            if g in owner:
                raise FoldLeakError(f"group {g!r} is in test folds {owner[g]} and {split['fold']}.")
            owner[g] = split["fold"]


def summarise(fold_metrics, names=SUMMARY_METRICS):
    """Mean and standard deviation (ddof=0) of each metric over folds, ignoring ``None``."""
    out = {}
    for name in names:
        values = [m[name] for m in fold_metrics if m.get(name) is not None]
        out[name] = {
            "mean": float(np.mean(values)) if values else None,
            "std": float(np.std(values)) if values else None,
        }
    return out


def video_scores(prob, labels, videos):
    """Video-level scores: the mean of each video's frame scores.

    Parameters
    ----------
    prob : array-like of shape (n_frames,)
        ``prob_fake`` of each frame.
    labels : array-like of shape (n_frames,)
        1 = fake, 0 = real.
    videos : array-like of shape (n_frames,)
        Source video of each frame.

    Returns
    -------
    prob : ndarray of shape (n_videos,)
    labels : ndarray of shape (n_videos,)
        A video is fake when any of its frames is labelled fake.
    videos : ndarray of str
        Sorted video names.

    Examples
    --------
    >>> from facetruth.evaluation._cv import video_scores
    >>> prob, labels, videos = video_scores([0.2, 0.4, 0.9, 0.7], [0, 0, 1, 1], ["a", "a", "b", "b"])
    >>> prob.round(2).tolist(), labels.tolist(), videos.tolist()
    ([0.3, 0.8], [0, 1], ['a', 'b'])
    """
    videos = np.asarray(videos, dtype=str)
    names, inverse = np.unique(videos, return_inverse=True)
    count = np.bincount(inverse)
    mean = np.bincount(inverse, weights=np.asarray(prob, dtype=float)) / count
    label = np.zeros(len(names), dtype=int)
    np.maximum.at(label, inverse, np.asarray(labels, dtype=int))
    return mean, label, names


def cross_validate_features(
    X, labels, groups, splits, detector=None, *, videos=None, column_family=None, extra=None, on_fold=None
):
    """Cross-validate one feature matrix on given folds.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    labels, groups : array-like of shape (n_samples,)
    splits : list of dict
        From :func:`cv_splits`; the same for every feature set compared.
    detector : CalibratedDetector, default=None
        Unfitted; each fold fits a clone (XGBoost with gain importances).
        ``None`` is :func:`~facetruth.evaluation.make_detector`'s XGBoost.
    videos : array-like of shape (n_samples,), default=None
        Source video of each frame; adds video-level metrics (mean frame score).
    column_family : array-like of str of shape (n_features,), default=None
        Family of each column; adds the gain importance summed per family.
    extra : tuple of (ndarray, ndarray, ndarray), default=None
        ``(X_extra, labels_extra, sources)``: extra training rows (pseudo-fakes,
        augmented copies) and the index of the sample each was made from. A
        fold trains on the extra rows whose source is in its training part,
        and never tests on extra rows.
    on_fold : callable, default=None
        Called with no argument after each fold (a progress bar's ``update``).

    Returns
    -------
    result : dict
        ``folds`` (per-fold metrics), ``summary`` (mean/std), ``oof_prob``
        (out-of-fold probability of repeat 0), ``confusion`` (summed over the
        folds of repeat 0, each at its own threshold), and optionally
        ``video_folds``, ``video_summary`` and ``importance`` (share of total
        gain per family, averaged over folds).

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.evaluation import make_detector
    >>> from facetruth.evaluation._cv import cross_validate_features, cv_splits
    >>> labels = np.arange(40) % 2
    >>> X = labels[:, None] + np.random.default_rng(0).normal(0, 0.1, (40, 2))
    >>> groups = [str(i) for i in range(40)]
    >>> splits = cv_splits(labels, groups, n_splits=2)
    >>> res = cross_validate_features(X, labels, groups, splits, make_detector("svm", inner_cv=2))
    >>> [fold["n"] for fold in res["folds"]]
    [20, 20]
    """
    detector = make_detector() if detector is None else detector
    labels = np.asarray(labels).astype(int)
    groups = np.asarray(groups, dtype=str)
    oof = np.full(len(labels), np.nan)
    oof_threshold, oof_band = np.full(len(labels), np.nan), np.full(len(labels), np.nan)
    oof_cutoffs = np.full((len(labels), 2), np.nan)  # each fold's (real, fake) cutoffs, NaN without
    folds, video_folds, importances = [], [], []
    confusion = np.zeros((2, 2), dtype=int)
    for split in splits:
        train, test = split["train"], split["test"]
        det = fold_detector(detector)
        X_fit, y_fit, g_fit = _training_rows(X, labels, groups, train, extra)
        det.fit(X_fit, y_fit, groups=g_fit)
        prob = det.predict_proba(X[test])[:, 1]
        m = detection_metrics(labels[test], prob, det.threshold_)
        folds.append({"repeat": split["repeat"], "fold": split["fold"], "n_train": len(y_fit), **m})
        if split["repeat"] == 0:
            oof[test] = prob
            oof_threshold[test] = det.threshold_
            oof_band[test] = getattr(det, "band_", 0.0)
            if getattr(det, "fake_cutoff_", None) is not None:
                oof_cutoffs[test] = (det.real_cutoff_, det.fake_cutoff_)
            confusion += np.asarray(m["confusion"])
        if videos is not None:
            vp, vl, _ = video_scores(prob, labels[test], np.asarray(videos)[test])
            vm = detection_metrics(vl, vp, det.threshold_)
            video_folds.append({"repeat": split["repeat"], "fold": split["fold"], **vm})
        if column_family is not None and hasattr(det.estimator_, "feature_importances_"):
            importances.append(_family_shares(det.estimator_.feature_importances_, column_family))
        if on_fold is not None:
            on_fold()
    result = {
        "folds": folds,
        "summary": summarise(folds),
        "oof_prob": oof,
        "oof_threshold": oof_threshold,
        "oof_band": oof_band,
        "oof_cutoffs": oof_cutoffs,
        "confusion": confusion.tolist(),
    }
    if videos is not None:
        result["video_folds"] = video_folds
        result["video_summary"] = summarise(video_folds)
    if importances:
        fams = [str(f) for f in dict.fromkeys(np.asarray(column_family, dtype=str))]
        result["importance"] = {f: float(np.mean([imp[f] for imp in importances])) for f in fams}
    return result


def _training_rows(X, labels, groups, train, extra):
    """Features, labels and groups of a fold's training part, with its extra rows."""
    if extra is None:
        return X[train], labels[train], groups[train]
    X_extra, labels_extra, sources = extra
    keep = np.isin(sources, train)
    return (
        np.concatenate([X[train], X_extra[keep]]),
        np.concatenate([labels[train], np.asarray(labels_extra)[keep]]),
        np.concatenate([groups[train], groups[np.asarray(sources)[keep]]]),
    )


def _family_shares(importance, column_family):
    importance = np.nan_to_num(np.asarray(importance, dtype=float))
    column_family = np.asarray(column_family, dtype=str)
    total = importance.sum()
    return {
        str(f): float(importance[column_family == f].sum() / total) if total > 0 else 0.0
        for f in dict.fromkeys(column_family)
    }
