"""The recommended detector's settings: one set of defaults for Python and the command line.

:func:`~facetruth.pipelines.build_pipeline`, :func:`~facetruth.pipelines.build_detector`
and ``facetruth train`` read their defaults from here, so that
``facetruth.build_pipeline()`` and ``facetruth train --data DATA --out M``
build the same detector. This module imports nothing: the command line reads
it before any heavy import.

Threads and processes follow scikit-learn and joblib: ``n_jobs=None`` is one
process unless a :func:`joblib.parallel_config` context says otherwise (the
networks then use every core with their own threads), ``-1`` is every core
and ``-2`` all but one; the command line's ``--n-jobs`` defaults to
:attr:`Defaults.cli_n_jobs`, every core.

Examples
--------
>>> from facetruth.pipelines import DEFAULTS
>>> DEFAULTS.features, DEFAULTS.classifier, DEFAULTS.cli_n_jobs
('clip', 'auto', -1)
>>> DEFAULTS.features = "all"
Traceback (most recent call last):
...
dataclasses.FrozenInstanceError: cannot assign to field 'features'
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Defaults:
    """The settings of the recommended detector, read by the factories and the command line.

    Attributes
    ----------
    features : str
        Feature families: the CLIP embedding generalised best to unseen sources (leave one source out).
    classifier : str
        Base classifier; ``"auto"`` is a linear probe for the clip embedding alone, XGBoost otherwise.
    face : str
        Face detector of the loader: dlib's HOG, then OpenCV's Haar cascade, else the centre square.
    image_size : int
        Side of the square face crops, in pixels.
    calibration : str
        Calibration of ``prob_fake`` on out-of-fold scores (isotonic with enough samples, else sigmoid).
    threshold : str
        Decision threshold, chosen on out-of-fold scores.
    cv : int
        Folds of the out-of-fold calibration.
    confidence : float
        Share of the out-of-fold verdicts on each side that must be right (the cutoffs for real and fake).
    device : str
        Where the networks and XGBoost run: CUDA when torch sees a GPU, else the CPU.
    seed : int
        Seed of the folds and of the classifier.
    classifier_n_jobs : int
        Threads of the base classifier: on the few hundred to few thousand rows a detector trains
        on, XGBoost's threads cost more than they save (``benchmarks/bench_fit.py``).
    cli_n_jobs : int
        ``--n-jobs`` of the command line: every core (``-1``, as in joblib).
    """

    features: str = "clip"
    classifier: str = "auto"
    face: str = "auto"
    image_size: int = 256
    calibration: str = "auto"
    threshold: str = "eer"
    cv: int = 5
    confidence: float = 0.95
    device: str = "auto"
    seed: int = 0
    classifier_n_jobs: int = 1
    cli_n_jobs: int = -1


#: the one set of defaults
DEFAULTS = Defaults()
