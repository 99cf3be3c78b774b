"""Reading images and videos, dataset layouts, face cropping, augmentation, pseudo-fakes and the demo set."""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
