"""Leave one source out with the training sources weighted equally: does balancing them help?

The training sources of a leave-one-source-out split differ in size (591 to
2,200 images), so an unweighted probe learns mostly from the largest. This
script fits the same linear probe on CLIP features (the embedding alone, and
with the CLS tokens of all twelve blocks, each part scaled to unit length as
in ``clip_blocks.py``) three ways, fixed in advance:

``none``
    every image weighs the same (what ``facetruth train`` does);
``source``
    each training source weighs the same in total;
``source+class``
    each (source, class) cell weighs the same in total.

The probe is scikit-learn's: row scaling, standardising, and
``LogisticRegressionCV`` (C from 1e-4 to 100, inner 3-fold ROC-AUC), which
routes ``sample_weight`` to the fit; unweighted, it gives the same held-out
AUCs as FaceTruth's ``linear_probe``. Seed 0, ROC-AUC on the held-out source.

Example::

    python -m experiments.source_weights --data ../shared/data --cache /tmp/ft-cache \\
        --out runs/source_weights/results.json
"""

import argparse
import warnings

import numpy as np

from experiments._common import N_BLOCKS, clip_features, command, common_arguments, select, start, used_items
from facetruth.evaluation import run_record, write_results

WEIGHTINGS = ("none", "source", "source+class")


def balanced_weights(groups):
    """Sample weights that give each group the same total weight, averaging 1.

    Examples
    --------
    >>> balanced_weights(np.array([0, 0, 0, 1])).tolist()
    [0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 2.0]
    """
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    return len(groups) / (len(counts) * counts[inverse])


def probe(seed):
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import Normalizer, StandardScaler

    search = LogisticRegressionCV(Cs=np.logspace(-4, 2, 7), cv=3, scoring="roc_auc", max_iter=2000)
    return make_pipeline(Normalizer(), StandardScaler(), search.set_params(random_state=seed))


def main(argv=None):
    parser = common_arguments(argparse.ArgumentParser(description=__doc__.split("\n\n")[0]))
    args, data = start(parser, argv, clip_features)
    record = run_record(used_items(args), ["clip"], command("source_weights", argv))
    warnings.filterwarnings("ignore", category=FutureWarning)
    from sklearn.metrics import roc_auc_score

    sources = list(data)
    results = {}
    for part, blocks in (("embedding", ()), ("embedding+blocks", tuple(range(N_BLOCKS)))):
        Z = {s: (select(X, True, blocks), y) for s, (X, y) in data.items()}
        for weighting in WEIGHTINGS:
            aucs = {}
            for held in sources:
                train = [s for s in sources if s != held]
                X = np.vstack([Z[s][0] for s in train])
                y = np.concatenate([Z[s][1] for s in train])
                source = np.concatenate([[i] * len(Z[s][1]) for i, s in enumerate(train)])
                groups = {"none": np.zeros_like(y), "source": source, "source+class": source * 2 + y}
                model = probe(args.seed).fit(
                    X, y, logisticregressioncv__sample_weight=balanced_weights(groups[weighting])
                )
                aucs[held] = float(roc_auc_score(Z[held][1], model.predict_proba(Z[held][0])[:, 1]))
            aucs["mean"] = float(np.mean([aucs[s] for s in sources]))
            results[f"{part} / {weighting}"] = aucs
            print(part, weighting, {k: round(v, 3) for k, v in aucs.items()}, flush=True)
            write_results(args.out, {"seed": args.seed, "loso": results}, record)


if __name__ == "__main__":
    main()
