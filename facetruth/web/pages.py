"""The upload page (plain HTML, CSS and JavaScript shipped in the package)."""

from flask import Blueprint, current_app, render_template

from ._wording import family_words

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    """The upload page: the model's facts, its cutoffs and, for a demo model, a banner saying so."""
    service = current_app.extensions["facetruth"]
    families, _ = service.families
    return render_template(
        "index.html",
        summary=service.card_summary(),
        demo=service.demo,
        rules=service.cutoffs.sentence(),
        families=family_words(families),
        face=service.face,
        scored_side=service.scored_side,
        max_files=current_app.config["MAX_FILES"],
        max_mb=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024),
    )
