"""``facetruth predict``: score images, folders or videos with a saved model."""

import csv
import io
import json
import os
import sys

import numpy as np

from .._atomic import atomic_write_text
from . import cmdoptions
from ._shared import EXIT_ITEM_FAILED, progress

HELP = "score images, folders or videos with a saved model"
EXAMPLES = """
facetruth predict model.joblib photo.jpg
facetruth predict model.joblib uploads/ clip.mp4 --json > results.jsonl
facetruth predict model.joblib uploads/ --out results.csv
"""


def add_arguments(parser):
    parser.add_argument("model", help="model file written by 'facetruth train'")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders or videos")
    cmdoptions.json_output(parser, help="one JSON object per input on stdout")
    parser.add_argument("--out", help="also write the results as CSV")
    parser.add_argument("--n-frames", type=int, default=8, help="frames sampled per video")
    cmdoptions.model_options(parser)
    parser.set_defaults(func=cmd_predict)


def _predict_rows(model, entries, *, n_jobs=None):
    """Rows of ``--json`` and ``--out`` for :func:`~facetruth.data.expand_inputs`'s entries.

    One row per entry, in order, then one summary row per video.
    """
    from ..pipelines import decision_threshold, predict_items

    predictions = predict_items(
        model,
        [entry.item for entry in entries],
        names=[entry.name for entry in entries],
        n_jobs=n_jobs,
        progress=progress(),
    )
    rows = [
        {
            "path": p.item,
            "prob_fake": p.prob_fake,
            "label": p.verdict,
            "threshold": p.threshold,
            "face_box": None if p.face_box is None else list(p.face_box),
            "error": p.error,
            "video": entry.video,
        }
        for p, entry in zip(predictions, entries)
    ]
    return rows + _video_summaries(rows, decision_threshold(model))


def _video_summaries(rows, threshold):
    """One row per video: the mean ``prob_fake`` of its scored frames."""
    from ..pipelines import verdict_for

    out = {}
    for row in rows:
        if row["video"] and row["prob_fake"] is not None:
            out.setdefault(row["video"], []).append(row["prob_fake"])
    summaries = []
    for video, probs in out.items():
        p = float(np.mean(probs))
        summaries.append(
            {
                "path": video,
                "prob_fake": p,
                "label": verdict_for(p, threshold),
                "threshold": threshold,
                "face_box": None,
                "error": None,
                "video": None,
                "frames": len(probs),
            }
        )
    return summaries


def _printable(path):
    """A path for the terminal: bytes that are not UTF-8 shown as ``\\xNN`` escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def cmd_predict(args):
    from ..data import expand_inputs
    from ..models import load

    model = load(args.model, trust=args.trust)
    entries = expand_inputs(args.inputs, n_frames=args.n_frames)
    rows = _predict_rows(model, entries, n_jobs=args.n_jobs)
    fields = ["path", "prob_fake", "label", "threshold", "face_box", "error"]
    for row in rows:
        if args.json:
            print(
                json.dumps(
                    {k: row[k] for k in fields} | ({"frames": row["frames"]} if "frames" in row else {})
                )
            )
        elif row["error"]:
            print(f"{_printable(row['path'])}\tERROR\t{row['error']}")
        else:
            print(f"{_printable(row['path'])}\t{row['label']}\tprob_fake={row['prob_fake']:.4f}")
    if args.out:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(args.out, buf.getvalue())
    failed = sum(1 for r in rows if r["error"])
    if failed:
        print(f"facetruth predict: {failed} of {len(rows)} inputs failed", file=sys.stderr)
    return EXIT_ITEM_FAILED if failed else 0
