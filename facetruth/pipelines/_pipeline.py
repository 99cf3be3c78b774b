"""The detector pipeline: a scikit-learn ``Pipeline`` whose ``fit`` can draw progress bars."""

from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils.metadata_routing import _routing_enabled

from ..features import ImageFeatureTransformer
from ._progress import progress_stage, transform_batches
from ._verdicts import face_size_limit


def _learns_nothing(step):
    """Whether ``step`` is a feature family, or a union of them: fitting it learns nothing."""
    if isinstance(step, FeatureUnion):
        members = [t for _, t in step.transformer_list if t not in ("drop", "passthrough", None)]
        return bool(members) and all(isinstance(t, ImageFeatureTransformer) for t in members)
    return isinstance(step, ImageFeatureTransformer)


def _fit_params(pipeline, params):
    """``step__param`` keyword arguments of ``fit``, by step name."""
    names = {name for name, _ in pipeline.steps}
    per_step = {name: {} for name in names}
    for key, value in params.items():
        step, sep, param = key.partition("__")
        if not sep or step not in names:
            raise ValueError(
                f"DetectorPipeline.fit does not accept the {key} parameter; pass parameters to a step "
                "as stepname__parameter, e.g. classifier__groups=groups."
            )
        per_step[step][param] = value
    return per_step


class DetectorPipeline(Pipeline):
    """A :class:`~sklearn.pipeline.Pipeline` of a detector, whose ``fit`` can show its progress.

    :func:`~facetruth.pipelines.build_pipeline` returns one, with steps
    ``loader``, ``features`` and ``classifier``. It is a ``Pipeline`` in
    every respect, with one more parameter: with ``progress``, :meth:`fit`
    draws tqdm bars on stderr for decoding and cropping (images done, rate,
    time left), for the features (the same) and for the detector's fit (its
    elapsed time). The fitted pipeline is the same with or without bars.

    Parameters
    ----------
    steps : list of (str, estimator)
        As in :class:`~sklearn.pipeline.Pipeline`.
    transform_input, memory, verbose :
        As in :class:`~sklearn.pipeline.Pipeline`; ``verbose`` prints the time
        of each step when it ends.
    progress : bool, default=False
        Draw progress bars while fitting. Ignored, as are the bars, when
        ``memory`` is set, scikit-learn's metadata routing is on or
        callbacks are set: ``fit`` is then the ``Pipeline``'s own.

    See Also
    --------
    facetruth.pipelines.train_detector : Fit on a data set, skipping bad images, with the same bars.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.pipelines import build_pipeline
    >>> images = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    >>> pipe = build_pipeline("fft", "logistic", face="off", image_size=32, cv=2, progress=True)
    >>> type(pipe).__name__, pipe.progress
    ('DetectorPipeline', True)
    >>> pipe.set_params(progress=False).fit(list(images), [0, 1] * 4).predict_proba(images[:2]).shape
    (2, 2)
    """

    def __init__(self, steps, *, transform_input=None, memory=None, verbose=False, progress=False):
        super().__init__(steps, transform_input=transform_input, memory=memory, verbose=verbose)
        self.progress = progress

    def _plain_fit(self):
        """Whether :meth:`fit` must be the ``Pipeline``'s own (no bars asked, or a feature they skip)."""
        return (
            not self.progress
            or self.memory is not None
            or self.transform_input is not None
            or _routing_enabled()
            or bool(getattr(self, "_skl_callbacks", None))
        )

    def fit(self, X, y=None, **params):
        """Fit every step in turn, the last one on the features, drawing bars with ``progress``.

        Parameters
        ----------
        X : sequence
            Image paths, byte strings, arrays or ``(video, frame)`` tuples:
            what the first step takes.
        y : array-like of shape (n_samples,), default=None
            Labels, 1 = fake, 0 = real.
        **params : dict
            ``stepname__parameter`` arguments of the steps' ``fit``, e.g.
            ``classifier__groups=groups`` for leak-free calibration folds.

        Returns
        -------
        self : DetectorPipeline

        Raises
        ------
        ImageDecodeError
            When an item cannot be decoded (as the loader's ``fit_transform``).
        """
        if self._plain_fit():
            return super().fit(X, y, **params)
        self._validate_steps()
        per_step = _fit_params(self, params)
        Xt = X
        for index, (name, step) in enumerate(self.steps[:-1]):
            if step is None or step == "passthrough":
                continue
            Xt = self._fit_step(index, name, step, Xt, y, per_step[name])
        name, final = self.steps[-1]
        if final is not None and final != "passthrough":
            with progress_stage(f"{name} fit", progress=True):
                final.fit(Xt, y, **per_step[name])
        return self

    def _fit_step(self, index, name, step, X, y, params):
        """Fit one transformer step and return its output on ``X``, with a bar."""
        if index == 0 and hasattr(step, "load") and not params:
            from ._train import load_images

            step.fit()
            loaded = load_images(step, X, progress=True, errors="raise")
            step.min_face_side_ = face_size_limit(loaded.infos)  # as the loader's fit_transform
            return loaded.images
        if _learns_nothing(step):
            step.fit(X, y, **params)
            return transform_batches(step, X, progress=True, desc=name)
        with progress_stage(name, progress=True):
            return step.fit_transform(X, y, **params)
