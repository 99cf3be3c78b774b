"""Scoring a batch with a fitted detector: one row per item, in order, past bad items.

:func:`predict_items` is the one scoring path of the command line, the web app
and evaluation: every item (path, array, encoded bytes or ``(video, frame)``
tuple) gets a :class:`Prediction` with the same fields, whether it was scored
or failed. An item is called fake when its probability is *above* the
model's threshold (a probability equal to the threshold is real), and
inconclusive, with a reason, where the model has no grounds for a verdict
(see :mod:`._verdicts`).
"""

import copy
import os
from dataclasses import dataclass, fields

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import FeatureUnion, Pipeline

from ..exceptions import ModelIntegrityError
from ._crop_chunks import describe_item
from ._progress import transform_batches
from ._train import load_images
from ._verdicts import UNREADABLE, verdict_rules


@dataclass(frozen=True)
class Prediction:
    """The outcome for one item; failed items have the same fields, set to ``None``.

    Attributes
    ----------
    item : str
        The item's name: its path, ``video#frame=N``, or the name given.
    verdict : {"real", "fake", "inconclusive"} or None
        ``"fake"`` when ``prob_fake > threshold``, else ``"real"``, unless
        the model has no grounds for a verdict: ``"inconclusive"``, with
        ``reason`` saying why; ``None`` when the item could not be scored.
    prob_fake : float or None
        Calibrated probability that the item is fake.
    threshold : float
        The model's decision threshold.
    reason : str or None
        Machine-readable cause of a missing verdict: ``"unreadable"`` for a
        failed item, or for an inconclusive one ``"no_face"``,
        ``"face_too_small"``, ``"out_of_distribution"`` or ``"uncertain"``
        (:data:`~facetruth.pipelines.INCONCLUSIVE_REASONS`); ``None`` for a
        real or fake verdict.
    message : str
        One human-readable sentence: the verdict's margin, why there is no
        verdict, or what went wrong.
    face_found : bool or None
        Whether a face detector found the face that was scored (``False``
        for the centre square).
    face_box : tuple of int or None
        ``(x0, y0, x1, y1)`` of the face in the decoded image.
    face_method : str or None
        How the crop was made: ``"dlib"``, ``"haar"``, ``"lbp"``,
        ``"centre"`` or ``"off"``.
    error : str or None
        Why the item failed; ``None`` when it was scored.

    Examples
    --------
    >>> from facetruth.pipelines import Prediction
    >>> row = Prediction("a.png", None, None, 0.5, reason="unreadable", error="a.png: empty file")
    >>> row.failed, row.as_dict()["verdict"]
    (True, None)
    """

    item: str
    verdict: str | None
    prob_fake: float | None
    threshold: float
    reason: str | None = None
    message: str = ""
    face_found: bool | None = None
    face_box: tuple | None = None
    face_method: str | None = None
    error: str | None = None

    @property
    def failed(self):
        """Whether the item could not be scored."""
        return self.error is not None

    def as_dict(self):
        """The fields as a JSON-ready dict (``face_box`` as a list).

        Examples
        --------
        >>> from facetruth.pipelines import Prediction
        >>> Prediction("a.png", "real", 0.25, 0.5, face_box=(1, 2, 3, 4)).as_dict()["face_box"]
        [1, 2, 3, 4]
        """
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["face_box"] = None if self.face_box is None else list(self.face_box)
        return out


@dataclass(frozen=True)
class ScoredItems:
    """What :func:`score_items` returns: the rows, and the crops and features of the scored items.

    Attributes
    ----------
    predictions : list of Prediction
        One per item, in input order.
    crops : ndarray of shape (n_scored, size, size, 3), dtype uint8
        Face crops of the items that were scored.
    features : ndarray of shape (n_scored, n_features)
        Their feature rows (what the detector saw).
    scored : ndarray of int
        Input positions of those items.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.pipelines import build_pipeline, score_items
    >>> images = list(np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8))
    >>> model = build_pipeline("fft", "logistic", face="off", image_size=32, cv=2).fit(images, [0, 1] * 4)
    >>> result = score_items(model, [b"not an image", images[0]])
    >>> len(result.predictions), result.predictions[0].reason, result.scored.tolist(), result.features.shape
    (2, 'unreadable', [1], (1, 69))
    """

    predictions: list
    crops: np.ndarray
    features: np.ndarray
    scored: np.ndarray


def split_pipeline(model):
    """The loader, the feature steps and the detector of a detector pipeline.

    Parameters
    ----------
    model : sklearn.pipeline.Pipeline
        A detector as built by :func:`~facetruth.pipelines.build_pipeline`:
        an :class:`~facetruth.pipelines.ImageLoader` first, the classifier
        last, feature steps between.

    Returns
    -------
    loader : ImageLoader
    features : sklearn.pipeline.Pipeline
        The steps between loader and classifier (a slice sharing their state).
    detector : estimator
        The last step, usually a :class:`~facetruth.models.CalibratedDetector`.

    Raises
    ------
    ModelIntegrityError
        ``model`` is not such a pipeline.

    Examples
    --------
    >>> from facetruth.pipelines import build_pipeline, split_pipeline
    >>> loader, features, detector = split_pipeline(build_pipeline("fft", "logistic", face="off"))
    >>> type(loader).__name__, list(features.named_steps), type(detector).__name__
    ('ImageLoader', ['features'], 'CalibratedDetector')
    """
    if not isinstance(model, Pipeline) or len(model.steps) < 3 or not hasattr(model[0], "load"):
        raise ModelIntegrityError(
            f"Expected a FaceTruth detector pipeline (image loader, features, classifier), "
            f"got {type(model).__name__}; build one with facetruth.build_pipeline, or retrain "
            "a model saved by another version."
        )
    return model[0], model[1:-1], model[-1]


def decision_threshold(model):
    """The decision threshold of a fitted detector pipeline.

    Parameters
    ----------
    model : sklearn.pipeline.Pipeline
        A fitted detector (see :func:`split_pipeline`).

    Returns
    -------
    threshold : float
        Items with ``prob_fake`` above it are called fake.

    Raises
    ------
    ModelIntegrityError
        The pipeline's last step holds no fitted threshold.

    Examples
    --------
    >>> from facetruth.pipelines import build_pipeline, decision_threshold
    >>> decision_threshold(build_pipeline("fft", "logistic", face="off"))
    Traceback (most recent call last):
    ...
    facetruth.exceptions.ModelIntegrityError: The detector has no fitted decision threshold ...
    """
    threshold = getattr(split_pipeline(model)[2], "threshold_", None)
    if threshold is None:
        raise ModelIntegrityError(
            "The detector has no fitted decision threshold (threshold_): fit the pipeline, "
            "or retrain a model saved by another version."
        )
    return float(threshold)


def _name(item):
    if isinstance(item, Exception):
        return f"<{type(item).__name__}>"
    if isinstance(item, (bytes, bytearray, memoryview)):
        return "<bytes>"
    return describe_item(item)


def _failed(name, threshold, error):
    return Prediction(name, None, None, threshold, reason=UNREADABLE, message=error, error=error)


def _scored(name, rules, prob, info, novelty):
    verdict, reason, message = rules.judge(prob, info, novelty)
    box = info.get("box")
    return Prediction(
        name,
        verdict,
        prob,
        rules.threshold,
        reason=reason,
        message=message,
        face_found=bool(info.get("face_found", False)),
        face_box=None if box is None else tuple(int(v) for v in box),
        face_method=info.get("method"),
    )


def with_n_jobs(features, n_jobs):
    """Fitted feature steps whose transformers use ``n_jobs``, the model left as it is.

    Each transformer with an ``n_jobs`` parameter is copied shallowly (its
    fitted state and network shared) with the new value; the unions and
    pipelines around them are copied too. The features do not depend on
    ``n_jobs``.

    Parameters
    ----------
    features : transformer, FeatureUnion or Pipeline
        Fitted, e.g. the feature steps of :func:`split_pipeline`.
    n_jobs : int

    Returns
    -------
    features : transformer, FeatureUnion or Pipeline
        ``features`` itself when nothing in it takes ``n_jobs``.

    Examples
    --------
    >>> from facetruth.pipelines import build_features
    >>> from facetruth.pipelines._predict import with_n_jobs
    >>> union = build_features("fft,lbp", n_jobs=1)
    >>> faster = with_n_jobs(union, -1)
    >>> [t.n_jobs for _, t in faster.transformer_list], [t.n_jobs for _, t in union.transformer_list]
    ([-1, -1], [1, 1])
    """
    for kind, attribute in ((FeatureUnion, "transformer_list"), (Pipeline, "steps")):
        if isinstance(features, kind):
            members = getattr(features, attribute)
            replaced = [(name, with_n_jobs(t, n_jobs)) for name, t in members]
            if all(new is old for (_, new), (_, old) in zip(replaced, members)):
                return features
            outer = copy.copy(features)
            setattr(outer, attribute, replaced)
            return outer
    if not hasattr(features, "get_params") or "n_jobs" not in features.get_params(deep=False):
        return features
    step = copy.copy(features)
    step.n_jobs = n_jobs
    return step


def _load(loader, items, *, progress):
    """Crops, input positions of the crops, and one info dict per item (``error`` when it failed)."""
    if not items:
        size = int(loader.image_size)
        return np.empty((0, size, size, 3), np.uint8), np.asarray([], dtype=int), []
    loaded = load_images(loader, items, progress=progress)
    return loaded.images, loaded.ok, loaded.infos


def score_items(model, items, *, names=None, band=None, n_jobs=None, progress=False):
    """Score a batch like :func:`predict_items`, keeping the crops and features of the scored items.

    Parameters
    ----------
    model, items, names, band, n_jobs, progress :
        As for :func:`predict_items`.

    Returns
    -------
    result : ScoredItems

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.pipelines import build_pipeline, score_items
    >>> images = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    >>> model = build_pipeline("fft", "logistic", face="off", image_size=32, cv=2)
    >>> model = model.fit(list(images), [0, 1] * 4)
    >>> result = score_items(model, [images[0], b"not an image", images[1]])
    >>> result.scored.tolist(), result.crops.shape
    ([0, 2], (2, 32, 32, 3))
    """
    loader, features, detector = split_pipeline(model)
    threshold = decision_threshold(model)
    rules = verdict_rules(loader, detector, band=band)
    items = list(items)
    if names is None:
        names = [_name(item) for item in items]
    elif len(names) != len(items):
        raise ValueError(f"names has {len(names)} entries but there are {len(items)} items.")
    if n_jobs is not None:
        loader = clone(loader).set_params(n_jobs=n_jobs)
        features = with_n_jobs(features, n_jobs)
    rows = [None] * len(items)
    pending = []
    for i, item in enumerate(items):
        if isinstance(item, Exception):
            rows[i] = _failed(os.fspath(names[i]), threshold, str(item))
        else:
            pending.append(i)
    crops, ok, infos = _load(loader, [items[i] for i in pending], progress=progress)
    feats, prob, novelty = np.empty((0, 0)), np.empty(0), [None] * len(ok)
    if len(ok):
        feats = transform_batches(features, crops, progress=progress)
        prob = detector.predict_proba(feats)[:, 1]
        if rules.novelty_limit is not None:
            novelty = detector.novelty(feats)
    for k, info in enumerate(infos):
        if "error" in info:
            rows[pending[k]] = _failed(os.fspath(names[pending[k]]), threshold, str(info["error"]))
    for j, k in enumerate(ok):
        pos = pending[k]
        rows[pos] = _scored(os.fspath(names[pos]), rules, float(prob[j]), infos[k], novelty[j])
    scored = np.asarray([pending[k] for k in ok], dtype=int)
    return ScoredItems(rows, crops, feats, scored)


def predict_items(model, items, *, names=None, band=None, n_jobs=None, progress=False):
    """Score a batch of items with a fitted detector, carrying on past bad items.

    Parameters
    ----------
    model : sklearn.pipeline.Pipeline
        A fitted detector (from :func:`facetruth.load` or a fitted
        :func:`~facetruth.pipelines.build_pipeline`).
    items : sequence
        Paths, ``(height, width, 3)`` uint8 arrays, encoded image bytes or
        ``(video_path, frame_index)`` tuples. An exception instance stands
        for an item that already failed (an unreadable video from
        :func:`~facetruth.data.expand_inputs`, an upload refused unread):
        its row carries the exception's message.
    names : sequence of str, default=None
        Display names of the items; by default the path, ``video#frame=N``
        or ``<array (h, w, 3)>``.
    band : float, default=None
        ``None`` keeps the model's verdicts: ``fake`` at or above its fake
        cutoff, ``real`` at or below its real cutoff, inconclusive between
        them (both chosen on out-of-fold data). A number replaces them by
        a symmetric band around the threshold, within which verdicts are
        inconclusive; ``0`` leaves the threshold alone to decide.
    n_jobs : int, default=None
        Processes that decode and crop, and the feature families' processes
        and threads (``-1``: every core, ``-2``: all but one); ``None`` keeps
        the model's settings. The scores do not depend on it.
    progress : bool, default=False
        Show a tqdm bar on stderr.

    Returns
    -------
    predictions : list of Prediction
        One per item, in input order; failed items have ``error`` and
        ``reason`` set and ``verdict`` and ``prob_fake`` ``None``;
        inconclusive items have ``reason`` set and keep ``prob_fake``.

    Raises
    ------
    ModelIntegrityError
        ``model`` is not a fitted detector pipeline.

    Examples
    --------
    >>> import numpy as np
    >>> import facetruth
    >>> images = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    >>> model = facetruth.build_pipeline("fft", "logistic", face="off", image_size=32, cv=2)
    >>> model = model.fit(list(images), [0, 1] * 4)
    >>> rows = facetruth.predict_items(model, [images[0], "missing.png"])
    >>> [row.verdict in ("real", "fake", "inconclusive") for row in rows], rows[1].reason
    ([True, False], 'unreadable')
    """
    return score_items(model, items, names=names, band=band, n_jobs=n_jobs, progress=progress).predictions
