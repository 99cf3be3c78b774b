"""How often the ``out_of_distribution`` verdict fires, in a detector's own source and in others.

For each data set, a detector (``--features``, ``--classifier``, default face
crops) is trained on 80 % of it (:func:`facetruth.pipelines.holdout_split`,
stratified, ``--seed``) and scores its held-out 20 % and the whole of every
other set with :func:`facetruth.predict_items`. For each pair it reports the
share of images whose reason is ``out_of_distribution`` and the accuracy of
the decision ``prob_fake > threshold`` where the rule fires and where it does
not (is the rule withholding wrong verdicts, or right ones?).

Prints a Markdown table and writes everything to ``--out`` as JSON.

Example::

    python -m experiments.ood_rate --data ../shared/data --cache /tmp/ft-cache \\
        --out runs/ood_rate/results.json
"""

import argparse
import logging
from pathlib import Path

import numpy as np

from experiments._common import limited, save
from facetruth import predict_items
from facetruth.pipelines import build_pipeline, holdout_split, train_detector
from facetruth.reports import markdown_table

SOURCES = ("hardfake", "ciplab", "ffhq_sg1", "faceswap")
OOD = "out_of_distribution"


def firing(rows, labels):
    """Share of rows where the rule fires, and the decision's accuracy where it does and does not.

    Examples
    --------
    >>> from types import SimpleNamespace as Row
    >>> rows = [Row(reason=OOD, prob_fake=0.9, threshold=0.5), Row(reason=None, prob_fake=0.2, threshold=0.5)]
    >>> firing(rows, [1, 1])
    {'n': 2, 'rate': 0.5, 'accuracy_fired': 1.0, 'accuracy_not_fired': 0.0}
    """
    scored = [(r, y) for r, y in zip(rows, labels) if r.prob_fake is not None]
    fired = np.array([r.reason == OOD for r, _ in scored])
    right = np.array([(r.prob_fake > r.threshold) == bool(y) for r, y in scored])

    def accuracy(mask):
        return float(np.mean(right[mask])) if mask.any() else None

    return {
        "n": len(scored),
        "rate": float(np.mean(fired)) if len(scored) else None,
        "accuracy_fired": accuracy(fired),
        "accuracy_not_fired": accuracy(~fired),
    }


def _cell(result):
    acc = [
        ("-" if a is None else f"{a:.2f}") for a in (result["accuracy_fired"], result["accuracy_not_fired"])
    ]
    return f"{100 * result['rate']:.1f} % ({acc[0]} / {acc[1]})"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data", help="folder holding the data sets")
    parser.add_argument("--sources", default=",".join(SOURCES), help="comma list of data sets")
    parser.add_argument("--features", default="handcrafted")
    parser.add_argument("--classifier", default="logistic")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None, help="crop and feature cache folder")
    parser.add_argument("--limit", type=int, default=None, help="real and fake images kept per data set")
    parser.add_argument("--out", default="results.json", help="JSON file to write")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    sets = {name: limited(Path(args.data) / name, args.limit, seed=args.seed) for name in sources}
    results = {}
    for name in sources:
        train, held_out = holdout_split(sets[name], 0.2, random_state=args.seed)
        pipeline = build_pipeline(args.features, args.classifier, cache=args.cache, random_state=args.seed)
        model = train_detector(pipeline, train).pipeline
        targets = {"held-out part": held_out, **{n: sets[n] for n in sources if n != name}}
        results[name] = {
            target: firing(predict_items(model, data.paths), data.labels) for target, data in targets.items()
        }
        print(name, {t: _cell(r) for t, r in results[name].items()}, flush=True)
    header = ["trained on", "held-out part", *sources]
    rows = [
        [(name, False)] + [(_cell(results[name][t]) if t in results[name] else "", False) for t in header[1:]]
        for name in sources
    ]
    table = markdown_table(header, rows)
    print(table)
    payload = {
        "features": args.features,
        "classifier": args.classifier,
        "seed": args.seed,
        "results": results,
        "markdown": table,
    }
    used = {Path(args.data) / name: sets[name] if args.limit else None for name in sources}
    save(args.out, payload, module="ood_rate", argv=argv, datasets=used, families=[args.features])


if __name__ == "__main__":
    main()
