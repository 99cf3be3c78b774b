"""Feature extraction in shards, in this process, over local cores, or on a Dask cluster.

:func:`extract_features` runs a detector's first two steps (an
:class:`ImageLoader` and a feature union, e.g. from
:func:`~facetruth.pipelines.build_loader` and
:func:`~facetruth.pipelines.build_features`) over a data set in shards of
items. Each shard is computed by :func:`run_shard`, which receives the
estimators themselves (pickled to a worker), keeps one fitted clone per
process (so the CNN is built once per process, not once per shard) and
writes one atomic file named by the shard's content; a re-run skips the
shards already on disk, so a killed run resumes.
"""

import logging
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.base import clone
from tqdm.auto import tqdm

from ._dask_tasks import feature_names, run_shard, shard_params
from ._shards import (
    ExtractionResult,
    item_identity,
    plan_shards,
    read_shard,
    shard_is_done,
    write_manifest,
)

logger = logging.getLogger(__name__)


def _as_inputs(dataset):
    from ._train import dataset_items

    if hasattr(dataset, "paths") and hasattr(dataset, "labels"):
        return dataset_items(dataset), np.asarray(dataset.labels), np.asarray(dataset.groups, dtype=object)
    if isinstance(dataset, (str, os.PathLike)):
        raise ValueError("Expected a Dataset or a sequence of items, got a single path; wrap it in a list.")
    return list(dataset), None, None


def _one_thread(estimator):
    """A clone with every ``n_jobs`` set to 1: a shard task runs on one core."""
    est = clone(estimator)
    params = est.get_params(deep=True)
    return est.set_params(**{k: 1 for k in params if k == "n_jobs" or k.endswith("__n_jobs")})


#: parameters naming files or folders that a worker elsewhere must find at the same place
_PATH_PARAMS = ("cache", "weights")


def _absolute_paths(estimator):
    """A clone whose cache folders and weight files are absolute paths (workers may run elsewhere)."""
    est = clone(estimator)
    found = {}
    for key, value in est.get_params(deep=True).items():
        if key.rsplit("__", 1)[-1] in _PATH_PARAMS and isinstance(value, (str, os.PathLike)):
            if value != "imagenet":
                found[key] = os.path.abspath(value)
    return est.set_params(**found)


def _run_dask(client, shards, estimators, directory, bar, retries):
    from uuid import uuid4

    from distributed import as_completed

    loader, features, extras = estimators
    loader, features = (_one_thread(_absolute_paths(e)) for e in (loader, features))
    extras = None if extras is None else replace(extras, n_jobs=1)
    token = uuid4().hex[:8]  # fresh keys: never reuse a result the scheduler still holds
    # workers may start in another folder: relative paths are made absolute here
    shards = [replace(s, items=[_absolute(item) for item in s.items]) for s in shards]
    futures = client.map(
        run_shard,
        shards,
        loader=loader,
        features=features,
        directory=directory,
        extras=extras,
        single_thread=True,
        key=[f"facetruth-shard-{s.name}-{token}" for s in shards],
        retries=retries,
        pure=False,
    )
    out = []
    for future in as_completed(futures):
        out.append(future.result())
        bar.update(1)
    return out


def _absolute(item):
    if isinstance(item, (str, os.PathLike)):
        return os.path.abspath(item)
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], (str, os.PathLike)):
        return (os.path.abspath(item[0]), item[1])
    return item


def _run_local(shards, estimators, directory, n_jobs, bar):
    from joblib import Parallel, delayed, effective_n_jobs

    loader, features, extras = estimators
    if effective_n_jobs(n_jobs) == 1 or len(shards) < 2:
        out = []
        for spec in shards:
            out.append(run_shard(spec, loader, features, directory, extras=extras))
            bar.update(1)
        return out
    loader, features = _one_thread(loader), _one_thread(features)
    extras = None if extras is None else replace(extras, n_jobs=1)
    tasks = (
        delayed(run_shard)(s, loader, features, directory, extras=extras, single_thread=True) for s in shards
    )
    out = []
    for summary in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(tasks):
        out.append(summary)
        bar.update(1)
    return out


def extract_features(
    loader,
    features,
    dataset,
    *,
    out,
    client=None,
    shard_size=256,
    extras=None,
    n_jobs=None,
    retries=2,
    progress=False,
):
    """Decode, crop and extract the features of a data set, shard by shard.

    The features equal those of ``features.fit_transform(loader.transform(items))``
    in one process; only where and in what order they are computed differs.
    The estimators are not changed: each process works on clones.

    Parameters
    ----------
    loader : ImageLoader
        Unfitted, e.g. from :func:`~facetruth.pipelines.build_loader`.
    features : FeatureUnion
        Unfitted families, e.g. from :func:`~facetruth.pipelines.build_features`.
    dataset : Dataset or sequence
        A :class:`~facetruth.data.Dataset` (labels and groups are kept), or a
        list of loader items (paths, ``(video, frame)`` tuples, arrays).
    out : str or os.PathLike
        Shard folder; shards already there with the same content hash are
        skipped, so re-running a killed extraction finishes it.
    client : dask.distributed.Client, default=None
        Run the shards as tasks on this client's cluster (the workers must
        see the data and ``out`` at the same paths; relative paths, cache
        folders and weight files are made absolute). ``None`` runs them here.
    shard_size : int, default=256
        Items per shard (one task, one file).
    extras : TrainingExtras, default=None
        Extra training rows (:func:`~facetruth.pipelines.build_extras`): each
        shard makes those of its own crops, seeded by the recipe's seed and
        the shard's position, and stores their features and the positions of
        their sources. They follow the same recipe as the rows
        :func:`~facetruth.pipelines.train_detector` makes from the whole set,
        but are not the same rows (each shard draws with its own seed, and a
        pseudo-fake ratio is applied per shard). Needs a labelled Dataset.
    n_jobs : int, default=None
        Without a client: joblib processes running shards (one thread
        each); ``None`` means 1 unless a ``joblib.parallel_config`` context
        says otherwise, and 1 runs them one after another in this process
        (with the estimators' own ``n_jobs``).
    retries : int, default=2
        With a client: times a failed task is retried (a task on a worker
        that dies is rescheduled by Dask regardless).
    progress : bool, default=False
        A tqdm bar of shards on stderr.

    Returns
    -------
    result : ExtractionResult

    Raises
    ------
    ValueError
        For an empty data set, a bad ``shard_size``, or ``extras`` without labels.
    Exception
        A shard task's error after ``retries`` retries, re-raised as is; the
        shards finished so far stay on disk and a re-run resumes from them.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from facetruth.pipelines import build_features, build_loader, extract_features
    >>> images = list(np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8))
    >>> loader, union = build_loader(face="off", image_size=32), build_features("fft")
    >>> result = extract_features(loader, union, images, out=tempfile.mkdtemp(), shard_size=2)
    >>> fitted_names = union.fit(images[:1]).get_feature_names_out().tolist()
    >>> len(result.X), result.shards_done, result.feature_names == fitted_names
    (3, 2, True)
    """
    items, labels, groups = _as_inputs(dataset)
    if not items:
        raise ValueError("No images given (empty data set).")
    if extras is not None and labels is None:
        raise ValueError("Extra training rows are made from labelled crops: give a Dataset, not items.")
    params_hash = shard_params(loader, features, extras)
    names = feature_names(features)
    directory = Path(out).absolute()
    directory.mkdir(parents=True, exist_ok=True)
    shards = plan_shards(items, labels, params_hash, shard_size)
    todo = [s for s in shards if not shard_is_done(directory / s.filename)]
    logger.info("%d shards, %d already done in %s", len(shards), len(shards) - len(todo), directory)
    estimators = (loader, features, extras)
    with tqdm(total=len(todo), desc="feature shards", unit="shard", disable=not progress) as bar:
        if client is not None:
            summaries = _run_dask(client, todo, estimators, os.fspath(directory), bar, retries)
        else:
            summaries = _run_local(todo, estimators, os.fspath(directory), n_jobs, bar)
    done = sum(1 for s in summaries if s["computed"])
    result = _collect(directory, shards, items, labels, groups, names)
    result.shards_done, result.shards_skipped = done, len(shards) - done
    write_manifest(
        directory,
        {
            "params_hash": params_hash,
            "features": [name for name, _ in features.transformer_list],
            "face": loader.face,
            "image_size": int(loader.image_size),
            "align": loader.align if loader.align not in (None, "none") else False,
            "extras": None if extras is None else extras.describe(),
            "n_items": len(items),
            "n_ok": int(result.ok.size),
            "n_extra": int(result.extra_labels.size),
            "feature_names": names,
            "shards": [{"file": s.filename, "start": s.start, "stop": s.stop} for s in shards],
            "shards_done": result.shards_done,
            "shards_skipped": result.shards_skipped,
            "failed": [{"item": item, "error": msg} for item, msg in result.failed],
        },
    )
    return result


def _collect(directory, shards, items, labels, groups, names):
    files = [directory / s.filename for s in shards]
    ok, failed, found, spec_sum, spec_count = [], [], [], 0.0, 0
    extra = {"extra_labels": [], "extra_sources": [], "extra_kinds": []}
    for path in files:
        shard = read_shard(path, arrays=False)
        ok.append(shard["ok"])
        found.append(shard["face_found"])
        for key, parts in extra.items():
            parts.append(shard[key])
        failed.extend((item_identity(items[i]), msg) for i, msg in shard["errors"])
        spec_sum = spec_sum + shard["spectrum_sum"]
        spec_count = spec_count + shard["spectrum_count"]
    return ExtractionResult(
        directory=directory,
        items=items,
        labels=labels,
        groups=groups,
        ok=np.concatenate(ok).astype(int),
        feature_names=names,
        failed=failed,
        shard_files=files,
        face_found=np.concatenate(found),
        spectrum_sum=np.asarray(spec_sum),
        spectrum_count=np.asarray(spec_count),
        extra_labels=np.concatenate(extra["extra_labels"]).astype(np.int64),
        extra_sources=np.concatenate(extra["extra_sources"]).astype(np.int64),
        extra_kinds=np.concatenate(extra["extra_kinds"]).astype(str),
    )
