"""Feature sets resolved to the families they stack, and the extra training rows stacked per set."""

from ..pipelines import TrainingExtras
from ._features import extract_families, stack_families, union_families


def resolve_sets(feature_sets):
    """Map set names (or ``{name: families}``) to tuples of family names.

    Examples
    --------
    >>> from facetruth.evaluation import resolve_sets
    >>> resolve_sets(["fft", "spectral"])
    {'fft': ('fft',), 'spectral': ('fft', 'dct')}
    """
    from ..pipelines import resolve_features

    if isinstance(feature_sets, dict):
        return {str(k): resolve_features(v) for k, v in feature_sets.items()}
    return {str(name): resolve_features(name) for name in feature_sets}


def set_families(sets):
    """The families that a ``{name: families}`` mapping needs, once each, in order."""
    return list(dict.fromkeys(f for fams in sets.values() for f in fams))


def sets_and_families(feature_sets, features):
    """Resolve ``feature_sets`` and check that ``features`` holds every family they need.

    Runs before any image is read, so a missing family fails at once.

    Parameters
    ----------
    feature_sets : sequence of str or dict of str to sequence
        Set names or ``{name: [families]}``.
    features : FeatureUnion
        The union the families are taken from.

    Returns
    -------
    sets : dict of str to tuple of str
        As :func:`resolve_sets` returns.
    families : list of str
        As :func:`set_families` returns.

    Raises
    ------
    ValueError
        When a set needs a family that ``features`` lacks.

    Examples
    --------
    >>> from facetruth.evaluation._sets import sets_and_families
    >>> from facetruth.pipelines import build_features
    >>> sets_and_families(["fft", "spectral"], build_features("fft,dct"))
    ({'fft': ('fft',), 'spectral': ('fft', 'dct')}, ['fft', 'dct'])
    """
    sets = resolve_sets(feature_sets)
    families = set_families(sets)
    union_families(features, families)
    return sets, families


def extra_matrices(extras, loaded, features, families):
    """Make the extra training rows of loaded crops and compute each family once for them.

    Parameters
    ----------
    extras : TrainingExtras or None
        The rows to make (:func:`~facetruth.pipelines.build_extras`); ``None``
        makes none.
    loaded : LoadedSet
        The crops the rows are made from (:func:`load_crops`).
    features : FeatureUnion
    families : sequence of str

    Returns
    -------
    extra : ExtraRows
        The rows made (possibly none).
    matrices : dict of str to FamilyMatrix or None
        Their features per family; ``None`` when no row was made.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.evaluation._features import LoadedSet
    >>> from facetruth.evaluation._sets import extra_matrices
    >>> from facetruth.pipelines import build_extras, build_features
    >>> crops = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    >>> loaded = LoadedSet(crops, np.array([0, 1, 0, 1]), np.arange(4), np.arange(4))
    >>> extra, matrices = extra_matrices(None, loaded, build_features("fft"), ["fft"])
    >>> len(extra), matrices
    (0, None)
    """
    extra = (extras or TrainingExtras()).make(loaded.images, loaded.labels)
    if not len(extra):
        return extra, None
    return extra, extract_families(extra.images, features, families, timing_sample=0)


def extra_columns(extra, matrices, families):
    """``(X_extra, labels, sources)`` of the extra rows for a set's ``families``, or ``None``.

    ``matrices`` and ``extra`` are what :func:`extra_matrices` returns; the
    triple is the ``extra`` argument of
    :func:`~facetruth.evaluation._cv.cross_validate_features`.

    Examples
    --------
    >>> from facetruth.evaluation._sets import extra_columns
    >>> extra_columns(None, None, ["fft"]) is None
    True
    """
    if matrices is None:
        return None
    return stack_families(matrices, families)[0], extra.labels, extra.sources
