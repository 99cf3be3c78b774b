"""The detector behind the web app: uploads in memory in, JSON-ready rows out.

Nothing here knows about HTTP. :class:`DetectorService` loads a saved model
once, turns off every on-disk cache of its steps (uploads are never written
anywhere), and scores a batch of ``(filename, bytes)`` uploads with the
fields of ``facetruth predict --json`` plus per-family contributions and the
image's log spectrum.
"""

import io
import logging
import os

from ._card import card_summary, is_demo, round_threshold
from ._limits import PixelBudget, bomb_reason, claimed_pixels
from ._wording import Cutoffs, verdict_sentence

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

    Examples
    --------
    >>> from facetruth.web._service import sniff_format
    >>> png = bytes.fromhex("89504e470d0a1a0a") + b"rest of the file"
    >>> sniff_format(png), sniff_format(b"GIF89a..."), sniff_format(b"<html>")
    ('PNG', 'GIF', None)
    """
    head = bytes(data[:12])
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return None


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
    band : float, default=None
        ``None`` keeps the model's cutoffs for real and fake; a number
        replaces them by a symmetric band around the threshold, ``0``
        leaves the threshold alone to decide (see :func:`facetruth.predict_items`).
    trust : bool, default=False
        Load a model file that has no model card (as ``facetruth.load(path,
        trust=True)``), with a warning: its integrity cannot be checked.
    allow_drift : bool, default=False
        Serve a model whose features here differ from the fingerprint in its
        card (as ``facetruth.load(path, allow_drift=True)``), with a warning;
        ``/healthz`` reports the drift.

    Raises
    ------
    ModelIntegrityError
        The model file is missing, tampered with or unreadable, or its card
        is missing (without ``trust``).
    FeatureDriftError
        The model's features here differ from its fingerprint (without
        ``allow_drift``).

    Examples
    --------
    >>> import os, tempfile
    >>> import facetruth
    >>> from facetruth.data import make_demo_dataset
    >>> from facetruth.web import DetectorService
    >>> folder = tempfile.mkdtemp()
    >>> data = make_demo_dataset(8, size=32, out=folder)
    >>> pipe = facetruth.build_pipeline("fft", "logistic", face="off", image_size=32, cv=2)
    >>> path = os.path.join(folder, "detector.joblib")
    >>> _ = facetruth.save(pipe.fit(data.images, data.labels), path)
    >>> service = DetectorService(path)
    >>> with open(data.paths[0], "rb") as fh:
    ...     upload = fh.read()
    >>> rows = service.predict([("face.png", upload), ("notes.txt", b"hello")])
    >>> [(row["path"], row["error"] is None) for row in rows], rows[1]["reason"]
    ([('face.png', True), ('notes.txt', False)], 'unreadable')
    """

    def __init__(
        self,
        model_path,
        *,
        max_pixels=40_000_000,
        pixel_budget=None,
        band=None,
        trust=False,
        allow_drift=False,
    ):
        from ..models import load

        self.model_path = os.fspath(model_path)
        # checks the sha256 against the card and the features against its fingerprint;
        # without a card (trust) or with drift (allow_drift) load warns
        self.pipeline = load(self.model_path, trust=trust, allow_drift=allow_drift)
        self.card = getattr(self.pipeline, "facetruth_card_", None) or {}
        self.drift = getattr(self.pipeline, "facetruth_drift_", None)
        self._setup(max_pixels, pixel_budget, band)

    def _setup(self, max_pixels, pixel_budget, band):
        from ..models import feature_families, set_cache
        from ..pipelines import decision_threshold, split_pipeline, verdict_rules

        set_cache(self.pipeline, None)  # uploads are never written anywhere
        loader, _, _ = split_pipeline(self.pipeline)
        self.max_pixels = int(min(int(max_pixels), int(loader.max_pixels)))
        loader.set_params(max_pixels=self.max_pixels, n_jobs=1)
        self.threshold = decision_threshold(self.pipeline)
        rules = verdict_rules(loader, self.pipeline[-1], band=band)  # checks the value, once
        # the model's cutoffs for real and fake, or (band=...) a symmetric band around the threshold
        self.band = None if rules.cutoffs else rules.band
        self.real_cutoff, self.fake_cutoff = rules.real_cutoff, rules.fake_cutoff
        # what the page states: the cutoffs, or those of the band (threshold - band, threshold + band)
        self.cutoffs = Cutoffs.of(
            threshold=self.threshold,
            band=rules.band,
            real_cutoff=self.real_cutoff,
            fake_cutoff=self.fake_cutoff,
        )
        self.face = getattr(loader, "face", None)
        self.scored_side = int(loader.image_size) if getattr(loader, "native", False) else None
        self.budget = PixelBudget(2 * self.max_pixels if pixel_budget is None else pixel_budget)
        self.families = feature_families(self.pipeline)  # once: building the names costs ~1 ms
        logger.info("loaded %s (threshold %.4f)", self.model_path, self.threshold)

    def warm_up(self):
        """Score one built-in face photo, so that the first request is as fast as the next ones.

        Scoring the first image imports the feature and classifier code and
        builds the face detector; here that happens before the server says
        it is ready.

        Returns
        -------
        row : dict
            The photo's row, as :meth:`predict` returns it.
        """
        from PIL import Image
        from skimage import data as skdata

        buf = io.BytesIO()
        Image.fromarray(skdata.astronaut()[:320, 80:400]).save(buf, format="PNG")
        return self.predict([("warm-up.png", buf.getvalue())])[0]

    def predict(self, uploads):
        """Score uploads.

        Parameters
        ----------
        uploads : list of (str, bytes)
            Display name (already sanitised) and content of each upload.

        Returns
        -------
        rows : list of dict
            Per upload, in order, the same keys: ``path``, ``prob_fake``,
            ``verdict`` (``"real"``, ``"fake"`` or ``"inconclusive"``),
            ``reason`` (why there is no verdict, see
            :data:`~facetruth.pipelines.INCONCLUSIVE_REASONS`), ``message``
            (one sentence), ``label`` (the same as ``verdict``, for older
            clients), ``threshold``, ``face_found``, ``face_box``, ``error``,
            ``contributions`` (``{family: value}`` or ``None``), ``spectrum``
            (list of floats or ``None``), ``face_method``,
            ``contribution_unit`` and ``sentence`` (the verdict in one plain
            sentence, see :func:`~facetruth.web._wording.verdict_sentence`).
            A row that failed has ``error`` set,
            ``reason="unreadable"`` and ``None`` in the fields that describe
            a score.
        """
        from ..exceptions import ImageDecodeError
        from ..models import family_contributions, log_spectrum
        from ..pipelines import score_items

        items, need = [], 0
        for _, data in uploads:
            error, pixels = self._check(data)
            if error:
                items.append(ImageDecodeError(error))  # refused unread
            else:
                items.append(data)
                need = max(need, pixels or 0)  # one image at a time is decoded, then cropped
        with self.budget.hold(need):
            result = score_items(self.pipeline, items, names=[name for name, _ in uploads], band=self.band)
        rows = [_api_row(p) for p in result.predictions]
        for row in rows:
            row["sentence"] = verdict_sentence(row, self.cutoffs)
        if len(result.scored):
            contribs = family_contributions(self.pipeline, result.features, families=self.families)
            per_row = contribs.as_dicts() or [None] * len(result.scored)
            for j, pos in enumerate(result.scored):
                rows[pos].update(
                    contributions=per_row[j],
                    contribution_unit=contribs.unit,
                    spectrum=[round(float(v), 5) for v in log_spectrum(result.crops[j])],
                )
        return rows

    def _check(self, data):
        """``(reason to refuse or None, pixels claimed by the header or None)``."""
        if not data:
            return "empty file", None
        if sniff_format(data) is None:
            return "not a supported image (JPEG, PNG, GIF, BMP, TIFF or WebP content expected)", None
        pixels = claimed_pixels(data)
        if pixels is not None and pixels > self.max_pixels:
            return (
                f"too many pixels: the image has {pixels}, the server accepts at most "
                f"{self.max_pixels} per image (facetruth serve --max-pixels)"
            ), None
        return bomb_reason(data, pixels), pixels

    def summary(self):
        """Liveness facts for ``/healthz``, with the check of the model's features on this machine."""
        return {
            "status": "ok",
            "model_sha256": str(self.card.get("sha256", ""))[:16],
            "demo": self.demo,
            "threshold": round_threshold(self.threshold),
            "band": round_threshold(self.band),
            "real_cutoff": round_threshold(self.real_cutoff),
            "fake_cutoff": round_threshold(self.fake_cutoff),
            "features": self.features_check(),
        }

    @property
    def demo(self):
        """Whether the model card marks a demo model (trained on synthetic scenes by ``facetruth demo``)."""
        return is_demo(self.card)

    def features_check(self):
        """``{"checked", "drift", "min_cosine", "prob_delta", "message"}``: the fingerprint check at load."""
        if self.drift is None:
            why = "the model card has no feature fingerprint" if self.card else "the model has no model card"
            return {
                "checked": False,
                "drift": None,
                "min_cosine": None,
                "prob_delta": None,
                "message": f"{why}, so its features were not checked on this machine.",
            }
        facts = self.drift.as_dict()
        return {key: facts[key] for key in ("checked", "drift", "min_cosine", "prob_delta", "message")}

    def card_summary(self):
        """The page's model facts: :func:`card_summary` of this model."""
        return card_summary(
            self.card,
            threshold=self.threshold,
            band=self.band,
            real_cutoff=self.real_cutoff,
            fake_cutoff=self.fake_cutoff,
        )


def _api_row(prediction):
    """The API's row of a :class:`~facetruth.pipelines.Prediction` (explanations still empty)."""
    error = None if prediction.error is None else _short_error(prediction.error)
    return {
        "path": prediction.item,
        "prob_fake": prediction.prob_fake,
        "verdict": prediction.verdict,
        "reason": prediction.reason,
        "message": error if error is not None else prediction.message,
        "label": prediction.verdict,
        "threshold": round_threshold(prediction.threshold),
        "face_found": prediction.face_found,
        "face_box": None if prediction.face_box is None else list(prediction.face_box),
        "error": error,
        "contributions": None,
        "spectrum": None,
        "face_method": prediction.face_method,
        "contribution_unit": None,
    }


def _short_error(message):
    """Decoder messages name ``<bytes>``; strip that prefix for the API."""
    return str(message).removeprefix("<bytes>: ")
