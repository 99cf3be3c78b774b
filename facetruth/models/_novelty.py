"""How far an image's features lie from the training data: the RMS z-score.

Each feature is standardised with the training rows' mean and standard
deviation, and an image's distance is the root mean square of its
standardised features,

.. math:: d(x) = \\sqrt{\\frac{1}{p} \\sum_{j=1}^{p} \\left(\\frac{x_j - \\mu_j}{\\sigma_j}\\right)^2},

so a training row is about 1 away on average. The limit is the 99.5th
percentile of the training rows' distances, each measured out of fold
(against the statistics of the other folds, as a new image would be): about
1 in 200 images like the training data lie beyond it, while images of
another source, camera or generator often do. It is a domain-shift flag, not an error detector: an
image inside the limit can still be of a source the detector never saw.
"""

import numpy as np

#: percentile of the training rows' distances that sets the limit
NOVELTY_PERCENTILE = 99.5


def rms_zscore(X, mean, scale):
    """Root mean square of the standardised features of each row.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    mean, scale : array-like of shape (n_features,)
        Per-feature centre and (positive) spread.

    Returns
    -------
    distance : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.models._novelty import rms_zscore
    >>> rms_zscore(np.array([[0.0, 0.0], [3.0, 4.0]]), np.zeros(2), np.array([1.0, 2.0])).round(3).tolist()
    [0.0, 2.55]
    """
    X = np.asarray(X, dtype=np.float64)
    z = (X - np.asarray(mean, dtype=np.float64)) / np.asarray(scale, dtype=np.float64)
    return np.sqrt(np.mean(z * z, axis=1))


def _statistics(X):
    """Per-feature mean and standard deviation (1 for a constant feature)."""
    mean, scale = X.mean(axis=0), X.std(axis=0)
    return mean, np.where(scale > 1e-12 * np.maximum(1.0, np.abs(mean)), scale, 1.0)


class FeatureNovelty:
    """Training statistics for :func:`rms_zscore` and the distance beyond which an image is novel.

    Parameters
    ----------
    percentile : float, default=99.5
        Percentile of the training rows' distances taken as the limit.

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (n_features,)
        The training features' mean and standard deviation (1 where a
        feature is constant).
    limit_ : float
        Distances above it are out of distribution.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.models._novelty import FeatureNovelty
    >>> X = np.random.default_rng(0).normal(size=(500, 4))
    >>> novelty = FeatureNovelty().fit(X)
    >>> novelty.is_novel(np.array([[0.0, 0.0, 0.0, 0.0], [9.0, -9.0, 9.0, 0.0]])).tolist()
    [False, True]
    """

    def __init__(self, percentile=NOVELTY_PERCENTILE):
        self.percentile = percentile

    def fit(self, X, folds=None):
        """Learn the statistics and the limit from training features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        folds : iterable of (train, test) index arrays, default=None
            Splits of ``X`` (the detector's calibration folds): each test
            part's distances are measured against its train part's
            statistics, and the limit is taken on those out-of-fold
            distances. ``None`` measures every row against all of them,
            which understates the distances of new images on small sets.

        Returns
        -------
        self : FeatureNovelty
        """
        if not 0 < float(self.percentile) <= 100:
            raise ValueError(f"percentile must lie in (0, 100], got {self.percentile!r}.")
        X = np.asarray(X, dtype=np.float64)
        self.mean_, self.scale_ = _statistics(X)
        if folds is None:
            distance = self.distance(X)
        else:
            distance = np.full(len(X), np.nan)
            for train, test in folds:
                distance[test] = rms_zscore(X[test], *_statistics(X[train]))
            distance = distance[~np.isnan(distance)]
        self.limit_ = float(np.percentile(distance, float(self.percentile)))
        return self

    def distance(self, X):
        """:func:`rms_zscore` of each row against the training statistics."""
        return rms_zscore(X, self.mean_, self.scale_)

    def is_novel(self, X):
        """Whether each row lies beyond the limit."""
        return self.distance(X) > self.limit_
