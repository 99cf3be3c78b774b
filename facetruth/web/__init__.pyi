# The public names of facetruth.web: __init__.py loads each from its private module
# on first use (lazy_loader.attach_stub reads this file). Only `from .module import name`
# lines: a name whose home is another package is imported from there.

__all__ = [
    "create_app",
    "DetectorService",
    "make_server",
]

from ._server import make_server
from ._service import DetectorService
from .app import create_app
