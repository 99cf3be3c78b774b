"""How well properties that say nothing about forgery predict the label.

The statistics of the shortcut audit, on a plain feature matrix: the
cross-validated ROC AUC of two small models (a standardised logistic
regression and depth-3 gradient boosting) and the AUC of every feature on
its own. A detector evaluated on a set where these are high may have learnt
the set, not the forgery (Geirhos et al., "Shortcut learning in deep neural
networks", Nature Machine Intelligence 2020).
"""

import numpy as np

from ._cv import cv_splits

__all__ = ["SHORTCUT_MODELS", "shortcut_aucs", "single_feature_aucs"]

SHORTCUT_MODELS = ("logistic", "gradient_boosting")
"""The small models of :func:`shortcut_aucs`."""


def _make_model(name, random_state):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "logistic":
        return make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(C=1.0, max_iter=2000),
        )
    return HistGradientBoostingClassifier(
        max_depth=3, max_iter=100, learning_rate=0.1, early_stopping=False, random_state=random_state
    )


def _check_xy(X, y):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).reshape(-1)
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be 2-D with one row per label; got {X.shape} and {y.shape}.")
    if np.isinf(X).any():
        raise ValueError("X holds infinite values (NaN marks a missing value).")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 (real) or 1 (fake).")
    counts = np.bincount(y.astype(int), minlength=2)
    if counts.min() < 2:
        raise ValueError(f"both classes need at least 2 items; got {counts[0]} real and {counts[1]} fake.")
    return X, y.astype(int)


def single_feature_aucs(X, y):
    """ROC AUC of each column on its own, as a score for the fake class.

    Missing values (NaN) take the column's median; a constant or empty
    column scores 0.5. An AUC below 0.5 means higher values go with real
    images: ``abs(auc - 0.5)`` measures how much the column separates.

    Parameters
    ----------
    X : array-like of shape (n_items, n_features)
    y : array-like of shape (n_items,)
        1 = fake, 0 = real; both classes present.

    Returns
    -------
    aucs : ndarray of shape (n_features,)

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.evaluation._shortcuts import single_feature_aucs
    >>> X = np.array([[1, 5], [2, 5], [3, 5], [4, 5]], dtype=float)
    >>> single_feature_aucs(X, [0, 0, 1, 1]).tolist()
    [1.0, 0.5]
    """
    X, y = _check_xy(X, y)
    aucs = np.full(X.shape[1], 0.5)
    for j in range(X.shape[1]):
        column = X[:, j]
        missing = np.isnan(column)
        if missing.all():
            continue
        column = np.where(missing, np.median(column[~missing]), column)
        if np.ptp(column) > 0:
            aucs[j] = _auc(y, column)
    return aucs


def shortcut_aucs(X, y, *, groups=None, cv=5, random_state=0, n_repeats=5):
    """Cross-validated ROC AUC of small models that see only ``X``.

    Two models, each fitted per fold of a stratified (grouped) k-fold: a
    logistic regression on standardised, median-imputed columns, and
    histogram gradient boosting of depth 3 (which takes NaN as it is).
    The better model's permutation importance (drop in held-out AUC when a
    column is shuffled) is averaged over the folds.

    Parameters
    ----------
    X : array-like of shape (n_items, n_features)
        NaN marks a missing value.
    y : array-like of shape (n_items,)
        1 = fake, 0 = real.
    groups : array-like of shape (n_items,), default=None
        Items of one group stay in one fold (:func:`cv_splits`); ``None``
        makes every item its own group (plain stratified k-fold).
    cv : int, default=5
        Number of folds; fewer when the smaller class has fewer items.
    random_state : int, default=0
        Seeds the folds, the boosting and the permutations.
    n_repeats : int, default=5
        Shuffles per column for the permutation importance.

    Returns
    -------
    result : dict
        ``aucs`` ({model: mean fold AUC}), ``fold_aucs`` ({model: list}),
        ``best`` (the model with the higher AUC), ``scores`` (out-of-fold
        probabilities of the best model, shape (n_items,)), ``importance``
        (shape (n_features,)) and ``n_splits``.

    Raises
    ------
    ValueError
        When ``X`` and ``y`` do not match, a class has fewer than 2 items,
        or ``cv`` is below 2.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.evaluation._shortcuts import shortcut_aucs
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> X = np.column_stack([y + rng.normal(0, 0.3, 40), rng.normal(size=40)])
    >>> result = shortcut_aucs(X, y, cv=4, n_repeats=2)
    >>> result["aucs"]["logistic"] > 0.9, int(result["importance"].argmax())
    (True, 0)
    """
    from threadpoolctl import threadpool_limits

    X, y = _check_xy(X, y)
    if isinstance(cv, bool) or not isinstance(cv, (int, np.integer)) or cv < 2:
        raise ValueError(f"cv must be an integer >= 2; got {cv!r}.")
    groups = np.arange(len(y)).astype(str) if groups is None else np.asarray(groups, dtype=str)
    n_splits = int(min(cv, np.bincount(y).min()))
    splits = cv_splits(y, groups, n_splits=n_splits, random_state=random_state)
    # the models are small: one thread each is quicker than OpenMP threads fighting for busy cores
    with threadpool_limits(limits=1):
        return _fit_folds(X, y, splits, random_state, n_repeats)


def _fit_folds(X, y, splits, random_state, n_repeats):
    from sklearn.base import clone

    scores = {name: np.full(len(y), np.nan) for name in SHORTCUT_MODELS}
    fold_aucs = {name: [] for name in SHORTCUT_MODELS}
    fitted = {name: [] for name in SHORTCUT_MODELS}
    for split in splits:
        train, test = split["train"], split["test"]
        # a property no training item has carries no information (and gradient boosting refuses it)
        split["X"] = np.where(np.isnan(X[train]).all(axis=0), 0.0, X)
        for name in SHORTCUT_MODELS:
            model = clone(_make_model(name, random_state)).fit(split["X"][train], y[train])
            scores[name][test] = model.predict_proba(split["X"][test])[:, 1]
            fold_aucs[name].append(_auc(y[test], scores[name][test]))
            fitted[name].append(model)
    aucs = {name: float(np.nanmean(fold_aucs[name])) for name in SHORTCUT_MODELS}
    best = max(SHORTCUT_MODELS, key=lambda name: aucs[name])
    importance = np.zeros(X.shape[1])
    rng = np.random.default_rng(random_state)
    for split, model in zip(splits, fitted[best]):
        importance += _permutation_importance(
            model, split["X"][split["test"]], y[split["test"]], rng, n_repeats
        )
    importance /= len(splits)
    return {
        "aucs": aucs,
        "fold_aucs": {name: [float(a) for a in fold_aucs[name]] for name in SHORTCUT_MODELS},
        "best": best,
        "scores": scores[best],
        "importance": importance,
        "n_splits": len(splits),
    }


def _auc(y, scores):
    """ROC AUC by the rank-sum (Mann-Whitney) formula, ties counted half; NaN with one class."""
    from scipy.stats import rankdata

    n_fake = int(np.sum(y == 1))
    n_real = len(y) - n_fake
    if n_fake == 0 or n_real == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[y == 1].sum() - n_fake * (n_fake + 1) / 2.0) / (n_fake * n_real))


def _permutation_importance(model, X, y, rng, n_repeats):
    """Mean drop in held-out AUC when one column is shuffled (0 for columns constant here)."""
    importance = np.zeros(X.shape[1])
    base = _auc(y, model.predict_proba(X)[:, 1])
    if np.isnan(base):
        return importance
    for j in range(X.shape[1]):
        column = X[:, j]
        if np.all(column == column[0]) or np.isnan(column).all():
            continue
        drops = []
        for _ in range(n_repeats):
            shuffled = X.copy()
            shuffled[:, j] = rng.permutation(column)
            drops.append(base - _auc(y, model.predict_proba(shuffled)[:, 1]))
        importance[j] = float(np.mean(drops))
    return importance
