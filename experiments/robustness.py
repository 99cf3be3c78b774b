"""Robustness curves: ROC-AUC of trained detectors as the test crops are degraded.

Trains one detector per feature set on the clean crops of four of five
grouped folds, then re-scores the fifth fold under JPEG re-compression
(quality 95 -> 30), resizing (x0.5 -> x1.5), Gaussian blur (sigma 0 -> 2) and
Gaussian noise (sigma 0 -> 10). Writes robustness.json, robustness.png and
robustness.md into --out; ``facetruth report RUN_DIR`` picks up a
robustness.json lying in the run folder.

Example::

    python -m experiments.robustness --data ../shared/data/hardfake \
        --sets handcrafted,cnn,all --cache /tmp/ft-cache --out runs/robustness-hardfake
"""

import argparse
import logging
from pathlib import Path

from experiments._common import limited, save
from facetruth.evaluation import resolve_sets, run_robustness
from facetruth.pipelines import build_detector, build_extras, build_features, build_loader
from facetruth.reports import markdown_table, robustness_png, robustness_tables


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="dataset folder or CSV manifest")
    parser.add_argument("--sets", default="handcrafted,cnn,all", help="comma list of feature sets")
    parser.add_argument("--face", default="auto", choices=["auto", "off", "dlib", "haar"])
    parser.add_argument("--folds", type=int, default=5, help="the test part is one fold of this many")
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
    parser.add_argument("--limit", type=int, default=None, help="real and fake images kept")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    sets = resolve_sets([s.strip() for s in args.sets.split(",") if s.strip()])
    families = [family for fams in sets.values() for family in fams]
    dataset = limited(args.data, args.limit, seed=args.seed)
    result = run_robustness(
        dataset,
        build_loader(args.face, align=args.align, cache=args.cache, n_jobs=args.n_jobs),
        build_features(families, cache=args.cache, device=args.device, n_jobs=args.n_jobs),
        build_detector(cv=3, device=args.device, n_jobs=1, random_state=args.seed),
        sets,
        n_splits=args.folds,
        extras=build_extras(args.pseudo_fakes, args.augment, random_state=args.seed, n_jobs=args.n_jobs),
        random_state=args.seed,
    )
    out = Path(args.out)
    used = {Path(args.data): dataset if args.limit else None}
    save(out / "robustness.json", result, module="robustness", argv=argv, datasets=used, families=families)
    (out / "robustness.png").write_bytes(robustness_png(result))
    lines = [f"# Robustness on {Path(args.data).name}", "", result["meta"]["protocol"] + "."]
    for title, header, rows in robustness_tables(result):
        lines += ["", f"## {title}", "", markdown_table(header, rows)]
    lines += ["", "![robustness curves](robustness.png)", ""]
    (out / "robustness.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {out / 'robustness.json'}, {out / 'robustness.png'}, {out / 'robustness.md'}")


if __name__ == "__main__":
    main()
