"""Leave one source out: the frozen CLIP probe against CLIP with tuned LayerNorms, per source.

Each source of ``--data`` is held out in turn. A :class:`facetruth.models.CLIPNormTuner`
is fitted on the other sources' face crops (with its robust copies and
self-blended fakes), then a detector (``--classifier``, the linear probe by
default) is fitted on those sources' features, once with the frozen ``clip``
family and once with the tuned norms, and scores the held-out source at the
threshold and cutoffs it chose out of fold on its training sources
(:func:`facetruth.evaluation.run_tuned_loso`). Nothing about the held-out
source is seen before it is scored.

``--per-class N`` keeps N real and N fake items of each source (whole
groups, so a dfdc pair stays together), drawn with ``--seed``: the small
runs a CPU affords. Without it every item is used: the full recipe, meant
for a GPU (``--device cuda``).

Writes ``results.json`` (the command, commit, data manifest hash, machine,
versions, date; the tuned model's most confident errors with thumbnails)
and ``report.html``/``report.md`` into ``--out``.

Examples::

    # the declared CPU run (see docs or README: "CLIP with tuned LayerNorms")
    python -m experiments.clip_tune_loso --per-class 80 --last-blocks 2 --epochs 2 \\
        --pseudo-fakes 0.5 --augment robust --cache /tmp/ft-cache --out runs/tune_loso_cpu
    # the full recipe on a GPU
    python -m experiments.clip_tune_loso --last-blocks 12 --epochs 5 --pseudo-fakes 0.5 \\
        --augment robust --device cuda --cache /tmp/ft-cache --out runs/tune_loso_gpu
"""

import argparse
import logging
import shlex
import sys
from pathlib import Path

from facetruth.data import concat_datasets, load_dataset, sample_per_class
from facetruth.evaluation import make_detector, run_record, run_tuned_loso, write_results
from facetruth.features import CLIPEmbedding
from facetruth.models import CLIPNormTuner
from facetruth.pipelines import build_loader
from facetruth.reports import write_report

REPO = Path(__file__).resolve().parent.parent
SOURCES = ("hardfake", "ciplab", "ffhq_sg1", "faceswap", "dfdc")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", nargs="+", type=Path, default=[REPO.parent / "shared" / "data" / s for s in SOURCES]
    )
    parser.add_argument("--per-class", type=int, default=None, help="real and fake items kept per source")
    parser.add_argument("--last-blocks", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--head-lr", type=float, default=1e-2)
    parser.add_argument("--align-weight", type=float, default=0.0)
    parser.add_argument("--pseudo-fakes", type=float, default=0.0)
    parser.add_argument("--augment", choices=["robust"], default=None)
    parser.add_argument("--classifier", default="linear_probe")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None)
    parser.add_argument("--errors", type=int, default=4, help="confident errors kept per source and kind")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    dataset = concat_datasets([load_dataset(p) for p in args.data])
    if args.per_class:
        dataset = sample_per_class(dataset, args.per_class, random_state=args.seed)
    settings = (
        "last_blocks",
        "epochs",
        "batch_size",
        "lr",
        "head_lr",
        "align_weight",
        "augment",
        "pseudo_fakes",
    )
    tuner = CLIPNormTuner(**{k: getattr(args, k) for k in settings}, device=args.device, random_state=args.seed,
                          cache=args.cache, progress=True)  # fmt: skip
    results = run_tuned_loso(
        dataset,
        build_loader(cache=args.cache),
        CLIPEmbedding(device=args.device, cache=args.cache),
        tuner,
        make_detector(args.classifier, device=args.device, random_state=args.seed),
        n_errors=args.errors,
        random_state=args.seed,
        progress=True,
    )
    results["meta"]["per_class"] = args.per_class
    results["meta"].pop("data", None)  # where the data lay here; the provenance names each source
    if args.per_class:
        used = {
            p: dataset.subset([i for i, s in enumerate(dataset.sources) if s == p.name]) for p in args.data
        }
    else:
        used = list(args.data)
    # runs as a module or as a file (experiments/gpu_tuned_clip.sh), so it imports no other experiment
    command = shlex.join(
        ["python", "-m", "experiments.clip_tune_loso", *(sys.argv[1:] if argv is None else argv)]
    )
    write_results(args.out / "results.json", results, run_record(used, ["clip"], command))
    write_report(results, args.out)
    for name in ("clip", "clip_tuned"):
        res = results["feature_sets"][name]
        aucs = " ".join(f"{s}={m.get('auc') or float('nan'):.3f}" for s, m in res["held_out"].items())
        print(f"{name}: mean held-out AUC {res['mean_auc']:.3f} ({aucs})")


if __name__ == "__main__":
    main()
