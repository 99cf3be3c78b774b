"""CLIP's final embedding against its intermediate blocks (RINE-style), by two protocols.

The ``clip`` family can append the CLS token of the residual stream after any
of the twelve transformer blocks of ViT-B/16 (``clip__blocks``), as RINE
(Koutlis and Papadopoulos, ECCV 2024) does. This script extracts the final
embedding and all twelve CLS tokens once per image (256 px face crops,
``face=auto``, cached), then compares a few fixed feature choices, each with
the same linear probe:

``embedding``
    the 512-d ``image_embeds`` alone (the ``clip`` default);
``embedding+blocks``
    the embedding and the CLS tokens of every block (512 + 12 x 768);
``embedding+middle``
    the embedding and the CLS tokens of blocks 4-8;
``blocks``
    the twelve CLS tokens without the embedding.

Each part (the embedding, each block's token) is scaled to unit L2 norm on
its own before the probe, so that no block outweighs another by its length;
the probe is FaceTruth's ``linear_probe`` (row scaling, standardising,
logistic regression with ``C`` chosen by an inner 3-fold ROC-AUC search).

Protocols: leave one source out over the data sets given (train on the
others, ROC-AUC on the held-out one) and a 5-fold stratified split of each
set (in-domain). Nothing is chosen on a held-out source: the choices above
are fixed in advance.

Example::

    python experiments/clip_blocks.py --data ../shared/data --cache /tmp/ft-cache \\
        --out runs/clip_blocks/results.json
"""

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np

from facetruth._atomic import atomic_write_json
from facetruth.data import load_dataset
from facetruth.pipelines import build_detector, build_features, build_loader

logger = logging.getLogger("clip_blocks")

SOURCES = ("hardfake", "ciplab", "ffhq_sg1", "faceswap")
N_BLOCKS, EMBED, WIDTH = 12, 512, 768
#: the fixed choices compared: the embedding (True/False) and the blocks kept
CHOICES = {
    "embedding": (True, ()),
    "embedding+blocks": (True, tuple(range(N_BLOCKS))),
    "embedding+middle": (True, (4, 5, 6, 7, 8)),
    "blocks": (False, tuple(range(N_BLOCKS))),
}


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


def load_crops(path, *, cache, n_jobs):
    """The 256 px face crops (``face=auto``) of every image of a data set that loads, with their labels."""
    data = load_dataset(path)
    loader = build_loader("auto", 256, cache=cache, n_jobs=n_jobs).fit()
    loaded = loader.load(list(data.paths), errors="collect")
    for _, message in loaded.errors:
        logger.warning("skipped: %s", message)
    return np.asarray(loaded.images), np.asarray(data.labels)[np.asarray(loaded.ok)]


def features(path, *, cache, n_jobs):
    """Embedding and twelve CLS tokens of every image that loads, with labels."""
    crops, labels = load_crops(path, cache=cache, n_jobs=n_jobs)
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
    """The options shared by the CLIP experiments: data, sources, folds, seed, cache, jobs, output."""
    parser.add_argument("--data", default="../shared/data", help="folder holding the data sets")
    parser.add_argument("--sources", default=",".join(SOURCES), help="comma list of data sets")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None, help="crop and feature cache folder")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", default="results.json", help="JSON file to write")
    return parser


def load_sources(args, extract):
    """``{source: extract(folder, cache=..., n_jobs=...)}`` for the ``--sources`` of ``args``, logged."""
    from tqdm.auto import tqdm

    data = {}
    for name in tqdm(
        [s.strip() for s in args.sources.split(",") if s.strip()], desc="sources", file=sys.stderr
    ):
        start = time.perf_counter()
        data[name] = extract(Path(args.data) / name, cache=args.cache, n_jobs=args.n_jobs)
        logger.info("%s: %d images in %.0f s", name, len(data[name][1]), time.perf_counter() - start)
    return data


def start(parser, argv, extract):
    """Parse ``argv``, set up logging and extract every source's features: ``(args, data)``."""
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return args, load_sources(args, extract)


def run(args, candidates):
    """Evaluate each ``(name, {source: (X, y)})`` of ``candidates`` by both protocols; print and save."""
    results = {"loso": {}, "kfold": {}}
    for name, Z in candidates:
        loso, kfold = both_protocols(Z, folds=args.folds, seed=args.seed)
        results["loso"][name], results["kfold"][name] = loso, kfold
        print(name, "LOSO", {k: round(v, 3) for k, v in loso.items()}, flush=True)
        print(name, "5-fold", {k: round(v["mean"], 3) for k, v in kfold.items()}, flush=True)
        atomic_write_json(args.out, {"sources": list(Z), "seed": args.seed, **results})
    return results


def main(argv=None):
    parser = common_arguments(argparse.ArgumentParser(description=__doc__.split("\n\n")[0]))
    parser.add_argument("--choices", default=",".join(CHOICES), help="comma list of feature choices")
    args, data = start(parser, argv, features)
    choices = [c.strip() for c in args.choices.split(",") if c.strip()]
    run(
        args,
        (
            (choice, {name: (select(X, *CHOICES[choice]), y) for name, (X, y) in data.items()})
            for choice in choices
        ),
    )


if __name__ == "__main__":
    main()
