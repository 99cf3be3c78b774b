"""``facetruth audit``: can a data set's labels be told from nuisance properties alone?"""

import json

from . import cmdoptions
from ._shared import cache_dir, data_paths, load_data, progress

HELP = "shortcut audit: how well file, encoding and face-framing properties alone predict the labels"
EXAMPLES = """
facetruth audit ../shared/data/hardfake
facetruth audit ../shared/data/hardfake ../shared/data/faceswap --json
facetruth audit --data faces.csv --face off
facetruth audit ../shared/data/ciplab --cache /tmp/ft-cache
"""


def add_arguments(parser):
    cmdoptions.data_paths(parser)
    cmdoptions.json_output(parser, help="print the audit as one JSON object")
    cmdoptions.face(
        parser, help="face detector for the face size and crop geometry (off: file properties only)"
    )
    cmdoptions.image_size(parser)
    parser.add_argument("--folds", type=int, default=5, help="folds of the cross-validated AUC")
    cmdoptions.seed(parser)
    cmdoptions.n_jobs(parser, default=None, help="processes that find the faces (default: one)")
    cmdoptions.cache(parser)
    cmdoptions.progress(parser)
    parser.set_defaults(func=cmd_audit)


def cmd_audit(args):
    from ..evaluation import audit_dataset
    from ..pipelines import build_loader

    dataset = load_data(data_paths(args))
    loader = None
    if args.face != "off":
        loader = build_loader(args.face, args.image_size, cache=cache_dir(args), n_jobs=args.n_jobs)
    result = audit_dataset(
        dataset, loader=loader, cv=args.folds, random_state=args.seed, progress=progress(args)
    )
    if args.json:
        print(json.dumps(result.as_dict()))
        return 0
    print(audit_text(result.as_dict()))
    return 0


def audit_text(audit):
    """The plain-text audit: the AUC, the verdict with its advice, the top features and each source.

    Examples
    --------
    >>> audit = {"nuisance_auc": 0.93, "warning": True, "advice": "Re-crop both classes.",
    ...          "model_aucs": {"logistic": 0.9, "gradient_boosting": 0.93}, "counts": {"real": 5, "fake": 6},
    ...          "top_features": [{"name": "face_side_share", "auc": 0.12, "importance": 0.2}],
    ...          "per_source": [], "errors": []}
    >>> print(audit_text(audit))
    nuisance AUC: 0.930 (logistic 0.900, gradient_boosting 0.930) on 5 real and 6 fake items
    WARNING: Re-crop both classes.
    most telling properties (AUC on its own; below 0.5: higher values go with reals):
      face_side_share       0.120  importance 0.200
    """
    models = ", ".join(f"{name} {auc:.3f}" for name, auc in audit["model_aucs"].items())
    counts = audit["counts"]
    lines = [
        f"nuisance AUC: {audit['nuisance_auc']:.3f} ({models}) on {counts['real']} real and "
        f"{counts['fake']} fake items",
        ("WARNING: " if audit["warning"] else "") + audit["advice"],
        "most telling properties (AUC on its own; below 0.5: higher values go with reals):",
    ]
    lines += [
        f"  {f['name']:<20} {f['auc']:6.3f}  importance {f['importance']:.3f}" for f in audit["top_features"]
    ]
    if audit.get("per_source"):
        lines.append("per source:")
        for row in audit["per_source"]:
            auc = "n/a" if row["auc"] is None else f"{row['auc']:.3f}"
            flag = "  WARNING" if row["warning"] else ""
            lines.append(
                f"  {row['source']}: AUC {auc} against {row['compared_with']}, top {row['top_feature']}{flag}"
            )
    if audit.get("errors"):
        lines.append(f"{len(audit['errors'])} item(s) could not be read and were left out")
    return "\n".join(lines)
