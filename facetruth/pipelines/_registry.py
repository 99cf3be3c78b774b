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
    "clip": ("facetruth.features._clip", "CLIPEmbedding"),
}

#: families that run EfficientNet-Lite0: they take a fine-tuned backbone's ``weights``
CNN_FAMILIES = ("cnn", "parts", "cnnstats")

#: families that run a network: they take ``device`` (CPU, or CUDA when there is one)
DEVICE_FAMILIES = (*CNN_FAMILIES, "clip")

#: families whose columns are one embedding, best read by a linear probe (``classifier="auto"``)
EMBEDDING_FAMILIES = ("clip",)

HANDCRAFTED = ("fft", "dct", "noise", "lbp")

#: named feature sets; every single family is also a set of its own
FEATURE_SETS = {
    "handcrafted": HANDCRAFTED,
    "spectral": ("fft", "dct"),
    "all": (*HANDCRAFTED, "cnn"),
    **{name: (name,) for name in FAMILIES},
}


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

    Raises
    ------
    ValueError
        For an unknown name, or when nothing is selected.

    Examples
    --------
    >>> from facetruth.pipelines import resolve_features
    >>> resolve_features("spectral"), resolve_features("fft+lbp"), resolve_features(["spectral", "fft"])
    (('fft', 'dct'), ('fft', 'lbp'), ('fft', 'dct'))
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


def default_classifier(features):
    """The classifier ``classifier="auto"`` means for a feature set.

    A linear probe (``"linear_probe"``) for embeddings alone
    (:data:`EMBEDDING_FAMILIES`, e.g. ``"clip"``), XGBoost otherwise.

    Examples
    --------
    >>> from facetruth.pipelines._registry import default_classifier
    >>> default_classifier("clip"), default_classifier("clip+handcrafted")
    ('linear_probe', 'xgboost')
    """
    families = resolve_features(features)
    return "linear_probe" if set(families) <= set(EMBEDDING_FAMILIES) else "xgboost"


def make_transformer(family, **params):
    """Instantiate the transformer of one feature family.

    Parameters
    ----------
    family : str
        A key of :data:`FAMILIES`.
    **params :
        Passed to the transformer's constructor.

    Returns
    -------
    transformer : estimator
        Unfitted.

    Examples
    --------
    >>> from facetruth.pipelines._registry import make_transformer
    >>> make_transformer("fft", n_bins=32)
    FFTFeatures(n_bins=32)
    """
    module, cls = FAMILIES[family]
    return getattr(import_module(module), cls)(**params)
