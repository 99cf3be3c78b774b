"""``facetruth evaluate``: measure a saved model on a labelled dataset."""

import json
import sys

from . import cmdoptions
from ._shared import data_paths, load_data, load_model, progress

HELP = "measure a saved model on a labelled dataset"
EXAMPLES = """
facetruth evaluate model.joblib ../shared/data/ciplab
facetruth evaluate model.joblib test.csv --json
facetruth evaluate model.joblib ../shared/data/ciplab --band 0
facetruth evaluate model.joblib ../shared/data/ciplab ../shared/data/faceswap
facetruth evaluate model.joblib FOLDER_OF_REAL_PHOTOS --label real
facetruth evaluate model.joblib --data test.csv   # --data names the data too
"""

#: what the text output prints for a metric that is undefined on the data (``null`` in JSON)
UNDEFINED = "n/a"


def add_arguments(parser):
    parser.add_argument(
        "model",
        help="model file (.joblib) written by 'facetruth train'; its model card (.joblib.json) must lie "
        "beside it unless --trust",
    )
    cmdoptions.data_paths(parser)
    parser.add_argument(
        "--label",
        choices=("real", "fake"),
        default=None,
        help="read each DATA as a folder of one class, every image below it of this class (no real/ or "
        "fake/ folder needed); one class gives limited metrics: the share called fake and where the "
        "scores fall, no AUC",
    )
    cmdoptions.json_output(parser, help="print the metrics as one JSON object (undefined metrics are null)")
    cmdoptions.band(parser)
    cmdoptions.model_options(parser)
    cmdoptions.progress(parser)
    parser.set_defaults(func=cmd_evaluate)


def evaluate_model(model, dataset, *, band=None, n_jobs=None, args=None):
    """:func:`facetruth.evaluation.evaluate_model` with the progress bars of ``args`` (``--progress``)."""
    from ..evaluation import evaluate_model as evaluate

    return evaluate(model, dataset, band=band, n_jobs=n_jobs, progress=progress(args))


def _load(paths, label):
    """The data set to measure on: one class is enough (how many are called fake)."""
    from ..exceptions import DatasetLayoutError

    try:
        return load_data(paths, one_class=True, label=label)
    except DatasetLayoutError as exc:
        if not exc.needs_label:
            raise
        text = str(exc).rstrip(".")
        raise DatasetLayoutError(f"{text}: add --label real or --label fake.") from None


def cmd_evaluate(args):
    paths = data_paths(args, "facetruth evaluate MODEL DATA")
    model = load_model(args)
    dataset = _load(paths, args.label)
    metrics, predictions = evaluate_model(model, dataset, band=args.band, n_jobs=args.n_jobs, args=args)
    for p in predictions:
        if p.failed:
            print(f"skipped: {p.error}", file=sys.stderr)
    if args.json:
        print(json.dumps(metrics))
        return 0
    if metrics.get("note"):  # first, so that nobody reads the figures below without it
        print(f"note: {metrics['note']}")
    hidden = ("histogram", "flag_rate_by_source", "note", "confusion", "sides", "one_class")
    shown = {k: v for k, v in metrics.items() if k not in hidden}
    for key, value in shown.items():
        print(f"{key:>18}: {value_text(value)}")
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
    return 0


def value_text(value, digits=4):
    """A metric as the text output shows it: a float to ``digits`` places, :data:`UNDEFINED` for ``None``.

    Examples
    --------
    >>> value_text(0.91234), value_text(None), value_text(48), value_text({"uncertain": 2})
    ('0.9123', 'n/a', '48', "{'uncertain': 2}")
    """
    if value is None:
        return UNDEFINED
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _rate(value):
    return value_text(value, 3)


def sides_text(sides):
    """Per verdict, fake and real: how many items got it, the share of their class, the share right.

    Examples
    --------
    >>> sides = {"fake": {"n": 30, "coverage": 0.6, "precision": 0.9667},
    ...          "real": {"n": 0, "coverage": 0.0, "precision": None}}
    >>> print(sides_text(sides))
    verdicts per side (coverage: share of the class given the verdict; precision: share right):
      fake:   30 items, coverage 0.600, precision 0.967
      real:    0 items, coverage 0.000, precision n/a
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
