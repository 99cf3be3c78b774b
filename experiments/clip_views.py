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
linear probe, as in ``experiments/clip_blocks.py``. Protocols: leave one source out
over the data sets given and 5 stratified folds of each set, seed 0.
Nothing is chosen on a held-out source: the views are fixed above.

Example::

    python -m experiments.clip_views --data ../shared/data --cache /tmp/ft-cache \\
        --out runs/clip_views/results.json
"""

import argparse

import numpy as np

from experiments._common import N_BLOCKS, common_arguments, load_crops, run, select, start
from facetruth.pipelines import build_features

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


def features(path, *, cache, n_jobs, limit=None):
    """CLIP features (embedding and 12 CLS tokens) of each view of every image that loads, with labels."""
    crops, labels = load_crops(path, cache=cache, n_jobs=n_jobs, limit=limit)
    union = build_features("clip", cache=cache, clip__blocks=tuple(range(N_BLOCKS))).fit(crops[:2])
    views = {
        "crop": crops,
        "mirror": np.ascontiguousarray(crops[:, :, ::-1]),
        "inner": inner_face(crops),
    }
    out = {name: union.transform(images) for name, images in views.items()}
    return out, labels


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
    args, data = start(parser, argv, features)
    views = [v.strip() for v in args.views.split(",") if v.strip()]
    run(
        args,
        (
            (
                f"{view} / {part}",
                {name: (combine(arrays, view, *PARTS[part]), y) for name, (arrays, y) in data.items()},
            )
            for view in views
            for part in PARTS
        ),
        module="clip_views",
        argv=argv,
    )


if __name__ == "__main__":
    main()
