"""Backbone loading and fine-tuning, calibration, and model persistence."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "._persistence": [
            "save",
            "load",
            "read_model_card",
            "sha256_file",
            "package_versions",
            "source_commit",
        ],
        "._model_path": ["check_model_path"],
        "._fingerprint": [
            "feature_fingerprint",
            "DRIFT_MIN_COSINE",
            "DRIFT_MAX_PROB_DELTA",
            "FEATURE_LIBRARIES",
        ],
        "._drift": ["compare_fingerprint", "FeatureDrift"],
        "..exceptions": ["FeatureDriftError", "ModelIntegrityError"],
        "._cache_params": ["set_cache"],
        "._card_settings": ["input_settings", "LOADER_SETTINGS"],
        "._calibration": ["CalibratedDetector"],
        "._strength": ["MIN_OOF_AUC", "calibration_decreases", "check_detector", "detector_weaknesses"],
        "._novelty": ["FeatureNovelty", "rms_zscore", "NOVELTY_PERCENTILE"],
        "._calibrators": [
            "ISOTONIC_MIN_SAMPLES",
            "SmoothIsotonic",
            "choose_band",
            "choose_cutoffs",
            "SideCutoffs",
            "probability_floor",
            "resolve_calibration",
        ],
        "._classifiers": ["CLASSIFIERS", "make_classifier", "classifier_name"],
        "..features": ["load_backbone", "resolve_device", "convert_state_dict", "imagenet_weights_path"],
        "._finetune": ["finetune", "FineTuneResult"],
        "._finetune_classifier": ["FineTunedCNNClassifier"],
        "._clip_tune": ["CLIPNormTuner"],
        "._explain": [
            "family_contributions",
            "feature_families",
            "training_summary",
            "FamilyContributions",
            "SPECTRUM_BINS",
            "log_spectrum",
        ],
    },
)
