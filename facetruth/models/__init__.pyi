# The public names of facetruth.models: __init__.py loads each from its private module
# on first use (lazy_loader.attach_stub reads this file). Only `from .module import name`
# lines: a name whose home is another package is imported from there.

__all__ = [
    "CalibratedDetector",
    "check_detector",
    "classifier_name",
    "CLASSIFIERS",
    "CLIPNormTuner",
    "DRIFT_MIN_COSINE",
    "family_contributions",
    "feature_families",
    "feature_fingerprint",
    "FeatureDrift",
    "finetune",
    "finetuned_scores",
    "FineTunedCNNClassifier",
    "load",
    "log_spectrum",
    "make_classifier",
    "package_versions",
    "probe_agreement",
    "probe_fingerprint",
    "save",
    "set_cache",
    "source_commit",
    "SPECTRUM_BINS",
    "training_summary",
]

from ._cache_params import set_cache
from ._calibration import CalibratedDetector
from ._classifiers import CLASSIFIERS, classifier_name, make_classifier
from ._clip_tune import CLIPNormTuner
from ._drift import FeatureDrift, probe_agreement
from ._explain import SPECTRUM_BINS, family_contributions, feature_families, log_spectrum, training_summary
from ._finetune import finetune
from ._finetune_classifier import FineTunedCNNClassifier
from ._finetuned import finetuned_scores
from ._fingerprint import DRIFT_MIN_COSINE, feature_fingerprint, probe_fingerprint
from ._persistence import load, package_versions, save, source_commit
from ._strength import check_detector
