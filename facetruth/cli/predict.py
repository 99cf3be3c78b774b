"""``facetruth predict``: score images, folders or videos with a saved model."""

import csv
import io
import json
import os
import sys
from pathlib import Path

import numpy as np

from .._atomic import atomic_write_text
from ..exceptions import ImageDecodeError
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


def expand_inputs(inputs, *, n_frames=8):
    """Turn files, folders and videos into loader items with display names.

    Parameters
    ----------
    inputs : sequence of str or os.PathLike
        Image files, folders (searched recursively) and videos.
    n_frames : int, default=8
        Frames sampled per video.

    Returns
    -------
    entries : list of (str, object, str or None)
        Display name, loader item (path or frame array), and the video it
        belongs to (``None`` for still images). Unreadable videos appear as
        entries whose item is an :class:`ImageDecodeError`.

    Examples
    --------
    >>> expand_inputs(["photo.jpg"])
    [('photo.jpg', 'photo.jpg', None)]
    """
    from ..data import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, read_video_frames

    entries = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            files = [p for p in files if p.suffix.lower() in IMAGE_EXTENSIONS | VIDEO_EXTENSIONS]
            if not files:
                entries.append(
                    (str(path), ImageDecodeError(f"{path}: folder holds no images or videos"), None)
                )
        else:
            files = [path]
        for f in files:
            if f.suffix.lower() in VIDEO_EXTENSIONS:
                try:
                    frames, indices = read_video_frames(f, n_frames=n_frames)
                except ImageDecodeError as exc:
                    entries.append((str(f), exc, None))
                    continue
                entries.extend((f"{f}#frame={i}", frame, str(f)) for frame, i in zip(frames, indices))
            else:
                entries.append((str(f), str(f), None))
    return entries


def _predict_rows(model, entries):
    from ..pipelines import predict_items

    threshold = float(model.named_steps["classifier"].threshold_)
    good = [i for i, e in enumerate(entries) if not isinstance(e[1], Exception)]
    prob, loaded = (
        predict_items(model, [entries[i][1] for i in good], progress=progress())
        if good
        else (np.array([]), None)
    )
    rows = []
    by_pos = {g: k for k, g in enumerate(good)}
    for pos, (name, item, video) in enumerate(entries):
        row = {
            "path": name,
            "prob_fake": None,
            "label": None,
            "threshold": threshold,
            "face_box": None,
            "error": None,
        }
        if isinstance(item, Exception):
            row["error"] = str(item)
        else:
            k = by_pos[pos]
            info = loaded.infos[k]
            if "error" in info:
                row["error"] = info["error"]
            else:
                p = float(prob[k])
                row.update(prob_fake=p, label="fake" if p >= threshold else "real", face_box=info.get("box"))
        row["video"] = video
        rows.append(row)
    return rows + _video_summaries(rows, threshold)


def _video_summaries(rows, threshold):
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
                "label": "fake" if p >= threshold else "real",
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
    from ..models import load

    model = load(args.model, trust=args.trust)
    entries = expand_inputs(args.inputs, n_frames=args.n_frames)
    rows = _predict_rows(model, entries)
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
