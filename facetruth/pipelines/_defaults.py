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
:data:`CLI_N_JOBS`, every core.

Examples
--------
>>> from facetruth.pipelines import DEFAULT_FEATURES, DEFAULT_CLASSIFIER, CLI_N_JOBS
>>> DEFAULT_FEATURES, DEFAULT_CLASSIFIER, CLI_N_JOBS
('clip', 'auto', -1)
"""

#: feature families: the CLIP embedding generalised best to unseen sources (leave one source out)
DEFAULT_FEATURES = "clip"
#: base classifier; ``"auto"`` is a linear probe for the clip embedding alone, XGBoost otherwise
DEFAULT_CLASSIFIER = "auto"
#: face detector of the loader: dlib's HOG, then OpenCV's Haar cascade, else the centre square
DEFAULT_FACE = "auto"
#: side of the square face crops, in pixels
DEFAULT_IMAGE_SIZE = 256
#: calibration of ``prob_fake`` on out-of-fold scores (isotonic with enough samples, else sigmoid)
DEFAULT_CALIBRATION = "auto"
#: decision threshold, chosen on out-of-fold scores
DEFAULT_THRESHOLD = "eer"
#: folds of the out-of-fold calibration
DEFAULT_CV = 5
#: share of the out-of-fold verdicts on each side that must be right (the cutoffs for real and fake)
DEFAULT_CONFIDENCE = 0.95
#: where the networks and XGBoost run: CUDA when torch sees a GPU, else the CPU
DEFAULT_DEVICE = "auto"
#: seed of the folds and of the classifier
DEFAULT_SEED = 0
#: threads of the base classifier: on the few hundred to few thousand rows a detector trains on,
#: XGBoost's threads cost more than they save (``benchmarks/bench_fit.py``)
CLASSIFIER_N_JOBS = 1
#: ``--n-jobs`` of the command line: every core (``-1``, as in joblib)
CLI_N_JOBS = -1
