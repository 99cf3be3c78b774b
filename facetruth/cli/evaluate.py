"""``facetruth evaluate``: measure a saved model on a labelled dataset."""

import json

from . import cmdoptions
from ._shared import progress

HELP = "measure a saved model on a labelled dataset"
EXAMPLES = """
facetruth evaluate model.joblib --data ../shared/data/ciplab
facetruth evaluate model.joblib --data test.csv --json
facetruth evaluate model.joblib --data ../shared/data/ciplab --band 0
"""


def add_arguments(parser):
    parser.add_argument("model", help="model file written by 'facetruth train'")
    cmdoptions.data(parser)
    cmdoptions.json_output(parser, help="print the metrics as one JSON object")
    cmdoptions.band(parser)
    cmdoptions.model_options(parser)
    parser.set_defaults(func=cmd_evaluate)


def evaluate_model(model, dataset, *, band=None, n_jobs=None):
    """:func:`facetruth.evaluation.evaluate_model` with the command line's progress bars."""
    from ..evaluation import evaluate_model as evaluate

    return evaluate(model, dataset, band=band, n_jobs=n_jobs, progress=progress())


def cmd_evaluate(args):
    from ..data import load_dataset
    from ..models import load

    model = load(args.model, trust=args.trust)
    dataset = load_dataset(args.data)
    metrics, _ = evaluate_model(model, dataset, band=args.band, n_jobs=args.n_jobs)
    if args.json:
        print(json.dumps(metrics))
    else:
        for key, value in metrics.items():
            print(f"{key:>18}: {value:.4f}" if isinstance(value, float) else f"{key:>18}: {value}")
    return 0
