"""The detector's final step: a classifier, calibrated, with a chosen threshold.

:class:`CalibratedDetector` wraps any binary scikit-learn classifier (XGBoost by
default). It fits the classifier on ``cv`` folds to get out-of-fold scores,
fits a calibrator on them (:mod:`._calibrators`: Platt's sigmoid for small
sets, smoothed isotonic regression for large ones, never exactly 0 or 1),
chooses the decision threshold and one cutoff per side (:func:`._calibrators.choose_cutoffs`)
on the calibrated out-of-fold probabilities, and finally refits the classifier
on all the data.
It also keeps how far the training features spread (:mod:`._novelty`), so
that images far outside them can be recognised.
"""

import logging

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, train_test_split
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from ..metrics import detection_metrics, equal_error_rate, f1_threshold
from ._calibrators import (
    CALIBRATIONS,
    apply_calibrator,
    choose_cutoffs,
    fit_calibrator,
    probability_floor,
    resolve_calibration,
)
from ._novelty import FeatureNovelty

logger = logging.getLogger(__name__)

_THRESHOLDS = ("eer", "f1")


def _scores(estimator, X):
    if hasattr(estimator, "predict_proba"):
        return estimator.predict_proba(X)[:, 1]
    return estimator.decision_function(X)


def _fit_one(estimator, X, y, validation_fraction, random_state):
    """Fit a clone; XGBoost-like estimators early-stop on a stratified inner split."""
    est = clone(estimator)
    n_val = int(np.ceil(len(y) * (validation_fraction or 0)))
    enough = n_val >= 4 and np.bincount(y).min() >= 4  # a split needs both classes on each side
    if getattr(est, "early_stopping_rounds", None) and validation_fraction and enough:
        X_tr, X_va, y_tr, y_va = train_test_split(
            X, y, test_size=validation_fraction, stratify=y, random_state=random_state
        )
        est.fit(X_tr, y_tr, eval_set=[(X_va, y_va)], verbose=False)
    else:
        if getattr(est, "early_stopping_rounds", None):
            est.set_params(early_stopping_rounds=None)
        est.fit(X, y)
    return est


class CalibratedDetector(ClassifierMixin, BaseEstimator):
    """Binary classifier with calibrated probabilities and a stored threshold.

    Parameters
    ----------
    estimator : estimator object
        A binary classifier with ``predict_proba`` or ``decision_function``.
        Estimators with an ``early_stopping_rounds`` parameter (XGBoost) are
        fitted with early stopping on a stratified inner validation split.
    calibration : {"auto", "isotonic", "sigmoid"} or None, default="auto"
        Calibrator fitted on the out-of-fold scores: ``"auto"`` is Platt's
        sigmoid below 1,000 scores and smoothed isotonic regression above;
        ``None`` keeps the raw scores (they must then lie in [0, 1]).
        Calibrated probabilities never reach 0 or 1: they are clipped to
        ``[1 / (n + 2), 1 - 1 / (n + 2)]`` for ``n`` calibration scores.
        The map never decreases: out-of-fold scores that rank fakes below
        reals give every image the same probability (and a warning).
    threshold : {"eer", "f1"} or float, default="eer"
        Decision threshold on the calibrated probability: the equal-error-rate
        point or the F1-maximising point of the out-of-fold predictions, or a
        fixed value.
    cv : int, default=5
        Folds for the out-of-fold scores (stratified; grouped when ``groups``
        is passed to :meth:`fit`).
    validation_fraction : float, default=0.15
        Share of each training part held out for early stopping.
    confidence : float, default=0.95
        Share of the out-of-fold verdicts on each side that must be right:
        ``fake_cutoff_`` and ``real_cutoff_`` are chosen for it (see
        :func:`~facetruth.models._calibrators.choose_cutoffs`). ``0`` chooses no cutoffs:
        the threshold alone decides.
    random_state : int, default=0
        Seed of the splits.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The labels; ``classes_[1]`` is the positive (fake) class.
    estimator_ : estimator
        The classifier refitted on all the data.
    calibrator_ : object or None
        Maps raw scores to probabilities.
    calibration_ : {"isotonic", "sigmoid"} or None
        The calibration method used.
    prob_floor_ : float
        Probabilities are clipped to ``[prob_floor_, 1 - prob_floor_]``.
    threshold_ : float
        Predict ``classes_[1]`` when the calibrated probability exceeds this.
    fake_cutoff_, real_cutoff_ : float or None
        A probability at or above ``fake_cutoff_`` is a confident ``fake``,
        one at or below ``real_cutoff_`` a confident ``real``; between them
        the verdict is inconclusive. Chosen on the out-of-fold
        probabilities, ``real_cutoff_ <= threshold_ < fake_cutoff_`` as a
        rule, and both reachable (see :func:`~facetruth.models._calibrators.choose_cutoffs`);
        ``None`` when ``confidence`` is 0.
    side_coverage_, side_precision_ : dict or None
        Out of fold, per side (``"real"``, ``"fake"``): the share of the
        class given its verdict, and the share of right verdicts (``None``
        for a side that calls nothing); ``None`` when ``confidence`` is 0.
    sides_warning_ : str or None
        One sentence when a side covers less than half of its class out of
        fold (or cannot reach ``confidence`` at all), with what to do;
        ``None`` otherwise.
    oof_spread_ : float
        Range of the calibrated out-of-fold probabilities (0 when they are
        all the same: the detector tells nothing apart).
    oof_metrics_ : dict
        :func:`~facetruth.metrics.detection_metrics` of the calibrated
        out-of-fold probabilities (an honest validation estimate).
    novelty_ : FeatureNovelty
        The training features' statistics and the distance limit of
        :meth:`novelty`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from facetruth.models import CalibratedDetector
    >>> y = np.repeat([0, 1], 20)
    >>> X = y[:, None] + np.random.default_rng(0).normal(0, 0.5, (40, 2))
    >>> detector = CalibratedDetector(LogisticRegression(), cv=3).fit(X, y)
    >>> detector.calibration_, round(detector.threshold_, 2)
    ('sigmoid', 0.46)
    >>> detector.predict([[0.0, 0.0], [1.0, 1.0]])
    array([0, 1])
    >>> bool(detector.real_cutoff_ <= detector.threshold_ < detector.fake_cutoff_), detector.sides_warning_
    (True, None)
    """

    def __init__(
        self,
        estimator=None,
        *,
        calibration="auto",
        threshold="eer",
        cv=5,
        validation_fraction=0.15,
        confidence=0.95,
        random_state=0,
    ):
        self.estimator = estimator
        self.calibration = calibration
        self.threshold = threshold
        self.cv = cv
        self.validation_fraction = validation_fraction
        self.confidence = confidence
        self.random_state = random_state

    def _validate_params_(self):
        if self.calibration not in CALIBRATIONS:
            raise ValueError(f"calibration must be one of {CALIBRATIONS}, got {self.calibration!r}.")
        if not 0.0 <= float(self.confidence) < 1.0:
            raise ValueError(f"confidence must lie in [0, 1), got {self.confidence!r}.")
        if isinstance(self.threshold, str):
            if self.threshold not in _THRESHOLDS:
                raise ValueError(
                    f"threshold must be one of {_THRESHOLDS} or a float, got {self.threshold!r}."
                )
        elif not 0.0 <= float(self.threshold) <= 1.0:
            raise ValueError(f"a fixed threshold must lie in [0, 1], got {self.threshold!r}.")
        if int(self.cv) < 2:
            raise ValueError(f"cv must be at least 2, got {self.cv!r}.")

    def fit(self, X, y, groups=None):
        """Fit on out-of-fold splits, calibrate, choose the threshold, refit on all.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Two classes; the larger label (1 = fake) is positive.
        groups : array-like of shape (n_samples,), default=None
            Group labels (video, identity) kept within one fold.

        Returns
        -------
        self : object
        """
        self._validate_params_()
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type != "binary":
            raise ValueError(
                f"Only binary classification is supported (real vs fake). The type of the target is {y_type}."
            )
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), ensure_min_samples=2)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        estimator = self.estimator if self.estimator is not None else _default_estimator(self.random_state)
        n_splits = int(min(self.cv, np.bincount(y_enc).min()))
        if n_splits < 2:
            raise ValueError("Each class needs at least 2 samples for out-of-fold calibration.")
        if groups is not None:
            splitter = StratifiedGroupKFold(n_splits, shuffle=True, random_state=self.random_state)
        else:
            splitter = StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state)
        oof = np.empty(len(y_enc), dtype=float)
        splits = list(splitter.split(X, y_enc, groups))
        for train, test in splits:
            est = _fit_one(estimator, X[train], y_enc[train], self.validation_fraction, self.random_state)
            oof[test] = _scores(est, X[test])
        self.calibration_ = resolve_calibration(self.calibration, len(oof))
        self.calibrator_ = fit_calibrator(self.calibration_, oof, y_enc)
        self.prob_floor_ = probability_floor(len(oof)) if self.calibration_ else 0.0
        prob = apply_calibrator(self.calibrator_, oof, self.prob_floor_)
        if self.calibration_ and np.ptp(oof) > 0 and np.ptp(prob) == 0:
            logger.warning(
                "The out-of-fold scores do not rank fakes above reals, so the calibration is flat: "
                "the detector gives every image the same probability."
            )
        self.threshold_ = _choose_threshold(self.threshold, y_enc, prob)
        self._choose_cutoffs(y_enc, prob)
        self.oof_metrics_ = detection_metrics(y_enc, prob, self.threshold_)
        self.oof_spread_ = float(np.ptp(prob))
        self.novelty_ = FeatureNovelty().fit(X, folds=splits)
        self.estimator_ = _fit_one(estimator, X, y_enc, self.validation_fraction, self.random_state)
        return self

    def _choose_cutoffs(self, y, prob):
        """Set ``fake_cutoff_``, ``real_cutoff_``, ``side_coverage_``, ``side_precision_``, ``sides_warning_``."""
        confidence = float(self.confidence)
        self.sides_warning_ = None
        if confidence == 0:
            self.fake_cutoff_ = self.real_cutoff_ = self.side_coverage_ = self.side_precision_ = None
            return
        cut = choose_cutoffs(y, prob, self.threshold_, confidence)
        self.real_cutoff_, self.fake_cutoff_ = cut.real, cut.fake
        self.side_coverage_, self.side_precision_ = cut.coverage, cut.precision
        if cut.crossed:
            logger.info(
                "The out-of-fold cutoffs for real and fake met; the real cutoff moved to %.4f, below "
                "the fake cutoff %.4f.",
                cut.real,
                cut.fake,
            )
        self.sides_warning_ = _sides_warning(cut, confidence)

    def predict_proba(self, X):
        """Calibrated probabilities, shape (n_samples, 2); column 1 is P(fake)."""
        check_is_fitted(self, "estimator_")
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        # detectors pickled before the floor existed have no prob_floor_
        p = apply_calibrator(self.calibrator_, _scores(self.estimator_, X), getattr(self, "prob_floor_", 0.0))
        return np.column_stack([1.0 - p, p])

    def novelty(self, X):
        """Distance of each row's features from the training data (RMS z-score).

        Rows beyond ``novelty_.limit_`` (the 99.5th percentile of the
        training rows' distances) are out of distribution; see
        :func:`~facetruth.models._novelty.rms_zscore`.

        Returns
        -------
        distance : ndarray of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> from facetruth.models import CalibratedDetector
        >>> from sklearn.linear_model import LogisticRegression
        >>> X = np.random.default_rng(0).normal(size=(40, 3))
        >>> det = CalibratedDetector(LogisticRegression(), cv=2).fit(X, [0, 1] * 20)
        >>> bool(det.novelty(X[:1] + 50)[0] > det.novelty_.limit_)
        True
        """
        check_is_fitted(self, "novelty_")
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return self.novelty_.distance(X)

    def predict(self, X):
        """Labels from the stored threshold (not 0.5): fake when P(fake) exceeds it."""
        p = self.predict_proba(X)[:, 1]
        return self.classes_[(p > self.threshold_).astype(int)]

    @property
    def feature_importances_(self):
        """Importances of the refitted classifier, where it has them."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.feature_importances_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags


def _sides_warning(cut, confidence):
    """One sentence on the sides that cover less than half of their class out of fold, or ``None``."""
    weak = []
    for side, plural in (("fake", "fakes"), ("real", "reals")):
        if cut.coverage[side] < 0.5 or not cut.reached[side]:
            cutoff = cut.fake if side == "fake" else cut.real
            where = "at or above" if side == "fake" else "at or below"
            note = (
                "" if cut.reached[side] else f", and no cutoff makes them right {confidence:.0%} of the time"
            )
            weak.append(
                f"{cut.coverage[side]:.0%} of the {plural} score {where} the {side} cutoff {cutoff:.3f}{note}"
            )
    if not weak:
        return None
    return (
        f"Few confident verdicts out of fold: {'; '.join(weak)} (the rest are inconclusive). "
        f"Train on more data, try another feature set, or lower the confidence (--confidence, "
        f"now {confidence:g})."
    )


def _default_estimator(random_state):
    from ._classifiers import make_classifier

    return make_classifier("xgboost", random_state=random_state)


def _choose_threshold(rule, y, prob):
    if not isinstance(rule, str):
        return float(rule)
    if np.unique(prob).size < 2:
        return 0.5
    t = equal_error_rate(y, prob)[1] if rule == "eer" else f1_threshold(y, prob)[1]
    # The rule returns an observed score; move to the midpoint below it, so that the
    # same out-of-fold items are called fake but rounding noise cannot flip a score
    # that equals the threshold.
    below = prob[prob < t]
    return float((t + below.max()) / 2) if below.size else float(t)
