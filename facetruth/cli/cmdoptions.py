"""Options that several commands share, each defined once (as pip's ``cmdoptions``).

Every option is a function ``option(parser, **overrides)`` that adds it to a
parser or argument group; ``overrides`` replace keyword arguments of
:meth:`argparse.ArgumentParser.add_argument` (a command-specific default).
"""

import argparse

from ..models import CLASSIFIERS
from ..pipelines import DEFAULTS

FACE_DETECTORS = ("auto", "off", "dlib", "haar")


def _option(*flags, **kwargs):
    def add(parser, **overrides):
        return parser.add_argument(*flags, **{**kwargs, **overrides})

    add.flags = flags
    return add


data = _option(
    "--data",
    required=True,
    nargs="+",
    metavar="DATA",
    help="dataset folders or CSV manifests; several are joined, each a source named after its folder",
)


def data_paths(parser):
    """Positional ``DATA...`` with ``--data`` kept as an alias (both may be given; they are joined)."""
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="DATA",
        help="dataset folders or CSV manifests; several are joined, each a source named after its folder",
    )
    data(parser, required=False, default=None, help="more dataset folders or CSV manifests")


def _n_jobs_value(text):
    """``--n-jobs``'s type: a non-zero integer, negative values counting back from every core."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError("0 has no meaning; -1 is every core, -2 all but one, 1 one process")
    return value


seed = _option("--seed", type=int, default=DEFAULTS.seed, help="random seed")
n_jobs = _option(
    "--n-jobs",
    type=_n_jobs_value,
    default=DEFAULTS.cli_n_jobs,
    metavar="N",
    help="processes for decoding and the handcrafted features, threads for the clip and cnn families; "
    "-1 is every core, -2 all but one (as in joblib)",
)
device = _option("--device", default=DEFAULTS.device, help="auto | cpu | cuda")
cache = _option("--cache", default=None, help="feature/crop cache folder (default: $FACETRUTH_CACHE or none)")


def features(parser, **overrides):
    """``--features``; its help lists every family and named set of the registry."""
    from ..pipelines import FAMILIES, FEATURE_SETS

    named = ", ".join(
        f"{name} ({'+'.join(families)})" for name, families in FEATURE_SETS.items() if name not in FAMILIES
    )
    help_text = f"feature families joined by ',' or '+' ({', '.join(FAMILIES)}) or named sets: {named}"
    return _option("--features", default=DEFAULTS.features, help=help_text)(parser, **overrides)


def backbone(parser, **overrides):
    """``--backbone``: a backbone written by ``facetruth finetune`` for every CNN family."""
    from ..pipelines import CNN_FAMILIES

    help_text = f"fine-tuned CNN backbone file for the CNN families ({', '.join(CNN_FAMILIES)})"
    return _option("--backbone", default=None, help=help_text)(parser, **overrides)


classifier = _option(
    "--classifier",
    default=DEFAULTS.classifier,
    choices=("auto", *CLASSIFIERS),
    help="base classifier; auto: a linear probe for the clip embedding alone, XGBoost otherwise",
)
face = _option(
    "--face",
    default=DEFAULTS.face,
    choices=FACE_DETECTORS,
    help="face detector: auto (dlib's HOG, then OpenCV's Haar cascade, else the centre square), dlib, "
    "haar (OpenCV's Haar cascade) or off (the centre square of the whole image)",
)
image_size = _option(
    "--image-size",
    type=int,
    default=DEFAULTS.image_size,
    help="side of the square face crops the loader makes, in pixels",
)
trust = _option("--trust", action="store_true", help="load a model file that has no model card")
allow_drift = _option(
    "--allow-drift",
    action="store_true",
    help="use a model whose features on this machine differ from those it was saved with (the "
    "fingerprint in its model card), with a warning: its scores are then not the validated ones",
)
align = _option(
    "--align",
    default="none",
    choices=["none", "eyes", "canonical"],
    help="face alignment before features",
)
native = _option(
    "--native",
    action="store_true",
    help="cut --image-size source pixels around the face, never resampled (for the forensic families)",
)
pseudo_fakes = _option(
    "--pseudo-fakes",
    default=None,
    metavar="sbi[:RATIO]",
    help="add self-blended fakes made from the real images (a real-only data set is then enough)",
)
augment = _option(
    "--augment",
    default=None,
    metavar="robust[:COPIES]",
    help="add copies of the training crops degraded by JPEG, resizing, blur and noise",
)
scheduler = _option("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler (tcp://host:8786)")
dask_workers = _option(
    "--dask-workers", type=int, default=None, metavar="N", help="start N local Dask worker processes"
)
shard_dir = _option("--shard-dir", default=None, help="feature shard folder, resumable")
shard_size = _option("--shard-size", type=int, default=256, help="images per shard")
json_output = _option("--json", action="store_true", help="print JSON on stdout")
progress = _option(
    "--progress",
    action=argparse.BooleanOptionalAction,
    default=None,
    help="draw progress bars on stderr (default: when stderr is a terminal)",
)


def _band_value(text):
    """``--band``'s type: a float in [0, 1]."""
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must lie in [0, 1], got {text}")
    return value


def _confidence_value(text):
    """``--confidence``'s type: a float in [0, 1)."""
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must lie in [0, 1), got {text}")
    return value


def _blocks_value(text):
    """``--clip-blocks``'s type: ``all`` or a comma list of block numbers 0-11."""
    import argparse

    if text.strip() == "all":
        return tuple(range(12))
    try:
        blocks = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'all' or block numbers such as 4,8,11 expected, got {text!r}"
        ) from None
    if not blocks or not all(0 <= b <= 11 for b in blocks):
        raise argparse.ArgumentTypeError(f"block numbers lie in 0-11, got {text!r}")
    return blocks


clip_blocks = _option(
    "--clip-blocks",
    type=_blocks_value,
    default=None,
    metavar="all|N,N,...",
    help="append the CLS token after these CLIP transformer blocks (0-11) to the clip embedding, "
    "RINE-style: better in-domain, no better on unseen sources (see CHANGELOG.md)",
)

clip_flip = _option(
    "--clip-flip",
    action="store_true",
    help="average the clip features of each face and of its mirror image: twice the CLIP time, "
    "slightly better in-domain, no better across sources (see CHANGELOG.md)",
)

clip_precision = _option(
    "--clip-precision",
    choices=("float32", "int8"),
    default=None,
    help="what the clip family computes in: float32 (the default: the same features on every CPU and "
    "GPU) or int8 (about three times as fast on CPU; features agree across CPUs to a cosine of about "
    "0.995 only, see docs/design.md)",
)

clip_norms = _option(
    "--clip-norms",
    default=None,
    metavar="NORMS.npz",
    help="tuned LayerNorms for the clip family, from facetruth tune (the same inference cost)",
)


band = _option(
    "--band",
    type=_band_value,
    default=None,
    metavar="FLOAT",
    help="replace the model's cutoffs for real and fake (chosen on out-of-fold data) by a symmetric "
    "band around the threshold: a probability that close to it gets an inconclusive verdict "
    "(0: the threshold alone decides, every image is real or fake)",
)
confidence = _option(
    "--confidence",
    type=_confidence_value,
    default=DEFAULTS.confidence,
    metavar="FLOAT",
    help="share of the out-of-fold verdicts on each side that must be right: the detector's cutoffs "
    "for real and fake are chosen for it, and images between them are inconclusive (0: no cutoffs, "
    "the threshold alone decides)",
)


def run_options(parser):
    """``--seed``, ``--n-jobs``, ``--device`` and ``--cache``."""
    for option in (seed, n_jobs, device, cache):
        option(parser)


def generalisation_options(parser, *, real_only=True):
    """Face alignment, pseudo-fakes and robust augmentation, in their own group.

    ``real_only=False`` for a command that tests on real fakes, where a
    real-only data set is not enough even with pseudo-fakes.
    """
    group = parser.add_argument_group("generalisation (face alignment, pseudo-fakes, robust training)")
    align(group)
    native(group)
    if real_only:
        pseudo_fakes(group)
    else:
        pseudo_fakes(
            group,
            help="add self-blended fakes made from each training part's real images (the data set "
            "still needs real fakes: every fold is tested on them)",
        )
    augment(group)


def dask_options(parser, default_shards):
    """``--scheduler`` or ``--dask-workers``, ``--shard-dir`` and ``--shard-size``."""
    group = parser.add_argument_group("Dask cluster (feature extraction in shards, XGBoost on the workers)")
    where = group.add_mutually_exclusive_group()
    scheduler(where)
    dask_workers(where)
    shard_dir(group, help=f"feature shard folder, resumable (default: {default_shards})")
    shard_size(group)


def model_options(parser):
    """``--trust``, ``--allow-drift``, ``--n-jobs`` and ``--cache`` of the commands that load a saved model."""
    trust(parser)
    allow_drift(parser)
    n_jobs(
        parser,
        help="processes for decoding and face cropping, threads for the clip and cnn families, "
        "whatever the model was saved with; -1 is every core, -2 all but one (as in joblib)",
    )
    cache(
        parser,
        help="crop/feature cache folder (default: $FACETRUTH_CACHE or none; "
        "never the folder the model was trained with)",
    )
