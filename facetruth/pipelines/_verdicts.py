"""Verdicts that claim no more than the model knows: real, fake, or inconclusive.

A verdict is ``"inconclusive"`` when the model has no grounds for one; the
row then says why, in a machine-readable ``reason`` (one of the constants
below) and a sentence, and still carries ``prob_fake`` so it can be seen.
When several reasons apply, the first of :data:`INCONCLUSIVE_REASONS` is
given:

``no_face`` (:data:`NO_FACE`)
    No face was found but the model was trained on face crops (its
    loader's ``face`` is not ``"off"``): the centre of the image was scored,
    which says nothing about a face.
``face_too_small`` (:data:`FACE_TOO_SMALL`)
    The face's longest side is below ``min_face_side_``, the smallest face
    size the training data covers (:func:`face_size_limit`).
``out_of_distribution`` (:data:`OUT_OF_DISTRIBUTION`)
    The image's features lie further from the training data than all but
    a few training images (see :meth:`~facetruth.models.CalibratedDetector.novelty`).
``uncertain`` (:data:`UNCERTAIN`)
    ``real_cutoff < prob_fake < fake_cutoff``: between the detector's
    cutoffs for real and fake, chosen on out-of-fold data so that the
    verdicts beyond each are right at the stated confidence (see
    :class:`~facetruth.models.CalibratedDetector`). With an explicit
    symmetric band instead (``band=``, and detectors saved before the
    cutoffs): ``|prob_fake - threshold| <= band``.

Models saved before these checks existed keep their two-way verdicts plus
the ``no_face`` rule, and their messages say so.
"""

import logging
import weakref
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

REAL, FAKE, INCONCLUSIVE = "real", "fake", "inconclusive"
#: every verdict a scored item can get
VERDICTS = (REAL, FAKE, INCONCLUSIVE)

#: ``reason`` of an item that could not be read, decoded, or was refused unread
UNREADABLE = "unreadable"
#: no face found, and the model was trained on face crops
NO_FACE = "no_face"
#: the face is smaller than the training faces allow
FACE_TOO_SMALL = "face_too_small"
#: the image's features lie far outside the training data
OUT_OF_DISTRIBUTION = "out_of_distribution"
#: the probability lies between the cutoffs for real and fake (or within the band around the threshold)
UNCERTAIN = "uncertain"
#: reasons for an inconclusive verdict, in the order they are checked
INCONCLUSIVE_REASONS = (NO_FACE, FACE_TOO_SMALL, OUT_OF_DISTRIBUTION, UNCERTAIN)

#: percentile of the training faces' sides below which a face is too small
FACE_SIZE_PERCENTILE = 1.0

_LEGACY_NOTE = (
    "this model predates inconclusive verdicts; retrain it for the face-size, out-of-distribution "
    "and uncertainty checks"
)
_warned = weakref.WeakSet()
_noted = weakref.WeakSet()


def face_side(info):
    """Longest side, in source pixels, of the face box in a crop info; ``None`` without a face.

    Parameters
    ----------
    info : dict
        A crop info of :meth:`~facetruth.pipelines.ImageLoader.load`; infos
        read back from the crop cache carry the box but not ``face_side``,
        which is then measured on the box.

    Returns
    -------
    side : int or None

    Examples
    --------
    >>> from facetruth.pipelines._verdicts import face_side
    >>> face_side({"face_found": True, "box": [10, 20, 50, 80]}), face_side({"face_found": False})
    (60, None)
    """
    if not info.get("face_found"):
        return None
    side = info.get("face_side")
    if side is None:
        box = info.get("box")
        if box is None:
            return None
        side = max(1, int(round(max(box[2] - box[0], box[3] - box[1]))))
    return int(side)


def face_size_limit(infos, *, percentile=FACE_SIZE_PERCENTILE):
    """The smallest face side the training data covers: a low percentile of its faces' sides.

    Parameters
    ----------
    infos : sequence of dict
        Crop infos of the training images (failed items, with ``error``, and
        images without a face are left out).
    percentile : float, default=1.0
        Faces smaller than this percentile of the training faces' sides are
        too small for a verdict.

    Returns
    -------
    limit : int or None
        In source pixels, rounded down; ``None`` when no training image had
        a face (a model trained on whole images has no face-size limit).

    Examples
    --------
    >>> from facetruth.pipelines._verdicts import face_size_limit
    >>> infos = [{"face_found": True, "face_side": s} for s in range(100, 300)]
    >>> face_size_limit(infos), face_size_limit([{"face_found": False}])
    (101, None)
    """
    if not 0 <= float(percentile) <= 100:
        raise ValueError(f"percentile must lie in [0, 100], got {percentile!r}.")
    sides = [s for s in (face_side(info) for info in infos if "error" not in info) if s is not None]
    if not sides:
        return None
    return int(np.floor(np.percentile(sides, float(percentile))))


@dataclass(frozen=True)
class VerdictRules:
    """What a fitted detector knows about where its verdicts hold.

    Attributes
    ----------
    threshold : float
        The detector's two-way threshold: fake when ``prob_fake > threshold``.
    band : float
        Half-width of a symmetric uncertainty band around the threshold,
        used when the cutoffs are ``None``; ``0`` turns it off (the
        threshold alone decides).
    real_cutoff, fake_cutoff : float or None
        ``real`` when ``prob_fake <= real_cutoff``, ``fake`` when
        ``prob_fake >= fake_cutoff``, inconclusive between them; both or
        neither are set, ``real_cutoff < fake_cutoff``.
    needs_face : bool
        The model was trained on face crops: no face, no verdict.
    min_face_side : int or None
        Faces whose longest side is smaller (source pixels) get no verdict.
    novelty_limit : float or None
        Feature-space distances above it are out of distribution; ``None``
        turns the check off.
    legacy : bool
        The model predates these checks (no cutoffs, no face-size limit).

    Examples
    --------
    >>> from facetruth.pipelines._verdicts import VerdictRules
    >>> rules = VerdictRules(threshold=0.56, real_cutoff=0.31, fake_cutoff=0.81)
    >>> rules.judge(0.9, {})[:2], rules.judge(0.2, {})[:2], rules.judge(0.62, {})[:2]
    (('fake', None), ('real', None), ('inconclusive', 'uncertain'))
    >>> rules.judge(0.62, {})[2]
    "Inconclusive: P(fake) 0.620 lies between this model's cutoffs for real (0.310) and fake (0.810)"
    >>> VerdictRules(threshold=0.5, band=0.1).judge(0.55, {})[2]
    'Too close to call: P(fake) = 0.550 lies within 0.100 of the threshold 0.500'
    """

    threshold: float
    band: float = 0.0
    real_cutoff: float | None = None
    fake_cutoff: float | None = None
    needs_face: bool = False
    min_face_side: int | None = None
    novelty_limit: float | None = None
    legacy: bool = False

    def __post_init__(self):
        if (self.real_cutoff is None) != (self.fake_cutoff is None):
            raise ValueError("real_cutoff and fake_cutoff are set together, or neither.")
        if self.cutoffs and not float(self.real_cutoff) < float(self.fake_cutoff):
            raise ValueError(
                f"real_cutoff must lie below fake_cutoff, got {self.real_cutoff!r} and {self.fake_cutoff!r}."
            )

    @property
    def cutoffs(self):
        """Whether the verdicts follow one cutoff per side (else the band around the threshold)."""
        return self.fake_cutoff is not None

    def judge(self, prob_fake, info, novelty=None):
        """Verdict, reason and message of one scored item.

        Parameters
        ----------
        prob_fake : float
            Calibrated probability that the item is fake.
        info : dict
            Its crop info (``face_found``, ``method``, ``face_side``, ``box``).
        novelty : float, default=None
            Its feature-space distance to the training data.

        Returns
        -------
        verdict : {"real", "fake", "inconclusive"}
        reason : str or None
            One of :data:`INCONCLUSIVE_REASONS` when inconclusive, else ``None``.
        message : str
            One sentence for people.
        """
        prob, threshold = float(prob_fake), float(self.threshold)
        reason, message = self._reason(prob, info, novelty)
        if reason is None and self.cutoffs:
            verdict = FAKE if prob >= float(self.fake_cutoff) else REAL
            where, cutoff = ("above", self.fake_cutoff) if verdict == FAKE else ("below", self.real_cutoff)
            message = f"P(fake) = {prob:.3f}, at or {where} this model's cutoff for {verdict} ({cutoff:.3f})"
            if info.get("method") == "centre":
                message += " (no face found: the centre of the image was scored)"
        elif reason is None:
            verdict = verdict_for(prob, threshold)
            band = float(self.band)
            if band > 0:  # a model saved before the cutoffs: one band around the threshold
                edge, side, sign = (
                    (threshold + band, "above", "plus")
                    if verdict == FAKE
                    else (threshold - band, "below", "minus")
                )
                message = (
                    f"P(fake) = {prob:.3f}, {side} {edge:.3f} "
                    f"(the threshold {threshold:.3f} {sign} the uncertainty band {band:.3f})"
                )
            else:
                side = "above" if verdict == FAKE else "at or below"
                message = f"P(fake) = {prob:.3f}, {side} the threshold {threshold:.3f}"
            if info.get("method") == "centre":
                message += " (no face found: the centre of the image was scored)"
        else:
            verdict = INCONCLUSIVE
        if self.legacy:
            message += f" ({_LEGACY_NOTE})"
        return verdict, reason, message

    def _reason(self, prob, info, novelty):
        score = f"P(fake) = {prob:.3f}"
        if self.needs_face and not info.get("face_found", False):
            return NO_FACE, (
                f"No face found: the model was trained on faces, so it gives no verdict "
                f"on this image ({score} for the centre of the image)"
            )
        side = face_side(info)
        if self.min_face_side is not None and side is not None and side < self.min_face_side:
            return FACE_TOO_SMALL, (
                f"The face is {side} px across, smaller than the {self.min_face_side} px "
                f"the training faces cover: no verdict ({score})"
            )
        if self.novelty_limit is not None and novelty is not None and novelty > self.novelty_limit:
            return OUT_OF_DISTRIBUTION, (
                f"The image lies far outside the training data (feature distance {novelty:.2f}, "
                f"limit {self.novelty_limit:.2f}): no verdict ({score})"
            )
        if self.cutoffs and float(self.real_cutoff) < prob < float(self.fake_cutoff):
            return UNCERTAIN, (
                f"Inconclusive: P(fake) {prob:.3f} lies between this model's cutoffs for real "
                f"({self.real_cutoff:.3f}) and fake ({self.fake_cutoff:.3f})"
            )
        if not self.cutoffs and self.band > 0 and abs(prob - float(self.threshold)) <= self.band:
            return UNCERTAIN, (
                f"Too close to call: {score} lies within {self.band:.3f} of the threshold "
                f"{float(self.threshold):.3f}"
            )
        return None, None


def verdict_for(prob_fake, threshold):
    """``"fake"`` when ``prob_fake`` is above ``threshold``, else ``"real"``.

    The two-way decision behind every verdict (a probability equal to the
    threshold is real); :meth:`VerdictRules.judge` turns it inconclusive
    where the model has no grounds for it.

    Examples
    --------
    >>> from facetruth.pipelines._verdicts import verdict_for
    >>> verdict_for(0.7, 0.5), verdict_for(0.5, 0.5)
    ('fake', 'real')
    """
    return FAKE if float(prob_fake) > float(threshold) else REAL


def verdict_rules(loader, detector, *, band=None):
    """The :class:`VerdictRules` of a fitted loader and detector.

    Parameters
    ----------
    loader : ImageLoader
        Its ``face`` says whether the model needs a face; its
        ``min_face_side_`` (when fitted) is the face-size limit.
    detector : estimator
        Its ``threshold_``, ``fake_cutoff_``, ``real_cutoff_`` and
        ``novelty_`` (when fitted). A detector saved before the cutoffs
        keeps its symmetric ``band_`` around the threshold (with a note
        logged once, at INFO level).
    band : float, default=None
        Overrides the detector's cutoffs with a symmetric band around the
        threshold (``|prob_fake - threshold| <= band`` is inconclusive);
        ``0`` leaves the threshold alone to decide.

    Returns
    -------
    rules : VerdictRules
        ``legacy`` is set, and a warning logged once per detector, when
        the model predates the cutoffs (and the band), the novelty
        statistics or the face-size limit.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.pipelines import build_pipeline, verdict_rules
    >>> X = np.random.default_rng(0).normal(size=(20, 3))
    >>> model = build_pipeline("fft", "logistic", face="off", cv=2)
    >>> detector = model[-1].fit(X, [0, 1] * 10)
    >>> verdict_rules(model[0], detector, band=0).band
    0.0
    >>> rules = verdict_rules(model[0], detector)
    >>> rules.cutoffs, rules.real_cutoff == detector.real_cutoff_
    (True, True)
    """
    if band is not None and not 0 <= float(band) <= 1:
        raise ValueError(f"band must lie in [0, 1], got {band!r}.")
    needs_face = getattr(loader, "face", "off") != "off"
    novelty = getattr(detector, "novelty_", None)
    has_cutoffs = hasattr(detector, "fake_cutoff_") and hasattr(detector, "real_cutoff_")
    checks = (
        ("verdict cutoffs", has_cutoffs or hasattr(detector, "band_")),
        ("novelty statistics", novelty is not None),
        ("a face-size limit", not needs_face or hasattr(loader, "min_face_side_")),
    )
    legacy = not all(ok for _, ok in checks)
    if legacy and detector not in _warned:
        _warned.add(detector)
        logger.warning(
            "This detector was saved by an older FaceTruth without %s: its verdicts skip those "
            "checks; retrain it for all of them.",
            ", ".join(name for name, ok in checks if not ok),
        )
    cutoffs = {}
    if band is None and has_cutoffs and detector.fake_cutoff_ is not None:
        cutoffs = {"real_cutoff": float(detector.real_cutoff_), "fake_cutoff": float(detector.fake_cutoff_)}
    elif band is None and not has_cutoffs and hasattr(detector, "band_") and detector not in _noted:
        _noted.add(detector)
        logger.info(
            "This detector was saved before verdicts had one cutoff per side: it keeps its symmetric "
            "uncertainty band of %.3f around the threshold %.3f; retrain it for per-side cutoffs.",
            float(detector.band_),
            float(detector.threshold_),
        )
    if band is None:
        band = 0.0 if has_cutoffs else getattr(detector, "band_", 0.0)
    return VerdictRules(
        threshold=float(detector.threshold_),
        band=float(band),
        **cutoffs,
        needs_face=needs_face,
        min_face_side=getattr(loader, "min_face_side_", None) if needs_face else None,
        novelty_limit=None if novelty is None else float(novelty.limit_),
        legacy=legacy,
    )
