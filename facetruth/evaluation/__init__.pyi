# The public names of facetruth.evaluation: __init__.py loads each from its private module
# on first use (lazy_loader.attach_stub reads this file). Only `from .module import name`
# lines: a name whose home is another package is imported from there.

__all__ = [
    "audit_dataset",
    "check_results",
    "cross_dataset",
    "DEFAULT_SETS",
    "evaluate_model",
    "machine_info",
    "make_detector",
    "resolve_sets",
    "ResultStatus",
    "run_experiment",
    "run_loso",
    "run_record",
    "run_robustness",
    "run_tuned_loso",
    "write_results",
]

from ._audit import audit_dataset
from ._cross_dataset import cross_dataset
from ._evaluate import evaluate_model
from ._experiment import DEFAULT_SETS, run_experiment
from ._features import make_detector
from ._loso import run_loso
from ._loso_tuned import run_tuned_loso
from ._provenance import (
    machine_info,
    run_record,
    write_results,
)
from ._robustness import run_robustness
from ._sets import resolve_sets
from ._staleness import ResultStatus, check_results
