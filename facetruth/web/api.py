"""The JSON API: ``POST /api/v1/predict``, ``GET /api/v1/model`` and ``GET /healthz``."""

import logging

from flask import Blueprint, abort, current_app, jsonify, request
from werkzeug.utils import secure_filename

from ._service import public_card

logger = logging.getLogger(__name__)

bp = Blueprint("api", __name__)


def _service():
    return current_app.extensions["facetruth"]


def upload_name(filename, position):
    """A safe display name for an upload: its last path part, without odd characters."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = secure_filename(base)
    return name[:120] or f"upload-{position + 1}"


@bp.post("/api/v1/predict")
def predict():
    """Score the images in the multipart field ``files``.

    Returns ``{"results": [...]}`` with one row per file, in order (see
    :meth:`DetectorService.predict`); 422 when no file is a decodable image.
    """
    if request.mimetype != "multipart/form-data":
        abort(415, description="send the images as multipart/form-data in the field 'files'")
    files = request.files.getlist("files")
    if not files:
        abort(400, description="no file in the multipart field 'files'")
    limit = int(current_app.config["MAX_FILES"])
    if len(files) > limit:
        abort(413, description=f"too many files: {len(files)} > MAX_FILES={limit}")
    uploads = [(upload_name(f.filename, i), f.stream.read()) for i, f in enumerate(files)]
    rows = _service().predict(uploads)
    if all(row["error"] for row in rows):
        first = rows[0]["error"]
        more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
        return jsonify(error=f"no image could be read: {first}{more}", results=rows), 422
    return jsonify(results=rows)


@bp.get("/api/v1/model")
def model():
    """The model card: training data, metrics, threshold and package versions."""
    return jsonify(public_card(_service().card))


@bp.get("/healthz")
def healthz():
    """Liveness: the model is loaded."""
    return jsonify(_service().summary())
