"""The five-source detector with tuned CLIP LayerNorms, against the frozen probe on the same items.

It runs the command line the way a user would, one step after another, and
times each step from a cold cache:

1. draws ``--per-class`` real and fake items of each source (whole groups,
   seeded) into ``OUT/sample.csv``; ``--per-class 0`` keeps every item;
2. ``facetruth tune`` on them: the LayerNorms of the last ``--last-blocks``
   blocks, with robust copies and self-blended fakes;
3. ``facetruth train --clip-norms`` (the tuned detector) and ``facetruth
   train`` (the frozen probe) on the same items;
4. writes ``OUT/results.json``: each step's time and peak memory, and each
   model card's out-of-fold figures and cutoffs, with the run's provenance.

The out-of-fold figures of the tuned detector are in-domain and optimistic:
the norms were tuned on every item the probe's folds hold out. Leave one
source out (``experiments/clip_tune_loso.py``) is the figure for sources
never seen.

On a 2-core CPU the recipe that fits is the declared one,
``--per-class 100 --last-blocks 2 --epochs 2``; with a GPU,
``--per-class 0 --last-blocks 12 --epochs 5 --device cuda``::

    python -m experiments.tuned_detector --out runs/tuned_detector
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from facetruth.data import concat_datasets, load_dataset, sample_per_class

from ._common import save, source_folders

SOURCES = ("hardfake", "ciplab", "ffhq_sg1", "faceswap", "dfdc")
#: what the results keep of each model card
CARD_KEYS = ("validation_metrics", "threshold", "real_cutoff", "fake_cutoff", "fit_seconds", "feature_params")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data", help="folder that holds the sources")
    parser.add_argument("--sources", default=",".join(SOURCES), help="comma-separated source folders")
    parser.add_argument("--per-class", type=int, default=100, help="real and fake items per source (0: all)")
    parser.add_argument("--last-blocks", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--pseudo-fakes", default="sbi:0.5")
    parser.add_argument("--augment", default="robust")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None, help="crop and feature cache (default: OUT/cache, cold)")
    parser.add_argument(
        "--out", default="runs/tuned_detector", help="folder for the sample, norms and models"
    )
    parser.add_argument(
        "--allow-weak", action="store_true", help="train even when the models are weak (smoke runs)"
    )
    return parser.parse_args(argv)


def draw_sample(args, out):
    """The items used, per source folder, and the CSV manifest that lists them for the command line."""
    folders = source_folders(args)
    data = concat_datasets([load_dataset(f) for f in folders], sources=[f.name for f in folders])
    if args.per_class:
        data = sample_per_class(data, args.per_class, random_state=args.seed)
    manifest = out / "sample.csv"
    with open(manifest, "w", newline="", encoding="utf-8") as fh:
        rows = csv.writer(fh)
        rows.writerow(["path", "label", "group", "source"])
        for path, label, group, source in zip(data.paths, data.labels, data.groups, data.sources):
            rows.writerow([Path(os.path.relpath(path, out)).as_posix(), int(label), group, source])
    sources = np.asarray(data.sources)
    used = {f: data.subset(np.flatnonzero(sources == f.name)) for f in folders}
    return manifest, used, data


def step(name, argv):
    """Run ``facetruth ARGV`` in a child process; its wall time and its own peak memory."""
    print(f"[{name}] facetruth {' '.join(argv)}", flush=True)
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "facetruth", *argv])
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, child.args)
    seconds = round(time.perf_counter() - start, 1)
    return {"command": ["facetruth", *argv], "seconds": seconds, "peak_mib": round(usage.ru_maxrss / 1024)}


def card(path):
    with open(f"{path}.json", encoding="utf-8") as fh:
        return {key: value for key, value in json.load(fh).items() if key in CARD_KEYS}


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = str(args.cache or out / "cache")
    manifest, used, data = draw_sample(args, out)
    common = ["--data", str(manifest), "--cache", cache, "--device", args.device, "--seed", str(args.seed)]
    recipe = ["--last-blocks", str(args.last_blocks), "--epochs", str(args.epochs),
              "--batch-size", str(args.batch_size), "--pseudo-fakes", args.pseudo_fakes]  # fmt: skip
    if args.augment:
        recipe += ["--augment", args.augment]
    train = ["train", *common, "--classifier", "linear_probe", *(["--allow-weak"] if args.allow_weak else [])]
    norms, tuned, frozen = out / "norms.npz", out / "tuned_clip.joblib", out / "frozen_clip.joblib"
    steps = {
        "tune": step(
            "tune", ["tune", *common, *recipe, "--checkpoint", str(out / "tune.pt"), "--out", str(norms)]
        ),
        "train_tuned": step("train_tuned", [*train, "--clip-norms", str(norms), "--out", str(tuned)]),
        "train_frozen": step("train_frozen", [*train, "--out", str(frozen)]),
    }
    payload = {
        "what": "tuned CLIP LayerNorms + linear probe against the frozen probe, trained on the same items",
        "n_items": len(data),
        "counts": {str(k): int(v) for k, v in data.counts().items()},
        "recipe": {
            k: getattr(args, k)
            for k in (
                "per_class",
                "last_blocks",
                "epochs",
                "batch_size",
                "pseudo_fakes",
                "augment",
                "device",
                "seed",
            )
        },  # fmt: skip
        "steps": steps,
        "models": {"tuned": card(tuned), "frozen": card(frozen)},
        "note": "out-of-fold figures are in-domain; the tuned norms saw every item the probe's folds hold out",
    }
    path = save(out / "results.json", payload, module="tuned_detector", argv=argv, datasets=used,
                families={"clip": {"precision": "float32"}})  # fmt: skip
    for name in ("tuned", "frozen"):
        metrics = payload["models"][name]["validation_metrics"]
        print(f"{name}: out-of-fold AUC {metrics['auc']:.3f} on {metrics['n']} items")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
