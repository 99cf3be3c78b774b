"""The base classifiers a detector can wrap, by name."""

#: names accepted by :func:`make_classifier`
CLASSIFIERS = ("xgboost", "logistic", "logistic_cv", "linear_probe", "svm", "random_forest")


def make_classifier(name="xgboost", *, random_state=0, device="auto", n_jobs=None):
    """A fresh, unfitted base classifier by name.

    Parameters
    ----------
    name : {"xgboost", "logistic", "logistic_cv", "linear_probe", "svm", "random_forest"}
        XGBoost gradient-boosted trees (``tree_method="hist"``, early
        stopping, CUDA when available); logistic regression and an RBF SVM on
        standardised features (the classifiers of Durall et al. 2020);
        ``logistic_cv``, logistic regression whose L2 strength is chosen by
        a 3-fold ROC AUC search over ``C`` in 1e-4 ... 10 on the training
        data (for wide CNN embeddings, where a fixed ``C`` over-fits);
        ``linear_probe``, the same search after scaling each row to unit L2
        norm, the linear probe on CLIP embeddings of Ojha et al. (CVPR 2023):
        only a row's direction counts, not its length; or a random forest.
    random_state : int, default=0
    device : {"auto", "cpu", "cuda"}, default="auto"
        For XGBoost only.
    n_jobs : int, default=None

    Returns
    -------
    classifier : estimator
        Unfitted.

    Raises
    ------
    ValueError
        For an unknown name.

    Examples
    --------
    >>> from facetruth.models import make_classifier
    >>> type(make_classifier("random_forest")).__name__
    'RandomForestClassifier'
    >>> [step for step, _ in make_classifier("linear_probe").steps]
    ['normalizer', 'standardscaler', 'logisticregressioncv']
    """
    if name == "xgboost":
        from xgboost import XGBClassifier

        return XGBClassifier(
            n_estimators=600,
            learning_rate=0.05,
            max_depth=4,
            subsample=0.8,
            colsample_bytree=0.5,
            min_child_weight=1.0,
            tree_method="hist",
            device=_xgb_device(device),
            early_stopping_rounds=40,
            eval_metric="logloss",
            random_state=random_state,
            n_jobs=n_jobs,
        )
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "logistic":
        from sklearn.linear_model import LogisticRegression

        return make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000))
    if name == "logistic_cv":
        return make_pipeline(StandardScaler(), _c_search(n_jobs))
    if name == "linear_probe":
        from sklearn.preprocessing import Normalizer

        return make_pipeline(Normalizer(), StandardScaler(), _c_search(n_jobs))
    if name == "svm":
        from sklearn.svm import SVC

        return make_pipeline(StandardScaler(), SVC(kernel="rbf", C=1.0, random_state=random_state))
    if name == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=400, random_state=random_state, n_jobs=n_jobs)
    raise ValueError(f"Unknown classifier {name!r}; choose one of {CLASSIFIERS}.")


#: parameters that seed a classifier or say where and how fast it runs, not what it learns
_RUN_PARAMS = ("random_state", "device", "n_jobs", "importance_type")


def _recipe(estimator):
    """A hash of what an estimator learns: its classes and parameters, less :data:`_RUN_PARAMS`."""
    from joblib import hash as joblib_hash

    params = estimator.get_params(deep=True)
    parts = {"class": type(estimator).__name__}
    for key, value in params.items():
        if hasattr(value, "get_params"):
            parts[key] = type(value).__name__
        elif key != "steps" and key.rsplit("__", 1)[-1] not in _RUN_PARAMS:
            parts[key] = value
    return joblib_hash(parts)


def classifier_name(estimator):
    """The :data:`CLASSIFIERS` name of a base classifier, or its class name.

    Parameters
    ----------
    estimator : str or estimator
        A name, or an unfitted or fitted base classifier.

    Returns
    -------
    name : str
        The name of :func:`make_classifier` whose recipe the estimator
        follows (seed, device, threads and importance type aside), else the
        estimator's class name.

    Examples
    --------
    >>> from facetruth.models import classifier_name, make_classifier
    >>> classifier_name(make_classifier("logistic"))
    'logistic'
    >>> classifier_name(make_classifier("random_forest", random_state=3))
    'random_forest'
    >>> classifier_name(make_classifier("random_forest").set_params(max_depth=2))
    'RandomForestClassifier'
    """
    if isinstance(estimator, str):
        return estimator
    import sys

    recipe = _recipe(estimator)
    for name in CLASSIFIERS:
        if name == "xgboost" and "xgboost" not in sys.modules:
            continue  # an XGBoost estimator would have imported it: no need to import it here
        if _recipe(make_classifier(name, device="cpu")) == recipe:
            return name
    return type(estimator).__name__


def _c_search(n_jobs):
    """L2 logistic regression whose ``C`` (1e-4 ... 10) is chosen by inner 3-fold ROC AUC."""
    import numpy as np
    from sklearn.linear_model import LogisticRegressionCV

    return LogisticRegressionCV(
        Cs=np.logspace(-4, 1, 6),
        cv=3,
        scoring="roc_auc",
        l1_ratios=(0.0,),
        max_iter=5000,
        n_jobs=n_jobs,
        use_legacy_attributes=False,
    )


def _xgb_device(device):
    if device != "auto":
        return device
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:  # pragma: no cover - torch is a dependency
        return "cpu"
