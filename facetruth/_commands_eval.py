"""The ``facetruth experiment`` and ``facetruth report`` sub-commands (see :mod:`facetruth.cli`)."""

import json
import logging
import sys
from pathlib import Path

from ._atomic import atomic_write_json
from ._commands import _align, _cache_dir, _dask_client, _generalisation_flags, _progress, _refuse_on_dask

logger = logging.getLogger(__name__)


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
    from .data import load_dataset
    from .evaluation import run_experiment, write_report
    from .evaluation._experiment import DEFAULT_SETS

    config = read_config(args.config) if args.config else {}
    sets = config.get("feature_sets", list(DEFAULT_SETS))
    if args.sets:
        sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    folds = args.folds if args.folds is not None else int(config.get("folds", 5))
    repeats = args.repeats if args.repeats is not None else int(config.get("repeats", 1))
    seed = args.seed if args.seed is not None else int(config.get("seed", 0))
    dataset = load_dataset(args.data)
    cache = _cache_dir(args)
    _refuse_on_dask(args, {**_generalisation_flags(args), "--backbone": args.backbone})
    dask = _dask_client(args)
    if dask is not None:  # extract on the cluster into the cache; the folds below read it
        cache = cache or str(Path(args.out) / "cache")
        _extract_on_dask(dask, args, dataset, sets, cache)
    results = run_experiment(
        dataset,
        sets,
        n_splits=folds,
        n_repeats=repeats,
        face=args.face,
        image_size=args.image_size,
        cache=cache,
        n_jobs=args.n_jobs,
        device=args.device,
        random_state=seed,
        progress=_progress(),
        align=_align(args),
        pseudo_fakes=args.pseudo_fakes,
        augment=args.augment,
        backbone=args.backbone,
        classifier=args.classifier,
    )
    results["meta"]["config"] = str(args.config) if args.config else None
    out = Path(args.out)
    atomic_write_json(out / "results.json", results)
    paths = write_report(results, out)
    best = results["best"]
    auc = results["feature_sets"][best]["summary"]["auc"]
    print(f"best set {best}: AUC {auc['mean']:.4f} ± {auc['std']:.4f}; wrote {', '.join(map(str, paths))}")
    return 0


def _extract_on_dask(dask, args, dataset, sets, cache):
    from .evaluation._experiment import resolve_sets
    from .pipelines import extract_features

    families = list(dict.fromkeys(f for fams in resolve_sets(sets).values() for f in fams))
    with dask as client:
        ext = extract_features(
            dataset,
            families,
            client=client,
            out=args.shard_dir or Path(args.out) / "shards",
            shard_size=args.shard_size,
            face=args.face,
            image_size=args.image_size,
            cache=cache,
            device=args.device,
            progress=_progress(),
        )
    for item, msg in ext.failed:
        print(f"skipped: {item}: {msg}", file=sys.stderr)
    print(
        f"Dask: features of {ext.ok.size} images in {ext.shards_done} new shards "
        f"({ext.shards_skipped} already done) in {ext.directory}",
        file=sys.stderr,
    )


def cmd_report(args):
    from .evaluation import write_report

    run_dir = Path(args.run_dir)
    path = run_dir / "results.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; run 'facetruth experiment --out {run_dir}' first.")
    with open(path, encoding="utf-8") as fh:
        results = json.load(fh)
    robustness = run_dir / "robustness.json"
    if "robustness" not in results and robustness.is_file():
        with open(robustness, encoding="utf-8") as fh:
            results["robustness"] = json.load(fh)
    paths = write_report(results, Path(args.out) if args.out else run_dir)
    print(f"wrote {', '.join(map(str, paths))}")
    return 0
