"""Assemble the detector: ImageLoader -> FeatureUnion of families -> calibrated classifier."""

from pathlib import Path

from sklearn.pipeline import FeatureUnion, Pipeline

from ..models._calibration import CalibratedDetector
from ._loader import ImageLoader
from ._registry import CNN_FAMILIES, make_classifier, make_transformer, resolve_features


def build_pipeline(
    features=("fft", "dct", "noise", "lbp", "cnn"),
    classifier="xgboost",
    face="auto",
    image_size=256,
    *,
    align=False,
    cache=None,
    calibration="isotonic",
    threshold="eer",
    cv=5,
    device="auto",
    n_jobs=None,
    random_state=0,
    **params,
):
    """Build an unfitted detector pipeline.

    Parameters
    ----------
    features : str or sequence of str, default=all five families
        Feature families or a named set (``"all"``, ``"handcrafted"``,
        ``"fft,lbp"``); see :data:`~facetruth.pipelines.FEATURE_SETS`.
    classifier : {"xgboost", "logistic", "svm", "random_forest"} or estimator
        The base classifier, wrapped in a
        :class:`~facetruth.models.CalibratedDetector`.
    face : {"auto", "off", "dlib", "haar"}, default="auto"
        Face cropping of the :class:`ImageLoader`.
    image_size : int, default=256
        Side of the face crops the features are computed on.
    align : {False, "eyes", "canonical"}, default=False
        Face alignment of the :class:`ImageLoader`; ``"canonical"`` warps
        every face onto a fixed five-point template.
    cache : str or os.PathLike, default=None
        Folder of the content-addressed crop and feature cache (one namespace per step).
    calibration, threshold, cv :
        Passed to :class:`~facetruth.models.CalibratedDetector`.
    device : {"auto", "cpu", "cuda"}, default="auto"
        For the CNN embedding and XGBoost.
    n_jobs : int, default=None
        Processes for decoding and handcrafted features.
    random_state : int, default=0
    **params :
        Step parameters in ``family__param`` form, e.g. ``fft__n_bins=32``,
        applied with ``set_params`` on the union (``features__fft__n_bins``).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``loader``, ``features`` and ``classifier``.
    """
    families = resolve_features(features)
    cache = Path(cache) if cache is not None else None
    transformers = []
    for family in families:
        kwargs = {"cache": cache}
        if family in CNN_FAMILIES:
            kwargs.update(device=device)
        else:
            kwargs.update(n_jobs=n_jobs)
        transformers.append((family, make_transformer(family, **kwargs)))
    union = FeatureUnion(transformers, verbose_feature_names_out=True)
    if isinstance(classifier, str):
        base = make_classifier(classifier, random_state=random_state, device=device)
    else:
        base = classifier
    detector = CalibratedDetector(
        base, calibration=calibration, threshold=threshold, cv=cv, random_state=random_state
    )
    loader = ImageLoader(face=face, image_size=image_size, align=align, cache=cache, n_jobs=n_jobs)
    pipe = Pipeline([("loader", loader), ("features", union), ("classifier", detector)])
    if params:
        pipe.set_params(**{f"features__{k}": v for k, v in params.items()})
    return pipe
