"""The FaceTruth web app: an upload page and a JSON API around a saved detector.

``create_app(config)`` is a Flask application factory; ``facetruth serve``
runs it under waitress. Flask is imported on first use, not here.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        ".app": ["create_app", "DEFAULT_CONFIG"],
        "._service": ["DetectorService", "sniff_format"],
        "._card": ["card_summary"],
        "._server": ["make_server"],
    },
)
