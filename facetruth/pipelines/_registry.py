"""Named feature sets, feature families and classifiers.

A user can say ``features="handcrafted"`` or ``features="fft,lbp"``;
:func:`resolve_features` turns either into a tuple of family names.
"""

from importlib import import_module

#: family name -> (module, transformer class)
FAMILIES = {
    "fft": ("facetruth.features._fft", "FFTFeatures"),
    "dct": ("facetruth.features._dct", "DCTFeatures"),
    "noise": ("facetruth.features._noise", "NoiseFeatures"),
    "lbp": ("facetruth.features._lbp", "LBPFeatures"),
    "cnn": ("facetruth.features._cnn", "CNNEmbedding"),
    "region": ("facetruth.features._region", "RegionFeatures"),
    "parts": ("facetruth.features._parts", "PartEmbedding"),
    "cnnstats": ("facetruth.features._cnnstats", "CNNStats"),
}

#: families that run a CNN: they take ``device`` and a fine-tuned backbone's ``weights``
CNN_FAMILIES = ("cnn", "parts", "cnnstats")

HANDCRAFTED = ("fft", "dct", "noise", "lbp")

#: named feature sets; every single family is also a set of its own
FEATURE_SETS = {
    "handcrafted": HANDCRAFTED,
    "spectral": ("fft", "dct"),
    "all": (*HANDCRAFTED, "cnn"),
    **{name: (name,) for name in FAMILIES},
}

CLASSIFIERS = ("xgboost", "logistic", "logistic_cv", "svm", "random_forest")


def resolve_features(features):
    """Turn a feature-set name, a comma list or a sequence into family names.

    Parameters
    ----------
    features : str or sequence of str
        A name of :data:`FEATURE_SETS` (``"all"``, ``"handcrafted"``, ``"fft"``),
        a list joined by commas or plus signs (``"fft,lbp"``, ``"all+region"``)
        or a sequence of family and set names.

    Returns
    -------
    families : tuple of str
        Unique, in the order given.
    """
    if isinstance(features, str):
        if features in FEATURE_SETS:
            return FEATURE_SETS[features]
        features = [f.strip() for f in features.replace("+", ",").split(",") if f.strip()]
    families = []
    for name in features:
        expanded = FEATURE_SETS.get(name)
        if expanded is None:
            known = ", ".join(sorted(FEATURE_SETS))
            raise ValueError(f"Unknown feature family or set {name!r}; known: {known}.")
        families.extend(f for f in expanded if f not in families)
    if not families:
        raise ValueError("No feature family selected.")
    return tuple(families)


def make_transformer(family, **params):
    """Instantiate the transformer of one feature family."""
    module, cls = FAMILIES[family]
    return getattr(import_module(module), cls)(**params)


def make_classifier(name="xgboost", *, random_state=0, device="auto", n_jobs=None):
    """A fresh, unfitted base classifier by name.

    Parameters
    ----------
    name : {"xgboost", "logistic", "logistic_cv", "svm", "random_forest"}
        XGBoost gradient-boosted trees (``tree_method="hist"``, early
        stopping, CUDA when available); logistic regression and an RBF SVM on
        standardised features (the classifiers of Durall et al. 2020);
        ``logistic_cv``, logistic regression whose L2 strength is chosen by
        a 3-fold ROC AUC search over ``C`` in 1e-4 ... 10 on the training
        data (for wide CNN embeddings, where a fixed ``C`` over-fits); or a
        random forest.
    random_state : int, default=0
    device : {"auto", "cpu", "cuda"}, default="auto"
        For XGBoost only.
    n_jobs : int, default=None
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
        import numpy as np
        from sklearn.linear_model import LogisticRegressionCV

        search = LogisticRegressionCV(
            Cs=np.logspace(-4, 1, 6),
            cv=3,
            scoring="roc_auc",
            l1_ratios=(0.0,),
            max_iter=5000,
            n_jobs=n_jobs,
            use_legacy_attributes=False,
        )
        return make_pipeline(StandardScaler(), search)
    if name == "svm":
        from sklearn.svm import SVC

        return make_pipeline(StandardScaler(), SVC(kernel="rbf", C=1.0, random_state=random_state))
    if name == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=400, random_state=random_state, n_jobs=n_jobs)
    raise ValueError(f"Unknown classifier {name!r}; choose one of {CLASSIFIERS}.")


def _xgb_device(device):
    if device != "auto":
        return device
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:  # pragma: no cover - torch is a dependency
        return "cpu"
