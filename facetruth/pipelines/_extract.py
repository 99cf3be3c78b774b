"""Feature extraction in shards, in this process, over local cores, or on a Dask cluster.

:func:`extract_features` runs the detector's first two steps (the
:class:`ImageLoader` and the feature union that
:func:`~facetruth.pipelines.build_pipeline` assembles) over a data set in
shards of items. Each shard is computed by :func:`run_shard`, which keeps one
loader and feature union per process (so the CNN is built once per process,
not once per shard) and writes one atomic file named by the shard's content;
a re-run skips the shards already on disk, so a killed run resumes.
"""

import logging
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ._dask_tasks import feature_config, run_shard
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


def _run_dask(client, shards, config, directory, bar, retries):
    from uuid import uuid4

    from distributed import as_completed

    token = uuid4().hex[:8]  # fresh keys: never reuse a result the scheduler still holds
    # workers may start in another folder: relative paths are made absolute here
    shards = [replace(s, items=[_absolute(item) for item in s.items]) for s in shards]
    futures = client.map(
        run_shard,
        shards,
        config={**config, "single_thread": True},
        directory=directory,
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


def _run_local(shards, config, directory, n_jobs, bar):
    from joblib import Parallel, delayed, effective_n_jobs

    if effective_n_jobs(n_jobs) == 1 or len(shards) < 2:
        out = []
        for spec in shards:
            out.append(run_shard(spec, config, directory))
            bar.update(1)
        return out
    tasks = (delayed(run_shard)(s, {**config, "single_thread": True}, directory) for s in shards)
    out = []
    for summary in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(tasks):
        out.append(summary)
        bar.update(1)
    return out


def extract_features(
    dataset,
    features="all",
    *,
    client=None,
    out,
    shard_size=256,
    face="auto",
    image_size=256,
    n_jobs=None,
    cache=None,
    device="auto",
    retries=2,
    progress=False,
    **params,
):
    """Decode, crop and extract the pipeline's features of a data set, shard by shard.

    The features equal those of the pipeline's ``loader`` and ``features``
    steps applied in one process; only where and in what order they are
    computed differs.

    Parameters
    ----------
    dataset : Dataset or sequence
        A :class:`~facetruth.data.Dataset` (labels and groups are kept), or a
        list of loader items (paths, ``(video, frame)`` tuples, arrays).
    features : str or sequence of str, default="all"
        Feature families or a named set, as in :func:`build_pipeline`.
    client : dask.distributed.Client, default=None
        Run the shards as tasks on this client's cluster (the workers must
        see the data and ``out`` at the same paths). ``None`` runs them here.
    out : str or os.PathLike
        Shard folder; shards already there with the same content hash are
        skipped, so re-running a killed extraction finishes it.
    shard_size : int, default=256
        Items per shard (one task, one file).
    face, image_size :
        Settings of the :class:`ImageLoader`.
    n_jobs : int, default=None
        Without a client: joblib processes running shards (one thread
        each); ``None`` means 1 unless a ``joblib.parallel_config`` context
        says otherwise, and 1 runs them one after another in this process.
    cache : str or os.PathLike, default=None
        Crop and feature cache folder of the loader and transformers.
    device : str, default="auto"
        For the CNN families (resolved in each worker).
    retries : int, default=2
        With a client: times a failed task is retried (a task on a worker
        that dies is rescheduled by Dask regardless).
    progress : bool, default=False
        A tqdm bar of shards on stderr.
    **params :
        ``family__param`` settings, as in :func:`build_pipeline`.

    Returns
    -------
    result : ExtractionResult

    Raises
    ------
    ValueError
        For an empty data set or a bad ``shard_size``.
    Exception
        A shard task's error after ``retries`` retries, re-raised as is; the
        shards finished so far stay on disk and a re-run resumes from them.
    """
    items, labels, groups = _as_inputs(dataset)
    if not items:
        raise ValueError("No images given (empty data set).")
    config, names = feature_config(
        features, face=face, image_size=image_size, cache=cache, device=device, **params
    )
    directory = Path(out).absolute()
    directory.mkdir(parents=True, exist_ok=True)
    shards = plan_shards(items, labels, config["params_hash"], shard_size)
    todo = [s for s in shards if not shard_is_done(directory / s.filename)]
    logger.info("%d shards, %d already done in %s", len(shards), len(shards) - len(todo), directory)
    with tqdm(total=len(todo), desc="feature shards", unit="shard", disable=not progress) as bar:
        if client is not None:
            summaries = _run_dask(client, todo, config, os.fspath(directory), bar, retries)
        else:
            summaries = _run_local(todo, config, os.fspath(directory), n_jobs, bar)
    done = sum(1 for s in summaries if s["computed"])
    result = _collect(directory, shards, items, labels, groups, names)
    result.shards_done, result.shards_skipped = done, len(shards) - done
    write_manifest(
        directory,
        {
            "params_hash": config["params_hash"],
            "features": config["features"],
            "face": face,
            "image_size": int(image_size),
            "n_items": len(items),
            "n_ok": int(result.ok.size),
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
    for path in files:
        shard = read_shard(path, arrays=False)
        ok.append(shard["ok"])
        found.append(shard["face_found"])
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
    )
