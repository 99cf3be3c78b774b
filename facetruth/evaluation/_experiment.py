"""The feature-set comparison experiment: one data set, shared folds, every set.

:func:`run_experiment` returns a JSON-serialisable ``results`` dict holding
everything the reports draw (metrics per fold, curves as arrays, the mean
spectra, the error gallery as embedded thumbnails), so a report can be
re-rendered from ``results.json`` alone.
"""

import base64
import io
import logging
import os
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn import metrics as skm

from ..metrics import coverage_curve, reliability_curve
from ._audit_entry import audit_entry
from ._cv import cross_validate_features, cv_splits
from ._features import (
    describe_estimators,
    extract_families,
    load_crops,
    stack_families,
    union_families,
)
from ._sets import extra_columns, extra_matrices, sets_and_families

logger = logging.getLogger(__name__)

DEFAULT_SETS = ("fft", "dct", "noise", "lbp", "cnn", "handcrafted", "all")
_CURVE_POINTS = 200


def run_experiment(
    dataset,
    loader,
    features,
    detector,
    feature_sets,
    *,
    n_splits=5,
    n_repeats=1,
    extras=None,
    random_state=None,
    n_errors=8,
    audit=True,
    progress=False,
):
    """Cross-validate several feature sets on the same folds of one data set.

    The crops are loaded once, each family of ``features`` is computed once,
    and every set's folds fit clones of ``detector`` on its families' columns.

    Parameters
    ----------
    dataset : Dataset
        From :func:`~facetruth.data.load_dataset`.
    loader : ImageLoader
        Unfitted, e.g. from :func:`~facetruth.pipelines.build_loader` (its
        cache makes repeated runs cheap).
    features : FeatureUnion
        Every family the sets need, e.g. from
        :func:`~facetruth.pipelines.build_features`.
    detector : CalibratedDetector
        Unfitted, e.g. from :func:`~facetruth.evaluation.make_detector`;
        each fold fits a clone.
    feature_sets : sequence of str or dict of str to sequence
        Set names of :data:`~facetruth.pipelines.FEATURE_SETS`
        (e.g. :data:`DEFAULT_SETS`), or explicit ``{name: [families]}``.
    n_splits, n_repeats : int
        Folds and repeats of :func:`~facetruth.evaluation._cv.cv_splits`.
    extras : TrainingExtras, default=None
        Extra training rows in every fold, made from that fold's training
        crops only (:func:`~facetruth.pipelines.build_extras`).
    random_state : int, default=None
        Seed of the folds; ``None`` takes the detector's.
    n_errors : int, default=8
        Most confident false positives and false negatives kept for the gallery.
    audit : bool, default=True
        Add the data set's shortcut audit (``results["audit"]``, see
        :func:`~facetruth.evaluation.audit_dataset`), which reports show
        beside the feature sets. It reads the loader's crop cache when there
        is one; without a cache it finds every face a second time.
    progress : bool, default=False

    Returns
    -------
    results : dict
        JSON-serialisable; rendered by :func:`~facetruth.reports.write_report`.

    Raises
    ------
    ValueError
        When a set needs a family that ``features`` lacks.

    Examples
    --------
    >>> import tempfile
    >>> from facetruth.data import load_dataset, make_demo_dataset
    >>> from facetruth.evaluation import make_detector, run_experiment
    >>> from facetruth.pipelines import build_features, build_loader
    >>> folder = tempfile.mkdtemp()
    >>> _ = make_demo_dataset(n=12, size=32, out=folder)
    >>> results = run_experiment(
    ...     load_dataset(folder), build_loader("off", 32), build_features("fft"),
    ...     make_detector("svm", inner_cv=2), ["fft"], n_splits=2, audit=False,
    ... )
    >>> list(results["feature_sets"]), results["meta"]["folds"]
    (['fft'], 2)
    """
    from tqdm.auto import tqdm

    start = time.perf_counter()
    sets, families = sets_and_families(feature_sets, features)
    seed = detector.random_state if random_state is None else random_state
    loaded = load_crops(dataset, loader, progress=progress)
    matrices = extract_families(loaded.images, features, families, progress=progress)
    extra, extra_X = extra_matrices(extras, loaded, features, families)
    splits = cv_splits(
        loaded.labels, loaded.groups, n_splits=n_splits, n_repeats=n_repeats, random_state=seed
    )
    videos = None
    if getattr(dataset, "frames", None) is not None:
        videos = np.asarray(dataset.paths, dtype=object)[loaded.index]
    results_sets = {}
    bar = tqdm(total=len(sets) * len(splits), desc="cv folds", unit="fold", disable=not progress)
    for name, fams in sets.items():
        bar.set_postfix_str(name)
        t0 = time.perf_counter()
        X, column_family = stack_families(matrices, fams)
        res = cross_validate_features(
            X,
            loaded.labels,
            loaded.groups,
            splits,
            detector,
            videos=videos,
            column_family=column_family,
            extra=extra_columns(extra, extra_X, fams),
            on_fold=bar.update,
        )
        res["families"] = list(fams)
        res["n_features"] = int(X.shape[1])
        res["extraction_ms_per_image"] = {f: round(matrices[f].ms_per_image, 3) for f in fams}
        res["cv_seconds"] = round(time.perf_counter() - t0, 2)
        res["curves"] = oof_curves(
            loaded.labels,
            res["oof_prob"],
            res.pop("oof_threshold"),
            res.pop("oof_band"),
            cutoffs=res.pop("oof_cutoffs"),
        )
        results_sets[name] = res
        auc = res["summary"]["auc"]
        logger.info("%s: AUC %.4f ± %.4f (%.1f s)", name, auc["mean"], auc["std"], res["cv_seconds"])
    bar.close()
    best = max(results_sets, key=lambda k: results_sets[k]["summary"]["auc"]["mean"] or 0.0)
    errors = confident_errors(loaded, results_sets[best]["oof_prob"], dataset, n=n_errors, feature_set=best)
    for res in results_sets.values():
        res["oof_prob"] = [None if np.isnan(p) else round(float(p), 6) for p in res["oof_prob"]]
    described = describe_estimators(loader, features, detector, extras)
    return {
        "meta": {
            **_metadata(dataset, loaded, n_splits, n_repeats, described, seed, detector.cv),
            "classifier": described["classifier"],
            "align": described["align"],
            "pseudo_fakes": described["pseudo_fakes"],
            "augment": described["augment"],
            "backbone": described["backbone"],
            "clip": described["clip"],
            "confidence": described["confidence"],
            "extra_training_rows": extra.counts(),
        },
        "families": {
            f: {
                "n_features": int(m.X.shape[1]),
                "ms_per_image": round(m.ms_per_image, 3),
                "n_timed": m.n_timed,
                "timing": "uncached extraction of the first n_timed crops, after one warm-up call",
                "pass_seconds": round(m.pass_seconds, 2),
                "pass_used_cache": getattr(union_families(features)[f], "cache", None) is not None,
            }
            for f, m in matrices.items()
        },
        "feature_sets": results_sets,
        "best": best,
        "spectrum": mean_spectra(loaded.images, loaded.labels, cache=loader.cache),
        "errors": errors,
        "audit": audit_entry(dataset, loader, random_state=seed, progress=progress) if audit else None,
        "wall_seconds": round(time.perf_counter() - start, 1),
    }


def oof_curves(labels, prob, thresholds=None, bands=None, n_points=_CURVE_POINTS, *, cutoffs=None):
    """ROC, precision-recall, reliability and coverage curves of out-of-fold scores, as lists.

    ``thresholds`` and ``bands`` hold, for each item, the threshold and
    uncertainty band of the fold that scored it, ``cutoffs`` (shape
    ``(n_items, 2)``) its cutoffs for real and fake (NaN for a fold
    without them, which then uses its band). The coverage curve gives
    the share of items with a verdict (outside the band) and their accuracy
    as a symmetric band widens from 0 to 0.5; ``at_band`` gives both under
    the folds' own verdict rules, with the mean band and, where the folds
    have them, the mean cutoffs (``real_cutoff``, ``fake_cutoff``).
    """
    prob = np.asarray(prob, dtype=float)
    keep = ~np.isnan(prob)
    y, p = np.asarray(labels)[keep], prob[keep]
    fpr, tpr, _ = skm.roc_curve(y, p)
    precision, recall, _ = skm.precision_recall_curve(y, p)
    curves = {
        "roc": {"fpr": _thin(fpr, n_points), "tpr": _thin(tpr, n_points)},
        "pr": {"recall": _thin(recall, n_points), "precision": _thin(precision, n_points)},
        "reliability": reliability_curve(y, p),
        "oof_auc": float(skm.roc_auc_score(y, p)),
    }
    if thresholds is not None:
        t = np.asarray(thresholds, dtype=float)[keep]
        # each item's distance from its own fold's threshold, placed around 0.5
        centred = p - t + 0.5
        curves["coverage"] = coverage_curve(y, centred, 0.5, bands=np.round(np.linspace(0, 0.5, 51), 3))
        band = np.zeros_like(p) if bands is None else np.asarray(bands, dtype=float)[keep]
        band = np.nan_to_num(band)
        covered = np.abs(p - t) > band
        right = (p > t).astype(int) == y
        called_right = right.copy()
        cut = np.full((len(p), 2), np.nan) if cutoffs is None else np.asarray(cutoffs, dtype=float)[keep]
        has_cut = ~np.isnan(cut).any(axis=1)
        if has_cut.any():
            real_cut, fake_cut = cut[has_cut, 0], cut[has_cut, 1]
            ph, yh = p[has_cut], y[has_cut]
            covered[has_cut] = (ph <= real_cut) | (ph >= fake_cut)
            called_right[has_cut] = (ph >= fake_cut).astype(int) == yh
        curves["at_band"] = {
            "band": round(float(band[~has_cut].mean()), 4) if (~has_cut).any() else 0.0,
            "coverage": round(float(covered.mean()), 4),
            "accuracy_covered": round(float(called_right[covered].mean()), 4) if covered.any() else None,
            "accuracy_all": round(float(right.mean()), 4),
        }
        if has_cut.any():
            curves["at_band"]["real_cutoff"] = round(float(cut[has_cut, 0].mean()), 4)
            curves["at_band"]["fake_cutoff"] = round(float(cut[has_cut, 1].mean()), 4)
    return curves


def _thin(values, n_points):
    idx = np.unique(np.linspace(0, len(values) - 1, min(n_points, len(values))).round().astype(int))
    return [round(float(v), 5) for v in np.asarray(values)[idx]]


def mean_spectra(images, labels, cache=None):
    """Mean and std of the azimuthal log power profile (``fft_spectrum``) of real and fake crops."""
    from ..features import FFTFeatures, fft_feature_names

    feats = FFTFeatures(cache=cache).fit(images[:2]).transform(images)
    names = fft_feature_names()
    cols = [i for i, n in enumerate(names) if n.startswith("bin_")]
    n_bins = len(cols)
    out = {"radius": [round((i + 0.5) / n_bins, 5) for i in range(n_bins)]}
    for label, key in ((0, "real"), (1, "fake")):
        rows = feats[np.asarray(labels) == label][:, cols]
        out[f"{key}_mean"] = [round(float(v), 5) for v in rows.mean(axis=0)]
        out[f"{key}_std"] = [round(float(v), 5) for v in rows.std(axis=0)]
    return out


def confident_errors(loaded, prob, dataset, *, n=8, feature_set=None, thumb=96):
    """The most confident false positives and false negatives, with JPEG thumbnails.

    An error is judged at 0.5 on the calibrated out-of-fold probability;
    confidence is the distance from 0.5.
    """
    from PIL import Image

    prob = np.asarray(prob, dtype=float)
    shown_root = _shown_root(dataset)
    out = []
    for kind, label, order in (("false positive", 0, -1), ("false negative", 1, 1)):
        wrong = np.flatnonzero((loaded.labels == label) & ~np.isnan(prob) & ((prob >= 0.5) != bool(label)))
        wrong = wrong[np.argsort(order * prob[wrong], kind="stable")][:n]
        for i in wrong:
            buf = io.BytesIO()
            Image.fromarray(loaded.images[i]).resize((thumb, thumb), Image.LANCZOS).save(
                buf, "JPEG", quality=85
            )
            out.append(
                {
                    "kind": kind,
                    "path": _shown_path(dataset, int(loaded.index[i]), shown_root),
                    "label": int(label),
                    "prob_fake": round(float(prob[i]), 4),
                    "feature_set": feature_set,
                    "thumbnail_jpeg_b64": base64.b64encode(buf.getvalue()).decode("ascii"),
                }
            )
    return out


def _metadata(dataset, loaded, n_splits, n_repeats, described, random_state, inner_cv):
    from .._cpu import cpu_info
    from ..models import package_versions

    counts = np.bincount(loaded.labels, minlength=2)
    return {
        "data": str(getattr(dataset, "root", "") or ""),
        "data_name": _data_name(dataset),
        "layout": getattr(dataset, "layout", None),
        "manifest_sha256": dataset.manifest_hash(),
        "n_items": len(dataset),
        "counts": {"real": int(counts[0]), "fake": int(counts[1])},
        "n_groups": int(len(set(loaded.groups))),
        "n_skipped": len(loaded.skipped),
        "face": described["face"],
        "face_found_rate": round(loaded.face_found_rate, 4),
        "image_size": described["image_size"],
        "folds": n_splits,
        "repeats": n_repeats,
        "inner_cv": inner_cv,
        "seed": random_state,
        "split": "StratifiedGroupKFold on the data set's groups",
        "load_seconds": round(loaded.load_seconds, 1),
        "versions": {**package_versions(), "python": platform.python_version()},
        "machine": cpu_info(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _data_name(dataset):
    """The data set's name (a CSV's file name, a folder's name), else its root folder's name."""
    if getattr(dataset, "name", None):
        return dataset.name
    root = str(getattr(dataset, "root", "") or "")
    return (os.path.basename(os.path.abspath(root)) or root) if root else "dataset"


def _shown_root(dataset):
    """The folder a report shows item paths from.

    The data set's root when it holds every item, else the folder common to
    all items (a CSV manifest in one folder that lists absolute paths of
    another).
    """
    paths = [os.path.abspath(p) for p in dataset.paths]
    root = os.path.abspath(dataset.root) if dataset.root else None
    if root and all(p.startswith(root.rstrip(os.sep) + os.sep) for p in paths):
        return root
    try:
        common = os.path.commonpath(paths) if paths else None
    except ValueError:  # paths on different drives
        return None
    if common in paths:  # a single item: its folder
        common = os.path.dirname(common)
    return common


def _shown_path(dataset, i, root):
    """Item ``i``'s path relative to ``root`` (POSIX separators), as a report shows it."""
    if root is None:
        return dataset.relative_path(i)
    return Path(os.path.relpath(os.path.abspath(dataset.paths[i]), root)).as_posix()
