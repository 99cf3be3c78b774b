"""Helpers that several commands share: cache folder, progress bars, Dask options."""

import os
import sys

EXIT_OK, EXIT_ITEM_FAILED, EXIT_ERROR = 0, 1, 2


def cache_dir(args):
    """The cache folder of ``--cache``, else ``$FACETRUTH_CACHE``, else ``None``."""
    return args.cache or os.environ.get("FACETRUTH_CACHE") or None


def load_data(paths, *, one_class=False):
    """The data set of ``--data``: one folder or manifest as it is, several joined, each a source.

    Each set may hold one class; together they must hold both unless
    ``one_class`` (a real-only set for pseudo-fakes, a folder to measure).
    """
    from ..data import concat_datasets, load_dataset

    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if len(paths) == 1:
        return load_dataset(paths[0], one_class=one_class)
    dataset = concat_datasets([load_dataset(p, one_class=True) for p in paths])
    counts = dataset.counts()
    if not one_class and min(counts.values()) == 0:
        from ..exceptions import DatasetLayoutError

        raise DatasetLayoutError(
            f"{', '.join(map(str, paths))}: only one class found together ({counts[0]} real, {counts[1]} fake); "
            "both real and fake items are needed."
        )
    return dataset


def progress():
    """Whether to draw tqdm bars: stderr is a terminal or ``$FACETRUTH_PROGRESS`` is set."""
    return sys.stderr.isatty() or bool(os.environ.get("FACETRUTH_PROGRESS"))


def pipeline_params(args):
    """The ``cache``, ``n_jobs``, ``device`` and ``backbone`` parameters of :func:`build_pipeline`."""
    return {
        "cache": cache_dir(args),
        "n_jobs": args.n_jobs,
        "device": args.device,
        "backbone": getattr(args, "backbone", None),
    }


def loader_align(args):
    """The loader's ``align`` from ``--align`` (``False`` for none)."""
    value = getattr(args, "align", "none")
    return False if value in (None, "none") else value


def on_dask(args):
    """Whether ``--scheduler`` or ``--dask-workers`` was given."""
    return getattr(args, "scheduler", None) is not None or getattr(args, "dask_workers", None) is not None


def dask_client(args):
    """The client context of ``--scheduler`` / ``--dask-workers``, or ``None`` without them."""
    if not on_dask(args):
        return None
    from ..pipelines import dask_client as client

    return client(args.scheduler, args.dask_workers)
