"""Point every cache folder of a loaded detector at the caller's choice."""

import os


def set_cache(estimator, cache=None):
    """Set every ``cache`` parameter of a (nested) estimator to ``cache``.

    A saved detector keeps the cache folders it was trained with, often
    absolute paths of another machine or a folder since removed. Scoring
    with it should use the caller's cache, or none: this sets them all.

    Parameters
    ----------
    estimator : estimator
        A pipeline or any scikit-learn estimator; changed in place.
    cache : str or os.PathLike, default=None
        The crop and feature cache folder; ``None`` turns every cache off.

    Returns
    -------
    estimator : estimator
        The same object.

    Examples
    --------
    >>> import facetruth
    >>> from facetruth.models import set_cache
    >>> pipe = facetruth.build_pipeline("fft", "logistic", face="off", cache="/old/machine/cache")
    >>> _ = set_cache(pipe, None)
    >>> sorted({v for k, v in pipe.get_params().items() if k.endswith("cache")})
    [None]
    >>> set_cache(pipe, "here").get_params()["loader__cache"]
    'here'
    """
    value = None if cache is None else os.fspath(cache)
    keys = [k for k in estimator.get_params(deep=True) if k == "cache" or k.endswith("__cache")]
    if keys:
        estimator.set_params(**dict.fromkeys(keys, value))
    return estimator
