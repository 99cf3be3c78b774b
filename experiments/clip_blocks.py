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

    python -m experiments.clip_blocks --data ../shared/data --cache /tmp/ft-cache \\
        --out runs/clip_blocks/results.json
"""

import argparse

from experiments._common import N_BLOCKS, clip_features, common_arguments, run, select, start

#: the fixed choices compared: the embedding (True/False) and the blocks kept
CHOICES = {
    "embedding": (True, ()),
    "embedding+blocks": (True, tuple(range(N_BLOCKS))),
    "embedding+middle": (True, (4, 5, 6, 7, 8)),
    "blocks": (False, tuple(range(N_BLOCKS))),
}


def main(argv=None):
    parser = common_arguments(argparse.ArgumentParser(description=__doc__.split("\n\n")[0]))
    parser.add_argument("--choices", default=",".join(CHOICES), help="comma list of feature choices")
    args, data = start(parser, argv, clip_features)
    choices = [c.strip() for c in args.choices.split(",") if c.strip()]
    run(
        args,
        (
            (choice, {name: (select(X, *CHOICES[choice]), y) for name, (X, y) in data.items()})
            for choice in choices
        ),
        module="clip_blocks",
        argv=argv,
    )


if __name__ == "__main__":
    main()
