"""Implementations of the ``facetruth`` sub-commands (see :mod:`facetruth.cli`)."""

import csv
import io
import json
import logging
import os
import sys
from pathlib import Path

import numpy as np

from ._atomic import atomic_write_json, atomic_write_text
from .exceptions import ImageDecodeError

logger = logging.getLogger(__name__)

EXIT_ITEM_FAILED = 1


def _cache_dir(args):
    return args.cache or os.environ.get("FACETRUTH_CACHE") or None


def _progress():
    return sys.stderr.isatty() or bool(os.environ.get("FACETRUTH_PROGRESS"))


def _pipeline_params(args):
    params = {"cache": _cache_dir(args), "n_jobs": args.n_jobs, "device": args.device}
    if getattr(args, "backbone", None):
        from .pipelines._registry import CNN_FAMILIES, resolve_features

        cnn = [f for f in resolve_features(args.features) if f in CNN_FAMILIES]
        if not cnn:
            raise ValueError(f"--backbone needs a CNN family ({', '.join(CNN_FAMILIES)}) in --features.")
        for family in cnn:  # an absolute path, as Dask workers may run elsewhere
            params[f"{family}__weights"] = os.path.abspath(args.backbone)
    return params


def _align(args):
    """The loader's ``align`` from ``--align`` (``False`` for none)."""
    align = getattr(args, "align", "none")
    return False if align in (None, "none") else align


def _on_dask(args):
    """Whether ``--scheduler`` or ``--dask-workers`` was given."""
    return getattr(args, "scheduler", None) is not None or getattr(args, "dask_workers", None) is not None


def _refuse_on_dask(args, flags):
    """Raise when ``--scheduler``/``--dask-workers`` come with options the cluster path lacks.

    ``flags`` maps an option's name (``"--augment"``) to its value here.
    """
    if not _on_dask(args):
        return
    given = [flag for flag, value in flags.items() if value]
    if given:
        raise ValueError(f"{', '.join(given)}: not available on a Dask cluster yet; run without it.")


def _generalisation_flags(args):
    """The training options that only the in-process path runs."""
    return {"--pseudo-fakes": args.pseudo_fakes, "--augment": args.augment, "--align": _align(args)}


def _dask_client(args):
    """The client context of ``--scheduler`` / ``--dask-workers``, or ``None`` without them."""
    if not _on_dask(args):
        return None
    from .pipelines import dask_client

    return dask_client(args.scheduler, args.dask_workers)


def cmd_train(args):
    from .data import load_dataset
    from .models import save
    from .pipelines import train_detector

    dataset = load_dataset(args.data, one_class=bool(args.pseudo_fakes))
    test = None
    if args.holdout:
        from .pipelines import holdout_split

        dataset, test = holdout_split(dataset, args.holdout, random_state=args.seed)
    params = _pipeline_params(args)
    _refuse_on_dask(args, _generalisation_flags(args))
    dask = _dask_client(args)
    if dask is None:
        result = train_detector(
            dataset,
            features=args.features,
            classifier=args.classifier,
            face=args.face,
            random_state=args.seed,
            progress=_progress(),
            align=_align(args),
            pseudo_fakes=args.pseudo_fakes,
            augment=args.augment,
            **params,
        )
    else:
        from .pipelines import train_on_shards

        with dask as client:
            result = train_on_shards(
                dataset,
                out=args.shard_dir or f"{args.out}.shards",
                client=client,
                features=args.features,
                classifier=args.classifier,
                face=args.face,
                shard_size=args.shard_size,
                random_state=args.seed,
                progress=_progress(),
                **params,
            )
    for _, msg in result.skipped:
        print(f"skipped: {msg}", file=sys.stderr)
    metadata = result.metadata
    if test is not None:
        metadata["holdout"] = {"fraction": args.holdout, "manifest_sha256": test.manifest_hash()}
        metadata["holdout_metrics"], _ = evaluate_model(result.pipeline, test)
    card = save(result.pipeline, args.out, metadata=metadata)
    m = card.get("validation_metrics", {})
    if test is not None:
        h = card["holdout_metrics"]
        print(
            f"held-out test ({h['n']} images): AUC {h['auc']:.4f}, accuracy {h['accuracy']:.4f}, EER {h['eer']:.4f}"
        )
    print(
        f"saved {args.out} (+ {Path(args.out).name}.json); "
        f"out-of-fold AUC {m.get('auc', float('nan')):.4f}, threshold {card['threshold']:.4f}, "
        f"{len(result.skipped)} images skipped"
    )
    return 0


def expand_inputs(inputs, *, n_frames=8):
    """Turn files, folders and videos into loader items with display names.

    Returns
    -------
    entries : list of (str, object, str or None)
        Display name, loader item (path or frame array), and the video it
        belongs to (``None`` for still images). Unreadable videos appear as
        entries whose item is an :class:`ImageDecodeError`.
    """
    from .data import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, read_video_frames

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
    from .pipelines._train import predict_items

    threshold = float(model.named_steps["classifier"].threshold_)
    good = [i for i, e in enumerate(entries) if not isinstance(e[1], Exception)]
    prob, loaded = (
        predict_items(model, [entries[i][1] for i in good], progress=_progress())
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
    from .models import load

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


def evaluate_model(model, dataset):
    """Metrics of a loaded model on a dataset at its stored threshold (failed items are left out)."""
    from .evaluation import detection_metrics
    from .pipelines._train import dataset_items, predict_items

    prob, loaded = predict_items(model, dataset_items(dataset), progress=_progress())
    threshold = float(model.named_steps["classifier"].threshold_)
    ok = loaded.ok
    metrics = detection_metrics(np.asarray(dataset.labels)[ok], prob[ok], threshold)
    metrics["n_failed"] = len(loaded.errors)
    return metrics, prob


def cmd_evaluate(args):
    from .data import load_dataset
    from .models import load

    model = load(args.model, trust=args.trust)
    dataset = load_dataset(args.data)
    metrics, _ = evaluate_model(model, dataset)
    if args.json:
        print(json.dumps(metrics))
    else:
        for key, value in metrics.items():
            print(f"{key:>18}: {value:.4f}" if isinstance(value, float) else f"{key:>18}: {value}")
    return 0


def cmd_finetune(args):
    from .data import load_dataset
    from .models import finetune
    from .pipelines import ImageLoader
    from .pipelines._train import dataset_items

    pseudo_fakes = getattr(args, "pseudo_fakes", None)
    if pseudo_fakes:
        from .data import parse_pseudo_fakes

        parse_pseudo_fakes(pseudo_fakes)  # fail before decoding any image
    dataset = load_dataset(args.data, one_class=bool(pseudo_fakes))
    items, labels = dataset_items(dataset), np.asarray(dataset.labels)
    if args.max_items and args.max_items < len(items):
        rng = np.random.default_rng(args.seed)
        keep = np.sort(rng.choice(len(items), args.max_items, replace=False))
        items, labels = [items[i] for i in keep], labels[keep]
    loaded = ImageLoader(face=args.face, image_size=256, cache=_cache_dir(args), n_jobs=args.n_jobs).load(
        items, errors="collect"
    )
    for _, msg in loaded.errors:
        print(f"skipped: {msg}", file=sys.stderr)
    result = finetune(
        list(loaded.images),
        labels[loaded.ok],
        out=args.out,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        device=args.device,
        random_state=args.seed,
        progress=True,
        image_size=getattr(args, "image_size", 224),
        pseudo_fakes=pseudo_fakes,
        pseudo_fakes_mask=getattr(args, "pseudo_fakes_mask", "auto"),
    )
    print(f"saved {args.out}; best validation AUC {result.best_val_auc:.4f}")
    return 0


def cmd_demo(args):
    from .data import load_dataset, make_demo_dataset
    from .models import save
    from .pipelines import train_detector

    out = Path(args.out)
    make_demo_dataset(n=args.n, random_state=args.seed, out=out / "data" / "train")
    make_demo_dataset(n=max(16, args.n // 2), random_state=args.seed + 1, out=out / "data" / "test")
    train = load_dataset(out / "data" / "train")
    test = load_dataset(out / "data" / "test")
    result = train_detector(
        train,
        features=args.features,
        random_state=args.seed,
        cv=3,
        cache=out / "cache",
        face="auto",
        progress=_progress(),
    )
    model_path = out / "model.joblib"
    card = save(result.pipeline, model_path, metadata=result.metadata)
    metrics, _ = evaluate_model(result.pipeline, test)
    report = {
        "train": card.get("validation_metrics"),
        "test": metrics,
        "model": str(model_path),
        "note": "demo data: a smoke test of the whole pipeline, not evidence of accuracy",
    }
    atomic_write_json(out / "demo_results.json", report)
    from .evaluation import run_experiment, write_report

    sets = (
        ("fft", "dct", "handcrafted", args.features)
        if args.features != "handcrafted"
        else ("fft", "handcrafted")
    )
    results = run_experiment(
        train,
        sets,
        n_splits=3,
        face="auto",
        cache=out / "cache",
        random_state=args.seed,
        progress=_progress(),
    )
    atomic_write_json(out / "experiment" / "results.json", results)
    write_report(results, out / "experiment")
    print(f"demo data:   {out / 'data'} ({len(train)} train, {len(test)} test images)")
    print(f"model:       {model_path} (+ model card {model_path.name}.json)")
    print(f"results:     {out / 'demo_results.json'}")
    print(
        f"report:      {out / 'experiment' / 'report.html'} (and report.md; 3-fold comparison of feature sets)"
    )
    print(f"test AUC on the demo set: {metrics['auc']:.3f} (synthetic demo data, not evidence of accuracy)")
    print(f"next:        facetruth predict {model_path} {out / 'data' / 'test'}")
    print(f"serve it:    facetruth serve {model_path}")
    return 0
