"""FaceTruth: deepfake image detection with forensic features, a CNN embedding and XGBoost.

The public API is a scikit-learn pipeline whose input is image paths (or
arrays) and whose output is the probability that an image is fake
(label 1 = fake, 0 = real)::

    import facetruth
    pipe = facetruth.build_pipeline(features="handcrafted")
    pipe.fit(paths, labels)
    facetruth.save(pipe, "model.joblib")
    prob_fake = facetruth.load("model.joblib").predict_proba(paths)[:, 1]

:func:`predict_items` scores a batch the way the command line and the web
app do: one :class:`~facetruth.pipelines.Prediction` per item (verdict,
probability, threshold, reason, error), carrying on past unreadable files::

    for row in facetruth.predict_items(facetruth.load("model.joblib"), paths):
        print(row.item, row.verdict, row.prob_fake, row.error)

Heavy dependencies (torch, xgboost) are imported on first use, not here.
"""

from importlib import import_module

from ._version import __version__
from .exceptions import (
    DatasetLayoutError,
    FaceTruthError,
    FeatureDriftError,
    ImageDecodeError,
    ModelIntegrityError,
)

_LAZY = {
    "build_pipeline": "facetruth.pipelines",
    "load": "facetruth.models",
    "save": "facetruth.models",
    "predict_items": "facetruth.pipelines",
}

__all__ = [
    "__version__",
    "build_pipeline",
    "load",
    "save",
    "predict_items",
    "DatasetLayoutError",
    "FaceTruthError",
    "FeatureDriftError",
    "ImageDecodeError",
    "ModelIntegrityError",
]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'facetruth' has no attribute {name!r}")
