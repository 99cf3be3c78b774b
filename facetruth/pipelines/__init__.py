"""Feature-set registry, the ImageLoader step, and ``build_pipeline``."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "._build": ["build_pipeline", "build_loader", "build_features", "build_detector", "build_extras"],
        "._loader": ["ImageLoader", "LoadResult"],
        "._extras": ["ExtraRows", "TrainingExtras", "parse_augment"],
        "._registry": [
            "CNN_FAMILIES",
            "DEVICE_FAMILIES",
            "EMBEDDING_FAMILIES",
            "default_classifier",
            "make_transformer",
            "FEATURE_SETS",
            "FAMILIES",
            "HANDCRAFTED",
            "CLASSIFIERS",
            "resolve_features",
            "make_classifier",
        ],
        "._dask": ["DistributedXGBClassifier", "dask_client"],
        "._dask_train": ["train_on_shards"],
        "._extract": ["ExtractionResult", "extract_features"],
        "._predict": [
            "predict_items",
            "score_items",
            "Prediction",
            "ScoredItems",
            "split_pipeline",
            "decision_threshold",
        ],
        "._verdicts": [
            "verdict_for",
            "verdict_rules",
            "VerdictRules",
            "face_side",
            "face_size_limit",
            "VERDICTS",
            "INCONCLUSIVE_REASONS",
            "UNREADABLE",
            "NO_FACE",
            "FACE_TOO_SMALL",
            "OUT_OF_DISTRIBUTION",
            "UNCERTAIN",
        ],
        "._progress": ["transform_batches"],
        "._train": [
            "train_detector",
            "TrainingResult",
            "holdout_split",
            "load_images",
            "dataset_items",
        ],
    },
)
