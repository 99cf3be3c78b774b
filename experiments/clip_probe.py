"""CLIP embeddings under three classifiers: 5-fold stratified ROC-AUC per data set.

The ``clip`` family (OpenAI CLIP ViT-B/16 image embeddings, 512 values) of
each image is computed once, on 256 px face crops (``face=auto``) or on the
whole image (``face=off``), then every classifier is cross-validated on the
same folds (:class:`~sklearn.model_selection.StratifiedKFold`, shuffled with
``--seed``): in each fold a :class:`~facetruth.models.CalibratedDetector` from
:func:`facetruth.pipelines.build_detector` is fitted on four fifths and scores
the fifth. The classifiers compared by default:

``linear_probe``
    rows scaled to unit L2 norm, standardised, logistic regression with ``C``
    chosen by inner 3-fold ROC-AUC: the linear probe on CLIP features of
    UniversalFakeDetect (Ojha et al., CVPR 2023);
``logistic_cv``
    the same without the row scaling;
``xgboost``
    FaceTruth's default gradient-boosted trees.

Prints a Markdown table (mean and standard deviation of the fold AUCs, the
AUC of the pooled out-of-fold scores, the balanced accuracy at each fold
detector's own threshold, and the ``C`` chosen in each fold) and writes
everything to ``--out`` as JSON. ``faceswap`` and ``ffhq_sg1`` are not in the
default runs: they are kept as held-out sources, so nothing is chosen on them.

Example::

    python -m experiments.clip_probe --data ../shared/data --cache /tmp/ft-cache \\
        --out runs/clip_probe/results.json
"""

import argparse
import logging
import platform
import sys
import time
from pathlib import Path

import numpy as np

from experiments._common import limited, save
from facetruth.pipelines import build_detector, build_features, build_loader
from facetruth.reports import markdown_table

logger = logging.getLogger("clip_probe")

#: data set and face mode of each default run
DEFAULT_RUNS = "ciplab:auto,hardfake:auto,ciplab:off"
DEFAULT_CLASSIFIERS = "linear_probe,logistic_cv,xgboost"


def parse_runs(text):
    """``"ciplab:auto,ciplab:off"`` -> ``[("ciplab", "auto"), ("ciplab", "off")]``.

    Examples
    --------
    >>> parse_runs("ciplab:auto, hardfake")
    [('ciplab', 'auto'), ('hardfake', 'auto')]
    """
    runs = []
    for part in text.split(","):
        name, _, face = part.strip().partition(":")
        if name:
            runs.append((name, face or "auto"))
    return runs


def clip_features(paths, *, face, image_size, cache, device, n_jobs):
    """CLIP embeddings of the items that load, and their positions in ``paths``."""
    loader = build_loader(face, image_size, cache=cache, n_jobs=n_jobs).fit()
    loaded = loader.load(list(paths), errors="collect")
    for _, message in loaded.errors:
        logger.warning("skipped: %s", message)
    union = build_features("clip", cache=cache, device=device)
    X = union.fit(loaded.images[:2]).transform(loaded.images)
    return X, np.asarray(loaded.ok), loaded.infos


def cross_validate_detector(detector, X, y, *, folds=5, seed=0, progress=None):
    """ROC-AUC of a detector on stratified folds, with its pooled out-of-fold scores.

    Parameters
    ----------
    detector : CalibratedDetector
        Unfitted; cloned for each fold.
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        1 = fake, 0 = real.
    folds : int, default=5
    seed : int, default=0
        Shuffles the folds.
    progress : tqdm, optional
        Advanced by one per fold.

    Returns
    -------
    result : dict
        ``fold_auc``, ``auc_mean``, ``auc_std``, ``oof_auc``, ``fold_balanced_accuracy``,
        ``balanced_accuracy_mean``, ``fold_C`` (None for a classifier without ``C``) and ``seconds``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from facetruth.models import CalibratedDetector
    >>> rng = np.random.default_rng(0)
    >>> y = np.arange(60) % 2
    >>> X = rng.normal(size=(60, 3)) + 2 * y[:, None]
    >>> res = cross_validate_detector(CalibratedDetector(LogisticRegression(), cv=3), X, y, folds=3)
    >>> res["auc_mean"] > 0.9, len(res["fold_auc"])
    (True, 3)
    """
    from sklearn.base import clone
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    start = time.perf_counter()
    oof = np.zeros(len(y))
    aucs, baccs, cs = [], [], []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        fitted = clone(detector).fit(X[train], y[train])
        oof[test] = fitted.predict_proba(X[test])[:, 1]
        aucs.append(float(roc_auc_score(y[test], oof[test])))
        baccs.append(float(balanced_accuracy_score(y[test], fitted.predict(X[test]))))
        last = fitted.estimator_[-1] if hasattr(fitted.estimator_, "steps") else fitted.estimator_
        cs.append(float(last.C_) if hasattr(last, "C_") else None)
        if progress is not None:
            progress.update()
    return {
        "fold_auc": aucs,
        "auc_mean": float(np.mean(aucs)),
        "auc_std": float(np.std(aucs)),
        "oof_auc": float(roc_auc_score(y, oof)),
        "fold_balanced_accuracy": baccs,
        "balanced_accuracy_mean": float(np.mean(baccs)),
        "fold_C": cs,
        "seconds": round(time.perf_counter() - start, 1),
    }


def markdown(results):
    """One row per data set, crop mode and classifier.

    Examples
    --------
    >>> row = {"auc_mean": 0.9, "auc_std": 0.01, "oof_auc": 0.89, "balanced_accuracy_mean": 0.8,
    ...        "fold_C": [0.1, 0.1]}
    >>> print(markdown([{"set": "s", "face": "off", "n": 10, "classifiers": {"logistic_cv": row}}]))
    ... # doctest: +NORMALIZE_WHITESPACE
    | set | crop | n | classifier | ROC-AUC (5-fold mean ± sd) | pooled OOF AUC | bal. acc. | C per fold |
    |---|---|---|---|---|---|---|---|
    | s | face=off | 10 | logistic_cv | 0.900 ± 0.010 | 0.890 | 0.800 | 0.1, 0.1 |
    """
    header = ["set", "crop", "n", "classifier", "ROC-AUC (5-fold mean ± sd)", "pooled OOF AUC", "bal. acc."]
    rows = []
    for run in results:
        for name, m in run["classifiers"].items():
            cs = ", ".join(f"{c:g}" for c in m["fold_C"] if c is not None) or "-"
            cells = [run["set"], f"face={run['face']}", str(run["n"]), name]
            cells += [f"{m['auc_mean']:.3f} ± {m['auc_std']:.3f}", f"{m['oof_auc']:.3f}"]
            cells += [f"{m['balanced_accuracy_mean']:.3f}", cs]
            rows.append([(cell, False) for cell in cells])
    return markdown_table([*header, "C per fold"], rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data", help="folder holding the data sets")
    parser.add_argument(
        "--runs", default=DEFAULT_RUNS, help="comma list of SET[:FACE], FACE one of auto, off, dlib, haar"
    )
    parser.add_argument("--classifiers", default=DEFAULT_CLASSIFIERS, help="comma list of classifiers")
    parser.add_argument("--image-size", type=int, default=256, help="side of the face crops")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None, help="crop and feature cache folder")
    parser.add_argument("--device", default="auto", help="for the CLIP encoder and XGBoost")
    parser.add_argument("--n-jobs", type=int, default=1, help="processes for decoding and cropping")
    parser.add_argument("--limit", type=int, default=None, help="real and fake images kept per data set")
    parser.add_argument("--out", default="results.json", help="JSON file to write")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from tqdm.auto import tqdm

    classifiers = [c.strip() for c in args.classifiers.split(",") if c.strip()]
    runs = parse_runs(args.runs)
    results, used = [], {}
    with tqdm(total=len(runs) * len(classifiers) * args.folds, desc="folds", file=sys.stderr) as bar:
        for name, face in runs:
            data = used[Path(args.data) / name] = limited(Path(args.data) / name, args.limit, seed=args.seed)
            start = time.perf_counter()
            X, ok, infos = clip_features(
                data.paths,
                face=face,
                image_size=args.image_size,
                cache=args.cache,
                device=args.device,
                n_jobs=args.n_jobs,
            )
            y = np.asarray(data.labels)[ok]
            run = {
                "set": name,
                "face": face,
                "n": int(len(y)),
                "n_fake": int(y.sum()),
                "n_skipped": int(len(data.labels) - len(y)),
                "faces_found": int(sum(bool(info.get("face_found")) for info in infos)),
                "feature_seconds": round(time.perf_counter() - start, 1),
                "classifiers": {},
            }
            for clf in classifiers:
                detector = build_detector(clf, device=args.device, random_state=args.seed)
                run["classifiers"][clf] = cross_validate_detector(
                    detector, X, y, folds=args.folds, seed=args.seed, progress=bar
                )
                logger.info("%s face=%s %s: %.3f", name, face, clf, run["classifiers"][clf]["auc_mean"])
            results.append(run)
    table = markdown(results)
    meta = {
        "features": "clip",
        "image_size": args.image_size,
        "folds": args.folds,
        "seed": args.seed,
        "python": platform.python_version(),
    }
    payload = {"meta": meta, "runs": results, "markdown": table}
    save(
        args.out,
        payload,
        module="clip_probe",
        argv=argv,
        datasets=used if args.limit else list(used),
        families=["clip"],
    )
    print(table)
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
