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

from ._build import build_pipeline
from ._dask import DistributedXGBClassifier, n_dask_workers
from ._extract import extract_features
from ._registry import make_classifier
from ._train import TrainingResult, training_card

logger = logging.getLogger(__name__)


def train_on_shards(
    dataset,
    *,
    out,
    client=None,
    features="all",
    classifier="xgboost",
    face="auto",
    image_size=256,
    shard_size=256,
    cache=None,
    device="auto",
    n_jobs=None,
    calibration="isotonic",
    threshold="eer",
    cv=5,
    random_state=0,
    progress=False,
    **params,
):
    """Fit a detector pipeline from features extracted in shards.

    Parameters
    ----------
    dataset : Dataset
        From :func:`~facetruth.data.load_dataset`; its groups keep the
        calibration folds leak-free.
    out : str or os.PathLike
        Shard folder of :func:`~facetruth.pipelines.extract_features`.
    client : dask.distributed.Client, default=None
        Extract on its workers and train XGBoost on them; ``None`` does both
        in this process (``n_jobs`` processes for the shards).
    features, classifier, face, image_size, cache, device, n_jobs, calibration, threshold, cv, random_state :
        As in :func:`~facetruth.pipelines.build_pipeline`.
    shard_size : int, default=256
    progress : bool, default=False
    **params :
        ``family__param`` settings.

    Returns
    -------
    result : TrainingResult
        ``skipped`` lists ``(item, message)`` of the items that failed.

    Raises
    ------
    ValueError
        When the items that decode do not cover both classes.
    """
    start = time.perf_counter()
    ext = extract_features(
        dataset,
        features,
        client=client,
        out=out,
        shard_size=shard_size,
        face=face,
        image_size=image_size,
        n_jobs=n_jobs,
        cache=cache,
        device=device,
        progress=progress,
        **params,
    )
    y, groups = ext.y, np.asarray(ext.groups)[ext.ok]
    if np.unique(y).size < 2:
        raise ValueError(
            "Training needs both real (0) and fake (1) images that decode; found one class only."
        )
    base = classifier
    if isinstance(classifier, str):
        base = make_classifier(classifier, random_state=random_state, device=device)
    estimator = base
    if client is not None and classifier == "xgboost":
        estimator = DistributedXGBClassifier(**base.get_params())
    pipe = build_pipeline(
        features,
        estimator,
        face,
        image_size,
        cache=cache,
        calibration=calibration,
        threshold=threshold,
        cv=cv,
        device=device,
        n_jobs=n_jobs,
        random_state=random_state,
        **params,
    )
    pipe.named_steps["loader"].fit()
    union = pipe.named_steps["features"].fit(np.zeros((2, image_size, image_size, 3), dtype=np.uint8))
    if list(union.get_feature_names_out()) != ext.feature_names:
        raise RuntimeError("The shards' feature names differ from the pipeline's feature union.")
    detector = pipe.named_steps["classifier"]
    X = ext.X
    logger.info("fitting the classifier on %d x %d features", *X.shape)
    with client.as_current() if client is not None else contextlib.nullcontext():
        detector.fit(X, y, groups=groups)
    if isinstance(detector.estimator_, DistributedXGBClassifier):
        detector.estimator_ = detector.estimator_.to_local()
        detector.set_params(estimator=base)
    metadata = training_card(  # no pseudo-fakes or augmented copies in the sharded path
        dataset,
        pipe,
        y,
        n_skipped=len(ext.failed),
        face_found=ext.face_found,
        classifier=classifier,
        face=face,
        random_state=random_state,
        seconds=time.perf_counter() - start,
        summary=shard_summary(ext, X),
    )
    metadata["scale_out"] = {
        "scheduler": None if client is None else client.scheduler.address,
        "n_workers": None if client is None else n_dask_workers(client),
        "shard_dir": os.fspath(out),
        "shard_size": int(shard_size),
        "shards_done": ext.shards_done,
        "shards_skipped": ext.shards_skipped,
    }
    return TrainingResult(pipe, metadata, list(ext.failed))


def shard_summary(ext, X):
    """The model card's ``training_summary`` from the shards' summed spectra and the features.

    Equals :func:`facetruth.models._explain.training_summary` of the same
    crops, without bringing the crops to this process.
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
