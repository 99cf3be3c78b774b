"""Detection metrics on ``prob_fake`` scores (label 1 = fake).

Pure functions over ``y_true`` and scores; the equal-error-rate and F1
threshold choices used by the detector live here too.
"""

import numpy as np
from sklearn import metrics as skm


def _check_binary(y_true, scores):
    y_true = np.asarray(y_true).astype(int).ravel()
    scores = np.asarray(scores, dtype=float).ravel()
    if y_true.shape != scores.shape:
        raise ValueError(f"y_true has {y_true.size} entries but scores has {scores.size}.")
    if not np.isin(y_true, (0, 1)).all():
        raise ValueError("y_true must hold only 0 (real) and 1 (fake).")
    return y_true, scores


def equal_error_rate(y_true, scores):
    """Equal error rate and the score threshold where it is reached.

    The EER is the point of the ROC curve where the false positive rate equals
    the false negative rate (1 - TPR); it is interpolated between the two ROC
    points that bracket the crossing.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 = fake, 0 = real. Both classes must be present.
    scores : array-like of shape (n_samples,)
        Higher means more likely fake.

    Returns
    -------
    eer : float
        In [0, 1].
    threshold : float
        Predict fake when ``score >= threshold``.

    Examples
    --------
    >>> from facetruth.metrics import equal_error_rate
    >>> equal_error_rate([0, 0, 1, 1], [0.1, 0.3, 0.7, 0.9])
    (0.0, 0.7)
    >>> equal_error_rate([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    (0.5, 0.6)
    """
    y_true, scores = _check_binary(y_true, scores)
    fpr, tpr, thr = skm.roc_curve(y_true, scores, drop_intermediate=False)
    fnr = 1.0 - tpr
    diff = fpr - fnr  # increasing along the curve
    i = int(np.searchsorted(diff, 0.0))
    i = min(max(i, 1), len(diff) - 1)
    d0, d1 = diff[i - 1], diff[i]
    w = 0.0 if d1 == d0 else -d0 / (d1 - d0)
    eer = float((1 - w) * (fpr[i - 1] + fnr[i - 1]) / 2 + w * (fpr[i] + fnr[i]) / 2)
    threshold = float(thr[i]) if np.isfinite(thr[i]) else float(thr[i - 1])
    return eer, threshold


def f1_threshold(y_true, scores):
    """Threshold that maximises the F1 score of the fake class.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 = fake, 0 = real.
    scores : array-like of shape (n_samples,)
        Higher means more likely fake.

    Returns
    -------
    f1 : float
    threshold : float
        Predict fake when ``score >= threshold``.

    Examples
    --------
    >>> from facetruth.metrics import f1_threshold
    >>> f1_threshold([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    (0.8, 0.4)
    """
    y_true, scores = _check_binary(y_true, scores)
    precision, recall, thr = skm.precision_recall_curve(y_true, scores)
    f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
    best = int(np.argmax(f1))
    return float(f1[best]), float(thr[best])


def detection_metrics(y_true, scores, threshold=0.5):
    """All headline metrics of a detector at one decision threshold.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 = fake, 0 = real.
    scores : array-like of shape (n_samples,)
        ``prob_fake`` in [0, 1] (or any score, for the ranking metrics).
    threshold : float, default=0.5
        Predict fake when ``score > threshold`` (a score equal to the
        threshold is real, as in every FaceTruth verdict).

    Returns
    -------
    metrics : dict
        ``n``, ``auc``, ``ap``, ``accuracy``, ``balanced_accuracy``, ``precision``,
        ``recall``, ``f1``, ``eer``, ``brier``, ``threshold`` and ``confusion``
        (``[[tn, fp], [fn, tp]]``). A metric that is undefined on these items is
        ``None``, never 0: the ranking metrics (``auc``, ``ap``, ``eer``) and
        ``balanced_accuracy`` when only one class is present, ``precision``
        when nothing is called fake, ``recall`` when there is no fake, and
        ``f1`` when either of them is undefined.

    Examples
    --------
    >>> from facetruth.metrics import detection_metrics
    >>> m = detection_metrics([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    >>> m["auc"], m["accuracy"], m["eer"], m["confusion"]
    (0.75, 0.5, 0.5, [[1, 1], [1, 1]])
    >>> detection_metrics([1, 1], [0.7, 0.9])["auc"] is None
    True
    >>> m = detection_metrics([0, 0], [0.1, 0.2])  # only reals, none called fake
    >>> m["accuracy"], m["precision"], m["recall"], m["f1"]
    (1.0, None, None, None)
    """
    y_true, scores = _check_binary(y_true, scores)
    y_pred = (scores > threshold).astype(int)
    both = np.unique(y_true).size == 2
    tp = int(np.sum((y_pred == 1) & (y_true == 1)))
    fp = int(np.sum((y_pred == 1) & (y_true == 0)))
    fn = int(np.sum((y_pred == 0) & (y_true == 1)))
    out = {
        "n": int(y_true.size),
        "auc": float(skm.roc_auc_score(y_true, scores)) if both else None,
        "ap": float(skm.average_precision_score(y_true, scores)) if both else None,
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(skm.balanced_accuracy_score(y_true, y_pred)) if both else None,
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": None,
        "eer": equal_error_rate(y_true, scores)[0] if both else None,
        "brier": float(np.mean((np.clip(scores, 0, 1) - y_true) ** 2)),
        "threshold": float(threshold),
        "confusion": skm.confusion_matrix(y_true, y_pred, labels=[0, 1]).tolist(),
    }
    if out["precision"] is not None and out["recall"] is not None:
        out["f1"] = _ratio(2 * tp, 2 * tp + fp + fn)
    return out


def _ratio(numerator, denominator):
    """``numerator / denominator`` as a float, or ``None`` (undefined) when the denominator is 0."""
    return float(numerator / denominator) if denominator else None


def flag_rates(y_true, prob, threshold):
    """The share of fakes and of reals called fake (``prob > threshold``).

    Parameters
    ----------
    y_true : array-like of shape (n_items,)
        1 = fake, 0 = real.
    prob : array-like of shape (n_items,)
    threshold : float

    Returns
    -------
    rates : dict
        ``flag_rate`` (all items), ``flag_rate_fake`` (the detection rate) and
        ``flag_rate_real`` (the false alarm rate), ``None`` for a class that is
        absent.

    Examples
    --------
    >>> from facetruth.metrics import flag_rates
    >>> flag_rates([1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1], 0.5)
    {'flag_rate': 0.5, 'flag_rate_fake': 0.5, 'flag_rate_real': 0.5}
    >>> flag_rates([0, 0], [0.7, 0.2], 0.5)["flag_rate_fake"] is None
    True
    """
    y, prob = _check_binary(y_true, prob)
    flagged = prob > threshold

    def rate(mask):
        return float(flagged[mask].mean()) if mask.any() else None

    return {
        "flag_rate": rate(np.ones_like(flagged)),
        "flag_rate_fake": rate(y == 1),
        "flag_rate_real": rate(y == 0),
    }


def reliability_curve(y_true, prob, n_bins=10):
    """Calibration (reliability) curve with uniform bins.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 = fake, 0 = real.
    prob : array-like of shape (n_samples,)
        ``prob_fake`` in [0, 1].
    n_bins : int, default=10
        Bins of equal width over [0, 1].

    Returns
    -------
    curve : dict
        ``mean_predicted``, ``fraction_fake`` and ``count`` per non-empty bin.

    Examples
    --------
    >>> from facetruth.metrics import reliability_curve
    >>> curve = reliability_curve([0, 0, 1, 1, 1], [0.1, 0.2, 0.6, 0.7, 0.9], n_bins=2)
    >>> [round(p, 3) for p in curve["mean_predicted"]], curve["fraction_fake"], curve["count"]
    ([0.15, 0.733], [0.0, 1.0], [2, 3])
    """
    y_true, prob = _check_binary(y_true, prob)
    edges = np.linspace(0, 1, n_bins + 1)
    idx = np.clip(np.digitize(prob, edges[1:-1]), 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins)
    keep = count > 0
    mean_pred = np.bincount(idx, weights=prob, minlength=n_bins)[keep] / count[keep]
    frac = np.bincount(idx, weights=y_true, minlength=n_bins)[keep] / count[keep]
    return {
        "mean_predicted": mean_pred.tolist(),
        "fraction_fake": frac.tolist(),
        "count": count[keep].tolist(),
    }


def coverage_curve(y_true, prob, threshold, bands=None):
    """Coverage and accuracy of the verdicts as the uncertainty band around the threshold widens.

    An item whose probability lies within ``band`` of the threshold
    (``|prob - threshold| <= band``, for ``band > 0``) gets no verdict; the
    others are called fake when ``prob > threshold``. Widening the band
    trades coverage (the share of items given a verdict) for accuracy on
    them (El-Yaniv & Wiener 2010, "On the foundations of noise-free
    selective classification").

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 = fake, 0 = real.
    prob : array-like of shape (n_samples,)
        ``prob_fake``.
    threshold : float
        The decision threshold.
    bands : array-like of float, default=None
        Band half-widths to evaluate; by default ``0`` and every distinct
        ``|prob - threshold|``, the points where coverage changes.

    Returns
    -------
    curve : dict
        ``band``, ``coverage`` (share of items given a verdict) and
        ``accuracy`` (share right among them; ``None`` where no item is
        covered), as lists in increasing order of ``band``.

    Examples
    --------
    >>> from facetruth.metrics import coverage_curve
    >>> curve = coverage_curve([0, 0, 1, 1], [0.1, 0.55, 0.45, 0.9], 0.5, bands=[0, 0.1, 0.5])
    >>> curve["coverage"], curve["accuracy"]
    ([1.0, 0.5, 0.0], [0.5, 1.0, None])
    """
    y_true, prob = _check_binary(y_true, prob)
    distance = np.abs(prob - float(threshold))
    right = (prob > threshold).astype(int) == y_true
    bands = np.unique(np.r_[0.0, distance]) if bands is None else np.sort(np.asarray(bands, dtype=float))
    if bands.size and bands[0] < 0:
        raise ValueError(f"bands must not be negative, got {bands[0]}.")
    order = np.argsort(distance, kind="stable")
    d_sorted, right_sorted = distance[order], right[order]
    wrong_below = np.r_[0, np.cumsum(~right_sorted)]  # wrong verdicts among the k closest items
    n = y_true.size
    coverage, accuracy = [], []
    for band in bands:
        # items within the band (none when the band is off) lose their verdict
        k = int(np.searchsorted(d_sorted, band, side="right")) if band > 0 else 0
        covered = n - k
        wrong = int(wrong_below[-1] - wrong_below[k])
        coverage.append(covered / n if n else 0.0)
        accuracy.append((covered - wrong) / covered if covered else None)
    return {"band": [float(b) for b in bands], "coverage": coverage, "accuracy": accuracy}


def side_rates(y_true, prob, real_cutoff, fake_cutoff):
    """Coverage and precision of each verdict at one cutoff per side.

    An item is called ``fake`` when ``prob >= fake_cutoff``, ``real`` when
    ``prob <= real_cutoff``, and gets no verdict in between. Coverage is the
    share of a class's items called that class; precision the share right
    among the items called it (``None`` where none is called).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        0/1 labels (1 = fake); one class is allowed.
    prob : array-like of shape (n_samples,)
        P(fake).
    real_cutoff, fake_cutoff : float

    Returns
    -------
    rates : dict
        ``{"real": {"coverage", "precision", "n_called"}, "fake": {...}}``;
        a coverage is ``None`` when the class is absent.

    Examples
    --------
    >>> from facetruth.metrics import side_rates
    >>> rates = side_rates([0, 0, 1, 1], [0.1, 0.5, 0.6, 0.95], 0.2, 0.9)
    >>> rates["real"], rates["fake"]
    ({'coverage': 0.5, 'precision': 1.0, 'n_called': 1}, {'coverage': 0.5, 'precision': 1.0, 'n_called': 1})
    """
    y_true = np.asarray(y_true).astype(int)
    prob = np.asarray(prob, dtype=float)
    out = {}
    for side, label, called in (
        ("real", 0, prob <= float(real_cutoff)),
        ("fake", 1, prob >= float(fake_cutoff)),
    ):
        members = y_true == label
        out[side] = {
            "coverage": _ratio(int(np.sum(called & members)), int(np.sum(members))),
            "precision": _ratio(int(np.sum(called & members)), int(np.sum(called))),
            "n_called": int(np.sum(called)),
        }
    return out
