"""Can a detector trained the README way say both "real" and "fake"? One model per shared source.

For each source, ``--per-class`` real and fake items are drawn (whole groups,
seeded; :func:`facetruth.data.sample_per_class`) and split into a training
part and a held-out quarter (stratified and group-disjoint;
:func:`facetruth.pipelines.holdout_split`). ``facetruth train`` fits a model
on the training part with its defaults, as the README's first training
command does, and the held-out quarter is scored with the model's own
verdicts (:func:`facetruth.evaluation.evaluate_model`). Written to ``--out``
as JSON, per source: the model card's threshold, cutoffs and out-of-fold
coverage of each side, and on the held-out items the ROC-AUC and, for each
verdict, how many of its class got it and how many of those calls were right.

Example::

    python -m experiments.verdict_sides --per-class 200 --cache /tmp/ft-cache \\
        --out runs/verdict_sides/results.json
"""

import argparse
import json
import tempfile
from pathlib import Path

from experiments._common import save
from facetruth import load
from facetruth.cli import main as facetruth_main
from facetruth.data import concat_datasets, load_dataset, sample_per_class
from facetruth.evaluation import evaluate_model
from facetruth.pipelines import holdout_split

REPO = Path(__file__).resolve().parent.parent
SOURCES = ("hardfake", "ciplab", "ffhq_sg1", "faceswap", "dfdc")


def _csv(dataset, path):
    rows = [f"{p},{y},{g}" for p, y, g in zip(dataset.paths, dataset.labels, dataset.groups)]
    Path(path).write_text("path,label,group\n" + "\n".join(rows) + "\n")
    return str(path)


def sample_of(folder, n, seed):
    """The ``n`` real and ``n`` fake items of ``folder`` that the model is trained and judged on."""
    return sample_per_class(
        concat_datasets([load_dataset(folder)], sources=[Path(folder).name]), n, random_state=seed
    )


def one_source(folder, n, seed, cache, work, allow_weak=False):
    """Train the README way on a sample of one source and score its held-out quarter."""
    name = Path(folder).name
    sample = sample_of(folder, n, seed)
    train, test = holdout_split(sample, 0.25, random_state=seed)
    model = Path(work) / f"{name}.joblib"
    command = [
        "train",
        "--data",
        _csv(train, Path(work) / f"{name}_train.csv"),
        "--out",
        str(model),
        "--no-progress",
    ]
    if cache:
        command += ["--cache", cache]
    if allow_weak:
        command += ["--allow-weak"]
    if facetruth_main(command) != 0:
        return {"error": "facetruth train failed"}
    card = json.loads(Path(f"{model}.json").read_text())
    fitted = load(model)
    metrics, _ = evaluate_model(fitted, test)
    detector = fitted[-1]
    return {
        "manifest_sha256": sample.manifest_hash(),
        "n_train": train.counts(),
        "n_test": test.counts(),
        "feature_families": sorted(card.get("feature_families", {})),
        "card": {k: card.get(k) for k in ("threshold", "confidence", "real_cutoff", "fake_cutoff")},
        "out_of_fold_sides": {"coverage": detector.side_coverage_, "precision": detector.side_precision_},
        "validation_auc": (card.get("validation_metrics") or {}).get("auc"),
        "held_out": {
            k: metrics.get(k) for k in ("auc", "coverage", "covered_accuracy", "sides", "inconclusive")
        },
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", nargs="+", type=Path, default=[REPO.parent / "shared" / "data" / s for s in SOURCES]
    )
    parser.add_argument("--per-class", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None)
    parser.add_argument("--allow-weak", action="store_true", help="keep a weak model (tiny smoke runs)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    results = {"sources": {}}
    with tempfile.TemporaryDirectory(prefix="facetruth-sides-") as work:
        for folder in args.data:
            results["sources"][folder.name] = entry = one_source(
                folder, args.per_class, args.seed, args.cache, work, allow_weak=args.allow_weak
            )
            if "error" in entry:
                print(f"{folder.name}: {entry['error']}", flush=True)
                continue
            held = entry.get("held_out", {})
            sides = held.get("sides") or {}
            print(
                f"{folder.name}: cutoffs real <= {entry['card']['real_cutoff']}, fake >= {entry['card']['fake_cutoff']}; "
                f"held-out AUC {held.get('auc')}; fakes called fake {sides.get('fake')}, reals called real {sides.get('real')}",
                flush=True,
            )
    results["meta"] = {"per_class": args.per_class, "seed": args.seed}
    used = {folder: sample_of(folder, args.per_class, args.seed) for folder in args.data}
    save(args.out, results, module="verdict_sides", argv=argv, datasets=used, families=["clip"])


if __name__ == "__main__":
    main()
