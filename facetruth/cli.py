"""The ``facetruth`` command line: thin shells over the Python API.

Library code raises exceptions; this module alone turns them into one-line
messages on stderr and exit codes (``--verbose`` shows the traceback).
stdout carries only results, so ``--json`` output can be piped.
"""

import argparse
import logging
import os
import sys
import textwrap

from . import __version__
from .exceptions import FaceTruthError
from .pipelines._registry import CLASSIFIERS

logger = logging.getLogger("facetruth")

EXIT_OK, EXIT_ITEM_FAILED, EXIT_ERROR = 0, 1, 2


def _formatter(prog):
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def _add(sub, name, help_text, examples):
    epilog = "examples:\n" + textwrap.indent(textwrap.dedent(examples).strip(), "  ")
    return sub.add_parser(
        name, help=help_text, description=help_text, epilog=epilog, formatter_class=_formatter
    )


def build_parser():
    """The argument parser with every sub-command."""
    from . import _commands as c

    parser = argparse.ArgumentParser(
        prog="facetruth",
        description="FaceTruth: deepfake image detection (forensic features, a CNN embedding, XGBoost).",
        epilog="Run 'facetruth COMMAND --help' for a command's options and examples.",
        formatter_class=_formatter,
    )
    parser.add_argument("--version", action="version", version=f"facetruth {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details and show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = _add(
        sub,
        "demo",
        "build the demo set, train and evaluate a model, write a report",
        """
        facetruth demo
        facetruth demo --out my-demo --n 96 --features handcrafted""",
    )
    p.add_argument("--out", default="facetruth-demo", help="output folder (default: %(default)s)")
    p.add_argument("--n", type=int, default=64, help="demo images per set (default: %(default)s)")
    p.add_argument("--features", default="all", help="feature set (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=c.cmd_demo)

    p = _add(
        sub,
        "train",
        "train a detector and save it",
        """
        facetruth train --data ../shared/data/hardfake --out model.joblib
        facetruth train --data ../shared/data/hardfake --holdout 0.2 --out model.joblib
        facetruth train --data faces.csv --features fft,lbp --classifier logistic --out m.joblib
        facetruth train --data DATA --scheduler tcp://10.0.0.5:8786 --out model.joblib
        facetruth train --data DATA --dask-workers 2 --out model.joblib""",
    )
    p.add_argument("--data", required=True, help="dataset folder or CSV manifest")
    p.add_argument(
        "--features", default="all", help="all | handcrafted | fft,dct,noise,lbp,cnn (default: all)"
    )
    p.add_argument(
        "--classifier", default="xgboost", help="xgboost | logistic | logistic_cv | svm | random_forest"
    )
    p.add_argument("--face", default="auto", choices=["auto", "off", "dlib", "haar"])
    p.add_argument("--out", required=True, help="model file to write (.joblib)")
    p.add_argument(
        "--holdout",
        type=float,
        default=None,
        metavar="FRACTION",
        help="hold out this share (stratified, group-disjoint) and report test metrics in the model card",
    )
    _common_run_options(p)
    _generalisation_options(p)
    _dask_options(p, "<out>.shards")
    p.set_defaults(func=c.cmd_train)

    p = _add(
        sub,
        "predict",
        "score images, folders or videos with a saved model",
        """
        facetruth predict model.joblib photo.jpg
        facetruth predict model.joblib uploads/ clip.mp4 --json > results.jsonl
        facetruth predict model.joblib uploads/ --out results.csv""",
    )
    p.add_argument("model", help="model file written by 'facetruth train'")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders or videos")
    p.add_argument("--json", action="store_true", help="one JSON object per input on stdout")
    p.add_argument("--out", help="also write the results as CSV")
    p.add_argument("--n-frames", type=int, default=8, help="frames sampled per video (default: %(default)s)")
    _model_options(p)
    p.set_defaults(func=c.cmd_predict)

    p = _add(
        sub,
        "evaluate",
        "measure a saved model on a labelled dataset",
        """
        facetruth evaluate model.joblib --data ../shared/data/ciplab
        facetruth evaluate model.joblib --data test.csv --json""",
    )
    p.add_argument("model")
    p.add_argument("--data", required=True, help="dataset folder or CSV manifest")
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    _model_options(p)
    p.set_defaults(func=c.cmd_evaluate)

    p = _add(
        sub,
        "finetune",
        "fine-tune EfficientNet-Lite0 on a dataset (transfer learning)",
        """
        facetruth finetune --data ../shared/data/hardfake --out backbone.pt
        facetruth finetune --data REAL_ONLY_DIR --pseudo-fakes sbi --out backbone.pt
        facetruth train --data DATA --features cnn --backbone backbone.pt --out m.joblib""",
    )
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True, help="backbone state_dict to write (.pt)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--max-items", type=int, default=None, help="train on a random subset of this size")
    p.add_argument("--face", default="auto", choices=["auto", "off", "dlib", "haar"])
    p.add_argument("--image-size", type=int, default=224, help="network input side (default: %(default)s)")
    p.add_argument(
        "--pseudo-fakes",
        default=None,
        metavar="sbi[:RATIO]",
        help="add self-blended fakes of the real images, fresh each epoch; the data may then be real only",
    )
    p.add_argument(
        "--pseudo-fakes-mask",
        default="auto",
        choices=["auto", "hull", "region"],
        help="blend the face hull, eyes/nose/mouth regions, or either at random (default: %(default)s)",
    )
    _common_run_options(p)
    p.set_defaults(func=c.cmd_finetune)

    from . import _commands_web as cw

    p = _add(
        sub,
        "serve",
        "serve the upload page and JSON API for a saved model (waitress)",
        """
        facetruth serve model.joblib
        facetruth serve model.joblib --port 8080 --workers 8
        curl -F files=@photo.jpg http://127.0.0.1:8000/api/v1/predict""",
    )
    p.add_argument("model", help="model file written by 'facetruth train'")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    p.add_argument("--port", type=int, default=8000, help="TCP port (default: %(default)s)")
    p.add_argument("--workers", type=int, default=4, help="worker threads (default: %(default)s)")
    p.add_argument("--max-files", type=int, default=16, help="images per request (default: %(default)s)")
    p.add_argument("--max-upload-mb", type=float, default=20, help="MB per request (default: %(default)s)")
    p.add_argument(
        "--max-pixels", type=int, default=40_000_000, help="pixels per image (default: %(default)s)"
    )
    p.add_argument(
        "--idle-timeout",
        type=int,
        default=30,
        help="seconds of silence before a connection is dropped (default: %(default)s)",
    )
    p.add_argument(
        "--max-connections", type=int, default=100, help="open connections at most (default: %(default)s)"
    )
    p.set_defaults(func=cw.cmd_serve)

    from . import _commands_eval as ce

    p = _add(
        sub,
        "experiment",
        "cross-validate feature sets on the same folds; write results.json and reports",
        """
        facetruth experiment --data ../shared/data/hardfake --out runs/hardfake --cache /tmp/ft-cache
        facetruth experiment --data DATA --config experiments/configs/feature_sets.yaml --folds 5 --out RUN_DIR
        facetruth experiment --data DATA --sets fft,dct,handcrafted --repeats 3 --out RUN_DIR
        facetruth experiment --data DATA --dask-workers 2 --cache /tmp/ft-cache --out RUN_DIR""",
    )
    p.add_argument("--data", required=True, help="dataset folder or CSV manifest")
    p.add_argument("--config", default=None, help="YAML file of feature sets (default: the seven sets)")
    p.add_argument("--sets", default=None, help="comma list of set names; overrides the config")
    p.add_argument("--folds", type=int, default=None, help="grouped stratified folds (default: 5)")
    p.add_argument("--repeats", type=int, default=None, help="repeat the folds with new seeds (default: 1)")
    p.add_argument("--face", default="auto", choices=["auto", "off", "dlib", "haar"])
    p.add_argument("--out", required=True, help="run folder for results.json, report.md, report.html")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: 0)")
    p.add_argument("--n-jobs", type=int, default=1, help="processes for decoding and features")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default: %(default)s)")
    p.add_argument(
        "--cache", default=None, help="feature/crop cache folder (default: $FACETRUTH_CACHE or none)"
    )
    p.add_argument(
        "--backbone",
        default=None,
        help="fine-tuned CNN backbone file for the CNN families (cnn, parts, cnnstats)",
    )
    p.add_argument(
        "--image-size", type=int, default=256, help="side of the face crops (default: %(default)s)"
    )
    p.add_argument(
        "--classifier",
        default="xgboost",
        choices=CLASSIFIERS,
        help="base classifier of every fold (default: %(default)s)",
    )
    _generalisation_options(p)
    _dask_options(p, "<out>/shards")
    p.set_defaults(func=ce.cmd_experiment)

    p = _add(
        sub,
        "report",
        "re-render report.md and report.html from a run folder's results.json",
        """
        facetruth report runs/hardfake
        facetruth report runs/hardfake --out /tmp/hardfake-report""",
    )
    p.add_argument("run_dir", help="folder written by 'facetruth experiment'")
    p.add_argument("--out", default=None, help="write the reports here instead of RUN_DIR")
    p.set_defaults(func=ce.cmd_report)
    return parser


def _common_run_options(p):
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--n-jobs", type=int, default=1, help="processes for decoding and features")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default: %(default)s)")
    p.add_argument(
        "--cache", default=None, help="feature/crop cache folder (default: $FACETRUTH_CACHE or none)"
    )
    p.add_argument(
        "--backbone",
        default=None,
        help="fine-tuned CNN backbone file for the CNN families (cnn, parts, cnnstats)",
    )


def _generalisation_options(p):
    group = p.add_argument_group("generalisation (face alignment, pseudo-fakes, robust training)")
    group.add_argument(
        "--align",
        default="none",
        choices=["none", "eyes", "canonical"],
        help="face alignment before features (default: %(default)s)",
    )
    group.add_argument(
        "--pseudo-fakes",
        default=None,
        metavar="sbi[:RATIO]",
        help="add self-blended fakes made from the real images (a real-only data set is then enough)",
    )
    group.add_argument(
        "--augment",
        default=None,
        metavar="robust[:COPIES]",
        help="add copies of the training crops degraded by JPEG, resizing, blur and noise",
    )


def _dask_options(p, default_shards):
    group = p.add_argument_group("Dask cluster (feature extraction in shards, XGBoost on the workers)")
    where = group.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler (tcp://host:8786)"
    )
    where.add_argument(
        "--dask-workers", type=int, default=None, metavar="N", help="start N local Dask worker processes"
    )
    group.add_argument(
        "--shard-dir", default=None, help=f"feature shard folder, resumable (default: {default_shards})"
    )
    group.add_argument("--shard-size", type=int, default=256, help="images per shard (default: %(default)s)")


def _model_options(p):
    p.add_argument("--trust", action="store_true", help="load a model file that has no model card")
    p.add_argument("--n-jobs", type=int, default=1)


def main(argv=None):
    """Entry point of the ``facetruth`` console script; returns the exit code."""
    # torch's OpenMP threads busy-wait by default, which stalls inference badly on a
    # shared CPU; passive waiting must be chosen before torch is first imported.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return int(args.func(args) or EXIT_OK)
    except KeyboardInterrupt:
        print("facetruth: interrupted", file=sys.stderr)
        return 130
    except (FaceTruthError, OSError, ValueError, RuntimeError) as exc:
        if args.verbose:
            raise
        print(f"facetruth {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
