"""The shard task: what a Dask worker, a joblib process or this process runs for one shard.

:func:`run_shard` decodes and crops a shard's items, computes the feature
union, sums the log power profiles for the model card and writes one shard
file. The loader and feature union are kept per process
(:func:`process_pipeline`), so a worker builds the CNN once, however many
shards it runs; :func:`process_stats` reports how often each was built.
"""

import logging
import os
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from .._cache import hash_params
from ._shards import shard_is_done, write_shard

logger = logging.getLogger(__name__)

#: per-process (loader, union) keyed by the configuration hash, and how often each was built
_PIPELINES = {}
_BUILDS = Counter()
_threads_limited = False


def feature_config(features="all", *, face="auto", image_size=256, cache=None, device="auto", **params):
    """The settings a worker needs to rebuild the loader and feature union, and their hash.

    Returns
    -------
    config : dict
        Picklable; ``params_hash`` covers everything that changes the
        features (families, loader settings, each family's feature kwargs).
    feature_names : list of str
    """
    from ..features import FEATURE_VERSION
    from ._build import build_pipeline

    pipe = build_pipeline(features, "logistic", face, image_size, cache=cache, device=device, **params)
    loader, union = pipe.named_steps["loader"], pipe.named_steps["features"]
    described = {name: t._feature_kwargs() for name, t in union.transformer_list}
    names = [f"{fam}__{fam}_{n}" for fam, t in union.transformer_list for n in t._feature_names()]
    config = {
        "features": [name for name, _ in union.transformer_list],
        "face": face,
        "image_size": int(image_size),
        "cache": None if cache is None else os.path.abspath(cache),
        "device": device,
        "params": params,
    }
    config["params_hash"] = hash_params(
        {"loader": loader._params(), "features": described, "version": FEATURE_VERSION}
    )
    return config, names


def _limit_threads():
    """One thread per task in a worker process: the worker already runs one task per core."""
    global _threads_limited
    if _threads_limited:
        return
    _threads_limited = True
    import cv2
    from threadpoolctl import threadpool_limits

    cv2.setNumThreads(1)
    threadpool_limits(1)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def process_pipeline(config):
    """This process's ``(loader, union)`` for ``config``, built and fitted on first use only."""
    key = hash_params(config)
    if key not in _PIPELINES:
        from ._build import build_pipeline

        pipe = build_pipeline(
            config["features"],
            "logistic",
            config["face"],
            config["image_size"],
            cache=config["cache"],
            device=config["device"],
            n_jobs=1 if config.get("single_thread") else None,
            **config["params"],
        )
        size = config["image_size"]
        loader = pipe.named_steps["loader"].fit()
        union = pipe.named_steps["features"].fit(np.zeros((2, size, size, 3), dtype=np.uint8))
        _PIPELINES[key] = (loader, union)
        _BUILDS[key] += 1
        logger.info("process %d built the feature pipeline %s", os.getpid(), key[:8])
    return _PIPELINES[key]


def process_stats():
    """``{"pid": ..., "builds": {config hash: count}}`` of this process (to check per-process reuse)."""
    return {"pid": os.getpid(), "builds": dict(_BUILDS)}


def _transform(union, images):
    """Features of a batch, falling back to one image at a time so a bad image fails alone."""
    try:
        return union.transform(images), np.arange(len(images)), []
    except Exception as exc:
        logger.warning("batch feature extraction failed (%s); retrying image by image", exc)
    rows, keep, errors = [], [], []
    for i, image in enumerate(images):
        try:
            rows.append(union.transform(image[None])[0])
            keep.append(i)
        except Exception as exc:
            errors.append((i, f"feature extraction failed: {exc}"))
    X = np.stack(rows) if rows else np.empty((0, len(union.get_feature_names_out())), np.float32)
    return X, np.asarray(keep, dtype=int), errors


def run_shard(spec, config, directory):
    """Compute one shard and write ``<directory>/<spec.name>.npz`` (skipped when already there).

    Parameters
    ----------
    spec : ShardSpec
    config : dict
        From :func:`feature_config`; ``single_thread`` limits OpenCV, BLAS
        and torch to one thread in this process.
    directory : str

    Returns
    -------
    summary : dict
        ``name``, ``computed`` (False when the file was already there),
        ``pid``, ``n_ok``, ``n_failed``.
    """
    from ..models import SPECTRUM_BINS, log_spectrum

    path = Path(directory) / spec.filename
    if shard_is_done(path):
        return {"name": spec.name, "computed": False, "pid": os.getpid()}
    if config.get("single_thread"):
        _limit_threads()
    loader, union = process_pipeline(config)
    loaded = loader.load(spec.items, errors="collect")
    errors = [(spec.start + int(i), msg) for i, msg in loaded.errors]
    n_features = len(union.get_feature_names_out())
    X, keep, bad = _transform(union, loaded.images) if len(loaded.ok) else (np.empty((0, n_features)), [], [])
    errors += [(spec.start + int(loaded.ok[i]), msg) for i, msg in bad]
    local = loaded.ok[keep]
    spectrum_sum, spectrum_count = np.zeros((2, SPECTRUM_BINS)), np.zeros(2, dtype=np.int64)
    if spec.labels is not None:
        for crop, label in zip(loaded.images[keep], spec.labels[local]):
            spectrum_sum[int(label)] += log_spectrum(crop, n_bins=SPECTRUM_BINS)
            spectrum_count[int(label)] += 1
    write_shard(
        path,
        X=X,
        ok=spec.start + local,
        errors=sorted(errors),
        face_found=[bool(loaded.infos[i].get("face_found", False)) for i in local],
        spectrum_sum=spectrum_sum,
        spectrum_count=spectrum_count,
    )
    return {
        "name": spec.name,
        "computed": True,
        "pid": os.getpid(),
        "n_ok": len(local),
        "n_failed": len(errors),
    }
