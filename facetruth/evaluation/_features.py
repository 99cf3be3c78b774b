"""Decode a data set once and extract each feature family once, for experiments.

Comparing feature sets by refitting whole pipelines would decode, crop and
extract every image once per set and per fold. Experiments instead load the
face crops of a data set once (through the :class:`ImageLoader` crop cache),
compute each family once for all crops (through the feature cache), and
assemble a feature set by stacking its families' columns.
"""

import logging
import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone

logger = logging.getLogger(__name__)

#: images timed without the cache to measure a family's extraction cost
TIMING_SAMPLE = 32


@dataclass
class FamilyMatrix:
    """The features of one family for every loaded image.

    Attributes
    ----------
    X : ndarray of shape (n_images, n_features), dtype float32
    names : list of str
        Column names, ``family_name`` style.
    ms_per_image : float
        Uncached extraction time per image, measured on ``n_timed`` images.
    n_timed : int
    pass_seconds : float
        Wall time of the full pass over all images (through the cache when
        one is given, so it may be much smaller than ``ms_per_image`` implies).
    """

    X: np.ndarray
    names: list
    ms_per_image: float
    n_timed: int
    pass_seconds: float


@dataclass
class LoadedSet:
    """Face crops of a data set, aligned with its labels and groups.

    Attributes
    ----------
    images : ndarray of shape (n_ok, size, size, 3), dtype uint8
    labels, groups : ndarray of shape (n_ok,)
    index : ndarray of int
        Positions of the loaded items in the data set.
    skipped : list of (str, str)
        Items that failed to decode and why.
    face_found_rate : float
    load_seconds : float
    """

    images: np.ndarray
    labels: np.ndarray
    groups: np.ndarray
    index: np.ndarray
    skipped: list = field(default_factory=list)
    face_found_rate: float = 0.0
    load_seconds: float = 0.0


def load_crops(dataset, loader, *, progress=False, one_class=False):
    """Decode and face-crop every item of a data set once, skipping bad files.

    Parameters
    ----------
    dataset : Dataset
        From :func:`~facetruth.data.load_dataset`.
    loader : ImageLoader
        Unfitted, e.g. from :func:`~facetruth.pipelines.build_loader`; a
        clone does the work.
    progress : bool, default=False
    one_class : bool, default=False
        Accept a set of one class (real images for pseudo-fake training).

    Returns
    -------
    loaded : LoadedSet

    Raises
    ------
    ValueError
        When fewer than two items of each class decode.

    Examples
    --------
    >>> import tempfile
    >>> from facetruth.data import load_dataset, make_demo_dataset
    >>> from facetruth.evaluation._features import load_crops
    >>> from facetruth.pipelines import build_loader
    >>> folder = tempfile.mkdtemp()
    >>> _ = make_demo_dataset(n=8, size=32, out=folder)
    >>> load_crops(load_dataset(folder), build_loader("off", 32)).images.shape
    (8, 32, 32, 3)
    """
    from ..pipelines import dataset_items, load_images

    start = time.perf_counter()
    items = dataset_items(dataset)
    result = load_images(clone(loader).fit(), items, progress=progress)
    for _, msg in result.errors:
        logger.warning("skipping %s", msg)  # the loader leaves the reporting to its caller
    labels = np.asarray(dataset.labels)[result.ok]
    if not one_class and np.bincount(labels, minlength=2).min() < 2:
        raise ValueError("An experiment needs at least two decodable images of each class.")
    found = [info.get("face_found", False) for info in result.infos if "error" not in info]
    return LoadedSet(
        images=result.images,
        labels=labels,
        groups=np.asarray(dataset.groups, dtype=object)[result.ok],
        index=result.ok,
        skipped=[(str(items[i]), msg) for i, msg in result.errors],
        face_found_rate=float(np.mean(found)) if found else 0.0,
        load_seconds=time.perf_counter() - start,
    )


def union_families(features, families=None):
    """``{family: transformer}`` of a feature union, checked to hold ``families``.

    Raises
    ------
    ValueError
        When a family is not in the union.
    """
    steps = {name: t for name, t in features.transformer_list if t not in ("drop", None)}
    wanted = list(steps) if families is None else list(dict.fromkeys(families))
    missing = [f for f in wanted if f not in steps]
    if missing:
        raise ValueError(
            f"Feature families {', '.join(missing)} are not in the feature union ({', '.join(steps)})."
        )
    return {f: steps[f] for f in wanted}


def extract_families(images, features, families=None, *, timing_sample=TIMING_SAMPLE, progress=False):
    """Compute each family once for all images, and time its uncached extraction.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width, 3), dtype uint8
    features : FeatureUnion
        The families, e.g. from :func:`~facetruth.pipelines.build_features`
        (with a cache, repeated extraction of the same crops is free); each
        is cloned.
    families : iterable of str, default=None
        The union's families to compute; ``None`` computes all.
    timing_sample : int, default=32
        Images (the first ones) extracted again by a clone without the cache
        to measure ms/image, so the measurement never reflects cache hits; 0
        skips the timing (``ms_per_image`` is then NaN).
    progress : bool, default=False
        Show a tqdm bar on stderr for each family's pass over the images.

    Returns
    -------
    matrices : dict of str to FamilyMatrix

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.evaluation._features import extract_families
    >>> from facetruth.pipelines import build_features
    >>> images = np.zeros((3, 32, 32, 3), dtype=np.uint8)
    >>> matrices = extract_families(images, build_features("fft,dct"), ["dct"], timing_sample=0)
    >>> list(matrices), len(matrices["dct"].X)
    (['dct'], 3)
    """
    from ..pipelines import transform_batches

    out = {}
    for family, step in union_families(features, families).items():
        transformer = clone(step)
        start = time.perf_counter()
        X = transform_batches(transformer.fit(images[:2]), images, progress=progress, desc=family)
        pass_seconds = time.perf_counter() - start
        ms, n_timed = float("nan"), 0
        if timing_sample:
            sample = images[: min(int(timing_sample), len(images))]
            timer = clone(step)
            if "cache" in timer.get_params():
                timer.set_params(cache=None)
            timer = timer.fit(sample[:2])
            timer.transform(sample[:2])  # warm-up: first-call costs (thread pools, kernels)
            start = time.perf_counter()
            timer.transform(sample)
            ms, n_timed = 1000.0 * (time.perf_counter() - start) / len(sample), len(sample)
        names = [str(n) for n in transformer.get_feature_names_out()]
        out[family] = FamilyMatrix(X, names, ms, n_timed, pass_seconds)
        logger.info("%s: %d features, %.2f ms/image, pass %.1f s", family, X.shape[1], ms, pass_seconds)
    return out


def stack_families(matrices, families):
    """Columns of several families side by side.

    Parameters
    ----------
    matrices : dict of str to FamilyMatrix
        From :func:`extract_families`.
    families : sequence of str
        The families to stack, in column order.

    Returns
    -------
    X : ndarray of shape (n_images, n_features)
    column_family : ndarray of str of shape (n_features,)
        The family of each column.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.evaluation._features import extract_families, stack_families
    >>> from facetruth.pipelines import build_features
    >>> images = np.zeros((3, 32, 32, 3), dtype=np.uint8)
    >>> matrices = extract_families(images, build_features("fft,dct"), timing_sample=0)
    >>> X, column_family = stack_families(matrices, ["fft", "dct"])
    >>> X.shape, list(dict.fromkeys(column_family.tolist()))
    ((3, 503), ['fft', 'dct'])
    """
    X = np.hstack([matrices[f].X for f in families])
    column_family = np.concatenate([[f] * matrices[f].X.shape[1] for f in families])
    return X, column_family


def describe_estimators(loader, features, detector, extras=None):
    """What a run's metadata records of its estimators (loader, backbone, clip options, classifier and
    the confidence of its verdicts' cutoffs, extra rows).

    ``clip`` is ``None`` without the clip family, else its ``blocks``, ``flip`` and ``precision``.
    """
    from ..pipelines import CNN_FAMILIES, TrainingExtras

    backbone, clip = None, None
    for name, step in union_families(features).items():
        weights = getattr(step, "weights", "imagenet")
        if name in CNN_FAMILIES and weights != "imagenet":
            backbone = str(weights)
        if name == "clip":
            blocks = getattr(step, "blocks", None)
            clip = {
                "blocks": [int(b) for b in blocks or ()],
                "flip": bool(getattr(step, "flip", False)),
                "precision": getattr(step, "precision", "int8"),
            }
    extras = extras or TrainingExtras()
    return {
        "face": loader.face,
        "image_size": loader.image_size,
        "align": loader.align if loader.align not in (None, "none") else False,
        "pseudo_fakes": extras.pseudo_fakes,
        "augment": extras.augment,
        "backbone": backbone,
        "clip": clip,
        "classifier": classifier_label(detector),
        "confidence": getattr(detector, "confidence", None),  # of the verdicts' cutoffs per side
    }


def classifier_label(detector):
    """How reports name a detector: its base classifier inside the CalibratedDetector.

    Examples
    --------
    >>> from facetruth.evaluation._features import classifier_label, make_detector
    >>> classifier_label(make_detector("logistic_cv"))
    'logistic regression (C by inner 3-fold AUC) in CalibratedDetector (sigmoid below 1,000 scores, smoothed isotonic above, EER threshold on the training part)'
    """
    from ..models import classifier_name

    names = {
        "xgboost": "XGBoost",
        "logistic_cv": "logistic regression (C by inner 3-fold AUC)",
        "linear_probe": "linear probe (unit-norm rows, logistic regression, C by inner 3-fold AUC)",
    }
    calibrations = {"auto": "sigmoid below 1,000 scores, smoothed isotonic above", None: "uncalibrated"}
    name = classifier_name(detector.estimator)
    base = names.get(name, name.replace("_", " "))
    calibration = calibrations.get(detector.calibration, detector.calibration)
    return f"{base} in CalibratedDetector ({calibration}, EER threshold on the training part)"


def make_detector(classifier="xgboost", *, inner_cv=3, device="auto", n_threads=1, random_state=0):
    """The experiments' default detector, from :func:`~facetruth.pipelines.build_detector`.

    ``n_threads`` defaults to 1: experiments fit hundreds of small models, and
    XGBoost's OpenMP threads spin-wait, so on a busy machine one thread per
    fit is several times faster than one per core.

    Examples
    --------
    >>> from facetruth.evaluation._features import make_detector
    >>> detector = make_detector("logistic", inner_cv=2)
    >>> detector.cv, type(detector.estimator).__name__
    (2, 'Pipeline')
    """
    from ..pipelines import build_detector

    return build_detector(classifier, cv=inner_cv, device=device, n_jobs=n_threads, random_state=random_state)


def fold_detector(detector):
    """A fresh clone of ``detector`` for one fit, with gain importances when its classifier has them."""
    det = clone(detector)
    if "importance_type" in det.estimator.get_params():
        det.set_params(estimator=clone(det.estimator).set_params(importance_type="gain"))
    return det
