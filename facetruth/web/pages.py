"""The upload page (plain HTML, CSS and JavaScript shipped in the package)."""

from flask import Blueprint, current_app, render_template

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    """The upload page."""
    service = current_app.extensions["facetruth"]
    return render_template(
        "index.html",
        threshold=service.threshold,
        band=service.band,
        real_cutoff=service.real_cutoff,
        fake_cutoff=service.fake_cutoff,
        max_files=current_app.config["MAX_FILES"],
        max_mb=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024),
    )
