"""A fingerprint of a detector's features on fixed probe images, checked where the model is loaded.

A saved detector is a claim about images, so its features must not depend on
the CPU or the library versions that compute them. They can: onnxruntime's
int8 kernels give other CLIP embeddings on x86 CPUs without AVX-512 VNNI,
and a new OpenCV, scikit-image or dlib can move the handcrafted families.
:func:`feature_fingerprint` records the features and ``P(fake)`` of the
probe images (:func:`facetruth.data.probe_images`) with the machine and the
library versions; :func:`~facetruth.models._drift.compare_fingerprint` computes them
again and says whether they still agree within :data:`DRIFT_MIN_COSINE` and
:data:`DRIFT_MAX_PROB_DELTA`.
"""

import base64
import binascii
import copy

import numpy as np
from sklearn.pipeline import Pipeline

from .._cpu import cpu_info
from .._version import installed_versions
from ..exceptions import ModelIntegrityError

FINGERPRINT_FORMAT = "facetruth-fingerprint/1"
#: each family's features on each probe must have at least this cosine to the stored ones
DRIFT_MIN_COSINE = 0.999
#: the probes' ``P(fake)`` may move by at most this much
DRIFT_MAX_PROB_DELTA = 0.01
#: the libraries whose kernels compute features, recorded with the machine
FEATURE_LIBRARIES = (
    "numpy",
    "scipy",
    "opencv-python-headless",
    "scikit-image",
    "pillow",
    "dlib-bin",
    "onnxruntime",
    "torch",
    "timm",
)
#: the library that computes a family, named in a drift message even when its version is unchanged
_FAMILY_LIBRARY = {"clip": "onnxruntime", "cnn": "torch", "cnnstats": "torch", "parts": "torch"}


def is_detector_pipeline(pipeline):
    """Whether ``pipeline`` is a fitted-detector shape: image loader, feature steps, classifier."""
    return (
        isinstance(pipeline, Pipeline)
        and len(pipeline.steps) >= 3
        and hasattr(pipeline[0], "load")
        and hasattr(pipeline[-1], "predict_proba")
    )


def library_versions():
    """The installed versions of :data:`FEATURE_LIBRARIES` (``None`` for one not installed)."""
    return installed_versions(FEATURE_LIBRARIES)


def _detached(estimator):
    """A copy of a fitted estimator whose parameters can change without touching the original.

    Each estimator is copied shallowly (fitted attributes, networks and
    sessions are shared, not copied), and so are the estimators among its
    parameters (a pipeline's steps, a union's transformers), recursively.
    """
    if not hasattr(estimator, "get_params"):
        return estimator
    duplicate = copy.copy(estimator)
    for key, value in estimator.get_params(deep=False).items():
        if hasattr(value, "get_params"):
            setattr(duplicate, key, _detached(value))
        elif isinstance(value, list) and value and all(isinstance(v, tuple) and len(v) >= 2 for v in value):
            setattr(duplicate, key, [(v[0], _detached(v[1]), *v[2:]) for v in value])
    return duplicate


def _quiet_copy(pipeline):
    """The loader and feature steps of ``pipeline``, detached, with every cache off and one job each.

    Probes are never cached, and a check never starts a process pool; the
    caller's pipeline is left as it is, so that another thread may score
    with it meanwhile.
    """
    return quiet_features(pipeline[:-1])


def quiet_features(steps):
    """``steps`` (a fitted loader and feature union), detached, with every cache off and one job each."""
    features = _detached(steps)
    params = features.get_params(deep=True)
    changes = {key: None for key, value in params.items() if key.endswith("cache") and value is not None}
    changes.update({key: 1 for key, value in params.items() if key.endswith("n_jobs") and value != 1})
    if changes:
        features.set_params(**changes)
    return features


def _families(names):
    """``[[family, n_columns], ...]`` in column order; names are ``family__...``."""
    families = []
    for name in names:
        family = str(name).split("__", 1)[0]
        if families and families[-1][0] == family:
            families[-1][1] += 1
        else:
            families.append([family, 1])
    return families


def _probe_features(pipeline, images):
    """The features, ``P(fake)`` and family layout of ``pipeline`` on the probe ``images``."""
    features = _quiet_copy(pipeline).transform(images)
    prob = np.asarray(pipeline[-1].predict_proba(features), dtype=np.float64)[:, 1]
    families = _families(pipeline[:-1].get_feature_names_out())
    return np.asarray(features, dtype=np.float64), prob, families


def encode_features(array):
    """A float array as JSON: little-endian float32, base64, with its shape."""
    array = np.ascontiguousarray(array, dtype="<f4")
    return {
        "dtype": "<f4",
        "shape": list(array.shape),
        "data": base64.b64encode(array.tobytes()).decode("ascii"),
    }


def feature_fingerprint(pipeline):
    """The features and ``P(fake)`` of the probe images, with the machine and library versions.

    The fitted ``pipeline[:-1]`` (image loader and feature union) computes the
    features of :func:`facetruth.data.probe_images`, on a copy of its steps
    with every cache off and one job each (nothing is refitted, and the
    pipeline itself is not changed), and the classifier their ``P(fake)``.
    :func:`facetruth.save` stores the result in the model card.

    Parameters
    ----------
    pipeline : estimator
        A fitted detector pipeline: image loader, feature steps, classifier.

    Returns
    -------
    fingerprint : dict or None
        JSON-ready: ``"format"``, ``"probes"`` (sha256 of the probe images),
        ``"features"`` (little-endian float32, base64, with its shape),
        ``"families"`` (``[family, n_columns]`` in column order),
        ``"prob_fake"``, ``"machine"`` (:func:`facetruth._cpu.cpu_info`) and
        ``"versions"`` (:data:`FEATURE_LIBRARIES`). ``None`` for any other
        estimator.

    Examples
    --------
    >>> import numpy as np
    >>> import facetruth
    >>> from facetruth.models import feature_fingerprint
    >>> images = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    >>> pipe = facetruth.build_pipeline("fft", "logistic", face="off", image_size=32, cv=2)
    >>> fingerprint = feature_fingerprint(pipe.fit(list(images), [0, 1] * 4))
    >>> fingerprint["families"], fingerprint["features"]["shape"], len(fingerprint["prob_fake"])
    ([['fft', 69]], [4, 69], 4)
    >>> feature_fingerprint(pipe[-1]) is None  # a bare classifier has no image features
    True
    """
    from ..data import probe_images

    if not is_detector_pipeline(pipeline):
        return None
    features, prob, families = _probe_features(pipeline, probe_images())
    return {**probe_fingerprint(features), "families": families, "prob_fake": [float(p) for p in prob]}


def decode_features(blob):
    """The array of :func:`encode_features`; raises ``ValueError`` (or ``binascii.Error``) if malformed."""
    if blob.get("dtype") != "<f4":
        raise ValueError(f"features of dtype {blob.get('dtype')!r}")
    raw = base64.b64decode(blob["data"], validate=True)
    return np.frombuffer(raw, dtype="<f4").reshape([int(n) for n in blob["shape"]])


def probe_fingerprint(features):
    """A fingerprint of features computed on the probe images, with the machine and library versions.

    The form of :func:`feature_fingerprint` without a classifier, for a
    feature family alone (a result's provenance records one per family):
    compare it with :func:`~facetruth.models.probe_agreement`.

    Parameters
    ----------
    features : array-like of shape (n_probes, n_columns)
        The features of :func:`facetruth.data.probe_images`.

    Returns
    -------
    fingerprint : dict
        ``"format"``, ``"probes"`` (sha256 of the probe images),
        ``"features"`` (little-endian float32, base64, with its shape),
        ``"machine"`` and ``"versions"``.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.models import probe_fingerprint
    >>> probe_fingerprint(np.ones((4, 3)))["features"]["shape"]
    [4, 3]
    """
    from ..data import probe_digest

    return {
        "format": FINGERPRINT_FORMAT,
        "probes": probe_digest(),
        "features": encode_features(features),
        "machine": cpu_info(),
        "versions": library_versions(),
    }


def _decode(stored):
    """``(features, prob_fake, families)`` of a stored fingerprint; a malformed one is an integrity error."""
    try:
        if stored.get("format") != FINGERPRINT_FORMAT:
            raise ValueError(f"format {stored.get('format')!r}, expected {FINGERPRINT_FORMAT!r}")
        features = decode_features(stored["features"])
        prob = np.asarray(stored["prob_fake"], dtype=np.float64)
        families = [[str(f), int(n)] for f, n in stored["families"]]
        if features.ndim != 2 or prob.shape != (features.shape[0],):
            raise ValueError(f"features of shape {features.shape} for {prob.size} probabilities")
        if sum(n for _, n in families) != features.shape[1]:
            raise ValueError("the families do not cover the feature columns")
    except (AttributeError, KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise ModelIntegrityError(f"unreadable feature fingerprint in the model card ({exc}).") from None
    return features.astype(np.float64), prob, families
