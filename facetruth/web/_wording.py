"""The page's words: each verdict as one plain sentence, and the cutoffs it follows.

A verdict on the page reads like "Likely fake: P(fake) 0.95; this model says
fake above 0.81." Every model is described by two cutoffs, one per side: a
model saved with its own cutoffs states them; a model that keeps a symmetric
band around its threshold (models saved before the cutoffs, or ``--band``)
is described by ``threshold - band`` and ``threshold + band``, clipped to
``[0, 1]``, so that both kinds read the same.
"""

from dataclasses import dataclass

#: plain words for why a scored image got no verdict (the ``reason`` of :func:`facetruth.predict_items`)
NO_VERDICT = {
    "no_face": "no face was found, and this model judges faces only",
    "face_too_small": "the face is smaller than the faces this model was trained on",
    "out_of_distribution": "this image is unlike the images this model was trained on",
}


#: plain words for each feature family, as the page names them
FAMILY_WORDS = {
    "fft": "frequency pattern",
    "dct": "JPEG-block pattern",
    "noise": "noise traces",
    "lbp": "fine texture",
    "cnn": "image-recognition network",
    "region": "face regions",
    "parts": "face parts (network)",
    "cnnstats": "network statistics",
    "clip": "CLIP image model",
}


def family_words(families):
    """``{family: plain words}`` for the given families (a family without words keeps its name).

    Examples
    --------
    >>> from facetruth.web._wording import family_words
    >>> family_words(["fft", "mystery"])
    {'fft': 'frequency pattern', 'mystery': 'mystery'}
    """
    return {name: FAMILY_WORDS.get(name, name) for name in families or ()}


@dataclass(frozen=True)
class Cutoffs:
    """The two probabilities that split a model's verdicts.

    Attributes
    ----------
    real : float
        ``prob_fake`` at or below it is called real.
    fake : float
        ``prob_fake`` at or above it is called fake; between the two the
        model makes no call.

    Examples
    --------
    >>> from facetruth.web._wording import Cutoffs
    >>> Cutoffs.of(threshold=0.558, band=0.445)
    Cutoffs(real=0.113, fake=1.0)
    >>> Cutoffs.of(threshold=0.5, band=None, real_cutoff=0.2, fake_cutoff=0.81).sentence()
    'This model says real below P(fake) 0.20 and fake above 0.81; in between it makes no call.'
    """

    real: float
    fake: float

    @classmethod
    def of(cls, *, threshold, band, real_cutoff=None, fake_cutoff=None):
        """The cutoffs a model's verdicts follow.

        Parameters
        ----------
        threshold : float
            The model's decision threshold.
        band : float or None
            The symmetric band around the threshold, used when the model has
            no cutoffs (``0`` or ``None``: the threshold alone decides).
        real_cutoff, fake_cutoff : float, default=None
            The model's own cutoffs; when set, ``threshold`` and ``band``
            are not used.

        Returns
        -------
        cutoffs : Cutoffs
        """
        if real_cutoff is not None and fake_cutoff is not None:
            return cls(float(real_cutoff), float(fake_cutoff))
        half = float(band or 0.0)
        threshold = float(threshold)
        return cls(round(max(0.0, threshold - half), 6), round(min(1.0, threshold + half), 6))

    def sentence(self):
        """How to read this model's verdicts, in one sentence."""
        if self.real == self.fake:
            return (
                f"This model says fake above P(fake) {_number(self.fake)} and real at or below it; "
                "it has no range where it makes no call."
            )
        real, fake = _numbers(self.real, self.fake)
        return (
            f"This model says real below P(fake) {real} and fake above {fake}; in between it makes no call."
        )


def _number(value, decimals=2):
    return f"{float(value):.{decimals}f}"


def _numbers(*values):
    """The values with 2 decimals, or more where two of them would read the same."""
    for decimals in (2, 3, 4):
        texts = [_number(v, decimals) for v in values]
        if len(set(texts)) == len(set(float(v) for v in values)):
            return texts
    return texts


def verdict_sentence(row, cutoffs):
    """One plain sentence for a scored row: the verdict, its probability and the cutoff it passed.

    Parameters
    ----------
    row : dict
        A row of :meth:`~facetruth.web.DetectorService.predict` (``verdict``,
        ``prob_fake``, ``reason``, ``error``).
    cutoffs : Cutoffs
        The cutoffs of the model that scored it.

    Returns
    -------
    sentence : str or None
        ``None`` for a row that could not be scored.

    Examples
    --------
    >>> from facetruth.web._wording import Cutoffs, verdict_sentence
    >>> cutoffs = Cutoffs(real=0.2, fake=0.81)
    >>> verdict_sentence({"verdict": "fake", "prob_fake": 0.951, "reason": None}, cutoffs)
    'Likely fake: P(fake) 0.95; this model says fake above 0.81.'
    >>> verdict_sentence({"verdict": "real", "prob_fake": 0.05, "reason": None}, cutoffs)
    'Likely real: P(fake) 0.05; this model says real below 0.20.'
    >>> verdict_sentence({"verdict": "inconclusive", "prob_fake": 0.5, "reason": "uncertain"}, cutoffs)
    'Uncertain: P(fake) 0.50 lies between 0.20 and 0.81, where this model makes no call.'
    >>> verdict_sentence({"verdict": "inconclusive", "prob_fake": 0.9, "reason": "no_face"}, cutoffs)
    'No verdict: no face was found, and this model judges faces only (P(fake) 0.90).'
    """
    if row.get("error") is not None or row.get("prob_fake") is None:
        return None
    prob, verdict, reason = float(row["prob_fake"]), row.get("verdict"), row.get("reason")
    if verdict == "fake":
        p, cut = _numbers(prob, cutoffs.fake)
        return f"Likely fake: P(fake) {p}; this model says fake above {cut}."
    if verdict == "real":
        p, cut = _numbers(prob, cutoffs.real)
        return f"Likely real: P(fake) {p}; this model says real below {cut}."
    if reason in NO_VERDICT:
        return f"No verdict: {NO_VERDICT[reason]} (P(fake) {_number(prob)})."
    p, real, fake = _numbers(prob, cutoffs.real, cutoffs.fake)
    return f"Uncertain: P(fake) {p} lies between {real} and {fake}, where this model makes no call."
