"""The shard task: what a Dask worker, a joblib process or this process runs for one shard.

:func:`run_shard` receives the (pickled) loader, feature union and extra-row
recipe themselves, decodes and crops a shard's items, computes the features,
makes the shard's extra training rows, sums the log power profiles for the
model card and writes one shard file. Each process keeps a fitted clone of
every distinct loader and union it has been sent, keyed by a hash of the
unfitted estimators (:func:`process_estimators`), so a worker builds the CNN
once however many shards it runs; :func:`process_stats` reports how often
each was built.
"""

import logging
import os
import sys
from collections import Counter
from dataclasses import dataclass

import numpy as np
from joblib import hash as joblib_hash
from sklearn.base import clone

from .._cache import hash_params
from ._shards import shard_is_done, write_shard

logger = logging.getLogger(__name__)

#: per-process fitted estimators keyed by the hash of the unfitted ones, and how often each was built
_ESTIMATORS = {}
_BUILDS = Counter()
_threads_limited = False


def _families(features):
    """``(name, transformer)`` of the union's families, checked to be image feature transformers."""
    out = []
    for name, transformer in features.transformer_list:
        if transformer in ("drop", None):
            continue
        if not all(hasattr(transformer, a) for a in ("family", "_feature_kwargs", "_feature_names")):
            raise TypeError(
                f"Feature family {name!r} ({type(transformer).__name__}) is not an image feature "
                "transformer (facetruth.features); it cannot be extracted in shards."
            )
        out.append((name, transformer))
    return out


def feature_names(features):
    """The union's output names (``fft__fft_bin_000``), known before it is fitted.

    Examples
    --------
    >>> from facetruth.pipelines import build_features
    >>> from facetruth.pipelines._dask_tasks import feature_names
    >>> names = feature_names(build_features("fft,dct"))
    >>> names[0].split("_")[:3], names[-1].split("_")[:3]
    (['fft', '', 'fft'], ['dct', '', 'dct'])
    """
    return [f"{name}__{t.family}_{n}" for name, t in _families(features) for n in t._feature_names()]


def shard_params(loader, features, extras=None):
    """Hash of everything that changes a shard's rows.

    Parameters
    ----------
    loader : ImageLoader
    features : FeatureUnion
    extras : TrainingExtras, default=None

    Returns
    -------
    params_hash : str
        Covers the loader's crop parameters, each family's feature
        parameters, the feature version and the extra-row recipe (absent
        without one, so shards written before extra rows existed still count).

    Examples
    --------
    >>> from facetruth.pipelines import build_extras, build_features, build_loader
    >>> from facetruth.pipelines._dask_tasks import shard_params
    >>> loader, union = build_loader(face="off"), build_features("fft")
    >>> shard_params(loader, union) == shard_params(loader.set_params(n_jobs=4), union)
    True
    >>> shard_params(loader, union) == shard_params(loader, union, build_extras(augment="robust"))
    False
    """
    from ..features import FEATURE_VERSION

    described = {name: t._feature_kwargs() for name, t in _families(features)}
    parts = {"loader": loader._params(), "features": described, "version": FEATURE_VERSION}
    if features.transformer_weights:
        parts["weights"] = features.transformer_weights
    if extras is not None:
        parts["extras"] = extras.describe()
    return hash_params(parts)


def shard_seed(random_state, start):
    """The seed of the extra rows of the shard whose items start at ``start``."""
    return int(np.random.SeedSequence([int(random_state), int(start)]).generate_state(1)[0])


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


@dataclass
class _Fitted:
    loader: object
    union: object
    fitted: bool = False


def process_estimators(loader, features):
    """This process's fitted clones of ``loader`` and ``features``, made on first use only.

    The union is fitted on the first crops it is given (:func:`run_shard`);
    fitting builds the networks of the CNN families.
    """
    key = joblib_hash((loader, features))
    if key not in _ESTIMATORS:
        _ESTIMATORS[key] = _Fitted(clone(loader).fit(), clone(features))
        _BUILDS[key] += 1
        logger.info("process %d built the feature pipeline %s", os.getpid(), key[:8])
    return _ESTIMATORS[key]


def process_stats():
    """``{"pid": ..., "builds": {estimator hash: count}}`` of this process (to check per-process reuse)."""
    return {"pid": os.getpid(), "builds": dict(_BUILDS)}


def fit_features(loader, features, items):
    """A fitted clone of ``features``, fitted on the crops of ``items`` (nothing is learnt from them)."""
    images = clone(loader).fit().load(items, errors="raise").images
    return clone(features).fit(images)


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


def _extra_rows(extras, union, spec, crops, local):
    """Features of the extra rows made from a shard's crops, with global source positions."""
    labels = spec.labels[local]
    rows = extras.make(
        crops, labels, random_state=shard_seed(extras.random_state, spec.start), need_reals=False
    )
    if not len(rows):
        return None, rows.images
    X, keep, _ = _transform(union, rows.images)
    return {
        "X": X,
        "labels": rows.labels[keep],
        "sources": spec.start + local[rows.sources[keep]],
        "kinds": rows.kinds[keep],
    }, rows.images[keep]


def run_shard(spec, loader, features, directory, *, extras=None, single_thread=False):
    """Compute one shard and write ``<directory>/<spec.name>.npz`` (skipped when already there).

    Parameters
    ----------
    spec : ShardSpec
    loader : ImageLoader
        Unfitted; a fitted clone is kept per process.
    features : FeatureUnion
        Unfitted; a fitted clone is kept per process.
    directory : str
    extras : TrainingExtras, default=None
        Extra training rows made from this shard's labelled crops, seeded by
        the recipe's seed and the shard's first position (:func:`shard_seed`).
    single_thread : bool, default=False
        Limit OpenCV, BLAS and torch to one thread in this process.

    Returns
    -------
    summary : dict
        ``name``, ``computed`` (False when the file was already there),
        ``pid``, ``n_ok``, ``n_failed``, ``n_extra``.
    """
    from ..models import SPECTRUM_BINS, log_spectrum

    path = os.path.join(directory, spec.filename)
    if shard_is_done(path):
        return {"name": spec.name, "computed": False, "pid": os.getpid()}
    if single_thread:
        _limit_threads()
    state = process_estimators(loader, features)
    loaded = state.loader.load(spec.items, errors="collect")
    errors = [(spec.start + int(i), msg) for i, msg in loaded.errors]
    if len(loaded.ok) and not state.fitted:
        state.union.fit(loaded.images)
        state.fitted = True
    if len(loaded.ok):
        X, keep, bad = _transform(state.union, loaded.images)
    else:
        X, keep, bad = np.empty((0, len(feature_names(features))), np.float32), np.empty(0, int), []
    errors += [(spec.start + int(loaded.ok[i]), msg) for i, msg in bad]
    local = loaded.ok[keep]
    crops = loaded.images[keep]
    extra, extra_crops = None, crops[:0]
    if extras is not None and spec.labels is not None and len(local):
        extra, extra_crops = _extra_rows(extras, state.union, spec, crops, local)
    spectrum_sum, spectrum_count = np.zeros((2, SPECTRUM_BINS)), np.zeros(2, dtype=np.int64)
    if spec.labels is not None:
        extra_labels = [] if extra is None else extra["labels"]
        for crop, label in zip([*crops, *extra_crops], [*spec.labels[local], *extra_labels]):
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
        extra=extra,
    )
    return {
        "name": spec.name,
        "computed": True,
        "pid": os.getpid(),
        "n_ok": len(local),
        "n_failed": len(errors),
        "n_extra": 0 if extra is None else len(extra["labels"]),
    }
