"""Classifiers, calibration, fine-tuning and model persistence; the CNN backbone loads from :mod:`facetruth.features`."""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
