"""Metrics, cross-validation and reports."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "..metrics": [
            "detection_metrics",
            "equal_error_rate",
            "f1_threshold",
            "reliability_curve",
            "coverage_curve",
            "flag_rates",
        ],
        "._cv": ["cv_splits", "check_no_leak", "cross_validate_features", "video_scores", "FoldLeakError"],
        "._evaluate": ["evaluate_model", "verdict_coverage", "score_summary"],
        "._features": ["load_crops", "extract_families", "stack_families", "make_detector"],
        "._experiment": ["run_experiment", "DEFAULT_SETS"],
        "._sets": ["resolve_sets"],
        "._robustness": ["PERTURBATIONS", "perturb", "robustness_curves", "run_robustness"],
        "._cross_dataset": ["cross_dataset"],
        "._loso": ["run_loso"],
        "._loso_tuned": ["run_tuned_loso"],
        "._report": ["write_report", "render_markdown"],
        "._shortcuts": ["SHORTCUT_MODELS", "shortcut_aucs", "single_feature_aucs"],
        "._audit_table": ["nuisance_table"],
        "._audit": ["WARN_AUC", "AuditResult", "audit_dataset"],
    },
)
