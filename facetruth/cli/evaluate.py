"""``facetruth evaluate``: measure a saved model on a labelled dataset."""

import json

import numpy as np

from . import cmdoptions
from ._shared import progress

HELP = "measure a saved model on a labelled dataset"
EXAMPLES = """
facetruth evaluate model.joblib --data ../shared/data/ciplab
facetruth evaluate model.joblib --data test.csv --json
"""


def add_arguments(parser):
    parser.add_argument("model", help="model file written by 'facetruth train'")
    cmdoptions.data(parser)
    cmdoptions.json_output(parser, help="print the metrics as one JSON object")
    cmdoptions.model_options(parser)
    parser.set_defaults(func=cmd_evaluate)


def evaluate_model(model, dataset):
    """Metrics of a loaded model on a dataset at its stored threshold (failed items are left out).

    Parameters
    ----------
    model : Pipeline
        A fitted FaceTruth pipeline (its last step has ``threshold_``).
    dataset : Dataset
        Labelled items (1 = fake, 0 = real).

    Returns
    -------
    metrics : dict
        :func:`facetruth.metrics.detection_metrics` of the items that loaded,
        plus ``n_failed``.
    prob : ndarray of shape (n_items,)
        ``prob_fake`` per item (NaN where loading failed).
    """
    from ..evaluation import detection_metrics
    from ..pipelines import dataset_items, predict_items

    prob, loaded = predict_items(model, dataset_items(dataset), progress=progress())
    threshold = float(model.named_steps["classifier"].threshold_)
    ok = loaded.ok
    metrics = detection_metrics(np.asarray(dataset.labels)[ok], prob[ok], threshold)
    metrics["n_failed"] = len(loaded.errors)
    return metrics, prob


def cmd_evaluate(args):
    from ..data import load_dataset
    from ..models import load

    model = load(args.model, trust=args.trust)
    dataset = load_dataset(args.data)
    metrics, _ = evaluate_model(model, dataset)
    if args.json:
        print(json.dumps(metrics))
    else:
        for key, value in metrics.items():
            print(f"{key:>18}: {value:.4f}" if isinstance(value, float) else f"{key:>18}: {value}")
    return 0
