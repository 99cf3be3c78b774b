"""The factories: the one place where setting names become estimators.

:func:`build_loader`, :func:`build_features`, :func:`build_detector`,
:func:`build_extras` and :func:`build_pipeline` turn strings (``"all"``, ``"xgboost"``, ``"auto"``)
into unfitted scikit-learn estimators. Everything downstream (training,
extraction on a cluster, experiments, the web app) receives those estimators
and clones them, the way :func:`sklearn.model_selection.cross_validate` does.
"""

import os
from pathlib import Path

from sklearn.pipeline import FeatureUnion

from ..data import parse_pseudo_fakes
from ..features import HandcraftedUnion
from ..models import CalibratedDetector, make_classifier
from ._defaults import DEFAULTS
from ._extras import TrainingExtras, parse_augment
from ._loader import ImageLoader
from ._pipeline import DetectorPipeline
from ._registry import (
    CNN_FAMILIES,
    DEVICE_FAMILIES,
    default_classifier,
    make_transformer,
    resolve_features,
)


def build_loader(
    face=DEFAULTS.face, image_size=DEFAULTS.image_size, *, align=False, native=False, cache=None, n_jobs=None
):
    """An unfitted :class:`ImageLoader`: decode, find the face, crop and resize.

    Parameters
    ----------
    face : {"auto", "off", "dlib", "haar", "lbp"}, default="auto"
        Face detector; ``"off"`` resizes the whole image.
    image_size : int, default=256
        Side of the square face crops the features are computed on.
    align : {False, "none", "eyes", "canonical"}, default=False
        Face alignment; ``"canonical"`` warps every face onto a fixed
        five-point template. ``"none"`` is the same as ``False``.
    native : bool, default=False
        Native-resolution crops: ``image_size`` source pixels around the face,
        never resampled.
    cache : str or os.PathLike, default=None
        Folder of the content-addressed crop cache.
    n_jobs : int, default=None
        Processes for decoding and cropping: ``None`` is one unless in a
        :func:`joblib.parallel_config` context, ``-1`` every core, ``-2`` all
        but one.

    Returns
    -------
    loader : ImageLoader

    Examples
    --------
    >>> from facetruth.pipelines import build_loader
    >>> build_loader(face="off", image_size=128)
    ImageLoader(face='off', image_size=128)
    """
    align = False if align in (None, "none") else align
    cache = Path(cache) if cache is not None else None
    return ImageLoader(
        face=face, image_size=image_size, align=align, native=native, cache=cache, n_jobs=n_jobs
    )


def build_features(
    features=DEFAULTS.features, *, cache=None, device=DEFAULTS.device, n_jobs=None, backbone=None, **params
):
    """An unfitted feature union of feature families.

    The union is a :class:`~facetruth.features.HandcraftedUnion`: a
    :class:`~sklearn.pipeline.FeatureUnion` that computes the handcrafted
    families of each image in one pass.

    Parameters
    ----------
    features : str or sequence of str, default="clip"
        Feature families or a named set (``"clip"``, ``"all"``,
        ``"handcrafted"``, ``"fft,lbp"``, ``"all+region"``); see
        :data:`~facetruth.pipelines.FEATURE_SETS`. The default is
        :data:`~facetruth.pipelines.DEFAULTS.features`.
    cache : str or os.PathLike, default=None
        Folder of the content-addressed feature cache (one namespace per family).
    device : {"auto", "cpu", "cuda"}, default="auto"
        For the families that run a network.
    n_jobs : int, default=None
        Processes for the handcrafted families (``None``: one), and threads
        for the clip and CNN families (``None``: every core); ``-1`` is every
        core, ``-2`` all but one. The features do not depend on it.
    backbone : str or os.PathLike, default=None
        A fine-tuned CNN backbone file (``facetruth finetune``), given to every
        CNN family as its ``weights``; an error when ``features`` has none.
    **params :
        Family parameters in ``family__param`` form, e.g. ``fft__n_bins=32``.

    Returns
    -------
    union : HandcraftedUnion
        One transformer per family, named by the family.

    Raises
    ------
    ValueError
        For an unknown family or set, or a ``backbone`` without a CNN family.

    Examples
    --------
    >>> from facetruth.pipelines import build_features
    >>> union = build_features("fft,lbp")
    >>> [name for name, _ in union.transformer_list]
    ['fft', 'lbp']
    """
    families = resolve_features(features)
    cache = Path(cache) if cache is not None else None
    if backbone is not None:
        cnn = [f for f in families if f in CNN_FAMILIES]
        if not cnn:
            raise ValueError(f"The backbone needs a CNN family ({', '.join(CNN_FAMILIES)}) in the features.")
        # an absolute path: the union may be unpickled in a worker that runs in another folder
        params = {**{f"{f}__weights": os.path.abspath(backbone) for f in cnn}, **params}
    transformers = []
    for family in families:
        kwargs = {"cache": cache}
        if family in DEVICE_FAMILIES:
            kwargs.update(device=device)
        if family not in CNN_FAMILIES:  # handcrafted families and clip spread images over n_jobs
            kwargs.update(n_jobs=n_jobs)
        transformers.append((family, make_transformer(family, **kwargs)))
    union = HandcraftedUnion(transformers, verbose_feature_names_out=True)
    if params:
        union.set_params(**params)
    return union


def build_detector(
    classifier="xgboost",
    *,
    calibration=DEFAULTS.calibration,
    threshold=DEFAULTS.threshold,
    cv=DEFAULTS.cv,
    confidence=DEFAULTS.confidence,
    device=DEFAULTS.device,
    n_jobs=DEFAULTS.classifier_n_jobs,
    random_state=DEFAULTS.seed,
):
    """An unfitted :class:`~facetruth.models.CalibratedDetector` around a base classifier.

    Parameters
    ----------
    classifier : str or estimator, default="xgboost"
        A name of :data:`~facetruth.models.CLASSIFIERS`, or an unfitted
        scikit-learn classifier used as it is.
    calibration, threshold, cv, confidence :
        Passed to :class:`~facetruth.models.CalibratedDetector`.
    device : {"auto", "cpu", "cuda"}, default="auto"
        For XGBoost.
    n_jobs : int or None, default=1
        Threads of a named classifier. One by default: on the few hundred to
        few thousand rows a detector trains on, XGBoost's threads cost more
        CPU time than they save, and on a shared machine they wait for each
        other at every tree level (``benchmarks/bench_fit.py``); ``None`` or
        ``-1`` gives XGBoost every core.
    random_state : int, default=0

    Returns
    -------
    detector : CalibratedDetector

    Examples
    --------
    >>> from facetruth.pipelines import build_detector
    >>> type(build_detector("logistic").estimator).__name__
    'Pipeline'
    """
    if isinstance(classifier, str):
        classifier = make_classifier(classifier, random_state=random_state, device=device, n_jobs=n_jobs)
    return CalibratedDetector(
        classifier,
        calibration=calibration,
        threshold=threshold,
        cv=cv,
        confidence=confidence,
        random_state=random_state,
    )


def build_extras(pseudo_fakes=None, augment=None, *, random_state=0, n_jobs=None):
    """The extra training rows to make from the training crops, or ``None`` for none.

    Parameters
    ----------
    pseudo_fakes : str or None, default=None
        ``"sbi"`` or ``"sbi:RATIO"``: self-blended pseudo-fakes of the real
        crops (:func:`~facetruth.data.make_pseudo_fakes`), so a data set of
        real images alone can train a detector.
    augment : str or None, default=None
        ``"robust"`` or ``"robust:COPIES"``: copies of every training crop
        degraded by JPEG, rescaling, blur and noise.
    random_state : int, default=0
        Seed of the pseudo-fakes and copies.
    n_jobs : int, default=None
        Workers for the pseudo-fakes.

    Returns
    -------
    extras : TrainingExtras or None
        ``None`` when neither option asks for rows.

    Raises
    ------
    ValueError
        For a malformed option.

    Examples
    --------
    >>> from facetruth.pipelines import build_extras
    >>> build_extras("sbi:0.5", "robust:2", random_state=3)
    TrainingExtras(ratio=0.5, copies=2, random_state=3, n_jobs=None)
    >>> build_extras() is None
    True
    """
    ratio = parse_pseudo_fakes(pseudo_fakes)[1] if pseudo_fakes else None
    copies = parse_augment(augment)
    if ratio is None and not copies:
        return None
    return TrainingExtras(ratio=ratio, copies=copies, random_state=int(random_state), n_jobs=n_jobs)


def build_pipeline(
    features=DEFAULTS.features,
    classifier=DEFAULTS.classifier,
    face=DEFAULTS.face,
    image_size=DEFAULTS.image_size,
    *,
    align=False,
    native=False,
    cache=None,
    calibration=DEFAULTS.calibration,
    threshold=DEFAULTS.threshold,
    cv=DEFAULTS.cv,
    confidence=DEFAULTS.confidence,
    device=DEFAULTS.device,
    n_jobs=None,
    backbone=None,
    random_state=DEFAULTS.seed,
    progress=False,
    **params,
):
    """Build an unfitted detector pipeline: loader, feature union, calibrated classifier.

    The defaults are those of ``facetruth train``
    (:mod:`facetruth.pipelines._defaults`): the clip family, a linear probe,
    face crops of 256 pixels, out-of-fold calibration on 5 folds and cutoffs
    for real and fake at 95 % confidence.

    Parameters
    ----------
    features : str, sequence of str or FeatureUnion, default="clip"
        Passed to :func:`build_features`; a ``FeatureUnion`` is used as it is.
        ``"clip"`` generalises best to unseen sources; ``"all"`` is the
        handcrafted families and the ImageNet CNN embedding.
    classifier : str or estimator, default="auto"
        Passed to :func:`build_detector`; ``"auto"`` is a linear probe for an
        embedding alone (``"clip"``) and XGBoost otherwise
        (:func:`~facetruth.pipelines._registry.default_classifier`).
    face, image_size, align, native :
        Passed to :func:`build_loader`.
    cache : str or os.PathLike, default=None
        Crop and feature cache folder.
    calibration, threshold, cv, confidence :
        Passed to :class:`~facetruth.models.CalibratedDetector`.
    device : {"auto", "cpu", "cuda"}, default="auto"
        For the network families and XGBoost.
    n_jobs : int, default=None
        Processes for decoding and the handcrafted families, threads for the
        clip and CNN families, as in scikit-learn: ``None`` is one process
        (unless in a :func:`joblib.parallel_config` context) and every core
        for the networks' threads; ``-1`` is every core for all of them (the
        default of ``facetruth train``), ``-2`` all but one. The classifier
        fits on one thread (see :func:`build_detector`).
    backbone : str or os.PathLike, default=None
        Fine-tuned CNN backbone for every CNN family.
    random_state : int, default=0
    progress : bool, default=False
        Draw progress bars on stderr while :meth:`~DetectorPipeline.fit`
        runs: decoding and cropping, the features, the detector's fit.
    **params :
        Family parameters in ``family__param`` form, e.g. ``fft__n_bins=32``.

    Returns
    -------
    pipeline : DetectorPipeline
        A :class:`sklearn.pipeline.Pipeline` with steps ``loader``,
        ``features`` and ``classifier``.

    Examples
    --------
    >>> import facetruth
    >>> pipe = facetruth.build_pipeline("handcrafted", "logistic", face="off")
    >>> list(pipe.named_steps)
    ['loader', 'features', 'classifier']
    >>> [name for name, _ in facetruth.build_pipeline().named_steps["features"].transformer_list]
    ['clip']
    """
    loader = build_loader(face, image_size, align=align, native=native, cache=cache, n_jobs=n_jobs)
    if classifier == "auto":
        named = (
            [name for name, _ in features.transformer_list]
            if isinstance(features, FeatureUnion)
            else features
        )
        classifier = default_classifier(named)
    if isinstance(features, FeatureUnion):
        union = features
    else:
        union = build_features(
            features, cache=cache, device=device, n_jobs=n_jobs, backbone=backbone, **params
        )
    detector = build_detector(
        classifier,
        calibration=calibration,
        threshold=threshold,
        cv=cv,
        confidence=confidence,
        device=device,
        random_state=random_state,
    )
    steps = [("loader", loader), ("features", union), ("classifier", detector)]
    return DetectorPipeline(steps, progress=progress)
