"""Helpers that several commands share: cache folder, progress bars, Dask options."""

import os
import sys

EXIT_OK, EXIT_ITEM_FAILED, EXIT_ERROR = 0, 1, 2


def cache_dir(args):
    """The cache folder of ``--cache``, else ``$FACETRUTH_CACHE``, else ``None``."""
    return args.cache or os.environ.get("FACETRUTH_CACHE") or None


def load_model(args):
    """The model of ``args.model`` (``--trust``, ``--allow-drift``), every cache of it set to :func:`cache_dir`'s.

    The cache folders a model was trained with are never used: they may be
    another machine's paths. A model whose features differ here from the
    fingerprint in its card raises :class:`~facetruth.exceptions.FeatureDriftError`
    unless ``--allow-drift``.
    """
    from ..exceptions import NotAModelError
    from ..models import load, set_cache

    try:
        model = load(args.model, trust=args.trust, allow_drift=getattr(args, "allow_drift", False))
    except NotAModelError as exc:
        if exc.kind not in ("image", "video"):
            raise
        inputs = {"predict": "INPUT...", "evaluate": "DATA..."}.get(args.command, "--data DATA")
        usage = f"facetruth {args.command} MODEL.joblib {inputs}"
        raise NotAModelError(f"{exc} The model file comes first ({usage}).", kind=exc.kind) from None
    return set_cache(model, cache_dir(args))


def load_training_data(paths, *, pseudo_fakes=None):
    """The training set of ``--data``: both classes, or real images for ``--pseudo-fakes``.

    A set of one class gets a message that says what to do: real images
    alone need ``--pseudo-fakes sbi``, fakes alone need real images.
    """
    from ..exceptions import DatasetLayoutError

    dataset = load_data(paths, one_class=True)
    counts = dataset.counts()
    n_real, n_fake = counts.get(0, 0), counts.get(1, 0)
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    where = ", ".join(map(str, paths))
    together = " together" if len(paths) > 1 else ""
    found = f"only one class found{together} ({n_real} real, {n_fake} fake)"
    if n_fake == 0 and not pseudo_fakes:
        raise DatasetLayoutError(
            f"{where}: {found}; a detector needs fakes too. To train on real images alone, pass "
            "--pseudo-fakes sbi (self-blended fakes made from them), or add a folder of fakes."
        )
    if n_real == 0:
        why = "--pseudo-fakes makes its fakes from real images" if pseudo_fakes else "a detector learns both"
        raise DatasetLayoutError(
            f"{where}: {found}; both real and fake images are needed ({why}). Add a folder of real images."
        )
    return dataset


def data_paths(args, example=None):
    """The data sets of ``DATA...`` and ``--data``, in that order; at least one.

    ``example`` (a usage line) ends the error when none is given.
    """
    paths = [*args.paths, *(args.data or [])]
    if not paths:
        hint = f" ({example})" if example else ""
        raise ValueError(f"no data set given: name at least one folder or CSV manifest{hint}.")
    return paths


def load_data(paths, *, one_class=False, label=None):
    """The data set of ``--data``: one folder or manifest as it is, several joined, each a source.

    Each set may hold one class; together they must hold both unless
    ``one_class`` (a real-only set for pseudo-fakes, a folder to measure).
    ``label`` (``"real"`` or ``"fake"``) reads each as a folder of that one
    class (:func:`~facetruth.data.load_dataset`'s ``label``).
    """
    from ..data import concat_datasets, load_dataset

    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if len(paths) == 1:
        return load_dataset(paths[0], one_class=one_class, label=label)
    dataset = concat_datasets([load_dataset(p, one_class=True, label=label) for p in paths])
    counts = dataset.counts()
    if not one_class and min(counts.values()) == 0:
        from ..exceptions import DatasetLayoutError

        raise DatasetLayoutError(
            f"{', '.join(map(str, paths))}: only one class found together ({counts[0]} real, {counts[1]} fake); "
            "both real and fake items are needed."
        )
    return dataset


def progress(args=None):
    """Whether to draw tqdm bars on stderr.

    ``--progress`` or ``--no-progress`` decides when given; otherwise bars are
    drawn when stderr is a terminal or ``$FACETRUTH_PROGRESS`` is set.

    Examples
    --------
    >>> import argparse
    >>> progress(argparse.Namespace(progress=False)), progress(argparse.Namespace(progress=True))
    (False, True)
    """
    chosen = getattr(args, "progress", None)
    if chosen is not None:
        return bool(chosen)
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty()) or bool(os.environ.get("FACETRUTH_PROGRESS"))


def check_output_path(path, *, folder=False, option="--out", example="model.joblib"):
    """Check, before any work, that an output file or folder can be written.

    The nearest existing folder on the way to ``path`` must accept a new file
    (a probe file is created and removed there); missing folders below it are
    made by the write itself. A file output must not be an existing folder,
    and a folder output must not be an existing file.

    Parameters
    ----------
    path : str or os.PathLike
    folder : bool, default=False
        Whether ``path`` names a folder (a run folder, a shard folder).
    option : str, default="--out"
        The option that gave the path, for the message.
    example : str, default="model.joblib"
        A file name to suggest inside a folder given for a file output.

    Raises
    ------
    ValueError
        When ``path`` cannot be written, naming the option and the path.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> check_output_path(f"{folder}/new/m.joblib")
    >>> check_output_path(folder)
    Traceback (most recent call last):
    ...
    ValueError: --out ...: is a folder; give a file path such as .../model.joblib
    """
    import tempfile
    from pathlib import Path

    target = Path(os.fsdecode(path))
    if not str(path):
        raise ValueError(f"{option}: empty path.")
    if target.is_dir() and not folder:
        raise ValueError(f"{option} {target}: is a folder; give a file path such as {target / example}")
    if target.exists() and not target.is_dir() and folder:
        raise ValueError(f"{option} {target}: is a file, not a folder.")
    base = target if folder else target.parent
    base = base.absolute()
    while not base.exists() and base != base.parent:
        base = base.parent
    if not base.is_dir():
        raise ValueError(f"{option} {target}: {base} is not a folder.")
    try:
        fd, probe = tempfile.mkstemp(dir=base, prefix=".facetruth-probe-")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ValueError(
            f"{option} {target}: cannot write there: {base} accepts no new files ({reason})."
        ) from None
    os.close(fd)
    os.unlink(probe)


def pipeline_params(args):
    """The ``cache``, ``n_jobs``, ``device``, ``backbone`` and family parameters of :func:`build_pipeline`."""
    return {
        "cache": cache_dir(args),
        "n_jobs": args.n_jobs,
        "device": args.device,
        "backbone": getattr(args, "backbone", None),
        **family_params(args, args.features),
    }


def family_params(args, features):
    """``clip__blocks``, ``clip__flip``, ``clip__precision`` and ``clip__norms`` from ``--clip-blocks``,
    ``--clip-flip``, ``--clip-precision`` and ``--clip-norms``, checked against the feature families asked for."""
    params = {}
    if getattr(args, "clip_blocks", None) is not None:
        params["clip__blocks"] = args.clip_blocks
    if getattr(args, "clip_flip", False):
        params["clip__flip"] = True
    if getattr(args, "clip_precision", None) is not None:
        params["clip__precision"] = args.clip_precision
    if getattr(args, "clip_norms", None) is not None:
        params["clip__norms"] = args.clip_norms  # read once the family is known to be there
    if not params:
        return {}
    from ..pipelines import resolve_features

    if "clip" not in resolve_features(features):
        options = {
            "clip__blocks": "--clip-blocks",
            "clip__flip": "--clip-flip",
            "clip__precision": "--clip-precision",
            "clip__norms": "--clip-norms",
        }
        named = " and ".join(options[name] for name in params)
        verb = "needs" if len(params) == 1 else "need"
        raise ValueError(f"{named} {verb} the clip family in the features (e.g. clip or clip+handcrafted).")
    if "clip__norms" in params:
        from ..features import read_norms

        params["clip__norms"] = read_norms(params["clip__norms"])[0]
    return params


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
