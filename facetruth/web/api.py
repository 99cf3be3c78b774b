"""The JSON API: ``POST /api/v1/predict``, ``GET /api/v1/model``, ``GET /api/v1/model/summary``, ``GET /healthz``.

Every answer is JSON; every error is ``{"error": message}`` with a 4xx or 5xx
status (docs/web.md lists them).
"""

import logging

from flask import Blueprint, abort, current_app, jsonify, request
from werkzeug.utils import secure_filename

from ._card import public_card

logger = logging.getLogger(__name__)

bp = Blueprint("api", __name__)


def _service():
    return current_app.extensions["facetruth"]


def upload_name(filename, position):
    """A safe display name for an upload: its last path part, without odd characters."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = secure_filename(base)
    return name[:120] or f"upload-{position + 1}"


#: the multipart fields that carry images; ``file`` is the singular spelling of ``files``
UPLOAD_FIELDS = ("files", "file")

_HOW = "POST the images as multipart/form-data in the field 'files' (or 'file')"


@bp.post("/api/v1/predict")
def predict():
    """Score the images in the multipart fields ``files`` and ``file``.

    Returns ``{"results": [...]}`` with one row per file, in order (see
    :meth:`DetectorService.predict`); 422 when no file is a decodable image.
    """
    if request.mimetype != "multipart/form-data":
        abort(415, description=f"unsupported content type; {_HOW}")
    files = [f for field, f in request.files.items(multi=True) if field in UPLOAD_FIELDS]
    if not files:
        abort(400, description=f"no file in the request; {_HOW}")
    limit = int(current_app.config["MAX_FILES"])
    if len(files) > limit:
        abort(
            413,
            description=f"too many files: {len(files)} in one request, at most {limit} (facetruth serve --max-files)",
        )
    uploads = [(upload_name(f.filename, i), f.stream.read()) for i, f in enumerate(files)]
    rows = _service().predict(uploads)
    if all(row["error"] for row in rows):
        first = rows[0]["error"]
        more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
        return jsonify(error=f"no image could be read: {first}{more}", results=rows), 422
    return jsonify(results=rows)


@bp.get("/api/v1/predict")
def predict_get():
    """A browser or ``curl`` without ``-F``: a JSON 405 that says how to call the endpoint."""
    response = jsonify(
        error="method not allowed: /api/v1/predict takes POST only",
        hint=f"{_HOW}, e.g. curl -F files=@photo.jpg http://HOST:PORT/api/v1/predict",
    )
    response.status_code = 405
    response.headers["Allow"] = "POST"
    return response


@bp.get("/api/v1/model")
def model():
    """The model card: training data, metrics, threshold and package versions."""
    return jsonify(public_card(_service().card))


@bp.get("/api/v1/model/summary")
def model_summary():
    """The facts the upload page shows: features, AUC, threshold, cutoffs (or band), mean training spectra."""
    return jsonify(_service().card_summary())


@bp.get("/healthz")
def healthz():
    """Liveness: the model is loaded, and whether its features here match its fingerprint."""
    return jsonify(_service().summary())
