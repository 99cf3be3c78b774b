"""FaceTruth's version, and the versions of the distributions installed beside it."""

from importlib import metadata as _im

__version__ = "0.1.0"


def installed_versions(names):
    """The installed version of each distribution in ``names`` (``None`` for one not installed).

    Examples
    --------
    >>> from facetruth._version import installed_versions
    >>> installed_versions(["numpy", "facetruth-no-such-distribution"])["facetruth-no-such-distribution"] is None
    True
    """
    versions = {}
    for name in names:
        try:
            versions[name] = _im.version(name)
        except _im.PackageNotFoundError:
            versions[name] = None
    return versions
