"""Measuring a fitted detector on a labelled data set at its stored threshold."""

import numpy as np

from ..exceptions import ImageDecodeError
from ..metrics import detection_metrics
from ..pipelines import dataset_items, decision_threshold, predict_items


def evaluate_model(model, dataset, *, n_jobs=None, progress=False):
    """Metrics of a fitted detector on a data set, at the model's own threshold.

    Every item is scored with :func:`facetruth.predict_items`; items that
    fail to load are left out of the metrics and counted.

    Parameters
    ----------
    model : sklearn.pipeline.Pipeline
        A fitted detector (from :func:`facetruth.load` or training).
    dataset : Dataset
        Labelled items (1 = fake, 0 = real), e.g. from
        :func:`~facetruth.data.load_dataset`.
    n_jobs : int, default=None
        Processes that decode and crop; ``None`` keeps the loader's setting.
    progress : bool, default=False
        Show a tqdm bar on stderr.

    Returns
    -------
    metrics : dict
        :func:`~facetruth.metrics.detection_metrics` of the items that were
        scored, plus ``n_failed``.
    predictions : list of Prediction
        One per item of the data set, in its order.

    Raises
    ------
    ImageDecodeError
        No item of the data set could be scored.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from PIL import Image
    >>> import facetruth
    >>> from facetruth.data import Dataset
    >>> from facetruth.evaluation import evaluate_model
    >>> images = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    >>> labels = [0, 1] * 4
    >>> model = facetruth.build_pipeline("fft", "logistic", face="off", image_size=32, cv=2)
    >>> model = model.fit(list(images), labels)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = [Path(folder, f"{i}.png") for i in range(8)]
    ...     for path, image in zip(paths, images):
    ...         Image.fromarray(image).save(path)
    ...     data = Dataset([*paths, Path(folder, "gone.png")], [*labels, 1], range(9), ["demo"] * 9)
    ...     metrics, rows = evaluate_model(model, data)
    >>> metrics["n"], metrics["n_failed"], len(rows)
    (8, 1, 9)
    """
    predictions = predict_items(model, dataset_items(dataset), n_jobs=n_jobs, progress=progress)
    scored = np.array([not p.failed for p in predictions], dtype=bool)
    prob = np.array([p.prob_fake for p in predictions if not p.failed], dtype=float)
    if not scored.any():
        first = predictions[0].error if predictions else "the data set is empty"
        raise ImageDecodeError(f"None of the {len(predictions)} items could be scored; the first: {first}")
    labels = np.asarray(dataset.labels)[scored]
    metrics = detection_metrics(labels, prob, decision_threshold(model))
    metrics["n_failed"] = int((~scored).sum())
    return metrics, predictions
