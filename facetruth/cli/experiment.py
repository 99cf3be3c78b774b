"""``facetruth experiment``: compare feature sets, cross-validated on the same folds or leaving one source out."""

import shlex
import sys
from pathlib import Path

from ..models import CLASSIFIERS
from . import cmdoptions
from ._shared import (
    cache_dir,
    check_output_path,
    dask_client,
    family_params,
    load_data,
    loader_align,
    on_dask,
    progress,
)

HELP = "compare feature sets (cross-validated, or leaving one source out); write results.json and reports"
EXAMPLES = """
facetruth experiment --data ../shared/data/hardfake --out runs/hardfake --cache /tmp/ft-cache
facetruth experiment --data ../shared/data/hardfake ../shared/data/ciplab ../shared/data/ffhq_sg1 \\
    ../shared/data/faceswap --protocol loso --sets handcrafted,cnn,all --out runs/loso --cache /tmp/ft-cache
facetruth experiment --data DATA --config experiments/configs/feature_sets.yaml --folds 5 --out RUN_DIR
facetruth experiment --data DATA --sets fft,dct,handcrafted --repeats 3 --out RUN_DIR
facetruth experiment --data DATA --dask-workers 2 --cache /tmp/ft-cache --out RUN_DIR
facetruth experiment --data DATA --dask-workers 2 --align canonical --augment robust --out RUN_DIR
"""


def add_arguments(parser):
    cmdoptions.data(parser)
    parser.add_argument("--config", default=None, help="YAML file of feature sets (default: the seven sets)")
    parser.add_argument("--sets", default=None, help="comma list of set names; overrides the config")
    parser.add_argument(
        "--protocol",
        default="kfold",
        choices=["kfold", "loso"],
        help="kfold: grouped stratified folds over all items; loso: hold out each source (each --data "
        "set, or a CSV's source column) in turn, train on the others (--folds and --repeats unused)",
    )
    parser.add_argument(
        "--folds", type=int, default=_ConfigDefault(5), help="grouped stratified folds; else the config's"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=_ConfigDefault(1),
        help="repeat the folds with new seeds; else the config's",
    )
    cmdoptions.face(parser)
    parser.add_argument(
        "--out",
        required=True,
        help="run folder for results.json, report.md, report.html (made if missing; checked before any work)",
    )
    cmdoptions.seed(parser, default=_ConfigDefault(0), help="random seed; else the config's")
    cmdoptions.n_jobs(parser)
    cmdoptions.device(parser)
    cmdoptions.cache(parser)
    cmdoptions.backbone(parser)
    cmdoptions.clip_blocks(parser)
    cmdoptions.clip_flip(parser)
    cmdoptions.clip_precision(parser)
    cmdoptions.clip_norms(parser)
    cmdoptions.image_size(parser)
    cmdoptions.classifier(
        parser, default="xgboost", choices=CLASSIFIERS, help="base classifier of every fold"
    )
    cmdoptions.confidence(parser)
    cmdoptions.generalisation_options(parser, real_only=False)
    cmdoptions.dask_options(parser, "<out>/shards")
    cmdoptions.progress(parser)
    parser.set_defaults(func=cmd_experiment)


class _ConfigDefault(int):
    """The default of an option that a ``--config`` file may set: its value when the option is not given."""


def _setting(args, config, name):
    """``--NAME`` when given, else the config's ``NAME``, else the option's default."""
    value = getattr(args, name)
    return int(config.get(name, value) if isinstance(value, _ConfigDefault) else value)


def read_config(path):
    """Feature sets and defaults from an experiment YAML file.

    Returns
    -------
    config : dict
        ``feature_sets`` (name to list of families, or a list of set names) and
        optional ``folds``, ``repeats`` and ``seed``.
    """
    import yaml

    with open(path, encoding="utf-8") as fh:
        config = yaml.safe_load(fh) or {}
    if not isinstance(config, dict) or "feature_sets" not in config:
        raise ValueError(f"{path}: expected a mapping with a 'feature_sets' entry.")
    return config


def cmd_experiment(args):
    from ..evaluation import DEFAULT_SETS, resolve_sets, run_experiment, run_loso
    from ..pipelines import build_detector, build_extras, build_features, build_loader

    check_output_path(args.out, folder=True)
    if on_dask(args):
        check_output_path(args.shard_dir or Path(args.out) / "shards", folder=True, option="--shard-dir")
    config = read_config(args.config) if args.config else {}
    sets = config.get("feature_sets", list(DEFAULT_SETS))
    if args.sets:
        sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    folds, repeats, seed = (_setting(args, config, name) for name in ("folds", "repeats", "seed"))
    sets = resolve_sets(sets)
    families = [family for fams in sets.values() for family in fams]
    params = family_params(args, families)  # a clip option without the clip family fails before loading
    extras = build_extras(args.pseudo_fakes, args.augment, random_state=seed, n_jobs=args.n_jobs)
    dataset = load_data(args.data)
    cache = cache_dir(args)
    dask = dask_client(args)
    if dask is not None:  # the cluster extracts into the cache, and the folds below read it
        cache = cache or str(Path(args.out) / "cache")
    loader = build_loader(
        args.face,
        args.image_size,
        align=loader_align(args),
        native=args.native,
        cache=cache,
        n_jobs=args.n_jobs,
    )
    features = build_features(
        families,
        cache=cache,
        device=args.device,
        n_jobs=args.n_jobs,
        backbone=args.backbone,
        **params,
    )
    # one thread per fit: experiments fit hundreds of small models
    detector = build_detector(
        args.classifier, cv=3, confidence=args.confidence, device=args.device, n_jobs=1, random_state=seed
    )
    if dask is not None:
        _extract_on_dask(dask, args, dataset, loader, features)
    if args.protocol == "loso":
        results = run_loso(
            dataset,
            loader,
            features,
            detector,
            sets,
            extras=extras,
            random_state=seed,
            progress=progress(args),
        )
        paths = _save(results, args)
        best = results["best"]
        mean = _fmt(results["feature_sets"][best]["mean_auc"])
        print(f"best set {best}: mean held-out AUC {mean}; wrote {', '.join(map(str, paths))}")
        for source, entry in results["sources"].items():
            m = results["feature_sets"][best]["held_out"][source]
            audit = (entry.get("audit") or {}).get("nuisance_auc")
            print(
                f"  {source} held out: AUC {_fmt(m.get('auc'))}, fakes flagged {_fmt(m.get('flag_rate_fake'))}, "
                f"reals flagged {_fmt(m.get('flag_rate_real'))}; shortcut audit AUC {_fmt(audit)}"
            )
        return 0
    results = run_experiment(
        dataset,
        loader,
        features,
        detector,
        sets,
        n_splits=folds,
        n_repeats=repeats,
        extras=extras,
        random_state=seed,
        progress=progress(args),
    )
    paths = _save(results, args)
    best = results["best"]
    auc = results["feature_sets"][best]["summary"]["auc"]
    print(f"best set {best}: AUC {auc['mean']:.4f} ± {auc['std']:.4f}; wrote {', '.join(map(str, paths))}")
    audit = results.get("audit") or {}
    if audit.get("nuisance_auc") is not None:
        print(f"shortcut audit: nuisance properties alone reach AUC {audit['nuisance_auc']:.4f}")
    return 0


def _fmt(value):
    return "–" if value is None else f"{value:.4f}"


def _save(results, args):
    """Write results.json and the reports into ``--out``."""
    from ..evaluation import run_record, write_results
    from ..models import source_commit
    from ..reports import write_report

    results["meta"]["config"] = str(args.config) if args.config else None
    argv = getattr(args, "argv", None)
    results["meta"]["command"] = shlex.join(["facetruth", *argv]) if argv else None
    results["meta"]["commit"] = source_commit()
    out = Path(args.out)
    write_results(
        out / "results.json", results, run_record(args.data, _families(results), results["meta"]["command"])
    )
    return write_report(results, out)


def _families(results):
    """``{family: parameters}`` of the families the feature sets used (the clip family's settings)."""
    clip = {k: v for k, v in (results["meta"].get("clip") or {}).items() if v not in (None, False, [], ())}
    families = [f for s in results.get("feature_sets", {}).values() for f in s.get("families", [])]
    return {family: (clip if family == "clip" else {}) for family in dict.fromkeys(families)}


def _extract_on_dask(dask, args, dataset, loader, features):
    """Crops and features of every item, computed on the cluster into the shared cache.

    The extra rows of ``--pseudo-fakes`` and ``--augment`` are made from each
    fold's training crops, so the folds compute their features in this process.
    """
    from ..pipelines import extract_features

    with dask as client:
        ext = extract_features(
            loader,
            features,
            dataset,
            client=client,
            out=args.shard_dir or Path(args.out) / "shards",
            shard_size=args.shard_size,
            progress=progress(args),
        )
    for item, msg in ext.failed:
        print(f"skipped: {item}: {msg}", file=sys.stderr)
    print(
        f"Dask: features of {ext.ok.size} images in {ext.shards_done} new shards "
        f"({ext.shards_skipped} already done) in {ext.directory}",
        file=sys.stderr,
    )
