"""Cross-dataset table: train on one data set, test on the other, both directions, every feature set.

Writes cross_dataset.json, cross_dataset.png (ROC-AUC bars) and
cross_dataset.md into --out.

Example::

    python -m experiments.cross_dataset --a ../shared/data/hardfake --b ../shared/data/ciplab \
        --cache /tmp/ft-cache --out runs/cross-dataset
"""

import argparse
import io
import logging
from pathlib import Path

import numpy as np

from experiments._common import limited, save
from facetruth.evaluation import DEFAULT_SETS, cross_dataset, resolve_sets
from facetruth.models import CLASSIFIERS
from facetruth.pipelines import build_detector, build_extras, build_features, build_loader
from facetruth.reports import markdown_table


def auc_bars_png(results):
    """Grouped bars: ROC-AUC per feature set, one bar per direction."""
    from matplotlib.figure import Figure

    directions = list(results)
    sets = list(results[directions[0]]["metrics"])
    fig = Figure(figsize=(7, 3.5), dpi=90, layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / len(directions)
    x = np.arange(len(sets))
    for k, d in enumerate(directions):
        ax.bar(x + k * width, [results[d]["metrics"][s]["auc"] for s in sets], width, label=d)
    ax.axhline(0.5, color="0.5", lw=0.8, ls="--")
    ax.set(xticks=x + width * (len(directions) - 1) / 2, xticklabels=sets, ylabel="ROC-AUC", ylim=(0, 1))
    ax.set_title("Cross-dataset ROC-AUC (train -> test)")
    ax.legend(fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def markdown(results):
    """One table: feature set x (direction, metric)."""
    directions = list(results)
    sets = list(results[directions[0]]["metrics"])
    header = ["feature set"]
    for d in directions:
        header += [f"{d} AUC", f"{d} bal. acc.", f"{d} EER", f"{d} (train OOF AUC)"]
    rows = []
    for s in sets:
        row = [(s, False)]
        for d in directions:
            m = results[d]["metrics"][s]
            row += [
                (f"{m['auc']:.3f}", False),
                (f"{m['balanced_accuracy']:.3f}", False),
                (f"{m['eer']:.3f}", False),
                (f"{m['train_oof_auc']:.3f}", False),
            ]
        rows.append(row)
    return "\n".join(
        ["# Cross-dataset evaluation", "", markdown_table(header, rows), "", "![AUC](cross_dataset.png)", ""]
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", required=True, help="first data set")
    parser.add_argument("--b", required=True, help="second data set")
    parser.add_argument("--sets", default=",".join(DEFAULT_SETS), help="comma list of feature sets")
    parser.add_argument("--face", default="auto", choices=["auto", "off", "dlib", "haar"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--cache", default=None, help="crop/feature cache folder")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--align", default="none", choices=["none", "eyes", "canonical"])
    parser.add_argument(
        "--pseudo-fakes", default=None, metavar="sbi[:RATIO]", help="add SBI fakes of the reals"
    )
    parser.add_argument("--augment", default=None, metavar="robust[:COPIES]", help="robust training copies")
    parser.add_argument(
        "--backbone", default=None, help="fine-tuned CNN backbone for the CNN families (cnn, parts, cnnstats)"
    )
    parser.add_argument("--classifier", default="xgboost", choices=CLASSIFIERS, help="base classifier")
    parser.add_argument(
        "--real-only", action="store_true", help="train on the real images of the training set only"
    )
    parser.add_argument("--one-way", action="store_true", help="only train on --a and test on --b")
    parser.add_argument("--limit", type=int, default=None, help="real and fake images kept per data set")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    sets = resolve_sets([s.strip() for s in args.sets.split(",") if s.strip()])
    data = {Path(p).name: limited(p, args.limit, seed=args.seed) for p in (args.a, args.b)}
    (na, a), (nb, b) = data.items()
    loader = build_loader(args.face, align=args.align, cache=args.cache, n_jobs=args.n_jobs)
    features = build_features(
        [family for fams in sets.values() for family in fams],
        cache=args.cache,
        device=args.device,
        n_jobs=args.n_jobs,
        backbone=args.backbone,
    )
    # one thread per fit, three calibration folds: the experiments' detector
    detector = build_detector(args.classifier, cv=3, device=args.device, n_jobs=1, random_state=args.seed)
    extras = build_extras(args.pseudo_fakes, args.augment, random_state=args.seed, n_jobs=args.n_jobs)
    directions = [(na, a, nb, b)] if args.one_way else [(na, a, nb, b), (nb, b, na, a)]
    results = {}
    for name_train, train, name_test, test in directions:
        if args.real_only:
            train = train.subset(np.asarray(train.labels) == 0)
            name_train += " (real only)"
        results[f"{name_train}->{name_test}"] = cross_dataset(
            train, test, loader, features, detector, sets, extras=extras
        )
    out = Path(args.out)
    used = {Path(p): d if args.limit else None for p, d in zip((args.a, args.b), data.values())}
    families = [family for fams in sets.values() for family in fams]
    save(
        out / "cross_dataset.json",
        results,
        module="cross_dataset",
        argv=argv,
        datasets=used,
        families=families,
    )
    (out / "cross_dataset.png").write_bytes(auc_bars_png(results))
    (out / "cross_dataset.md").write_text(markdown(results), encoding="utf-8")
    print(f"wrote {out / 'cross_dataset.json'}, {out / 'cross_dataset.png'}, {out / 'cross_dataset.md'}")


if __name__ == "__main__":
    main()
