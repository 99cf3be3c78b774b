"""What FaceTruth's experiments share: the command that re-runs one, its results file, and the CLIP helpers.

Run every experiment from the repository's root as a module
(``python -m experiments.clip_views ...``), so that this module imports as
``experiments._common`` and no script depends on the folder it runs from.

The CLIP helpers (``clip_blocks``, ``clip_views``, ``source_weights``): the
final embedding and the CLS tokens of the twelve transformer blocks of
ViT-B/16 (``clip__blocks``), a choice of them scaled part by part, and the
linear probe judged by leave one source out and by stratified folds.
"""

import logging
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from facetruth.data import concat_datasets, load_dataset, sample_per_class
from facetruth.evaluation import run_record, write_results
from facetruth.pipelines import build_detector, build_features, build_loader

logger = logging.getLogger("experiments")

SOURCES = ("hardfake", "ciplab", "ffhq_sg1", "faceswap")
N_BLOCKS, EMBED, WIDTH = 12, 512, 768


def command(module, argv=None):
    """The command that re-runs experiment ``module`` with ``argv`` (this process's arguments by default).

    Examples
    --------
    >>> command("clip_views", ["--folds", "2"])
    'python -m experiments.clip_views --folds 2'
    """
    argv = sys.argv[1:] if argv is None else argv
    return shlex.join(["python", "-m", f"experiments.{module}", *map(str, argv)])


def save(path, payload, *, module, argv=None, datasets=None, families=()):
    """Write ``payload`` and its provenance (:func:`facetruth.evaluation.run_record`) to ``path``.

    ``datasets`` are the source folders read (or a dict of folder to the
    items used), ``families`` the feature families; see ``run_record``.
    """
    record = run_record(datasets, families, command(module, argv))
    return write_results(path, payload, record)


def select(X, embedding, blocks):
    """The columns of one choice, each part scaled to unit L2 norm.

    Examples
    --------
    >>> X = np.ones((2, EMBED + N_BLOCKS * WIDTH))
    >>> Z = select(X, True, (0, 3))
    >>> Z.shape, round(float(np.linalg.norm(Z[0, :EMBED])), 6)
    ((2, 2048), 1.0)
    """
    parts = [X[:, :EMBED]] if embedding else []
    parts += [X[:, EMBED + b * WIDTH : EMBED + (b + 1) * WIDTH] for b in blocks]
    scaled = [p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12) for p in parts]
    return np.hstack(scaled)


def limited(path, limit=None, *, seed=0):
    """The data set at ``path``, or at most ``limit`` real and ``limit`` fake items of it (seeded)."""
    data = load_dataset(path)
    if limit is None:
        return data
    return sample_per_class(concat_datasets([data], sources=[Path(path).name]), limit, random_state=seed)


def load_crops(path, *, cache, n_jobs, limit=None):
    """The 256 px face crops (``face=auto``) of every image of a data set that loads, with their labels."""
    data = limited(path, limit)
    loader = build_loader("auto", 256, cache=cache, n_jobs=n_jobs).fit()
    loaded = loader.load(list(data.paths), errors="collect")
    for _, message in loaded.errors:
        logger.warning("skipped: %s", message)
    return np.asarray(loaded.images), np.asarray(data.labels)[np.asarray(loaded.ok)]


def clip_features(path, *, cache, n_jobs, limit=None):
    """Embedding and twelve CLS tokens of every image that loads, with labels."""
    crops, labels = load_crops(path, cache=cache, n_jobs=n_jobs, limit=limit)
    union = build_features("clip", cache=cache, clip__blocks=tuple(range(N_BLOCKS)))
    return union.fit(crops[:2]).transform(crops), labels


def auc_of(X_train, y_train, X_test, y_test, seed):
    from sklearn.metrics import roc_auc_score

    detector = build_detector("linear_probe", cv=3, random_state=seed).fit(X_train, y_train)
    return float(roc_auc_score(y_test, detector.predict_proba(X_test)[:, 1]))


def both_protocols(Z, *, folds, seed):
    """Leave-one-source-out and stratified k-fold ROC-AUCs of the linear probe on ``{source: (X, y)}``.

    Returns ``(loso, kfold)``: ``loso`` maps each held-out source (and
    ``"mean"``) to its AUC, and is empty for one source; ``kfold`` maps each
    source to the mean, standard deviation and per-fold AUCs.
    """
    from sklearn.model_selection import StratifiedKFold

    sources = list(Z)
    loso = {}
    if len(sources) > 1:
        for held in sources:
            train = [n for n in sources if n != held]
            X_train = np.vstack([Z[n][0] for n in train])
            y_train = np.concatenate([Z[n][1] for n in train])
            loso[held] = auc_of(X_train, y_train, *Z[held], seed)
        loso["mean"] = float(np.mean([loso[s] for s in sources]))
    kfold = {}
    for name, (X, y) in Z.items():
        splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y)
        aucs = [auc_of(X[tr], y[tr], X[te], y[te], seed) for tr, te in splits]
        kfold[name] = {"mean": float(np.mean(aucs)), "std": float(np.std(aucs)), "folds": aucs}
    return loso, kfold


def common_arguments(parser):
    """The options shared by the CLIP experiments: data, sources, folds, seed, cache, jobs, limit, output."""
    parser.add_argument("--data", default="../shared/data", help="folder holding the data sets")
    parser.add_argument("--sources", default=",".join(SOURCES), help="comma list of data sets")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None, help="crop and feature cache folder")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None, help="real and fake images kept per source")
    parser.add_argument("--out", default="results.json", help="JSON file to write")
    return parser


def source_folders(args):
    """The ``--sources`` folders under ``--data``."""
    return [Path(args.data) / s.strip() for s in args.sources.split(",") if s.strip()]


def used_items(args):
    """``{folder: items used or None}`` of the ``--sources``, for the results' provenance."""
    return {folder: limited(folder, args.limit) if args.limit else None for folder in source_folders(args)}


def load_sources(args, extract):
    """``{source: extract(folder, cache=..., n_jobs=..., limit=...)}`` for the ``--sources``, logged."""
    from tqdm.auto import tqdm

    data = {}
    for folder in tqdm(source_folders(args), desc="sources", file=sys.stderr):
        start = time.perf_counter()
        data[folder.name] = extract(folder, cache=args.cache, n_jobs=args.n_jobs, limit=args.limit)
        logger.info(
            "%s: %d images in %.0f s", folder.name, len(data[folder.name][1]), time.perf_counter() - start
        )
    return data


def start(parser, argv, extract):
    """Parse ``argv``, set up logging and extract every source's features: ``(args, data)``."""
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return args, load_sources(args, extract)


def run(args, candidates, *, module, argv=None):
    """Evaluate each ``(name, {source: (X, y)})`` of ``candidates`` by both protocols; print and save."""
    results = {"loso": {}, "kfold": {}}
    record = run_record(used_items(args), ["clip"], command(module, argv))
    for name, Z in candidates:
        loso, kfold = both_protocols(Z, folds=args.folds, seed=args.seed)
        results["loso"][name], results["kfold"][name] = loso, kfold
        print(name, "LOSO", {k: round(v, 3) for k, v in loso.items()}, flush=True)
        print(name, "5-fold", {k: round(v["mean"], 3) for k, v in kfold.items()}, flush=True)
        payload = {"sources": list(Z), "seed": args.seed, **results}
        write_results(args.out, payload, record)
    return results
