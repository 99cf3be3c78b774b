"""Feature-set registry, the ImageLoader step, and ``build_pipeline``."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "._build": ["build_pipeline", "build_loader", "build_features", "build_detector"],
        "._loader": ["ImageLoader", "LoadResult"],
        "._extras": ["ExtraRows", "training_extras", "parse_augment"],
        "._registry": [
            "CNN_FAMILIES",
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
            "verdict_for",
        ],
        "._train": [
            "train_detector",
            "TrainingResult",
            "holdout_split",
            "load_images",
            "dataset_items",
        ],
    },
)
