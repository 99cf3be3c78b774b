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

from ..pipelines import CNN_FAMILIES

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


def load_crops(
    dataset,
    *,
    face="auto",
    image_size=256,
    align=False,
    cache=None,
    n_jobs=None,
    progress=False,
    one_class=False,
):
    """Decode and face-crop every item of a data set once, skipping bad files.

    Parameters
    ----------
    dataset : Dataset
        From :func:`~facetruth.data.load_dataset`.
    face, image_size, align, cache, n_jobs :
        Passed to :class:`~facetruth.pipelines.ImageLoader`.
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
    """
    from sklearn.pipeline import Pipeline

    from ..pipelines import ImageLoader, dataset_items, load_images

    start = time.perf_counter()
    loader = ImageLoader(face=face, image_size=image_size, align=align, cache=cache, n_jobs=n_jobs).fit()
    items = dataset_items(dataset)
    result = load_images(Pipeline([("loader", loader)]), items, progress=progress)
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


def family_transformer(family, *, cache=None, n_jobs=None, device="auto", **params):
    """A fresh transformer of one family, with the cache and device settings."""
    from ..pipelines import make_transformer

    kwargs = {"cache": cache, "n_jobs": n_jobs, **params}
    if family in CNN_FAMILIES:
        kwargs["device"] = device
    return make_transformer(family, **kwargs)


def extract_families(
    images, families, *, cache=None, n_jobs=None, device="auto", timing_sample=TIMING_SAMPLE, backbone=None
):
    """Compute each family once for all images, and time its uncached extraction.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width, 3), dtype uint8
    families : iterable of str
        Family names (``fft``, ``dct``, ``noise``, ``lbp``, ``cnn``).
    cache : str or os.PathLike, default=None
        Feature cache folder; repeated extraction of the same crops is free.
    n_jobs : int, default=None
    device : str, default="auto"
        For the CNN families (``cnn``, ``parts``, ``cnnstats``).
    backbone : str or os.PathLike, default=None
        Fine-tuned CNN backbone file for the CNN families (their ``weights``).
    timing_sample : int, default=32
        Images (the first ones) extracted again without the cache to measure
        ms/image, so the measurement never reflects cache hits; 0 skips the
        timing (``ms_per_image`` is then NaN).

    Returns
    -------
    matrices : dict of str to FamilyMatrix
    """
    out = {}
    for family in families:
        params = {"weights": backbone} if family in CNN_FAMILIES and backbone else {}
        transformer = family_transformer(family, cache=cache, n_jobs=n_jobs, device=device, **params)
        start = time.perf_counter()
        X = transformer.fit(images[:2]).transform(images)
        pass_seconds = time.perf_counter() - start
        ms, n_timed = float("nan"), 0
        if timing_sample:
            sample = images[: min(int(timing_sample), len(images))]
            timer = family_transformer(family, cache=None, n_jobs=n_jobs, device=device, **params)
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

    Returns
    -------
    X : ndarray of shape (n_images, n_features)
    column_family : ndarray of str of shape (n_features,)
        The family of each column.
    """
    X = np.hstack([matrices[f].X for f in families])
    column_family = np.concatenate([[f] * matrices[f].X.shape[1] for f in families])
    return X, column_family


def classifier_label(classifier):
    """How reports name a :func:`make_detector` with this base classifier."""
    names = {"xgboost": "XGBoost", "logistic_cv": "logistic regression (C by inner 3-fold AUC)"}
    base = names.get(classifier, classifier.replace("_", " "))
    return f"{base} in CalibratedDetector (isotonic, EER threshold on the training part)"


def make_detector(*, random_state=0, device="auto", inner_cv=3, classifier="xgboost", n_threads=1):
    """A fresh :class:`~facetruth.models.CalibratedDetector` (XGBoost with gain importances by default).

    ``n_threads`` defaults to 1: experiments fit hundreds of small models, and
    XGBoost's OpenMP threads spin-wait, so on a busy machine one thread per
    fit is several times faster than one per core.
    """
    from ..models import CalibratedDetector, make_classifier

    base = make_classifier(classifier, random_state=random_state, device=device, n_jobs=n_threads)
    if classifier == "xgboost":
        base.set_params(importance_type="gain")
    return CalibratedDetector(base, cv=inner_cv, random_state=random_state)
