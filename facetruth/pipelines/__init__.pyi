# The public names of facetruth.pipelines: __init__.py loads each from its private module
# on first use (lazy_loader.attach_stub reads this file). Only `from .module import name`
# lines: a name whose home is another package is imported from there.

__all__ = [
    "build_detector",
    "build_extras",
    "build_features",
    "build_loader",
    "build_pipeline",
    "CNN_FAMILIES",
    "dask_client",
    "dataset_items",
    "DEFAULTS",
    "decision_threshold",
    "DetectorPipeline",
    "extract_features",
    "FAMILIES",
    "FEATURE_SETS",
    "holdout_split",
    "ImageLoader",
    "INCONCLUSIVE_REASONS",
    "load_images",
    "predict_items",
    "Prediction",
    "resolve_features",
    "score_items",
    "split_pipeline",
    "train_detector",
    "train_on_shards",
    "TrainingExtras",
    "transform_batches",
    "UNCERTAIN",
    "verdict_rules",
]

from ._build import build_detector, build_extras, build_features, build_loader, build_pipeline
from ._dask import dask_client
from ._dask_train import train_on_shards
from ._defaults import DEFAULTS
from ._extract import extract_features
from ._extras import TrainingExtras
from ._loader import ImageLoader
from ._pipeline import DetectorPipeline
from ._predict import Prediction, decision_threshold, predict_items, score_items, split_pipeline
from ._progress import transform_batches
from ._registry import CNN_FAMILIES, FAMILIES, FEATURE_SETS, resolve_features
from ._train import dataset_items, holdout_split, load_images, train_detector
from ._verdicts import INCONCLUSIVE_REASONS, UNCERTAIN, verdict_rules
