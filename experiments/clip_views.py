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

import numpy as np
from clip_blocks import N_BLOCKS, both_protocols, common_arguments, load_sources, select

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
    parser = common_arguments(argparse.ArgumentParser(description=__doc__.split("\n\n")[0]))
    parser.add_argument("--views", default=",".join(VIEWS), help="comma list of views")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    data = load_sources(args, features)
    results = {"loso": {}, "kfold": {}}
    for view in [v.strip() for v in args.views.split(",") if v.strip()]:
        for part, (embedding, blocks) in PARTS.items():
            key = f"{view} / {part}"
            Z = {name: (combine(arrays, view, embedding, blocks), y) for name, (arrays, y) in data.items()}
            loso, kfold = both_protocols(Z, folds=args.folds, seed=args.seed)
            results["loso"][key], results["kfold"][key] = loso, kfold
            print(key, "LOSO", {k: round(v, 3) for k, v in loso.items()}, flush=True)
            print(key, "5-fold", {k: round(v["mean"], 3) for k, v in kfold.items()}, flush=True)
            atomic_write_json(args.out, {"sources": list(data), "seed": args.seed, **results})


if __name__ == "__main__":
    main()
