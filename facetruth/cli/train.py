"""``facetruth train``: train a detector and save it with its model card."""

import os
import sys
from pathlib import Path

from . import cmdoptions
from ._shared import (
    check_output_path,
    dask_client,
    load_training_data,
    loader_align,
    on_dask,
    pipeline_params,
    progress,
)
from .evaluate import evaluate_model

HELP = "train a detector and save it"
EXAMPLES = """
facetruth train --data ../shared/data/hardfake --out model.joblib
facetruth train --data ../shared/data/hardfake --holdout 0.2 --out model.joblib
facetruth train --data ../shared/data/hardfake ../shared/data/ciplab ../shared/data/ffhq_sg1 --out model.joblib
facetruth train --data faces.csv --features fft,lbp --classifier logistic --out m.joblib
facetruth train --data DATA --scheduler tcp://10.0.0.5:8786 --out model.joblib
facetruth train --data DATA --dask-workers 2 --out model.joblib
facetruth train --data DATA --dask-workers 2 --align canonical --augment robust --out model.joblib
"""


def add_arguments(parser):
    cmdoptions.data(parser)
    # DEFAULTS.features, as build_pipeline(): clip generalised best, leaving one source out (docs/results/leave-one-source-out.md)
    cmdoptions.features(parser)
    cmdoptions.classifier(parser)
    cmdoptions.face(parser)
    cmdoptions.image_size(parser)
    parser.add_argument(
        "--out",
        required=True,
        help="model file to write (.joblib); its folder must exist or be creatable, and a folder "
        "is refused (give DIR/model.joblib)",
    )
    parser.add_argument(
        "--holdout",
        type=_holdout_value,
        default=None,
        metavar="FRACTION",
        help="hold out this share, in (0, 0.5) (stratified, group-disjoint), and report test metrics "
        "in the model card",
    )
    cmdoptions.confidence(parser)
    cmdoptions.run_options(parser)
    cmdoptions.backbone(parser)
    cmdoptions.clip_blocks(parser)
    cmdoptions.clip_flip(parser)
    cmdoptions.clip_precision(parser)
    cmdoptions.clip_norms(parser)
    cmdoptions.generalisation_options(parser)
    cmdoptions.dask_options(parser, "<out>.shards")
    parser.add_argument(
        "--allow-weak",
        action="store_true",
        help="save the model even when its out-of-fold ROC-AUC is below 0.6 or its predictions are constant",
    )
    cmdoptions.progress(parser)
    parser.set_defaults(func=cmd_train)


def _cutoffs_text(card):
    """``"real at or below R, fake at or above F, "`` from a model card, or ``""`` without cutoffs."""
    if card.get("fake_cutoff") is None or card.get("real_cutoff") is None:
        return ""
    return f"real at or below {card['real_cutoff']:.4f}, fake at or above {card['fake_cutoff']:.4f}, "


def _holdout_value(text):
    """``--holdout``'s type: a fraction in (0, 0.5)."""
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < 0.5:
        raise argparse.ArgumentTypeError(f"must lie in (0, 0.5), the share of images held out; got {text}")
    return value


def cmd_train(args):
    check_output_path(args.out)  # before the imports and the work: a bad --out fails at once
    if on_dask(args):
        check_output_path(args.shard_dir or f"{args.out}.shards", folder=True, option="--shard-dir")
    from ..models import check_detector, save
    from ..pipelines import build_extras, build_pipeline, train_detector, train_on_shards

    extras = build_extras(args.pseudo_fakes, args.augment, random_state=args.seed, n_jobs=args.n_jobs)
    dataset = load_training_data(args.data, pseudo_fakes=args.pseudo_fakes)
    test = None
    if args.holdout:
        from ..pipelines import holdout_split

        dataset, test = holdout_split(dataset, args.holdout, random_state=args.seed)
    pipeline = build_pipeline(
        args.features,
        args.classifier,
        args.face,
        args.image_size,
        align=loader_align(args),
        native=args.native,
        confidence=args.confidence,
        random_state=args.seed,
        **pipeline_params(args),
    )
    dask = dask_client(args)
    if dask is None:
        result = train_detector(pipeline, dataset, extras=extras, progress=progress(args))
    else:
        with dask as client:
            result = train_on_shards(
                pipeline,
                dataset,
                out=args.shard_dir or f"{args.out}.shards",
                client=client,
                shard_size=args.shard_size,
                extras=extras,
                progress=progress(args),
            )
    for _, msg in result.skipped:
        print(f"skipped: {msg}", file=sys.stderr)
    if not args.allow_weak:
        check_detector(result.pipeline)
    metadata = result.metadata
    if getattr(args, "clip_norms", None):
        from ..features import read_norms

        metadata["clip_norms"] = {
            "file": os.path.basename(args.clip_norms),
            "recipe": read_norms(args.clip_norms)[1],
        }
    if test is not None:
        metadata["holdout"] = {"fraction": args.holdout, "manifest_sha256": test.manifest_hash()}
        metadata["holdout_metrics"], _ = evaluate_model(result.pipeline, test, args=args)
    card = save(result.pipeline, args.out, metadata=metadata)
    m = card.get("validation_metrics", {})
    if test is not None:
        h = card["holdout_metrics"]
        print(
            f"held-out test ({h['n']} images): AUC {h['auc']:.4f}, accuracy {h['accuracy']:.4f}, EER {h['eer']:.4f}"
        )
    print(
        f"saved {args.out} (+ {Path(args.out).name}.json); "
        f"out-of-fold AUC {m.get('auc', float('nan')):.4f}, threshold {card['threshold']:.4f}, "
        f"{_cutoffs_text(card)}{len(result.skipped)} images skipped"
    )
    return 0
