"""Metrics, cross-validation and reports."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "._metrics": ["detection_metrics", "equal_error_rate", "f1_threshold", "reliability_curve"],
    },
)
