"""Feature-set registry, the ImageLoader step, ``build_pipeline`` and its defaults."""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
