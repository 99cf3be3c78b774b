"""``facetruth evaluate``: measure a saved model on a labelled dataset."""

import json
import sys

from . import cmdoptions
from ._shared import load_data, load_model, progress

HELP = "measure a saved model on a labelled dataset"
EXAMPLES = """
facetruth evaluate model.joblib --data ../shared/data/ciplab
facetruth evaluate model.joblib --data test.csv --json
facetruth evaluate model.joblib --data ../shared/data/ciplab --band 0
facetruth evaluate model.joblib --data ../shared/data/ciplab ../shared/data/faceswap
facetruth evaluate model.joblib --data FOLDER_OF_REAL_PHOTOS
"""


def add_arguments(parser):
    parser.add_argument(
        "model",
        help="model file (.joblib) written by 'facetruth train'; its model card (.joblib.json) must lie "
        "beside it unless --trust",
    )
    cmdoptions.data(parser)
    cmdoptions.json_output(parser, help="print the metrics as one JSON object")
    cmdoptions.band(parser)
    cmdoptions.model_options(parser)
    cmdoptions.progress(parser)
    parser.set_defaults(func=cmd_evaluate)


def evaluate_model(model, dataset, *, band=None, n_jobs=None, args=None):
    """:func:`facetruth.evaluation.evaluate_model` with the progress bars of ``args`` (``--progress``)."""
    from ..evaluation import evaluate_model as evaluate

    return evaluate(model, dataset, band=band, n_jobs=n_jobs, progress=progress(args))


def cmd_evaluate(args):
    model = load_model(args)
    dataset = load_data(args.data, one_class=True)  # a folder of one class: how many are called fake
    metrics, predictions = evaluate_model(model, dataset, band=args.band, n_jobs=args.n_jobs, args=args)
    for p in predictions:
        if p.failed:
            print(f"skipped: {p.error}", file=sys.stderr)
    if args.json:
        print(json.dumps(metrics))
        return 0
    hidden = ("histogram", "flag_rate_by_source", "note", "confusion", "sides")
    shown = {k: v for k, v in metrics.items() if k not in hidden}
    for key, value in shown.items():
        print(f"{key:>18}: {value:.4f}" if isinstance(value, float) else f"{key:>18}: {value}")
    if metrics.get("sides"):
        print(sides_text(metrics["sides"]))
    if metrics.get("confusion") is not None:
        print(confusion_text(metrics["confusion"]))
    print(histogram_text(metrics["histogram"], metrics["threshold"]))
    by_source = metrics.get("flag_rate_by_source")
    if by_source:
        print("flag rate per source (all / fakes / reals):")
        for source, rates in by_source.items():
            cells = [_rate(rates[k]) for k in ("flag_rate", "flag_rate_fake", "flag_rate_real")]
            print(f"  {source}: {' / '.join(cells)} of {rates['n']}")
    if metrics.get("note"):
        print(f"note: {metrics['note']}")
    return 0


def _rate(value):
    return "–" if value is None else f"{value:.3f}"


def sides_text(sides):
    """Per verdict, fake and real: how many items got it, the share of their class, the share right.

    Examples
    --------
    >>> sides = {"fake": {"n": 30, "coverage": 0.6, "precision": 0.9667},
    ...          "real": {"n": 0, "coverage": 0.0, "precision": None}}
    >>> print(sides_text(sides))
    verdicts per side (coverage: share of the class given the verdict; precision: share right):
      fake:   30 items, coverage 0.600, precision 0.967
      real:    0 items, coverage 0.000, precision –
    """
    lines = ["verdicts per side (coverage: share of the class given the verdict; precision: share right):"]
    for side in ("fake", "real"):
        entry = sides[side]
        lines.append(
            f"  {side}: {entry['n']:>4} items, coverage {_rate(entry['coverage'])}, "
            f"precision {_rate(entry['precision'])}"
        )
    return "\n".join(lines)


def confusion_text(confusion):
    """The 2x2 confusion matrix ``[[tn, fp], [fn, tp]]`` as a labelled table.

    Rows are the true classes, columns the predicted ones (at the threshold).

    Examples
    --------
    >>> print(confusion_text([[40, 10], [4, 46]]))
    confusion matrix (rows: true class, columns: predicted class):
                  predicted real  predicted fake
      true real               40              10
      true fake                4              46
    """
    (tn, fp), (fn, tp) = confusion
    lines = [
        "confusion matrix (rows: true class, columns: predicted class):",
        f"{'':>13}{'predicted real':>15}{'predicted fake':>16}",
        f"{'true real':>11}{tn:>17}{fp:>16}",
        f"{'true fake':>11}{fn:>17}{tp:>16}",
    ]
    return "\n".join(lines)


def histogram_text(histogram, threshold, width=40):
    """A text histogram of prob_fake: one line per bin, a bar of ``#`` scaled to the fullest bin.

    Examples
    --------
    >>> print(histogram_text({"edges": [0, 0.5, 1], "counts": [3, 1]}, 0.5, width=6))
    prob_fake histogram (threshold 0.500):
      0.0-0.5 |######  3
      0.5-1.0 |##      1
    """
    counts, edges = histogram["counts"], histogram["edges"]
    top = max(max(counts), 1)
    lines = [f"prob_fake histogram (threshold {threshold:.3f}):"]
    for lo, hi, n in zip(edges[:-1], edges[1:], counts):
        bar = "#" * round(width * n / top)
        lines.append(f"  {lo:.1f}-{hi:.1f} |{bar:<{width}}  {n}")
    return "\n".join(lines)
