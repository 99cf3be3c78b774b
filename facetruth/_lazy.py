"""Lazy attribute loading for subpackages, as scikit-image does.

Importing ``facetruth.data`` must not import OpenCV, dlib or torch; each
public name is resolved from its private module on first access.
"""

from importlib import import_module


def attach(package_name, mapping):
    """Return ``(__getattr__, __dir__, __all__)`` for a lazily loaded package.

    Parameters
    ----------
    package_name : str
        The ``__name__`` of the package.
    mapping : dict of str to list of str
        Private submodule name (relative, e.g. ``"._image"``) to the public
        names it provides.
    """
    where = {name: module for module, names in mapping.items() for name in names}
    names = sorted(where)

    def __getattr__(name):
        if name in where:
            return getattr(import_module(where[name], package_name), name)
        raise AttributeError(f"module {package_name!r} has no attribute {name!r}")

    def __dir__():
        return list(names)

    return __getattr__, __dir__, list(names)
