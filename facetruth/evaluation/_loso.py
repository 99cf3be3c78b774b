"""Leave one source out: train on every source but one, test on the one left out.

A detector that has seen a generator or a manipulation is easily fooled by
the next one (Wang et al., "CNN-generated images are surprisingly easy to
spot... for now", CVPR 2020; Ojha et al., "Towards universal fake image
detectors that generalize across generative models", CVPR 2023). Holding out
each source in turn measures how far a feature set carries to a kind of fake
it never saw. Nothing is tuned on the held-out source: the detector's
calibration and threshold come from its training sources alone.
"""

import logging
import platform
import time
from datetime import datetime, timezone

import numpy as np

from ..metrics import detection_metrics, flag_rates, side_rates
from ._audit_entry import audit_entry
from ._cv import _training_rows
from ._features import (
    describe_estimators,
    extract_families,
    fold_detector,
    load_crops,
    stack_families,
)
from ._sets import extra_columns, extra_matrices, sets_and_families

logger = logging.getLogger(__name__)

PROTOCOL = (
    "leave one source out: each source in turn is the test set, the detector is fitted on all the "
    "others; its calibration and threshold come from those training sources only (out-of-fold inside "
    "the CalibratedDetector), never from the held-out source"
)


def run_loso(
    dataset,
    loader,
    features,
    detector,
    feature_sets,
    *,
    extras=None,
    audit=True,
    random_state=None,
    progress=False,
):
    """Hold out each source of a data set in turn, for several feature sets.

    The crops are loaded once and each family is computed once; for every
    feature set and every held-out source a clone of ``detector`` is fitted
    on the other sources' rows only and scores the held-out source at the
    threshold it chose on its training sources.

    Parameters
    ----------
    dataset : Dataset
        At least two sources (``dataset.sources``), e.g. from
        :func:`~facetruth.data.concat_datasets`.
    loader : ImageLoader
        Unfitted; its cache makes repeated runs cheap.
    features : FeatureUnion
        Every family the sets need.
    detector : CalibratedDetector
        Unfitted; every (set, source) fit uses a clone.
    feature_sets : sequence of str or dict of str to sequence
        Set names or ``{name: [families]}``.
    extras : TrainingExtras, default=None
        Extra training rows (pseudo-fakes, augmented copies), made once from
        all crops; a fit takes only those made from its training sources.
    audit : bool, default=True
        Add the shortcut audit of each source (:func:`audit_dataset` on the
        source alone, reading the crop cache when the loader has one).
    random_state : int, default=None
        Seed of the audits; ``None`` takes the detector's.
    progress : bool, default=False
        tqdm bars on stderr: loading, then one step per (set, source) fit.

    Returns
    -------
    results : dict
        JSON-serialisable: ``protocol`` ``"loso"``, ``sources`` (per source:
        counts, and ``audit``), ``feature_sets`` (per set: ``families``,
        ``n_features``, ``held_out`` (per source:
        :func:`~facetruth.metrics.detection_metrics` at the training
        threshold, :func:`flag_rates`, ``n_train``, ``train_oof_auc``,
        ``sides`` (:func:`~facetruth.metrics.side_rates` at the training
        cutoffs) and ``cutoffs``, or ``skipped`` with the reason), ``mean_auc``, ``mean_ap`` and
        ``mean_balanced_accuracy`` over the sources), ``best`` and ``meta``.

    Raises
    ------
    ValueError
        When the data set has fewer than two sources, or a set needs a family
        that ``features`` lacks.

    Examples
    --------
    >>> import tempfile
    >>> from facetruth.data import concat_datasets, load_dataset, make_demo_dataset
    >>> from facetruth.evaluation import make_detector, run_loso
    >>> from facetruth.pipelines import build_features, build_loader
    >>> folder = tempfile.mkdtemp()
    >>> for i, name in enumerate(["a", "b", "c"]):
    ...     _ = make_demo_dataset(n=4, size=32, out=f"{folder}/{name}", random_state=i)
    >>> sets = [load_dataset(f"{folder}/{name}") for name in ["a", "b", "c"]]
    >>> results = run_loso(concat_datasets(sets), build_loader("off", 32), build_features("fft"),
    ...                    make_detector("svm", inner_cv=2), ["fft"], audit=False)
    >>> sorted(results["feature_sets"]["fft"]["held_out"]), results["feature_sets"]["fft"]["held_out"]["a"]["n"]
    (['a', 'b', 'c'], 4)
    """
    from tqdm.auto import tqdm

    start = time.perf_counter()
    sets, families = sets_and_families(feature_sets, features)
    names = list(dict.fromkeys(dataset.sources))
    if len(names) < 2:
        raise ValueError(
            f"Leaving one source out needs at least two sources; this data set has {names or 'none'}. "
            "Give several data sets (concat_datasets) or a CSV with a source column."
        )
    seed = detector.random_state if random_state is None else random_state
    one_class = extras is not None and bool(extras.ratio)
    loaded = load_crops(dataset, loader, progress=progress, one_class=one_class)
    item_sources = np.asarray(dataset.sources, dtype=object)[loaded.index]
    matrices = extract_families(loaded.images, features, families, timing_sample=0, progress=progress)
    extra, extra_X = extra_matrices(extras, loaded, features, families)
    groups = np.asarray(loaded.groups, dtype=str)
    results_sets = {}
    with tqdm(total=len(sets) * len(names), desc="loso fits", unit="fit", disable=not progress) as bar:
        for name, fams in sets.items():
            X, _ = stack_families(matrices, fams)
            extra_rows = extra_columns(extra, extra_X, fams)
            held_out = {}
            for source in names:
                bar.set_postfix_str(f"{name}, {source} held out")
                held_out[source] = _hold_out(
                    X, loaded.labels, groups, item_sources == source, detector, extra_rows
                )
                bar.update()
            results_sets[name] = {"families": list(fams), "n_features": int(X.shape[1]), "held_out": held_out}
            results_sets[name].update(_means(held_out))
            logger.info("%s: mean held-out AUC %s", name, results_sets[name]["mean_auc"])
    best = max(results_sets, key=lambda k: results_sets[k]["mean_auc"] or 0.0)
    per_source = {}
    for source in names:
        inside = item_sources == source
        per_source[source] = {
            "n_real": int(np.sum(inside & (loaded.labels == 0))),
            "n_fake": int(np.sum(inside & (loaded.labels == 1))),
        }
        if audit:
            part = dataset.subset(np.asarray(dataset.sources, dtype=object) == source)
            per_source[source]["audit"] = audit_entry(part, loader, random_state=seed, progress=progress)
    return {
        "protocol": "loso",
        "sources": per_source,
        "feature_sets": results_sets,
        "best": best,
        "meta": _metadata(
            dataset, loaded, names, describe_estimators(loader, features, detector, extras), seed
        )
        | {"extra_training_rows": extra.counts(), "inner_cv": detector.cv},
        "wall_seconds": round(time.perf_counter() - start, 1),
    }


def _hold_out(X, labels, groups, test_mask, detector, extra_rows):
    """Fit a clone on the rows outside ``test_mask`` and score the rows inside, at its own threshold."""
    return fit_and_score(X, labels, groups, test_mask, detector, extra_rows)[0]


def fit_and_score(X, labels, groups, test_mask, detector, extra_rows):
    """:func:`_hold_out`'s metrics, with the fitted detector and the held-out scores (None when skipped)."""
    train, test = np.flatnonzero(~test_mask), np.flatnonzero(test_mask)
    if np.bincount(labels[train], minlength=2).min() < 2:
        return {"skipped": "the other sources do not hold two items of each class"}, None, None
    X_fit, y_fit, g_fit = _training_rows(X, labels, groups, train, extra_rows)
    det = fold_detector(detector)
    det.fit(X_fit, y_fit, groups=g_fit)
    prob = det.predict_proba(X[test])[:, 1]
    out = detection_metrics(labels[test], prob, det.threshold_)
    out.update(flag_rates(labels[test], prob, det.threshold_))
    out.update(
        n_real=int(np.sum(labels[test] == 0)),
        n_fake=int(np.sum(labels[test] == 1)),
        n_train=len(y_fit),
        train_oof_auc=det.oof_metrics_.get("auc"),
        mean_prob_fake=float(np.mean(prob)),
    )
    if getattr(det, "fake_cutoff_", None) is not None:  # each verdict's coverage at the training cutoffs
        out["sides"] = side_rates(labels[test], prob, det.real_cutoff_, det.fake_cutoff_)
        out["cutoffs"] = {"real": det.real_cutoff_, "fake": det.fake_cutoff_}
    return out, det, prob


def _means(held_out):
    """Means over the held-out sources that have a value (AUC needs both classes in the source)."""
    out = {}
    for key in ("auc", "ap", "balanced_accuracy"):
        values = [m[key] for m in held_out.values() if m.get(key) is not None]
        out[f"mean_{key}"] = float(np.mean(values)) if values else None
    return out


def _metadata(dataset, loaded, names, described, seed):
    from .._cpu import cpu_info
    from ..models import package_versions

    counts = np.bincount(loaded.labels, minlength=2)
    return {
        "protocol": PROTOCOL,
        "data": str(getattr(dataset, "root", "") or ""),
        "data_name": " + ".join(names),
        "layout": getattr(dataset, "layout", None),
        "manifest_sha256": dataset.manifest_hash(),
        "n_items": len(dataset),
        "counts": {"real": int(counts[0]), "fake": int(counts[1])},
        "n_skipped": len(loaded.skipped),
        "face": described["face"],
        "face_found_rate": round(loaded.face_found_rate, 4),
        "image_size": described["image_size"],
        "align": described["align"],
        "pseudo_fakes": described["pseudo_fakes"],
        "augment": described["augment"],
        "backbone": described["backbone"],
        "clip": described["clip"],
        "classifier": described["classifier"],
        "seed": seed,
        "load_seconds": round(loaded.load_seconds, 1),
        "versions": {**package_versions(), "python": platform.python_version()},
        "machine": cpu_info(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
