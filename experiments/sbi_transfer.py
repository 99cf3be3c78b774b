"""Cross-dataset test of a backbone fine-tuned on real faces and self-blended pseudo-fakes.

Scores every image of a test set (e.g. ``../shared/data/ciplab``) in two ways
and prints the ROC-AUCs as JSON:

``network``
    The fine-tuned network's own output: sigmoid of the head's logit on the
    face crop resized to the fine-tuning input size (from the ``.json``
    beside the backbone).
``xgboost``
    XGBoost on the backbone's pooled embedding (``CNNEmbedding(weights=...)``
    at the fine-tuning input size),
    trained on the real images of ``--train`` plus one self-blended fake of
    each (:func:`facetruth.data.make_pseudo_fakes`), i.e. without any real fake.
    The same is done with the ImageNet backbone as a baseline.

Faces are cropped with the standard loader (256 px, 30 % margin).

Example::

    python -m experiments.sbi_transfer --backbone runs/sbi/hardfake_sbi_160.pt \
        --train ../shared/data/hardfake/real --test ../shared/data/ciplab \
        --cache runs/sbi/cache --out runs/sbi/transfer.json
"""

import argparse
import json
import logging
from pathlib import Path

import numpy as np

from experiments._common import limited, save
from facetruth.data import IMAGE_EXTENSIONS, make_pseudo_fakes
from facetruth.models import finetuned_scores

logger = logging.getLogger("sbi_transfer")


def load_crops(items, cache):
    from facetruth.pipelines import build_loader

    loaded = build_loader("auto", 256, cache=cache, n_jobs=1).fit().load(items, errors="collect")
    for _, msg in loaded.errors:
        logger.warning("skipped: %s", msg)
    return np.asarray(loaded.images), np.asarray(loaded.ok)


def xgboost_scores(weights, image_size, train_x, train_y, test_x, cache, seed):
    from sklearn.pipeline import make_pipeline
    from xgboost import XGBClassifier

    from facetruth.pipelines import build_features

    backbone = None if weights == "imagenet" else weights
    model = make_pipeline(
        build_features("cnn", cache=cache, device="cpu", backbone=backbone, cnn__image_size=image_size),
        XGBClassifier(
            n_estimators=300, max_depth=4, learning_rate=0.05, subsample=0.8, n_jobs=2, random_state=seed
        ),
    )
    model.fit(list(train_x), train_y)
    return model.predict_proba(list(test_x))[:, 1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backbone", required=True, help="backbone .pt written by 'facetruth finetune'")
    parser.add_argument("--train", required=True, help="folder of real images (no fakes needed)")
    parser.add_argument("--test", required=True, help="test dataset folder or CSV manifest")
    parser.add_argument("--cache", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--limit", type=int, default=None, help="test: real and fake images kept; train: reals kept"
    )
    parser.add_argument("--out", default=None, help="write the results as JSON here too")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from sklearn.metrics import roc_auc_score

    test = limited(args.test, args.limit, seed=args.seed)
    test_x, ok = load_crops(list(test.paths), args.cache)
    test_y = test.labels[ok]
    results = {"backbone": args.backbone, "train": args.train, "test": args.test, "seed": args.seed}
    results["n_test"] = {"real": int(np.sum(test_y == 0)), "fake": int(np.sum(test_y == 1))}
    results["auc_network"] = float(roc_auc_score(test_y, finetuned_scores(args.backbone, test_x)))
    logger.info("network AUC %.4f", results["auc_network"])

    paths = sorted(str(p) for p in Path(args.train).iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
    paths = paths[: args.limit]
    reals, _ = load_crops(paths, args.cache)
    fakes, _ = make_pseudo_fakes(reals, ratio=1.0, random_state=args.seed)
    train_x = np.concatenate([reals, np.stack(fakes)])
    train_y = np.r_[np.zeros(len(reals), int), np.ones(len(fakes), int)]
    results["n_train"] = {"real": len(reals), "sbi": len(fakes)}
    size = json.loads(Path(args.backbone).with_suffix(".json").read_text())["input"]["image_size"]
    for name, weights, image_size in [
        ("xgboost", args.backbone, size),
        ("xgboost_imagenet", "imagenet", 224),
    ]:
        scores = xgboost_scores(weights, image_size, train_x, train_y, test_x, args.cache, args.seed)
        results[f"auc_{name}"] = float(roc_auc_score(test_y, scores))
        logger.info("%s AUC %.4f", name, results[f"auc_{name}"])
    print(json.dumps(results, indent=2))
    if args.out:
        used = {Path(args.test): test if args.limit else None}
        save(args.out, results, module="sbi_transfer", argv=argv, datasets=used, families=["cnn"])


if __name__ == "__main__":
    main()
