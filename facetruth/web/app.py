"""Application factory, limits and JSON error handling of the web app."""

import io
import logging
import os

from flask import Flask, Request, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..exceptions import ModelIntegrityError
from ._service import DetectorService

logger = logging.getLogger(__name__)

DEFAULT_CONFIG = {
    "FACETRUTH_MODEL": None,
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
    "MAX_PIXELS": 40_000_000,
    "MAX_FILES": 16,
    "DECODE_PIXEL_BUDGET": None,
    "FACETRUTH_BAND": None,
    "FACETRUTH_TRUST": False,
    "FACETRUTH_ALLOW_DRIFT": False,
}
"""Defaults of :func:`create_app`; ``FACETRUTH_MODEL`` falls back to the environment variable."""

_HANDLED = (400, 404, 405, 413, 415, 422)


class InMemoryRequest(Request):
    """A request whose uploaded files stay in memory (never spooled to a temp file).

    The body is already bounded by ``MAX_CONTENT_LENGTH``.
    """

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        return io.BytesIO()


def create_app(config=None):
    """Build the Flask app and load the detector once.

    Parameters
    ----------
    config : dict, default=None
        Overrides of :data:`DEFAULT_CONFIG`: ``FACETRUTH_MODEL`` (path of a
        model saved by :func:`facetruth.save`; default ``$FACETRUTH_MODEL``),
        ``MAX_CONTENT_LENGTH`` (bytes per request), ``MAX_PIXELS`` (per
        image, checked from the header before decoding), ``MAX_FILES``
        (uploads per request) and ``DECODE_PIXEL_BUDGET`` (pixels decoded
        at once across threads; default ``2 * MAX_PIXELS``) and
        ``FACETRUTH_BAND`` (a symmetric uncertainty band around the
        threshold instead of the model's cutoffs for real and fake; ``0``:
        the threshold alone decides), ``FACETRUTH_TRUST`` (load a model
        without a model card, with a warning) and ``FACETRUTH_ALLOW_DRIFT``
        (serve a model whose features here differ from the fingerprint in
        its card, with a warning), plus any Flask setting.

    Returns
    -------
    app : flask.Flask
        Blueprints ``pages`` (``/``) and ``api`` (``/api/v1/...``,
        ``/healthz``); every error is a JSON ``{"error": message}``.

    Raises
    ------
    ModelIntegrityError
        No model configured, or the model cannot be loaded or verified
        (:class:`~facetruth.exceptions.FeatureDriftError` when its features
        differ here, without ``FACETRUTH_ALLOW_DRIFT``).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import facetruth
    >>> from facetruth.web import create_app
    >>> images = list(np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8))
    >>> pipe = facetruth.build_pipeline("fft", "logistic", face="off", image_size=32, cv=2)
    >>> path = os.path.join(tempfile.mkdtemp(), "detector.joblib")
    >>> _ = facetruth.save(pipe.fit(images, [0, 1] * 4), path)
    >>> app = create_app({"FACETRUTH_MODEL": path, "MAX_FILES": 4})
    >>> sorted(app.blueprints), app.test_client().get("/healthz").status_code
    (['api', 'pages'], 200)
    >>> app.test_client().get("/healthz").get_json()["features"]["drift"]
    False
    """
    app = Flask(__name__)
    app.request_class = InMemoryRequest
    app.json.sort_keys = False
    app.config.update(DEFAULT_CONFIG)
    app.config.update(config or {})
    model_path = app.config["FACETRUTH_MODEL"] or os.environ.get("FACETRUTH_MODEL")
    if not model_path:
        raise ModelIntegrityError("No model given: set FACETRUTH_MODEL (config key or environment variable).")
    max_files = int(app.config["MAX_FILES"])
    if max_files < 1:
        raise ValueError(f"MAX_FILES must be at least 1, got {max_files}.")
    app.config["FACETRUTH_MODEL"] = os.fspath(model_path)
    # a multipart body has one part per file; a few more are allowed for plain fields
    app.config["MAX_FORM_PARTS"] = max_files + 8
    app.extensions["facetruth"] = DetectorService(
        model_path,
        max_pixels=app.config["MAX_PIXELS"],
        pixel_budget=app.config["DECODE_PIXEL_BUDGET"],
        band=app.config["FACETRUTH_BAND"],
        trust=bool(app.config["FACETRUTH_TRUST"]),
        allow_drift=bool(app.config["FACETRUTH_ALLOW_DRIFT"]),
    )

    from .api import bp as api_bp
    from .pages import bp as pages_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(api_bp)
    _register_errors(app)
    app.after_request(_security_headers)
    return app


def _register_errors(app):
    def http_error(exc):
        return jsonify(error=exc.description or exc.name), exc.code

    for code in _HANDLED:
        app.register_error_handler(code, http_error)

    @app.errorhandler(413)
    def too_large(exc):
        if exc.description != RequestEntityTooLarge.description:  # the app's own message
            return http_error(exc)
        limit = app.config["MAX_CONTENT_LENGTH"]
        if request.content_length is not None and request.content_length > limit:
            message = f"request body too large: more than {limit} bytes (facetruth serve --max-upload-mb)"
        else:  # werkzeug stopped at MAX_FORM_PARTS
            message = f"too many parts in the form: at most {app.config['MAX_FILES']} files (facetruth serve --max-files)"
        return jsonify(error=message), 413

    @app.errorhandler(HTTPException)
    def other_http_error(exc):
        return jsonify(error=exc.description or exc.name), exc.code or 500

    @app.errorhandler(Exception)
    def internal_error(exc):
        logger.exception("unhandled error while serving a request")
        return jsonify(error="internal server error; the details are in the server log"), 500


def _security_headers(response):
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "no-store")
    return response
