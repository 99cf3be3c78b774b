"""CLIP features of several views of each face crop: the crop, its mirror image and the inner face.

The ``clip`` family embeds one view of each image: the 256 px face crop
with its context margin, shrunk to CLIP's 224 px input. This script asks
whether more views of the same crop carry more of the traces a detector
needs, at one more network pass each. The views, fixed in advance:

``crop``
    the face crop (the ``clip`` default);
``flip``
    the mean of the features of the crop and of its mirror image (test-time
    augmentation in feature space: a left-right swap is no evidence);
``crop+inner``
    the crop's features next to those of the inner face, the central
    160 px of the crop (the detector's face box without the margin),
    enlarged to CLIP's input size;
``inner``
    the inner face alone.

Each view is tried with the 512-d embedding alone and with the embedding
and the CLS tokens of all twelve blocks; every part (the embedding, each
block's token, each view) is scaled to unit L2 norm before FaceTruth's
linear probe, as in ``clip_blocks.py``. Protocols: leave one source out
over the data sets given and 5 stratified folds of each set, seed 0.
Nothing is chosen on a held-out source: the views are fixed above.

Example::

    python experiments/clip_views.py --data ../shared/data --cache /tmp/ft-cache \\
        --out runs/clip_views/results.json
"""

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
from clip_blocks import N_BLOCKS, SOURCES, auc_of, select

from facetruth._atomic import atomic_write_json
from facetruth.data import load_dataset
from facetruth.pipelines import build_features, build_loader

logger = logging.getLogger("clip_views")

#: side of the inner face inside a 256 px crop with the default 0.3 margin (256 / 1.6)
INNER = 160
#: view name: the arrays of features it is made of (each scaled on its own), and whether they are averaged
VIEWS = {
    "crop": (("crop",), False),
    "flip": (("crop", "mirror"), True),
    "crop+inner": (("crop", "inner"), False),
    "inner": (("inner",), False),
}
PARTS = {"embedding": (True, ()), "embedding+blocks": (True, tuple(range(N_BLOCKS)))}


def inner_face(images, side=INNER):
    """The central ``side`` x ``side`` square of each image.

    Examples
    --------
    >>> inner_face(np.zeros((2, 256, 256, 3), np.uint8)).shape
    (2, 160, 160, 3)
    """
    top = (images.shape[1] - side) // 2
    left = (images.shape[2] - side) // 2
    return np.ascontiguousarray(images[:, top : top + side, left : left + side])


def features(path, *, cache, n_jobs):
    """CLIP features (embedding and 12 CLS tokens) of each view of every image that loads, with labels."""
    data = load_dataset(path)
    loader = build_loader("auto", 256, cache=cache, n_jobs=n_jobs).fit()
    loaded = loader.load(list(data.paths), errors="collect")
    for _, message in loaded.errors:
        logger.warning("skipped: %s", message)
    crops = np.asarray(loaded.images)
    union = build_features("clip", cache=cache, clip__blocks=tuple(range(N_BLOCKS))).fit(crops[:2])
    views = {
        "crop": crops,
        "mirror": np.ascontiguousarray(crops[:, :, ::-1]),
        "inner": inner_face(crops),
    }
    out = {name: union.transform(images) for name, images in views.items()}
    return out, np.asarray(data.labels)[np.asarray(loaded.ok)]


def combine(arrays, view, embedding, blocks):
    """The columns of one view and one choice of parts."""
    names, average = VIEWS[view]
    parts = [select(arrays[name], embedding, blocks) for name in names]
    if average:
        return np.mean(parts, axis=0)
    return np.hstack(parts)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data", help="folder holding the data sets")
    parser.add_argument("--sources", default=",".join(SOURCES), help="comma list of data sets")
    parser.add_argument("--views", default=",".join(VIEWS), help="comma list of views")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None, help="crop and feature cache folder")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", default="results.json", help="JSON file to write")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from sklearn.model_selection import StratifiedKFold
    from tqdm.auto import tqdm

    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    views = [v.strip() for v in args.views.split(",") if v.strip()]
    data = {}
    for name in tqdm(sources, desc="sources", file=sys.stderr):
        start = time.perf_counter()
        data[name] = features(Path(args.data) / name, cache=args.cache, n_jobs=args.n_jobs)
        logger.info("%s: %d images in %.0f s", name, len(data[name][1]), time.perf_counter() - start)
    results = {"loso": {}, "kfold": {}}
    for view in views:
        for part, (embedding, blocks) in PARTS.items():
            key = f"{view} / {part}"
            Z = {name: (combine(arrays, view, embedding, blocks), y) for name, (arrays, y) in data.items()}
            loso = {}
            if len(sources) > 1:
                for held in sources:
                    train = [n for n in sources if n != held]
                    X_train = np.vstack([Z[n][0] for n in train])
                    y_train = np.concatenate([Z[n][1] for n in train])
                    loso[held] = auc_of(X_train, y_train, *Z[held], args.seed)
                loso["mean"] = float(np.mean([loso[s] for s in sources]))
            kfold = {}
            for name, (X, y) in Z.items():
                folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed).split(X, y)
                aucs = [auc_of(X[tr], y[tr], X[te], y[te], args.seed) for tr, te in folds]
                kfold[name] = {"mean": float(np.mean(aucs)), "std": float(np.std(aucs)), "folds": aucs}
            results["loso"][key], results["kfold"][key] = loso, kfold
            print(key, "LOSO", {k: round(v, 3) for k, v in loso.items()}, flush=True)
            print(key, "5-fold", {k: round(v["mean"], 3) for k, v in kfold.items()}, flush=True)
            atomic_write_json(args.out, {"sources": sources, "seed": args.seed, **results})


if __name__ == "__main__":
    main()
