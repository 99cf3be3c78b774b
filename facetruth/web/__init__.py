"""The FaceTruth web app: an upload page and a JSON API around a saved detector.

``create_app(config)`` is a Flask application factory; ``facetruth serve``
runs it under waitress. Flask is imported on first use, not here.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
