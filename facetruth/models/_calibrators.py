"""Calibrators that cannot say "certain", and the cutoffs of confident verdicts.

A calibrator maps out-of-fold classifier scores to probabilities. Plain
isotonic regression fitted on a few hundred scores makes steps that reach
exactly 0 and 1, so a detector would print ``P(fake) = 1.000`` for images
that its own validation got wrong. Here:

- ``"auto"`` picks Platt's sigmoid (Platt 1999) below
  :data:`ISOTONIC_MIN_SAMPLES` calibration scores and *smoothed* isotonic
  regression above (Zadrozny & Elkan 2002; the steps are joined by straight
  lines between their centres, so the map is continuous and strictly
  increasing inside the data);
- every probability is clipped to ``[floor, 1 - floor]`` with
  ``floor = 1 / (n + 2)``, the Laplace estimate of a rate that was never
  seen in ``n`` calibration samples: no calibration set of ``n`` images can
  justify a probability closer to 0 or 1 than that;
- the map never decreases: where out-of-fold scores rank fakes *below*
  reals (a weak detector on a few images), the sigmoid is flat at the share
  of fakes instead of turning the detector's scores upside down.
"""

from typing import NamedTuple

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

#: below this many calibration scores, ``calibration="auto"`` uses Platt's sigmoid
ISOTONIC_MIN_SAMPLES = 1000

CALIBRATIONS = ("auto", "isotonic", "sigmoid", None)


def probability_floor(n_samples):
    """The smallest probability a calibration set of ``n_samples`` can support.

    Parameters
    ----------
    n_samples : int
        Number of calibration (out-of-fold) scores.

    Returns
    -------
    floor : float
        ``1 / (n_samples + 2)``.

    Examples
    --------
    >>> from facetruth.models._calibrators import probability_floor
    >>> probability_floor(98)
    0.01
    """
    return 1.0 / (int(n_samples) + 2)


def resolve_calibration(method, n_samples):
    """The calibration method ``method`` means for ``n_samples`` scores.

    Examples
    --------
    >>> from facetruth.models._calibrators import resolve_calibration
    >>> resolve_calibration("auto", 200), resolve_calibration("auto", 5000)
    ('sigmoid', 'isotonic')
    """
    if method not in CALIBRATIONS:
        raise ValueError(f"calibration must be one of {CALIBRATIONS}, got {method!r}.")
    if method == "auto":
        return "isotonic" if n_samples >= ISOTONIC_MIN_SAMPLES else "sigmoid"
    return method


class SmoothIsotonic:
    """Isotonic regression whose steps are joined by straight lines.

    The fitted isotonic map is constant on blocks of scores; this keeps one
    knot per block at the mean score of the block and interpolates linearly
    between knots (constant beyond the first and last).

    Examples
    --------
    >>> import numpy as np
    >>> cal = SmoothIsotonic().fit(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0, 1, 0, 1]))
    >>> cal.predict(np.array([0.1, 0.25, 0.4])).round(3)
    array([0. , 0.5, 1. ])
    """

    def fit(self, scores, y):
        """Fit on scores of shape (n_samples,) and 0/1 labels; returns ``self``."""
        scores, y = np.asarray(scores, dtype=float), np.asarray(y, dtype=float)
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, y)
        fitted = iso.predict(scores)
        order = np.argsort(scores, kind="stable")
        s, f = scores[order], fitted[order]
        starts = np.flatnonzero(np.r_[True, np.diff(f) != 0])
        self.knots_x_ = np.add.reduceat(s, starts) / np.diff(np.r_[starts, len(s)])
        self.knots_y_ = f[starts]
        return self

    def predict(self, scores):
        """Calibrated probabilities of scores of shape (n_samples,)."""
        return np.interp(np.asarray(scores, dtype=float), self.knots_x_, self.knots_y_)


def fit_calibrator(method, scores, y):
    """Fit a calibrator of ``method`` (already resolved) on scores and 0/1 labels."""
    if method is None:
        return None
    if method == "isotonic":
        return SmoothIsotonic().fit(scores, y)
    return _fit_increasing_sigmoid(scores, y)


def _fit_increasing_sigmoid(scores, y):
    """Platt's sigmoid with a slope of at least 0 (a maximum-likelihood fit).

    When the unconstrained fit falls, the likelihood is best on the boundary:
    slope 0 and the log-odds of the share of positives, a flat map.
    """
    sigmoid = LogisticRegression(C=1e6).fit(np.asarray(scores, dtype=float).reshape(-1, 1), y)
    if sigmoid.coef_[0, 0] < 0:
        rate = float(np.mean(y))
        sigmoid.coef_[:] = 0.0
        sigmoid.intercept_[:] = np.log(rate / (1.0 - rate))
    return sigmoid


def apply_calibrator(calibrator, scores, floor=0.0):
    """Probabilities of ``scores``, clipped to ``[floor, 1 - floor]``."""
    if calibrator is None:
        prob = np.asarray(scores, dtype=float)
    elif isinstance(calibrator, (SmoothIsotonic, IsotonicRegression)):
        prob = calibrator.predict(scores)
    else:
        prob = calibrator.predict_proba(np.asarray(scores).reshape(-1, 1))[:, 1]
    return np.clip(prob, floor, 1.0 - floor)


def choose_band(y, prob, threshold, confidence=0.95, *, min_coverage=0.0):
    """Half-width of the band around ``threshold`` outside which verdicts are right often enough.

    Verdicts whose probability lies within ``band`` of the threshold are
    called inconclusive. The band is the smallest one (over the observed
    distances) such that at least ``confidence`` of the out-of-fold
    verdicts outside it are right.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        0/1 labels.
    prob : array-like of shape (n_samples,)
        Calibrated out-of-fold probabilities.
    threshold : float
        Fake when ``prob > threshold``.
    confidence : float, default=0.95
        Wanted share of right verdicts among the confident ones; ``0``
        turns the band off.
    min_coverage : float, default=0.0
        Never leave fewer than this share of the samples outside the band
        (the band is then as wide as that allows, and ``confidence`` is not met).

    Returns
    -------
    band : float
        ``0.0`` when every verdict already meets ``confidence``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    >>> p = np.array([0.1, 0.2, 0.3, 0.45, 0.55, 0.7, 0.8, 0.9])
    >>> round(choose_band(y, p, 0.5, confidence=0.99), 3)
    0.05
    """
    y, prob = np.asarray(y, dtype=int), np.asarray(prob, dtype=float)
    if not confidence or not len(y):
        return 0.0
    distance = np.abs(prob - threshold)
    right = (prob > threshold).astype(int) == y
    order = np.argsort(-distance, kind="stable")  # most confident first
    hits = np.cumsum(right[order])
    kept = np.arange(1, len(y) + 1)
    accuracy = hits / kept
    min_kept = max(1, int(np.ceil(min_coverage * len(y))))
    for k in range(len(y), 0, -1):  # keep as many verdicts as possible
        if accuracy[k - 1] >= confidence or k <= min_kept:
            # the band excludes every sample closer than the k-th most confident one
            return 0.0 if k == len(y) else float(distance[order[k]])
    return float(distance[order[0]])


class SideCutoffs(NamedTuple):
    """The cutoffs of :func:`choose_cutoffs` and what they achieve out of fold.

    Attributes
    ----------
    real, fake : float
        ``real`` when ``prob <= real``, ``fake`` when ``prob >= fake``.
    coverage : dict
        ``{"real": share of the reals called real, "fake": share of the
        fakes called fake}``.
    precision : dict
        ``{"real": ..., "fake": ...}``: share of the verdicts on each side
        that are right (``None`` for a side that calls nothing).
    reached : dict
        ``{"real": bool, "fake": bool}``: whether the side reaches the
        confidence (else its cutoff is its class's most confident score).
    crossed : bool
        The sides' rules met: the real cutoff was moved below the fake one.

    Examples
    --------
    >>> from facetruth.models._calibrators import choose_cutoffs
    >>> cut = choose_cutoffs([0, 0, 1, 1], [0.1, 0.3, 0.7, 0.9], 0.5)
    >>> cut.real, cut.fake, cut.precision, cut.reached["fake"], cut.crossed
    (0.3, 0.7, {'real': 1.0, 'fake': 1.0}, True, False)
    """

    real: float
    fake: float
    coverage: dict
    precision: dict
    reached: dict
    crossed: bool


def choose_cutoffs(y, prob, threshold, confidence=0.95):
    """One cutoff per side, each as wide as the out-of-fold data allow at ``confidence``.

    The fake cutoff is the smallest score ``t`` above ``threshold`` such that
    at least ``confidence`` of the items with ``prob >= t`` are fake; the real
    cutoff is the largest ``t`` at or below ``threshold`` such that at least
    ``confidence`` of the items with ``prob <= t`` are real. Both are observed
    scores, so a verdict on either side is reachable: the fake cutoff never
    exceeds the highest score of a fake, the real cutoff is never below the
    lowest score of a real, and the two sides keep the threshold's two-way
    decision (``fake`` only above the threshold).

    A side that no cutoff makes right often enough falls back to its class's
    most confident score (the highest score of a fake, the lowest of a real)
    and says so in ``reached``. Should the cutoffs then meet or cross, the
    real cutoff moves to the largest score below the fake cutoff (``crossed``).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        0/1 labels, both present.
    prob : array-like of shape (n_samples,)
        Calibrated out-of-fold probabilities.
    threshold : float
        The detector's two-way threshold (fake when ``prob > threshold``).
    confidence : float, default=0.95
        Wanted share of right verdicts on each side, in (0, 1).

    Returns
    -------
    cutoffs : SideCutoffs

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.models._calibrators import choose_cutoffs
    >>> y = np.array([0, 0, 0, 0, 1, 0, 1, 1, 1, 1])
    >>> p = np.array([0.1, 0.2, 0.3, 0.4, 0.45, 0.55, 0.6, 0.7, 0.8, 0.9])
    >>> cut = choose_cutoffs(y, p, 0.5, confidence=0.9)
    >>> cut.real, cut.fake, cut.coverage
    (0.4, 0.6, {'real': 0.8, 'fake': 0.8})
    """
    y, prob = np.asarray(y, dtype=int).ravel(), np.asarray(prob, dtype=float).ravel()
    if len(y) != len(prob) or np.unique(y).size != 2:
        raise ValueError("choose_cutoffs needs as many labels as scores, of both classes (0 and 1).")
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}.")
    threshold, confidence = float(threshold), float(confidence)
    order = np.argsort(prob, kind="stable")
    p, fake = prob[order], y[order] == 1
    values, first = np.unique(p, return_index=True)
    last = np.r_[first[1:], len(p)] - 1
    # share of fakes among the items at or above each value, of reals at or below it
    fakes_above = np.cumsum(fake[::-1])[::-1][first]
    precision_fake = fakes_above / (len(p) - first)
    precision_real = np.cumsum(~fake)[last] / (last + 1)
    ok_fake = (values > threshold) & (precision_fake >= confidence)
    ok_real = (values <= threshold) & (precision_real >= confidence)
    reached = {"real": bool(ok_real.any()), "fake": bool(ok_fake.any())}
    t_fake = float(values[ok_fake].min()) if reached["fake"] else float(p[fake].max())
    t_real = float(values[ok_real].max()) if reached["real"] else float(p[~fake].min())
    crossed = t_real >= t_fake
    if crossed:
        below = values[values < t_fake]
        t_real = float(below.max()) if below.size else float(np.nextafter(t_fake, -np.inf))
    called_fake, called_real = prob >= t_fake, prob <= t_real
    coverage = {"real": float(called_real[y == 0].mean()), "fake": float(called_fake[y == 1].mean())}
    precision = {
        "real": float((y[called_real] == 0).mean()) if called_real.any() else None,
        "fake": float((y[called_fake] == 1).mean()) if called_fake.any() else None,
    }
    if crossed:  # the real side moved: it reaches the confidence only if its verdicts still do
        reached["real"] = reached["real"] and (precision["real"] or 0.0) >= confidence
    return SideCutoffs(t_real, t_fake, coverage, precision, reached, bool(crossed))
