"""Train and apply a detector on datasets and file lists, carrying on past bad images."""

import logging
import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from tqdm.auto import tqdm

from ..models import classifier_name, training_summary
from ._extras import TrainingExtras
from ._loader import LoadResult
from ._progress import progress_stage, transform_batches
from ._verdicts import face_size_limit

logger = logging.getLogger(__name__)


@dataclass
class TrainingResult:
    """A fitted pipeline, its model-card metadata, and the items that failed to load.

    Attributes
    ----------
    pipeline : sklearn.pipeline.Pipeline
        The fitted detector.
    metadata : dict
        What :func:`~facetruth.save` adds to the model card.
    skipped : list of (item, str)
        Items that could not be decoded, and why.

    Examples
    --------
    >>> import tempfile
    >>> from facetruth.data import load_dataset, make_demo_dataset
    >>> from facetruth.pipelines import build_pipeline, train_detector
    >>> folder = tempfile.mkdtemp()
    >>> _ = make_demo_dataset(n=8, size=32, out=folder)
    >>> pipe = build_pipeline("fft", "logistic", face="off", image_size=32, cv=2)
    >>> result = train_detector(pipe, load_dataset(folder))
    >>> list(result.pipeline.named_steps), result.metadata["classifier"], result.skipped
    (['loader', 'features', 'classifier'], 'logistic', [])
    """

    pipeline: object
    metadata: dict
    skipped: list = field(default_factory=list)


def dataset_items(dataset):
    """Loader inputs of a dataset: paths, or ``(video, frame)`` tuples for video frames.

    Examples
    --------
    >>> from facetruth.data import Dataset
    >>> from facetruth.pipelines import dataset_items
    >>> stills = Dataset(["a.png", "b.png"], [0, 1], ["a", "b"], ["x", "x"])
    >>> dataset_items(stills)
    ['a.png', 'b.png']
    >>> video = Dataset(["v.mp4", "v.mp4", "p.png"], [1, 1, 0], ["v", "v", "p"], ["x"] * 3, frames=[0, 30, None])
    >>> dataset_items(video)
    [('v.mp4', 0), ('v.mp4', 30), 'p.png']
    """
    frames = getattr(dataset, "frames", None)
    if frames is None:
        return list(dataset.paths)
    return [p if f is None else (p, int(f)) for p, f in zip(dataset.paths, frames)]


def load_images(pipeline, items, *, progress=False, chunk_size=256, errors="collect"):
    """Decode and crop items with the pipeline's loader, collecting failures.

    Parameters
    ----------
    pipeline : Pipeline or ImageLoader
        A detector pipeline whose first step is an ``ImageLoader``, or the loader.
    items : sequence
        Paths, arrays or ``(video, frame)`` tuples.
    progress : bool, default=False
        Show a tqdm bar on stderr.
    chunk_size : int, default=256
        Items per call of the loader (the bar moves after each).
    errors : {"collect", "raise"}, default="collect"
        Carry on past bad items and report them, or raise
        :class:`~facetruth.exceptions.ImageDecodeError` at the first.

    Returns
    -------
    result : LoadResult
        Positions in ``ok`` and ``errors`` refer to ``items``.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.pipelines import build_loader, load_images
    >>> items = [np.zeros((40, 40, 3), np.uint8), b"not an image", np.zeros((20, 30, 3), np.uint8)]
    >>> result = load_images(build_loader("off", 32), items, chunk_size=2)
    >>> result.images.shape, result.ok.tolist(), [i for i, _ in result.errors]
    ((2, 32, 32, 3), [0, 2], [1])
    """
    loader = pipeline.named_steps["loader"] if hasattr(pipeline, "named_steps") else pipeline
    on_error = errors
    images, ok, infos, errors = [], [], [], []
    with tqdm(total=len(items), desc="decode+crop", unit="img", disable=not progress) as bar:
        for start in range(0, len(items), chunk_size):
            part = loader.load(items[start : start + chunk_size], errors=on_error)
            images.append(part.images)
            ok.extend(int(i) + start for i in part.ok)
            infos.extend(part.infos)
            errors.extend((i + start, msg) for i, msg in part.errors)
            bar.update(len(part.infos))
    return LoadResult(np.concatenate(images), np.asarray(ok, dtype=int), infos, errors)


def training_card(
    dataset, pipeline, labels, *, n_skipped, face_found, seconds, summary, extra_rows=None, extras=None
):
    """The model card's description of a training run.

    Parameters
    ----------
    dataset : Dataset
    pipeline : Pipeline
        The fitted detector: its loader, feature union and detector give the
        face detector, crop size, alignment, families, classifier and seed.
    labels : array-like of int
        Labels of the data set's images that were used (without extra rows).
    n_skipped : int
        Items that failed to load.
    face_found : array-like of bool
        Whether a face was found in each used image.
    seconds : float
        Wall time of the fit.
    summary : dict
        :func:`~facetruth.models.training_summary`'s result.
    extra_rows : dict, default=None
        Counts of the extra training rows by kind.
    extras : TrainingExtras, default=None
        What made them.

    Returns
    -------
    metadata : dict

    Examples
    --------
    >>> from facetruth.data import Dataset
    >>> from facetruth.pipelines import build_pipeline
    >>> from facetruth.pipelines._train import training_card
    >>> pipe = build_pipeline("fft", "logistic", face="off", image_size=64)
    >>> data = Dataset(["a.png", "b.png"], [0, 1], ["a", "b"], ["x", "x"])
    >>> card = training_card(data, pipe, [0, 1], n_skipped=0, face_found=[0, 0], seconds=1, summary={})
    >>> card["classifier"], card["face"], card["image_size"], card["features"]
    ('logistic', 'off', 64, ['fft'])
    """
    labels = np.asarray(labels)
    face_found = np.asarray(face_found, dtype=bool)
    loader, detector = pipeline.named_steps["loader"], pipeline.named_steps["classifier"]
    return {
        "training_data": {
            "source": str(getattr(dataset, "root", "") or ""),
            "manifest_sha256": dataset.manifest_hash(),
            "counts": {"real": int((labels == 0).sum()), "fake": int((labels == 1).sum())},
            "n_skipped": int(n_skipped),
            "face_found_rate": float(face_found.mean()) if face_found.size else 0.0,
            "extra_rows": extra_rows or {},
            "pseudo_fakes": None if extras is None else extras.pseudo_fakes,
            "augment": None if extras is None else extras.augment,
        },
        "features": list(pipeline.named_steps["features"].named_transformers),
        "classifier": classifier_name(detector.estimator),
        "face": loader.face,
        "image_size": int(loader.image_size),
        "align": loader.align if loader.align not in (None, "none") else False,
        "seed": getattr(detector, "random_state", None),
        "fit_seconds": round(seconds, 2),
        "training_summary": summary,
    }


def warn_weak_sides(detector):
    """Log, in one line, a fitted detector's ``sides_warning_``: a side that covers under half its class.

    Parameters
    ----------
    detector : CalibratedDetector
        Fitted; a detector without ``sides_warning_`` is left alone.

    Returns
    -------
    warning : str or None
        The sentence logged (at WARNING level), or ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from facetruth.models import CalibratedDetector
    >>> from facetruth.pipelines._train import warn_weak_sides
    >>> X, y = np.random.default_rng(0).normal(size=(40, 2)), np.repeat([0, 1], 20)
    >>> warn_weak_sides(CalibratedDetector(LogisticRegression(), cv=2).fit(X, y)).startswith("Few confident")
    True
    """
    warning = getattr(detector, "sides_warning_", None)
    if warning:
        logger.warning(" ".join(str(warning).split()))  # one line, whatever the sentence holds
    return warning


def holdout_split(dataset, test_size=0.2, *, random_state=0):
    """Split a dataset into train and test parts, stratified and group-disjoint.

    Parameters
    ----------
    dataset : Dataset
    test_size : float, default=0.2
        Approximate share of the test part (one fold of ``round(1 / test_size)``
        stratified group folds).
    random_state : int, default=0

    Returns
    -------
    train, test : Dataset

    Examples
    --------
    >>> from facetruth.data import Dataset
    >>> from facetruth.pipelines import holdout_split
    >>> n = 20
    >>> data = Dataset([f"{i}.png" for i in range(n)], [i % 2 for i in range(n)],
    ...                groups=[f"id{i // 2}" for i in range(n)], sources=["demo"] * n)
    >>> train, test = holdout_split(data, test_size=0.2)
    >>> len(train), len(test), set(train.groups) & set(test.groups)
    (16, 4, set())
    """
    from sklearn.model_selection import StratifiedGroupKFold

    if not 0 < test_size < 0.5:
        raise ValueError(f"test_size must lie in (0, 0.5), got {test_size!r}.")
    n_splits = max(2, round(1 / test_size))
    folds = StratifiedGroupKFold(n_splits, shuffle=True, random_state=random_state)
    train, test = next(folds.split(np.zeros(len(dataset)), dataset.labels, dataset.groups))
    return dataset.subset(train), dataset.subset(test)


def train_detector(pipeline, dataset, *, extras=None, progress=False):
    """Fit a clone of a detector pipeline on a dataset.

    Images that cannot be decoded are skipped and reported; the rest are
    cropped once, and the feature union and classifier are fitted on the
    crops. The dataset's groups (video, identity) keep the calibration folds
    leak-free.

    Parameters
    ----------
    pipeline : Pipeline
        Unfitted steps ``loader``, ``features`` and ``classifier``, e.g. from
        :func:`~facetruth.pipelines.build_pipeline`; it is cloned, not changed.
    dataset : Dataset
        From :func:`~facetruth.data.load_dataset`.
    extras : TrainingExtras, default=None
        Extra training rows made from the training crops (self-blended
        pseudo-fakes, robust copies), from
        :func:`~facetruth.pipelines.build_extras`; each joins its source's group.
    progress : bool, default=False
        Show tqdm progress bars on stderr.

    Returns
    -------
    result : TrainingResult

    Raises
    ------
    ValueError
        When the images that decode (with the extra rows) do not cover both classes.

    Examples
    --------
    >>> import tempfile
    >>> from facetruth.data import load_dataset, make_demo_dataset
    >>> from facetruth.pipelines import build_pipeline, train_detector
    >>> folder = tempfile.mkdtemp()
    >>> _ = make_demo_dataset(n=16, size=32, out=folder)
    >>> pipe = build_pipeline("fft", "logistic", face="off", image_size=32, cv=2)
    >>> result = train_detector(pipe, load_dataset(folder))
    >>> result.metadata["training_data"]["counts"]
    {'real': 8, 'fake': 8}
    """
    start = time.perf_counter()
    pipe = clone(pipeline)
    pipe.named_steps["loader"].fit()
    items = dataset_items(dataset)
    loaded = load_images(pipe, items, progress=progress)
    pipe.named_steps["loader"].min_face_side_ = face_size_limit(loaded.infos)  # smaller faces: no verdict
    labels = np.asarray(dataset.labels)[loaded.ok]
    groups = np.asarray(dataset.groups)[loaded.ok]
    images = loaded.images
    extra = (extras or TrainingExtras()).make(images, labels)
    images, labels, groups = extra.append_to(images, labels, groups)
    if np.unique(labels).size < 2:
        raise ValueError(
            "Training needs both real (0) and fake (1) images that decode; found one class only "
            "(with real images alone, add pseudo-fakes: build_extras(pseudo_fakes='sbi'))."
        )
    logger.info("extracting features for %d images", len(labels))
    union = pipe.named_steps["features"].fit(images)  # the families learn nothing: fit only validates
    feats = transform_batches(union, images, progress=progress)
    logger.info("fitting the classifier on %d x %d features", *feats.shape)
    with progress_stage("detector fit", progress=progress):
        detector = pipe.named_steps["classifier"].fit(feats, labels, groups=groups)
    warn_weak_sides(detector)
    found = [info.get("face_found", False) for info in loaded.infos if "error" not in info]
    metadata = training_card(
        dataset,
        pipe,
        labels[: len(loaded.ok)],  # the data set's own images, without extra rows
        n_skipped=len(loaded.errors),
        face_found=found,
        seconds=time.perf_counter() - start,
        summary=training_summary(pipe, images, labels, features=feats),
        extra_rows=extra.counts(),
        extras=extras,
    )
    skipped = [(items[i], msg) for i, msg in loaded.errors]
    return TrainingResult(pipe, metadata, skipped)
