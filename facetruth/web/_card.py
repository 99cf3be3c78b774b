"""What the web app tells about its model: the public card and the page's summary of it."""

import os
from datetime import datetime

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

#: decimals of the thresholds and bands the API reports (0.30000000000000004 is 0.3)
THRESHOLD_DECIMALS = 4


def round_threshold(value, decimals=THRESHOLD_DECIMALS):
    """``value`` rounded to :data:`THRESHOLD_DECIMALS` decimals (``None`` stays ``None``)."""
    return None if value is None else round(float(value), decimals)


def readable_date(timestamp):
    """A card's ISO 8601 timestamp as a date people read ("7 Dec 2026"); ``None`` when it is no date.

    Examples
    --------
    >>> from facetruth.web._card import readable_date
    >>> readable_date("2026-12-07T09:12:15+00:00"), readable_date("yesterday"), readable_date(None)
    ('7 Dec 2026', None, None)
    """
    try:
        when = datetime.fromisoformat(str(timestamp))
    except ValueError:
        return None
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year}"


def is_demo(card):
    """Whether a model card marks a demo model (``"demo": true``, written by ``facetruth demo``).

    Examples
    --------
    >>> from facetruth.web._card import is_demo
    >>> is_demo({"demo": True}), is_demo({"demo": "yes"}), is_demo({})
    (True, False, False)
    """
    return (card or {}).get("demo") is True


def _last_part(path):
    return os.path.basename(os.path.normpath(str(path)))


def _public_params(params):
    """A feature family's parameters with each absolute path reduced to its last part."""
    if not isinstance(params, dict):
        return params
    return {
        key: _last_part(value) if isinstance(value, str) and os.path.isabs(value) else value
        for key, value in params.items()
    }


def public_card(card):
    """The model card as served by the API: local paths reduced to their last part.

    The training data's folder and any absolute path among the feature
    families' parameters (a fine-tuned backbone's file) tell a visitor
    about the server's disk; only their last part is kept.

    Examples
    --------
    >>> import os
    >>> from facetruth.web._card import public_card
    >>> backbone = os.path.abspath(os.path.join("models", "tuned.pt"))
    >>> card = {"training_data": {"source": os.path.abspath("faces")},
    ...         "feature_params": {"cnn": {"weights": backbone, "pooling": "avg"}}}
    >>> public = public_card(card)
    >>> public["training_data"]["source"], public["feature_params"]["cnn"]
    ('faces', {'weights': 'tuned.pt', 'pooling': 'avg'})
    >>> card["feature_params"]["cnn"]["weights"] == backbone  # the card itself is left alone
    True
    """
    card = dict(card or {})
    data = dict(card.get("training_data") or {})
    if data.get("source"):
        data["source"] = _last_part(data["source"])
    if data:
        card["training_data"] = data
    families = card.get("feature_params")
    if isinstance(families, dict):
        card["feature_params"] = {name: _public_params(params) for name, params in families.items()}
    return card


def card_summary(card, *, threshold, band, real_cutoff=None, fake_cutoff=None):
    """The few facts of a model card that the upload page shows (a few KB, not the whole card).

    Parameters
    ----------
    card : dict
        The model card (``{}`` for a model loaded without one).
    threshold, band : float
        The detector's decision threshold, and the symmetric band around it
        in use when the verdicts follow no cutoffs.
    real_cutoff, fake_cutoff : float, default=None
        The cutoffs for real and fake in use (``None`` under a band).

    Returns
    -------
    summary : dict
        ``demo`` (whether the card marks a demo model, see :func:`is_demo`),
        ``features``, ``classifier``, ``face``, ``created``, ``trained`` (the
        date of ``created`` as people read it, see :func:`readable_date`),
        ``validation_auc``, ``training_counts``, ``threshold``, ``band``,
        ``real_cutoff`` and ``fake_cutoff`` (rounded to 4 decimals) and
        ``mean_log_spectrum`` (``{"real": [...], "fake": [...]}`` or ``None``);
        a missing fact is ``None``.

    Examples
    --------
    >>> from facetruth.web._card import card_summary
    >>> card = {"features": ["fft"], "validation_metrics": {"auc": 0.91}, "feature_names": ["f0"] * 500}
    >>> summary = card_summary(card, threshold=0.30000000000000004, band=0, real_cutoff=0.1, fake_cutoff=0.8)
    >>> summary["features"], summary["validation_auc"], summary["threshold"], "feature_names" in summary
    (['fft'], 0.91, 0.3, False)
    >>> summary["real_cutoff"], summary["fake_cutoff"], summary["demo"]
    (0.1, 0.8, False)
    """
    card = card or {}
    metrics = card.get("validation_metrics") or {}
    training = card.get("training_data") or {}
    spectra = (card.get("training_summary") or {}).get("mean_log_spectrum")
    features = card.get("features")
    if isinstance(features, str):
        features = [f for f in features.replace("+", ",").split(",") if f]
    return {
        "demo": is_demo(card),
        "features": features,
        "classifier": card.get("classifier"),
        "face": card.get("face"),
        "created": card.get("created"),
        "trained": readable_date(card.get("created")),
        "validation_auc": metrics.get("auc") if isinstance(metrics, dict) else None,
        "training_counts": training.get("counts") if isinstance(training, dict) else None,
        "threshold": round_threshold(threshold),
        "band": round_threshold(band),
        "real_cutoff": round_threshold(real_cutoff),
        "fake_cutoff": round_threshold(fake_cutoff),
        "mean_log_spectrum": spectra if isinstance(spectra, dict) else None,
    }
