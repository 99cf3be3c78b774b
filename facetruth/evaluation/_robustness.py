"""Robustness of trained detectors to common image degradations.

A detector is trained on clean face crops of a training split; the crops of
the held-out split are then degraded (JPEG re-compression, resizing, blur,
noise) at increasing strength and the ROC-AUC is measured at each level.
Frequency and noise-residual cues are known to fade under exactly these
operations (Wang et al., "CNN-generated images are surprisingly easy to
spot... for now", CVPR 2020), which is what the curves show.
"""

import logging
import time

import numpy as np
from sklearn.metrics import roc_auc_score

from ..pipelines import TrainingExtras
from ._cv import cv_splits
from ._features import (
    describe_estimators,
    extract_families,
    fold_detector,
    load_crops,
    stack_families,
)
from ._sets import sets_and_families

logger = logging.getLogger(__name__)

#: kind -> (axis label, levels); each kind includes the level that leaves the crop unchanged
PERTURBATIONS = {
    "jpeg": ("JPEG quality", (100, 95, 85, 75, 60, 45, 30)),
    "resize": ("scale factor", (0.5, 0.75, 1.0, 1.25, 1.5)),
    "blur": ("Gaussian blur sigma (px)", (0.0, 0.5, 1.0, 1.5, 2.0)),
    "noise": ("Gaussian noise sigma (grey levels)", (0.0, 2.5, 5.0, 7.5, 10.0)),
}


def perturb(image, kind, level, *, random_state=None):
    """Degrade one face crop, keeping its shape.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
    kind : {"jpeg", "resize", "blur", "noise"}
        ``jpeg``: re-encode at quality ``level`` (100 leaves the crop
        unchanged); ``resize``: scale by ``level`` and back to the crop size,
        as the loader would resize a photo of another resolution; ``blur``:
        Gaussian of standard deviation ``level`` pixels; ``noise``: white
        Gaussian noise of standard deviation ``level`` grey levels.
    level : float
    random_state : int or numpy.random.Generator, default=None
        Seed of the noise.

    Returns
    -------
    out : ndarray of shape (height, width, 3), dtype uint8

    Raises
    ------
    ValueError
        For an unknown ``kind`` or an invalid level.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.evaluation._robustness import perturb
    >>> image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    >>> levels = [("jpeg", 50), ("resize", 0.5), ("blur", 1.0), ("noise", 5.0)]
    >>> [perturb(image, kind, level, random_state=0).shape for kind, level in levels]
    [(32, 32, 3), (32, 32, 3), (32, 32, 3), (32, 32, 3)]
    >>> np.array_equal(perturb(image, "jpeg", 100), image), np.array_equal(perturb(image, "blur", 1.0), image)
    (True, False)
    """
    import cv2

    from ..data import gaussian_blur, gaussian_noise, jpeg_compress, rescale

    if kind == "jpeg":
        return image.copy() if level >= 100 else jpeg_compress(image, int(level))
    if kind == "resize":
        if level == 1.0:
            return image.copy()
        small = rescale(image, float(level))
        back = cv2.INTER_LINEAR if level < 1 else cv2.INTER_AREA
        return np.ascontiguousarray(cv2.resize(small, image.shape[1::-1], interpolation=back))
    if kind == "blur":
        return gaussian_blur(image, float(level))
    if kind == "noise":
        return image.copy() if level == 0 else gaussian_noise(image, float(level), random_state=random_state)
    raise ValueError(f"Unknown perturbation {kind!r}; choose one of {sorted(PERTURBATIONS)}.")


def robustness_curves(detectors, features, images, labels, *, perturbations=None, random_state=0):
    """ROC-AUC of fitted detectors on perturbed copies of test crops.

    Parameters
    ----------
    detectors : dict of str to (estimator, tuple of str)
        Feature-set name to a fitted classifier on the stacked columns of the
        given families.
    features : FeatureUnion
        Holds every family the detectors need (each is cloned).
    images : ndarray of shape (n_images, size, size, 3), dtype uint8
        Clean test crops.
    labels : array-like of shape (n_images,)
    perturbations : dict, default=:data:`PERTURBATIONS`
    random_state : int, default=0
        Seed of the noise.

    Returns
    -------
    curves : dict
        ``curves[set][kind] = {"levels": [...], "auc": [...]}``.

    Examples
    --------
    >>> from facetruth.data import make_demo_dataset
    >>> from facetruth.evaluation import make_detector
    >>> from facetruth.evaluation._robustness import robustness_curves
    >>> from facetruth.pipelines import build_features
    >>> data = make_demo_dataset(12, size=32)
    >>> features = build_features("fft")
    >>> detector = make_detector("logistic").fit(features.fit_transform(data.images), data.labels)
    >>> curves = robustness_curves(
    ...     {"fft": (detector, ("fft",))}, features, data.images, data.labels,
    ...     perturbations={"blur": ("sigma", (0.0, 2.0))},
    ... )
    >>> curves["fft"]["blur"]["levels"], len(curves["fft"]["blur"]["auc"])
    ([0.0, 2.0], 2)
    """
    perturbations = PERTURBATIONS if perturbations is None else perturbations
    families = list(dict.fromkeys(f for _, fams in detectors.values() for f in fams))
    labels = np.asarray(labels).astype(int)
    curves = {name: {} for name in detectors}
    for kind, (_, levels) in perturbations.items():
        for name in detectors:
            curves[name][kind] = {"levels": [float(v) for v in levels], "auc": []}
        for level in levels:
            rng = np.random.default_rng(random_state)
            batch = np.stack([perturb(img, kind, level, random_state=rng) for img in images])
            matrices = extract_families(batch, features, families, timing_sample=0)
            for name, (det, fams) in detectors.items():
                X, _ = stack_families(matrices, fams)
                auc = float(roc_auc_score(labels, det.predict_proba(X)[:, 1]))
                curves[name][kind]["auc"].append(round(auc, 5))
            logger.info("%s %g: %s", kind, level, {n: c[kind]["auc"][-1] for n, c in curves.items()})
    return curves


def run_robustness(
    dataset,
    loader,
    features,
    detector,
    feature_sets,
    *,
    n_splits=5,
    perturbations=None,
    extras=None,
    random_state=None,
):
    """Train on the clean training part of a grouped split and measure AUC under perturbations.

    The first fold of :func:`~facetruth.evaluation._cv.cv_splits` (``n_splits``
    folds) is the test part, so the split is leak-free. Each set fits a clone
    of ``detector`` on its families' columns; ``extras`` adds training rows
    as in :func:`~facetruth.evaluation.run_experiment` (robust copies train
    on degraded crops as well; the test crops are degraded the same way
    whatever the training).

    Parameters
    ----------
    dataset : Dataset
    loader : ImageLoader
    features : FeatureUnion
        Every family the sets need.
    detector : CalibratedDetector
        Unfitted.
    feature_sets : sequence of str or dict of str to sequence
    n_splits : int, default=5
    perturbations : dict, default=:data:`PERTURBATIONS`
    extras : TrainingExtras, default=None
    random_state : int, default=None
        Seed of the split and of the noise; ``None`` takes the detector's.

    Returns
    -------
    results : dict
        ``curves`` (see :func:`robustness_curves`), ``labels`` (axis label of
        each perturbation) and ``meta`` (data hash, counts, seed, wall time).

    Examples
    --------
    >>> import tempfile
    >>> from facetruth.data import load_dataset, make_demo_dataset
    >>> from facetruth.evaluation import make_detector, run_robustness
    >>> from facetruth.pipelines import build_features, build_loader
    >>> folder = tempfile.mkdtemp()
    >>> _ = make_demo_dataset(n=16, size=32, out=folder)
    >>> result = run_robustness(
    ...     load_dataset(folder), build_loader("off", 32), build_features("fft"),
    ...     make_detector("svm", inner_cv=2), ["fft"], n_splits=4,
    ...     perturbations={"blur": ("sigma", (0.0, 2.0))},
    ... )
    >>> result["curves"]["fft"]["blur"]["levels"]
    [0.0, 2.0]
    """
    start = time.perf_counter()
    sets, families = sets_and_families(feature_sets, features)
    seed = detector.random_state if random_state is None else random_state
    loaded = load_crops(dataset, loader)
    split = cv_splits(loaded.labels, loaded.groups, n_splits=n_splits, random_state=seed)[0]
    train, test = split["train"], split["test"]
    extra = (extras or TrainingExtras()).make(loaded.images[train], loaded.labels[train])
    images, labels, groups = extra.append_to(loaded.images[train], loaded.labels[train], loaded.groups[train])
    clean = extract_families(images, features, families)
    detectors = {}
    for name, fams in sets.items():
        X, _ = stack_families(clean, fams)
        detectors[name] = (fold_detector(detector).fit(X, labels, groups=groups), fams)
    curves = robustness_curves(
        detectors,
        features,
        loaded.images[test],
        loaded.labels[test],
        perturbations=perturbations,
        random_state=seed,
    )
    perturbations = PERTURBATIONS if perturbations is None else perturbations
    described = describe_estimators(loader, features, detector, extras)
    return {
        "curves": curves,
        "labels": {k: v[0] for k, v in perturbations.items()},
        "meta": {
            "data": str(getattr(dataset, "root", "") or ""),
            "manifest_sha256": dataset.manifest_hash(),
            "n_train": int(len(train)),
            "n_test": int(len(test)),
            "seed": seed,
            "face": described["face"],
            "image_size": described["image_size"],
            "protocol": f"trained on clean crops of folds 2-{n_splits}, tested on fold 1 perturbed",
            "align": described["align"],
            "pseudo_fakes": described["pseudo_fakes"],
            "augment": described["augment"],
            "classifier": described["classifier"],
            "extra_training_rows": extra.counts(),
            "wall_seconds": round(time.perf_counter() - start, 1),
        },
    }
