"""``facetruth finetune``: fine-tune EfficientNet-Lite0 on a dataset (transfer learning)."""

import sys

import numpy as np

from . import cmdoptions
from ._shared import cache_dir, check_output_path, load_training_data, progress

HELP = "fine-tune EfficientNet-Lite0 on a dataset (transfer learning)"
EXAMPLES = """
facetruth finetune --data ../shared/data/hardfake --out backbone.pt
facetruth finetune --data REAL_ONLY_DIR --pseudo-fakes sbi --out backbone.pt
facetruth train --data DATA --features cnn --backbone backbone.pt --out m.joblib
"""


def add_arguments(parser):
    cmdoptions.data(parser)
    parser.add_argument("--out", required=True, help="backbone state_dict to write (.pt)")
    parser.add_argument("--epochs", type=int, default=5, help="training epochs at most")
    parser.add_argument("--batch-size", type=int, default=32, help="images per optimisation step")
    parser.add_argument("--lr", type=float, default=1e-4, help="Adam learning rate")
    parser.add_argument("--max-items", type=int, default=None, help="train on a random subset of this size")
    cmdoptions.face(parser)
    cmdoptions.image_size(parser)
    parser.add_argument(
        "--input-size", type=int, default=224, help="side the network sees: crops are resized to it"
    )
    cmdoptions.pseudo_fakes(
        parser,
        help="add self-blended fakes of the real images, fresh each epoch; the data may then be real only",
    )
    parser.add_argument(
        "--pseudo-fakes-mask",
        default="auto",
        choices=["auto", "hull", "region"],
        help="blend the face hull, eyes/nose/mouth regions, or either at random",
    )
    cmdoptions.run_options(parser)
    cmdoptions.progress(parser)
    parser.set_defaults(func=cmd_finetune)


def cmd_finetune(args):
    from ..models import finetune
    from ..pipelines import build_loader, dataset_items, load_images

    check_output_path(args.out, example="backbone.pt")
    pseudo_fakes = getattr(args, "pseudo_fakes", None)
    if pseudo_fakes:
        from ..data import parse_pseudo_fakes

        parse_pseudo_fakes(pseudo_fakes)  # fail before decoding any image
    dataset = load_training_data(args.data, pseudo_fakes=pseudo_fakes)
    items, labels = dataset_items(dataset), np.asarray(dataset.labels)
    if args.max_items and args.max_items < len(items):
        rng = np.random.default_rng(args.seed)
        keep = np.sort(rng.choice(len(items), args.max_items, replace=False))
        items, labels = [items[i] for i in keep], labels[keep]
    loader = build_loader(args.face, args.image_size, cache=cache_dir(args), n_jobs=args.n_jobs).fit()
    loaded = load_images(loader, items, progress=progress(args))
    for _, msg in loaded.errors:
        print(f"skipped: {msg}", file=sys.stderr)
    result = finetune(
        list(loaded.images),
        labels[loaded.ok],
        out=args.out,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        device=args.device,
        random_state=args.seed,
        progress=progress(args),
        image_size=args.input_size,
        pseudo_fakes=pseudo_fakes,
        pseudo_fakes_mask=getattr(args, "pseudo_fakes_mask", "auto"),
    )
    print(f"saved {args.out}; best validation AUC {result.best_val_auc:.4f}")
    return 0
