"""Refusing detectors that are no better than chance on their own data.

A detector whose out-of-fold ROC-AUC is near 0.5, or whose out-of-fold
probabilities are all the same, would still print a verdict for every image.
:func:`check_detector` refuses it before it is saved, with the reason.
"""

import math

import numpy as np

from ..exceptions import WeakModelError

#: out-of-fold ROC-AUC below which a detector is refused
MIN_OOF_AUC = 0.6


def calibration_decreases(detector):
    """Whether a detector's calibration map decreases: its scores turned upside down.

    FaceTruth's Platt sigmoid never decreases; detectors saved by older
    versions may carry one of negative slope, fitted on out-of-fold scores
    that ranked fakes below reals. Such a map reverses the refitted
    classifier's ranking and flatters the stored out-of-fold ROC-AUC.

    Parameters
    ----------
    detector : estimator or Pipeline
        A pipeline's last step is checked; anything without a sigmoid
        ``calibrator_`` is ``False``.

    Returns
    -------
    decreases : bool

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from facetruth.models import CalibratedDetector
    >>> from facetruth.models._strength import calibration_decreases
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 60)
    >>> X = rng.normal(size=(120, 3)) + 2 * y[:, None]
    >>> detector = CalibratedDetector(LogisticRegression(), calibration="sigmoid", cv=3).fit(X, y)
    >>> calibration_decreases(detector)
    False
    >>> detector.calibrator_.coef_ *= -1  # as an older version could fit it
    >>> calibration_decreases(detector)
    True
    """
    detector = detector[-1] if hasattr(detector, "steps") else detector
    coef = getattr(getattr(detector, "calibrator_", None), "coef_", None)
    if coef is None:
        return False
    try:
        return bool(np.any(np.asarray(coef, dtype=float) < 0))
    except (TypeError, ValueError):
        return False


def detector_weaknesses(detector, *, min_auc=MIN_OOF_AUC):
    """Why a fitted detector is too weak to use; empty when it is not.

    Parameters
    ----------
    detector : CalibratedDetector or Pipeline
        Fitted; a pipeline's last step is checked.
    min_auc : float, default=0.6
        Least out-of-fold ROC-AUC.

    Returns
    -------
    reasons : list of str

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from facetruth.models import CalibratedDetector
    >>> from facetruth.models._strength import detector_weaknesses
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(120, 3)), np.repeat([0, 1], 60)
    >>> detector_weaknesses(CalibratedDetector(LogisticRegression(), cv=3).fit(X, y))
    ['its out-of-fold ROC-AUC is 0.57, below 0.6']
    """
    detector = detector[-1] if hasattr(detector, "steps") else detector
    metrics = getattr(detector, "oof_metrics_", None)
    if metrics is None:
        return ["it has no out-of-fold metrics (fit it with facetruth's CalibratedDetector)"]
    reasons = []
    if calibration_decreases(detector):  # its stored out-of-fold AUC was measured upside down
        reasons.append("its calibration decreases (its scores are turned upside down): retrain it")
    if getattr(detector, "oof_spread_", 1.0) <= 1e-9:
        reasons.append("it gives every image the same probability")
    auc = metrics.get("auc", float("nan"))
    if auc is None or not math.isfinite(auc) or auc < min_auc:
        shown = "undefined" if auc is None or not math.isfinite(auc) else f"{auc:.2f}"
        reasons.append(f"its out-of-fold ROC-AUC is {shown}, below {min_auc}")
    return reasons


def check_detector(detector, *, min_auc=MIN_OOF_AUC):
    """Raise :class:`~facetruth.exceptions.WeakModelError` when a detector is too weak to save.

    Parameters
    ----------
    detector : CalibratedDetector or Pipeline
        Fitted.
    min_auc : float, default=0.6
        Least out-of-fold ROC-AUC.

    Returns
    -------
    detector : the same object, when it passes

    Raises
    ------
    WeakModelError
        Naming every reason (see :func:`detector_weaknesses`).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from facetruth.models import CalibratedDetector, check_detector
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 60)
    >>> X = rng.normal(size=(120, 3)) + 2 * y[:, None]
    >>> check_detector(CalibratedDetector(LogisticRegression(), cv=3).fit(X, y)).oof_metrics_["auc"] > 0.9
    True
    """
    reasons = detector_weaknesses(detector, min_auc=min_auc)
    if reasons:
        raise WeakModelError(
            "The detector is too weak to use: " + "; ".join(reasons) + ". Nothing was saved. Give it "
            "more or cleaner data, or other features; --allow-weak saves it anyway."
        )
    return detector
