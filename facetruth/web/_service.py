"""The detector behind the web app: uploads in memory in, JSON-ready rows out.

Nothing here knows about HTTP. :class:`DetectorService` loads a saved model
once, turns off every on-disk cache of its steps (uploads are never written
anywhere), and scores a batch of ``(filename, bytes)`` uploads with the
fields of ``facetruth predict --json`` plus per-family contributions and the
image's log spectrum.
"""

import logging
import os

from ._limits import PixelBudget, bomb_reason, claimed_pixels

logger = logging.getLogger(__name__)

#: leading bytes of the accepted formats; everything else is refused unread
_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


def sniff_format(data):
    """Name of the image format that ``data`` starts with, or ``None``.

    The decision rests on the content's magic bytes only, never on a file
    name or a client-supplied content type.
    """
    head = bytes(data[:12])
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return None


def _disable_caches(estimator):
    """Set every ``cache`` parameter in a (nested) estimator to ``None``."""
    params = estimator.get_params(deep=True)
    off = {k: None for k, v in params.items() if (k == "cache" or k.endswith("__cache")) and v is not None}
    if off:
        estimator.set_params(**off)


def public_card(card):
    """The model card as served by the API: local paths reduced to their last part."""
    card = dict(card or {})
    data = dict(card.get("training_data") or {})
    if data.get("source"):
        data["source"] = os.path.basename(os.path.normpath(str(data["source"])))
    if data:
        card["training_data"] = data
    return card


class DetectorService:
    """A loaded detector that scores uploaded image bytes.

    Parameters
    ----------
    model_path : str or os.PathLike
        A model saved by :func:`facetruth.save` (its model card is required:
        the sha256 is checked before anything is unpickled).
    max_pixels : int, default=40_000_000
        Uploads whose header claims more pixels are refused before decoding.
    pixel_budget : int, default=None
        Pixels decoded at once across all threads (see
        :class:`~facetruth.web._limits.PixelBudget`); ``None`` means
        ``2 * max_pixels``, about 1 GB at the decoders' peak.

    Raises
    ------
    ModelIntegrityError
        The model file or its card is missing, tampered with or unreadable.
    """

    def __init__(self, model_path, *, max_pixels=40_000_000, pixel_budget=None):
        from ..models import load, read_model_card

        self.model_path = os.fspath(model_path)
        self.card = read_model_card(self.model_path)
        self.pipeline = load(self.model_path)
        _disable_caches(self.pipeline)
        loader = self.pipeline.named_steps["loader"]
        self.max_pixels = int(min(int(max_pixels), int(loader.max_pixels)))
        self.pipeline.set_params(loader__max_pixels=self.max_pixels, loader__n_jobs=1)
        self.threshold = float(self.pipeline.named_steps["classifier"].threshold_)
        self.budget = PixelBudget(2 * self.max_pixels if pixel_budget is None else pixel_budget)
        logger.info("loaded %s (threshold %.4f)", self.model_path, self.threshold)

    def predict(self, uploads):
        """Score uploads.

        Parameters
        ----------
        uploads : list of (str, bytes)
            Display name (already sanitised) and content of each upload.

        Returns
        -------
        rows : list of dict
            Per upload, in order: ``path``, ``prob_fake``, ``label``,
            ``threshold``, ``face_box``, ``error``, ``contributions``
            (``{family: value}`` or ``None``), ``contribution_unit`` and
            ``spectrum`` (list of floats or ``None``). A row that failed has
            ``error`` set and ``None`` elsewhere.
        """
        from ..models import family_contributions, log_spectrum

        rows = [self._empty_row(name) for name, _ in uploads]
        good, need = [], 0
        for i, (_, data) in enumerate(uploads):
            error, pixels = self._check(data)
            if error:
                rows[i]["error"] = error
            else:
                good.append(i)
                need = max(need, pixels or 0)  # one image at a time is decoded, then cropped
        if not good:
            return rows
        with self.budget.hold(need):
            loaded = self.pipeline.named_steps["loader"].load([uploads[i][1] for i in good], errors="collect")
        if len(loaded.ok):
            feats = self.pipeline.named_steps["features"].transform(loaded.images)
            prob = self.pipeline.named_steps["classifier"].predict_proba(feats)[:, 1]
            contribs = family_contributions(self.pipeline, feats)
            per_row = contribs.as_dicts() or [None] * len(prob)
        for k, info in enumerate(loaded.infos):
            row = rows[good[k]]
            if "error" in info:
                row["error"] = _short_error(info["error"])
        for j, k in enumerate(loaded.ok):
            p = float(prob[j])
            rows[good[k]].update(
                prob_fake=p,
                label="fake" if p >= self.threshold else "real",
                face_box=loaded.infos[k].get("box"),
                face_method=loaded.infos[k].get("method"),
                contributions=per_row[j],
                contribution_unit=contribs.unit,
                spectrum=[round(float(v), 5) for v in log_spectrum(loaded.images[j])],
            )
        return rows

    def _empty_row(self, name):
        return {
            "path": name,
            "prob_fake": None,
            "label": None,
            "threshold": self.threshold,
            "face_box": None,
            "error": None,
            "contributions": None,
            "spectrum": None,
        }

    def _check(self, data):
        """``(reason to refuse or None, pixels claimed by the header or None)``."""
        if not data:
            return "empty file", None
        if sniff_format(data) is None:
            return "not a supported image (JPEG, PNG, GIF, BMP, TIFF or WebP content expected)", None
        pixels = claimed_pixels(data)
        return bomb_reason(data, pixels), pixels

    def summary(self):
        """Liveness facts for ``/healthz``."""
        return {
            "status": "ok",
            "model_sha256": str(self.card.get("sha256", ""))[:16],
            "threshold": self.threshold,
        }


def _short_error(message):
    """Decoder messages name ``<bytes>``; strip that prefix for the API."""
    return str(message).removeprefix("<bytes>: ")
