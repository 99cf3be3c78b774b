"""``facetruth demo``: build the demo set, train and evaluate a model, write a report.

The demo model is a toy: it is trained on synthetic scenes, so its model card
says so (``"demo": true`` and a note), and ``facetruth serve`` shows a banner.
Its default features are the handcrafted families, which need no network:
scoring an image with it never imports torch.
"""

from pathlib import Path

from .._atomic import atomic_write_json
from . import cmdoptions
from ._shared import check_output_path, progress
from .evaluate import evaluate_model

HELP = "build the demo set, train and evaluate a model, write a report"
#: what the demo model's card adds, so that whoever loads it knows it is no detector
DEMO_CARD = {
    "demo": True,
    "demo_note": (
        "a demo, not a detector: trained by facetruth demo on synthetic scenes made from scikit-image's "
        "photographs; its verdicts mean nothing about real photos"
    ),
}
EXAMPLES = """
facetruth demo
facetruth demo --out my-demo --n 96 --features all
"""


def add_arguments(parser):
    parser.add_argument("--out", default="facetruth-demo", help="output folder")
    parser.add_argument(
        "--n", type=int, default=96, help="demo images in the training set (half as many to test)"
    )
    # the handcrafted families: a toy model on synthetic scenes gains nothing from a network
    cmdoptions.features(parser, default="handcrafted")
    cmdoptions.seed(parser, help="random seed of the demo images, the folds and the classifier")
    cmdoptions.progress(parser)
    parser.set_defaults(func=cmd_demo)


def cmd_demo(args):
    from ..data import load_dataset, make_demo_dataset
    from ..models import check_detector, save
    from ..pipelines import build_pipeline, train_detector

    out = Path(args.out)
    check_output_path(out, folder=True)
    make_demo_dataset(n=args.n, random_state=args.seed, out=out / "data" / "train")
    make_demo_dataset(n=max(16, args.n // 2), random_state=args.seed + 1, out=out / "data" / "test")
    train = load_dataset(out / "data" / "train")
    test = load_dataset(out / "data" / "test")
    # the demo images are photographs of scenes, not faces: the whole image is the input
    pipeline = build_pipeline(args.features, face="off", cache=out / "cache", cv=3, random_state=args.seed)
    result = train_detector(pipeline, train, progress=progress(args))
    check_detector(result.pipeline)  # the demo never saves a detector that cannot tell its classes apart
    model_path = out / "model.joblib"
    card = save(result.pipeline, model_path, metadata={**result.metadata, **DEMO_CARD})
    metrics, _ = evaluate_model(result.pipeline, test, args=args)
    report = {
        "train": card.get("validation_metrics"),
        "test": metrics,
        "model": str(model_path),
        "note": "demo data: a smoke test of the whole pipeline, not evidence of accuracy",
    }
    atomic_write_json(out / "demo_results.json", report)
    from ..evaluation import resolve_sets, run_experiment
    from ..pipelines import build_detector, build_features, build_loader
    from ..reports import write_report

    sets = (
        ("fft", "dct", "handcrafted", args.features)
        if args.features != "handcrafted"
        else ("fft", "handcrafted")
    )
    sets = resolve_sets(sets)
    families = [family for fams in sets.values() for family in fams]
    results = run_experiment(
        train,
        build_loader("off", cache=out / "cache"),
        build_features(families, cache=out / "cache"),
        build_detector(cv=3, n_jobs=1, random_state=args.seed),
        sets,
        n_splits=3,
        progress=progress(args),
    )
    results["meta"]["title"] = f"FaceTruth demo: 3-fold comparison of {', '.join(sets)} on synthetic images"
    atomic_write_json(out / "experiment" / "results.json", results)
    write_report(results, out / "experiment")
    print(f"demo data:   {out / 'data'} ({len(train)} train, {len(test)} test images)")
    print(f"model:       {model_path} (+ model card {model_path.name}.json; a demo, not a detector)")
    print(f"results:     {out / 'demo_results.json'}")
    print(
        f"report:      {out / 'experiment' / 'report.html'} (and report.md; 3-fold comparison of feature sets)"
    )
    print(f"test AUC on the demo set: {metrics['auc']:.3f} (synthetic demo data, not evidence of accuracy)")
    print(f"next:        facetruth predict {model_path} {out / 'data' / 'test'}")
    print(f"serve it:    facetruth serve {model_path}")
    return 0
