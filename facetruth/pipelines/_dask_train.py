"""Train the detector from extracted feature shards, on a Dask cluster or in this process.

:func:`train_on_shards` extracts the features with
:func:`~facetruth.pipelines.extract_features` (resuming from finished
shards), fits the :class:`~facetruth.models.CalibratedDetector` on them, and
returns the same fitted ``ImageLoader -> FeatureUnion -> CalibratedDetector``
pipeline and model-card metadata as :func:`~facetruth.pipelines.train_detector`,
so :func:`facetruth.save`, :func:`facetruth.load`, ``predict`` and ``serve``
treat both alike. With a client, XGBoost is trained with
``xgboost.dask.DaskXGBClassifier`` and converted to a local
``xgboost.XGBClassifier`` before the pipeline is returned.
"""

import contextlib
import logging
import os
import time

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from ._dask import DistributedXGBClassifier, n_dask_workers
from ._dask_tasks import fit_features
from ._extract import extract_features
from ._train import TrainingResult, training_card, warn_weak_sides

logger = logging.getLogger(__name__)


def _distributed(estimator):
    """The estimator to fit on a cluster: XGBoost trains there, any other classifier here."""
    from xgboost import XGBClassifier

    if type(estimator) is XGBClassifier:
        return DistributedXGBClassifier(**estimator.get_params())
    return estimator


def train_on_shards(
    pipeline, dataset, *, out, client=None, shard_size=256, extras=None, n_jobs=None, progress=False
):
    """Fit a clone of a detector pipeline from features extracted in shards.

    Parameters
    ----------
    pipeline : Pipeline
        Unfitted steps ``loader``, ``features`` and ``classifier``, e.g. from
        :func:`~facetruth.pipelines.build_pipeline`; it is cloned, not changed.
    dataset : Dataset
        From :func:`~facetruth.data.load_dataset`; its groups keep the
        calibration folds leak-free.
    out : str or os.PathLike
        Shard folder of :func:`~facetruth.pipelines.extract_features`.
    client : dask.distributed.Client, default=None
        Extract on its workers and train XGBoost on them; ``None`` does both
        in this process (``n_jobs`` processes for the shards).
    shard_size : int, default=256
    extras : TrainingExtras, default=None
        Extra training rows (:func:`~facetruth.pipelines.build_extras`),
        made shard by shard from each shard's crops; each joins its source's
        group. They follow :func:`~facetruth.pipelines.train_detector`'s
        recipe, but with a seed per shard, so they are not the same rows.
    n_jobs : int, default=None
        Without a client: processes running the shards.
    progress : bool, default=False

    Returns
    -------
    result : TrainingResult
        ``skipped`` lists ``(item, message)`` of the items that failed.
        Without a client or extra rows, the pipeline equals
        :func:`~facetruth.pipelines.train_detector`'s.

    Raises
    ------
    ValueError
        When the items that decode (with the extra rows) do not cover both classes.

    Examples
    --------
    >>> import tempfile
    >>> from facetruth.data import load_dataset, make_demo_dataset
    >>> from facetruth.pipelines import build_pipeline, train_on_shards
    >>> folder = tempfile.mkdtemp()
    >>> _ = make_demo_dataset(n=16, size=32, out=f"{folder}/data")
    >>> pipe = build_pipeline("fft", "logistic", face="off", image_size=32, cv=2)
    >>> result = train_on_shards(pipe, load_dataset(f"{folder}/data"), out=f"{folder}/shards", shard_size=8)
    >>> result.metadata["scale_out"]["shards_done"]
    2
    """
    start = time.perf_counter()
    pipe = clone(pipeline)
    loader, union, detector = (pipe.named_steps[k] for k in ("loader", "features", "classifier"))
    if extras is not None and extras.ratio and not np.any(np.asarray(dataset.labels) == 0):
        raise ValueError("pseudo-fakes are made from real images, and the training data has none.")
    ext = extract_features(
        loader,
        union,
        dataset,
        out=out,
        client=client,
        shard_size=shard_size,
        extras=extras,
        n_jobs=n_jobs,
        progress=progress,
    )
    X, y, groups = ext.training_rows()
    if np.unique(y).size < 2:
        raise ValueError(
            "Training needs both real (0) and fake (1) images that decode; found one class only."
        )
    union = fit_features(loader, union, [ext.items[ext.ok[0]]])
    if list(union.get_feature_names_out()) != ext.feature_names:
        raise RuntimeError("The shards' feature names differ from the pipeline's feature union.")
    base = detector.estimator
    if client is not None:
        detector.set_params(estimator=_distributed(base))
    logger.info("fitting the classifier on %d x %d features", *X.shape)
    with client.as_current() if client is not None else contextlib.nullcontext():
        detector.fit(X, y, groups=groups)
    if isinstance(detector.estimator_, DistributedXGBClassifier):
        detector.estimator_ = detector.estimator_.to_local()
    detector.set_params(estimator=base)
    warn_weak_sides(detector)
    fitted = Pipeline([("loader", loader.fit()), ("features", union), ("classifier", detector)])
    kinds, counts = np.unique(ext.extra_kinds, return_counts=True)
    metadata = training_card(
        dataset,
        fitted,
        ext.y,
        n_skipped=len(ext.failed),
        face_found=ext.face_found,
        seconds=time.perf_counter() - start,
        summary=shard_summary(ext, X),
        extra_rows={str(k): int(c) for k, c in zip(kinds, counts)},
        extras=extras,
    )
    metadata["scale_out"] = {
        "scheduler": None if client is None else client.scheduler.address,
        "n_workers": None if client is None else n_dask_workers(client),
        "shard_dir": os.fspath(out),
        "shard_size": int(shard_size),
        "shards_done": ext.shards_done,
        "shards_skipped": ext.shards_skipped,
    }
    return TrainingResult(fitted, metadata, list(ext.failed))


def shard_summary(ext, X):
    """The model card's ``training_summary`` from the shards' summed spectra and the features.

    Equals :func:`facetruth.models.training_summary` of the same crops
    (the extra rows' included), without bringing the crops to this process.
    """
    counts = np.asarray(ext.spectrum_count, dtype=int)
    sums = np.asarray(ext.spectrum_sum, dtype=float)
    return {
        "spectrum_bins": int(sums.shape[1]),
        "mean_log_spectrum": {
            name: (sums[k] / counts[k]).round(5).tolist() if counts[k] else None
            for name, k in (("real", 0), ("fake", 1))
        },
        "counts": {"real": int(counts[0]), "fake": int(counts[1])},
        "feature_mean": [float(v) for v in np.asarray(X, dtype=np.float64).mean(axis=0)],
    }
