"""``facetruth predict``: score images, folders or videos with a saved model."""

import csv
import io
import json
import os
import sys

import numpy as np

from .._atomic import atomic_write_text
from . import cmdoptions
from ._shared import EXIT_ITEM_FAILED, check_output_path, load_model, progress

HELP = "score images, folders or videos with a saved model"
EXAMPLES = """
facetruth predict model.joblib photo.jpg
facetruth predict model.joblib uploads/ clip.mp4 --json > results.jsonl
facetruth predict model.joblib uploads/ --out results.csv
facetruth predict model.joblib photo.jpg --band 0   # the uncertainty band off
"""


#: the fields of every row of ``--json`` and ``--out``, in order
FIELDS = ("path", "prob_fake", "verdict", "reason", "message", "threshold", "face_found", "face_box", "error")


def add_arguments(parser):
    parser.add_argument("model", help="model file written by 'facetruth train'")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders or videos")
    cmdoptions.json_output(parser, help="one JSON object per input on stdout")
    parser.add_argument(
        "--out", help="also write the results as CSV to this file (checked before any scoring)"
    )
    parser.add_argument("--n-frames", type=int, default=8, help="frames sampled per video")
    cmdoptions.band(parser)
    cmdoptions.model_options(parser)
    cmdoptions.progress(parser)
    parser.set_defaults(func=cmd_predict)


def _predict_rows(model, entries, *, band=None, n_jobs=None, progress=False):
    """Rows of ``--json`` and ``--out`` for :func:`~facetruth.data.expand_inputs`'s entries.

    One row per entry, in order, then one summary row per video.
    """
    from ..pipelines import predict_items, split_pipeline, verdict_rules

    predictions = predict_items(
        model,
        [entry.item for entry in entries],
        names=[entry.name for entry in entries],
        band=band,
        n_jobs=n_jobs,
        progress=progress,
    )
    rows = []
    for p, entry in zip(predictions, entries):
        row = p.as_dict()
        rows.append({"path": row.pop("item"), **{k: row[k] for k in FIELDS[1:]}, "video": entry.video})
    loader, _, detector = split_pipeline(model)
    return rows + _video_summaries(rows, verdict_rules(loader, detector, band=band))


def _video_summaries(rows, rules):
    """One row per video: the mean ``prob_fake`` of its frames that got a verdict.

    A video whose frames were all inconclusive is inconclusive too, for the
    reason most of its frames had; a mean between the cutoffs for real and
    fake (or within the band) is inconclusive as ``uncertain``.
    """
    from collections import Counter

    from ..pipelines import UNCERTAIN

    frames = {}
    for row in rows:
        if row["video"] and row["prob_fake"] is not None:
            frames.setdefault(row["video"], []).append(row)
    summaries = []
    for video, scored in frames.items():
        judged = [r for r in scored if r["reason"] in (None, UNCERTAIN)]
        p = float(np.mean([r["prob_fake"] for r in judged or scored]))
        if judged:
            verdict, reason, message = rules.judge(p, {"face_found": True})
            message = f"{len(judged)} of {len(scored)} frames judged, on their mean: {message}"
        else:
            reason = Counter(r["reason"] for r in scored).most_common(1)[0][0]
            verdict, message = "inconclusive", f"none of its {len(scored)} frames got a verdict ({reason})"
        summaries.append(
            {
                "path": video,
                "prob_fake": p,
                "verdict": verdict,
                "reason": reason,
                "message": message,
                "threshold": rules.threshold,
                "face_found": None,
                "face_box": None,
                "error": None,
                "video": None,
                "frames": len(scored),
            }
        )
    return summaries


def _printable(path):
    """A path for the terminal: bytes that are not UTF-8 shown as ``\\xNN`` escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _text_line(row):
    """One line of the plain-text output: path, verdict, probability, and why when inconclusive."""
    path = _printable(row["path"])
    if row["error"]:
        return f"{path}\tERROR\t{row['error']}"
    line = f"{path}\t{row['verdict']}\tprob_fake={row['prob_fake']:.4f}"
    if row["verdict"] == "inconclusive":
        line += f"\t{row['reason']}: {row['message']}"
    return line


def cmd_predict(args):
    from ..data import expand_inputs

    if args.out:
        check_output_path(args.out, example="results.csv")
    model = load_model(args)
    entries = expand_inputs(args.inputs, n_frames=args.n_frames)
    rows = _predict_rows(model, entries, band=args.band, n_jobs=args.n_jobs, progress=progress(args))
    for row in rows:
        if args.json:
            extra = {"frames": row["frames"]} if "frames" in row else {}
            print(json.dumps({k: row[k] for k in FIELDS} | extra))
        else:
            print(_text_line(row))
    if args.out:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=FIELDS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(args.out, buf.getvalue())
    failed = sum(1 for r in rows if r["error"])
    inconclusive = sum(1 for r in rows if r["verdict"] == "inconclusive")
    if inconclusive:
        print(f"facetruth predict: {inconclusive} of {len(rows)} inputs inconclusive", file=sys.stderr)
    if failed:
        print(f"facetruth predict: {failed} of {len(rows)} inputs failed", file=sys.stderr)
    return EXIT_ITEM_FAILED if failed else 0
