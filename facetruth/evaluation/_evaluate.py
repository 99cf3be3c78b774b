"""Measuring a fitted detector on a labelled data set at its stored threshold.

Beside the usual metrics (on every scored item, whatever its verdict), the
coverage: the share of the inputs given a verdict (real or fake rather than
inconclusive or failed), and the accuracy of those verdicts; and where the
scores fall (:func:`score_summary`), which is all there is to say of a folder
of one class: how many are called fake.
"""

from collections import Counter

import numpy as np

from ..exceptions import ImageDecodeError
from ..metrics import detection_metrics, flag_rates
from ..pipelines import dataset_items, decision_threshold, predict_items


def evaluate_model(model, dataset, *, band=None, n_jobs=None, progress=False):
    """Metrics of a fitted detector on a data set, at the model's own threshold.

    Every item is scored with :func:`facetruth.predict_items`; items that
    fail to load are left out of the metrics and counted. The metrics are
    computed on every scored item, inconclusive ones included; the coverage
    and the accuracy of the verdicts given are reported beside them.

    Parameters
    ----------
    model : sklearn.pipeline.Pipeline
        A fitted detector (from :func:`facetruth.load` or training).
    dataset : Dataset
        Labelled items (1 = fake, 0 = real), e.g. from
        :func:`~facetruth.data.load_dataset`.
    band : float, default=None
        ``None`` keeps the model's cutoffs for real and fake; a number
        replaces them by a symmetric band around the threshold (see
        :func:`facetruth.predict_items`).
    n_jobs : int, default=None
        Processes that decode and crop; ``None`` keeps the loader's setting.
    progress : bool, default=False
        Show a tqdm bar on stderr.

    Returns
    -------
    metrics : dict
        :func:`~facetruth.metrics.detection_metrics` of the items that were
        scored, plus ``n_failed``, ``coverage`` (share of all items given a
        real or fake verdict), ``covered_accuracy`` (accuracy of those
        verdicts; ``None`` when there are none), ``inconclusive`` (count
        per reason), ``sides`` (per verdict, fake and real: how many items
        got it, the share of their class that did, and the share of them
        that are right; see :func:`verdict_coverage`) and :func:`score_summary`'s entries. A data set of one
        class (``load_dataset(..., one_class=True)`` or ``label=``) has
        ``one_class`` (``"real"`` or ``"fake"``; ``None`` with both), ``None``
        for every metric it leaves undefined (``auc``, ``ap``, ``eer``,
        ``balanced_accuracy``, and ``recall`` and ``f1`` without fakes) and a
        ``note`` (:func:`one_class_note`) that says so. Flag rates count ``prob_fake >
        threshold`` on every scored item, inconclusive verdicts included, as
        the other metrics do.
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
    >>> metrics["coverage"] <= 8 / 9
    True
    """
    predictions = predict_items(model, dataset_items(dataset), band=band, n_jobs=n_jobs, progress=progress)
    scored = np.array([not p.failed for p in predictions], dtype=bool)
    prob = np.array([p.prob_fake for p in predictions if not p.failed], dtype=float)
    if not scored.any():
        first = predictions[0].error if predictions else "the data set is empty"
        raise ImageDecodeError(f"None of the {len(predictions)} items could be scored; the first: {first}")
    labels = np.asarray(dataset.labels)[scored]
    metrics = detection_metrics(labels, prob, decision_threshold(model))
    metrics["n_failed"] = int((~scored).sum())
    metrics.update(verdict_coverage(predictions, dataset.labels))
    sources = np.asarray(dataset.sources, dtype=object)[scored]
    metrics.update(score_summary(labels, prob, metrics["threshold"], sources=sources))
    present = one_class(labels)
    metrics["one_class"] = present
    if present:
        metrics["note"] = one_class_note(present)
    return metrics, predictions


def one_class(labels):
    """``"real"`` or ``"fake"`` when every label is that class, else ``None``.

    Examples
    --------
    >>> from facetruth.evaluation._evaluate import one_class
    >>> one_class([0, 0]), one_class([1]), one_class([0, 1])
    ('real', 'fake', None)
    """
    present = np.unique(np.asarray(labels).astype(int))
    if present.size != 1:
        return None
    return "fake" if present[0] else "real"


def one_class_note(present):
    """What the metrics of a data set of one class can and cannot say.

    Examples
    --------
    >>> from facetruth.evaluation._evaluate import one_class_note
    >>> print(one_class_note("real"))  # doctest: +NORMALIZE_WHITESPACE
    only real items: one-class metrics are limited. AUC, AP, EER, balanced accuracy, recall and F1
    need both real and fake items (n/a here); precision is 0 or n/a. What this measures is flag_rate,
    the share of these real images called fake (false alarms), and where the scores fall.
    """
    if present == "real":
        undefined, precision, meaning = "AUC, AP, EER, balanced accuracy, recall and F1", "0", "false alarms"
    else:
        undefined, precision, meaning = (
            "AUC, AP, EER and balanced accuracy",
            "1",
            "the detection rate, as recall",
        )
    return (
        f"only {present} items: one-class metrics are limited. {undefined} need both real and fake items "
        f"(n/a here); precision is {precision} or n/a. What this measures is flag_rate, the share of these "
        f"{present} images called fake ({meaning}), and where the scores fall."
    )


def score_summary(labels, prob, threshold, *, sources=None, n_bins=10):
    """Where a data set's scores fall: the share called fake, the mean score, a histogram.

    Parameters
    ----------
    labels : array-like of shape (n_items,)
        1 = fake, 0 = real; one class is enough.
    prob : array-like of shape (n_items,)
        ``prob_fake``.
    threshold : float
        An item is called fake when ``prob > threshold``.
    sources : array-like of str of shape (n_items,), default=None
        With more than one source, the flag rates of each.
    n_bins : int, default=10
        Equal bins of [0, 1] for the histogram.

    Returns
    -------
    summary : dict
        :func:`~facetruth.metrics.flag_rates` (``flag_rate``, and per class
        ``flag_rate_fake`` and ``flag_rate_real``, ``None`` for an absent
        class), ``mean_prob_fake``, ``histogram`` (``edges`` and ``counts``)
        and, with several sources, ``flag_rate_by_source`` (source to ``n``
        and its flag rates).

    Examples
    --------
    >>> from facetruth.evaluation._evaluate import score_summary
    >>> out = score_summary([0, 0, 0, 0], [0.05, 0.15, 0.62, 0.97], 0.5, n_bins=4)
    >>> out["flag_rate"], out["flag_rate_real"], out["flag_rate_fake"], out["mean_prob_fake"]
    (0.5, 0.5, None, 0.4475)
    >>> out["histogram"]
    {'edges': [0.0, 0.25, 0.5, 0.75, 1.0], 'counts': [2, 0, 1, 1]}
    """
    labels = np.asarray(labels).astype(int).ravel()
    prob = np.asarray(prob, dtype=float).ravel()
    out = flag_rates(labels, prob, threshold)
    out["mean_prob_fake"] = round(float(np.mean(prob)), 6) if prob.size else None
    counts, edges = np.histogram(np.clip(prob, 0, 1), bins=int(n_bins), range=(0.0, 1.0))
    out["histogram"] = {"edges": [round(float(e), 6) for e in edges], "counts": counts.tolist()}
    if sources is not None and len(set(sources)) > 1:
        sources = np.asarray(sources, dtype=object)
        out["flag_rate_by_source"] = {
            str(s): {
                "n": int(np.sum(sources == s)),
                **flag_rates(labels[sources == s], prob[sources == s], threshold),
            }
            for s in dict.fromkeys(sources)
        }
    return out


def verdict_coverage(predictions, labels):
    """Share of the items given a verdict, the accuracy of those verdicts, and why the others got none.

    Parameters
    ----------
    predictions : list of Prediction
        One per item, from :func:`facetruth.predict_items`.
    labels : array-like of shape (n_items,)
        1 = fake, 0 = real.

    Returns
    -------
    coverage : dict
        ``coverage`` (share of all items, failed ones included),
        ``covered_accuracy`` (``None`` without a verdict),
        ``inconclusive`` (count per reason) and ``sides``: for ``"fake"``
        and ``"real"``, ``n`` (items given that verdict), ``coverage`` (the
        share of the items of that class given it; ``None`` without such
        items) and ``precision`` (the share of those verdicts that are
        right; ``None`` without any).

    Examples
    --------
    >>> from facetruth.evaluation._evaluate import verdict_coverage
    >>> from facetruth.pipelines import Prediction
    >>> rows = [Prediction("a", "fake", 0.9, 0.5), Prediction("b", "real", 0.6, 0.5),
    ...         Prediction("c", "inconclusive", 0.52, 0.5, reason="uncertain")]
    >>> out = verdict_coverage(rows, [1, 1, 0])
    >>> round(out["coverage"], 3), out["covered_accuracy"], out["inconclusive"]
    (0.667, 0.5, {'uncertain': 1})
    >>> out["sides"]
    {'fake': {'n': 1, 'coverage': 0.5, 'precision': 1.0}, 'real': {'n': 1, 'coverage': 0.0, 'precision': 0.0}}
    """
    labels = np.asarray(labels).astype(int)
    if len(labels) != len(predictions):
        raise ValueError(f"{len(predictions)} predictions but {len(labels)} labels.")
    given = [
        (p.verdict == "fake") == bool(y) for p, y in zip(predictions, labels) if p.verdict in ("real", "fake")
    ]
    reasons = Counter(p.reason for p in predictions if p.verdict == "inconclusive")
    verdicts = np.array([p.verdict for p in predictions], dtype=object)
    sides = {}
    for side, label in (("fake", 1), ("real", 0)):
        called, of_class = verdicts == side, labels == label
        sides[side] = {
            "n": int(called.sum()),
            "coverage": float((called & of_class).sum() / of_class.sum()) if of_class.any() else None,
            "precision": float((labels[called] == label).mean()) if called.any() else None,
        }
    return {
        "coverage": len(given) / len(predictions) if predictions else 0.0,
        "covered_accuracy": float(np.mean(given)) if given else None,
        "inconclusive": dict(reasons),
        "sides": sides,
    }
