"""Per-verdict explanations: how much each feature family pushed an image towards "fake".

Two methods, chosen from the fitted classifier:

- XGBoost: exact TreeSHAP contributions [1]_ from
  ``booster.predict(DMatrix(X), pred_contribs=True)``, summed over the
  columns of each family. Units are log-odds of the *uncalibrated* booster;
  the isotonic or sigmoid calibrator applied afterwards is monotone, so the
  signs and the ranking carry over to the calibrated probability.
- Any other classifier: occlusion. Each family's columns are replaced by
  their training mean and the change of the calibrated probability,
  ``p(x) - p(x with family at its mean)``, is the family's contribution.
  This is an approximation (it ignores interactions between families and
  needs the training means from :func:`training_summary`, or a fitted
  ``StandardScaler`` in the classifier, to know the baseline).

A family's name is the prefix of its feature names before ``"__"``
(``fft__fft_bin_012`` belongs to ``fft``).

References
----------
.. [1] S. M. Lundberg et al., "From local explanations to global
       understanding with explainable AI for trees", Nature Machine
       Intelligence 2, 56-67 (2020). :DOI:`10.1038/s42256-019-0138-9`
"""

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

#: radius bins of the log spectra shown beside each verdict
SPECTRUM_BINS = 64


@dataclass
class FamilyContributions:
    """Contributions of each feature family to each verdict.

    Attributes
    ----------
    families : list of str
        Family names, in feature order.
    values : ndarray of shape (n_samples, n_families) or None
        Positive values push towards fake; ``None`` when no method applies.
    method : {"pred_contribs", "occlusion", "unavailable"}
    unit : {"log-odds", "probability", None}

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.models._explain import FamilyContributions
    >>> result = FamilyContributions(["fft", "lbp"], np.array([[0.25, -0.5]]), "occlusion", "probability")
    >>> result.as_dicts()
    [{'fft': 0.25, 'lbp': -0.5}]
    >>> FamilyContributions(["fft"], None, "unavailable", None).as_dicts() is None
    True
    """

    families: list
    values: object
    method: str
    unit: object

    def as_dicts(self):
        """One ``{family: value}`` dict per sample (``None`` per sample when unavailable)."""
        if self.values is None:
            return None
        return [{f: float(v) for f, v in zip(self.families, row)} for row in self.values]


def feature_families(pipeline):
    """Family names and the family index of every feature column.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        A fitted detector: its steps before the classifier give the names.

    Returns
    -------
    families : list of str
        Unique family names in column order.
    index : ndarray of shape (n_features,), dtype int
        Position in ``families`` of each column.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.models import feature_families
    >>> from facetruth.pipelines import build_pipeline
    >>> images = list(np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8))
    >>> pipe = build_pipeline("fft,dct", "logistic", face="off", image_size=32, cv=2)
    >>> families, index = feature_families(pipe.fit(images, [0, 1] * 4))
    >>> families, index.size == pipe[:-1].get_feature_names_out().size
    (['fft', 'dct'], True)
    """
    names = [str(n) for n in pipeline[:-1].get_feature_names_out()]
    prefixes = [n.split("__", 1)[0] for n in names]
    families = list(dict.fromkeys(prefixes))
    lookup = {f: i for i, f in enumerate(families)}
    return families, np.array([lookup[p] for p in prefixes], dtype=int)


def _sum_by_family(per_feature, index, n_families):
    onehot = np.zeros((index.size, n_families))
    onehot[np.arange(index.size), index] = 1.0
    return np.asarray(per_feature, dtype=float) @ onehot


def _baseline(pipeline, detector, n_features):
    card = getattr(pipeline, "facetruth_card_", None) or {}
    mean = (card.get("training_summary") or {}).get("feature_mean")
    if mean is not None and len(mean) == n_features:
        return np.asarray(mean, dtype=np.float32)
    steps = getattr(detector.estimator_, "named_steps", {})
    scaler = steps.get("standardscaler")
    if scaler is not None and getattr(scaler, "mean_", None) is not None:
        return np.asarray(scaler.mean_, dtype=np.float32)
    return None


def family_contributions(pipeline, X, *, baseline=None, families=None):
    """Contribution of each feature family to the fake score of each row of ``X``.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        A fitted detector whose last step is a
        :class:`~facetruth.models.CalibratedDetector`.
    X : ndarray of shape (n_samples, n_features)
        Features from ``pipeline[:-1]`` (not images).
    baseline : ndarray of shape (n_features,), default=None
        Values that stand for "no information" in the occlusion method.
        By default the training means from the model card's
        ``training_summary``, else the means of the classifier's scaler.
    families : tuple (list of str, ndarray of int), default=None
        What :func:`feature_families` returns for ``pipeline``; a caller that
        explains many batches (the web service) computes it once and passes
        it, instead of building every feature name on each call.

    Returns
    -------
    contributions : FamilyContributions
        ``method="pred_contribs"`` (log-odds) for XGBoost, ``"occlusion"``
        (probability) otherwise, ``"unavailable"`` when no baseline is known.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.models import family_contributions
    >>> from facetruth.pipelines import build_pipeline
    >>> images = list(np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8))
    >>> pipe = build_pipeline("fft,dct", "logistic", face="off", image_size=32, cv=2)
    >>> pipe = pipe.fit(images, [0, 1] * 4)
    >>> result = family_contributions(pipe, pipe[:-1].transform(images[:3]))
    >>> result.families, result.method, result.unit, result.values.shape
    (['fft', 'dct'], 'occlusion', 'probability', (3, 2))
    """
    detector = pipeline[-1]
    X = np.asarray(X, dtype=np.float32)
    families, index = feature_families(pipeline) if families is None else families
    if X.ndim != 2 or X.shape[1] != index.size:
        raise ValueError(f"X must have shape (n_samples, {index.size}), got {X.shape}.")
    estimator = detector.estimator_
    if hasattr(estimator, "get_booster"):
        from xgboost import DMatrix

        contribs = estimator.get_booster().predict(DMatrix(X), pred_contribs=True)
        values = _sum_by_family(contribs[:, :-1], index, len(families))  # last column is the bias
        return FamilyContributions(families, values, "pred_contribs", "log-odds")
    if baseline is None:
        baseline = _baseline(pipeline, detector, index.size)
    if baseline is None:
        logger.info("no training means known: family contributions unavailable")
        return FamilyContributions(families, None, "unavailable", None)
    baseline = np.asarray(baseline, dtype=np.float32)
    prob = detector.predict_proba(X)[:, 1]
    values = np.empty((X.shape[0], len(families)))
    for k in range(len(families)):
        occluded = X.copy()
        cols = index == k
        occluded[:, cols] = baseline[cols]
        values[:, k] = prob - detector.predict_proba(occluded)[:, 1]
    return FamilyContributions(families, values, "occlusion", "probability")


def log_spectrum(image, *, n_bins=SPECTRUM_BINS):
    """Azimuthally averaged log10 power spectrum of an image's luminance.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
    n_bins : int, default=64
        Radius bins over (0, 1] times the Nyquist frequency.

    Returns
    -------
    profile : ndarray of shape (n_bins,), dtype float32
        The profile part of :func:`~facetruth.features.fft_spectrum`.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.models import log_spectrum
    >>> image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    >>> profile = log_spectrum(image, n_bins=16)
    >>> profile.shape, profile.dtype
    ((16,), dtype('float32'))
    """
    from ..features import fft_spectrum

    return np.asarray(fft_spectrum(image, n_bins=n_bins)[1 : 1 + n_bins], dtype=np.float32)


def training_summary(pipeline, crops, labels, *, features=None, n_bins=SPECTRUM_BINS):
    """What the explanations need from the training data, for the model card.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        The fitted detector (used to check the feature count).
    crops : ndarray of shape (n_samples, size, size, 3), dtype uint8
        The face crops the detector was trained on.
    labels : array-like of shape (n_samples,)
        1 = fake, 0 = real.
    features : ndarray of shape (n_samples, n_features), default=None
        The training features; their column means become the occlusion
        baseline of :func:`family_contributions`.
    n_bins : int, default=64

    Returns
    -------
    summary : dict
        JSON-serialisable: ``spectrum_bins``, ``mean_log_spectrum``
        (``{"real": [...], "fake": [...]}``, lists of ``n_bins`` floats),
        ``counts`` and, when ``features`` is given, ``feature_mean``.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.models import training_summary
    >>> from facetruth.pipelines import build_pipeline
    >>> images = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    >>> pipe = build_pipeline("fft", "logistic", face="off", image_size=32, cv=2)
    >>> pipe = pipe.fit(list(images), [0, 1] * 4)
    >>> summary = training_summary(pipe, images, [0, 1] * 4, features=pipe[:-1].transform(list(images)))
    >>> summary["counts"], len(summary["mean_log_spectrum"]["fake"]), len(summary["feature_mean"])
    ({'real': 4, 'fake': 4}, 64, 69)
    """
    labels = np.asarray(labels)
    if len(crops) != labels.shape[0]:
        raise ValueError(f"{len(crops)} crops but {labels.shape[0]} labels.")
    sums = {0: np.zeros(n_bins), 1: np.zeros(n_bins)}
    counts = {0: 0, 1: 0}
    for crop, label in zip(crops, labels):
        key = int(label)
        sums[key] += log_spectrum(crop, n_bins=n_bins)
        counts[key] += 1
    summary = {
        "spectrum_bins": int(n_bins),
        "mean_log_spectrum": {
            name: (sums[k] / counts[k]).round(5).tolist() if counts[k] else None
            for name, k in (("real", 0), ("fake", 1))
        },
        "counts": {"real": counts[0], "fake": counts[1]},
    }
    if features is not None:
        features = np.asarray(features, dtype=np.float64)
        n_expected = feature_families(pipeline)[1].size
        if features.shape != (labels.shape[0], n_expected):
            raise ValueError(f"features must have shape ({labels.shape[0]}, {n_expected}).")
        summary["feature_mean"] = [float(v) for v in features.mean(axis=0)]
    return summary
