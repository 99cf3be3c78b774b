"""Metrics, cross-validation and experiments; :mod:`facetruth.reports` renders their results."""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
