"""``facetruth tune``: tune CLIP's LayerNorms on a dataset (the ``clip`` family's tuned norms)."""

import sys

import numpy as np

from . import cmdoptions
from ._shared import cache_dir, check_output_path, load_training_data, progress

HELP = "tune CLIP's LayerNorms on a dataset, for the clip family (--clip-norms)"
EXAMPLES = """
facetruth tune --data ../shared/data/hardfake ../shared/data/ciplab --out norms.npz
facetruth tune --data DATA... --last-blocks 2 --epochs 3 --pseudo-fakes sbi:0.5 --augment robust \\
    --checkpoint tune.pt --out norms.npz
facetruth train --data DATA... --clip-norms norms.npz --out model.joblib
"""


def add_arguments(parser):
    cmdoptions.data(parser)
    parser.add_argument("--out", required=True, help="tuned norms to write (.npz), with their recipe")
    parser.add_argument(
        "--last-blocks", type=int, default=2, help="blocks, from the top, whose norms are tuned (0-12)"
    )
    parser.add_argument("--epochs", type=int, default=3, help="passes over the training rows")
    parser.add_argument("--batch-size", type=int, default=32, help="rows per optimisation step")
    parser.add_argument("--lr", type=float, default=1e-3, help="AdamW learning rate of the norms")
    parser.add_argument("--head-lr", type=float, default=1e-2, help="AdamW learning rate of the linear head")
    parser.add_argument(
        "--align-weight",
        type=float,
        default=0.0,
        help="weight of the alignment and uniformity terms (0: none)",
    )
    parser.add_argument(
        "--checkpoint",
        default=None,
        help="file saved after each epoch; a rerun with the same settings resumes it",
    )
    cmdoptions.pseudo_fakes(
        parser, help="add self-blended fakes of the real images (sbi[:RATIO], default ratio 1)"
    )
    parser.add_argument(
        "--augment",
        default=None,
        choices=["robust"],
        help="add one degraded copy (blur, rescale, noise, JPEG) of each crop",
    )
    cmdoptions.face(parser)
    cmdoptions.image_size(parser)
    cmdoptions.run_options(parser)
    cmdoptions.progress(parser)
    parser.set_defaults(func=cmd_tune)


def cmd_tune(args):
    from ..data import parse_pseudo_fakes
    from ..features import save_norms
    from ..models import CLIPNormTuner, source_commit
    from ..pipelines import build_loader, dataset_items, load_images

    check_output_path(args.out, example="norms.npz")
    ratio = 0.0
    if args.pseudo_fakes:
        ratio = parse_pseudo_fakes(args.pseudo_fakes)[1]
    tuner = CLIPNormTuner(
        last_blocks=args.last_blocks,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        head_lr=args.head_lr,
        align_weight=args.align_weight,
        augment=args.augment,
        pseudo_fakes=ratio,
        device=args.device,
        random_state=args.seed,
        checkpoint=args.checkpoint,
        cache=cache_dir(args),
        progress=progress(args),
    )
    tuner._check_params()  # fail before decoding any image
    dataset = load_training_data(args.data)
    loader = build_loader(args.face, args.image_size, cache=cache_dir(args), n_jobs=args.n_jobs).fit()
    loaded = load_images(loader, dataset_items(dataset), progress=progress(args))
    for _, msg in loaded.errors:
        print(f"skipped: {msg}", file=sys.stderr)
    labels = np.asarray(dataset.labels)[loaded.ok]
    tuner.fit(list(loaded.images), labels)
    recipe = {
        **tuner.recipe_,
        "history": tuner.history_,
        "data": [str(d) for d in args.data],
        "manifest_sha256": dataset.manifest_hash(),
        "face": args.face,
        "image_size": args.image_size,
        "commit": source_commit(),
        "command": getattr(args, "argv", None),
    }
    save_norms(args.out, tuner.norms_, recipe)
    last = tuner.history_[-1]
    print(
        f"saved {args.out}: {recipe['tuned_parameters']} tuned parameters, {len(labels)} images "
        f"+ {recipe['rows']['robust']} robust copies + {recipe['rows']['pseudo_fakes']} self-blended fakes; "
        f"last epoch loss {last['loss']:.4f}; {recipe['token_seconds'] + recipe['tuning_seconds']:.0f} s"
    )
    return 0
