"""Comparing a detector's features here with the fingerprint in its model card, and the check at load."""

import binascii
import dataclasses
import warnings

import numpy as np

from .._cpu import cpu_info
from ..exceptions import FaceTruthError, FeatureDriftError, ModelIntegrityError
from ._fingerprint import (
    _FAMILY_LIBRARY,
    DRIFT_MAX_PROB_DELTA,
    DRIFT_MIN_COSINE,
    _decode,
    _probe_features,
    decode_features,
    is_detector_pipeline,
    library_versions,
)


@dataclasses.dataclass(frozen=True)
class FeatureDrift:
    """How a detector's features here compare with the fingerprint stored in its model card.

    Attributes
    ----------
    checked : bool
        Whether the features could be compared (the probe images are those
        of the fingerprint).
    drift : bool
        Whether they differ: a family's cosine below
        :data:`~facetruth.models.DRIFT_MIN_COSINE` on some probe, a probe's
        ``P(fake)`` moved by more than
        :data:`~facetruth.models._fingerprint.DRIFT_MAX_PROB_DELTA`, or another feature layout.
    cosine : dict of str to float
        Per feature family, the smallest cosine over the probes between the
        stored and the recomputed features, both centred on the stored
        probes' mean (see :func:`family_cosines`).
    prob_delta : float or None
        The largest change of a probe's ``P(fake)``.
    message : str
        One line that says what differs, and on which machines.

    Examples
    --------
    >>> from facetruth.models import FeatureDrift
    >>> drift = FeatureDrift(True, False, {"fft": 1.0, "dct": 0.99995}, 0.0, "match")
    >>> drift.min_cosine, drift.as_dict()["drift"]
    (0.99995, False)
    """

    checked: bool
    drift: bool
    cosine: dict
    prob_delta: float | None
    message: str

    @property
    def min_cosine(self):
        """The smallest cosine over the families, or ``None`` when nothing was compared."""
        return min(self.cosine.values()) if self.cosine else None

    def as_dict(self):
        """A JSON-ready dict: ``checked``, ``drift``, ``min_cosine``, ``cosine``, ``prob_delta``, ``message``."""
        return {
            "checked": self.checked,
            "drift": self.drift,
            "min_cosine": self.min_cosine,
            "cosine": dict(self.cosine),
            "prob_delta": self.prob_delta,
            "message": self.message,
        }


def _cosine(a, b):
    """Cosine of two feature rows; NaN where both have NaN counts as equal, elsewhere as different."""
    a_nan, b_nan = np.isnan(a), np.isnan(b)
    if (a_nan != b_nan).any():
        return 0.0
    a, b = a[~a_nan], b[~b_nan]
    norm_a, norm_b = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if norm_a == 0 or norm_b == 0:
        return 1.0 if norm_a == norm_b else 0.0
    return float(np.clip(np.dot(a, b) / (norm_a * norm_b), -1.0, 1.0))


def family_cosines(stored, here):
    """Per probe, the cosine of stored and recomputed features, both centred on the stored probes' mean.

    Handcrafted features share large components across images (the cosine of
    two different photographs' spectra is often above 0.99), so the rows are
    compared as offsets from the stored probes' mean: a change is then
    measured against how much the probes differ from each other. A probe
    whose stored features hardly differ from that mean is compared uncentred.

    Examples
    --------
    >>> import numpy as np
    >>> stored = np.array([[10.0, 1.0], [10.0, 3.0]])
    >>> family_cosines(stored, stored).tolist()
    [1.0, 1.0]
    >>> np.round(family_cosines(stored, 1.1 * stored), 3).tolist()  # a plain cosine would be 1.0
    [0.669, 0.793]
    """
    stored, here = np.asarray(stored, dtype=np.float64), np.asarray(here, dtype=np.float64)
    mean = np.nan_to_num(stored).mean(axis=0)
    cosines = []
    for s, h in zip(stored, here):
        centred = np.linalg.norm(np.nan_to_num(s - mean)) > 1e-6 * np.linalg.norm(np.nan_to_num(s))
        cosines.append(_cosine(s - mean, h - mean) if centred else _cosine(s, h))
    return np.asarray(cosines)


def _machine(machine):
    machine = machine if isinstance(machine, dict) else {}
    isa = machine.get("isa") if isinstance(machine.get("isa"), list) else []
    return f"{machine.get('machine') or 'an unknown machine'} [{', '.join(map(str, isa))}]"


def _where(stored, families):
    """``Saved on x86_64 [avx2, fma] with onnxruntime 1.32.0; here ...``: what changed between the machines."""
    saved = stored.get("versions") if isinstance(stored.get("versions"), dict) else {}
    here = library_versions()
    named = [n for n in here if saved.get(n) != here[n] and (n in saved or here[n] is not None)]
    named += [
        _FAMILY_LIBRARY[f] for f in families if f in _FAMILY_LIBRARY and _FAMILY_LIBRARY[f] not in named
    ]
    there_machine, here_machine = _machine(stored.get("machine")), _machine(cpu_info())
    if not named:
        return f"Saved on {there_machine}; here {here_machine}, with the same library versions."

    def with_versions(versions):
        return ", ".join(f"{n} {versions.get(n) or 'not installed'}" for n in named)

    return f"Saved on {there_machine} with {with_versions(saved)}; here {here_machine} with {with_versions(here)}."


def probe_agreement(stored, features, family="features"):
    """Whether features computed here on the probe images agree with a :func:`probe_fingerprint`.

    The rule a loaded model is held to (:func:`compare_fingerprint`): on every
    probe, the cosine of the stored and the new features, both centred on the
    stored probes' mean (:func:`family_cosines`), is at least
    :data:`~facetruth.models.DRIFT_MIN_COSINE`.

    Parameters
    ----------
    stored : dict
        From :func:`~facetruth.models.probe_fingerprint`.
    features : array-like of shape (n_probes, n_columns)
        The same features computed here.
    family : str, default="features"
        The name the message and ``cosine`` give them.

    Returns
    -------
    drift : FeatureDrift
        ``checked=False`` when the probe images here are not those of the fingerprint.

    Raises
    ------
    ModelIntegrityError
        ``stored`` is not a readable fingerprint.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.models import probe_agreement, probe_fingerprint
    >>> features = np.random.default_rng(0).normal(size=(4, 8))
    >>> probe_agreement(probe_fingerprint(features), features, "fft").drift
    False
    >>> probe_agreement(probe_fingerprint(features), features[::-1], "fft").message[:36]
    'fft: features on the probe images mo'
    """
    from ..data import probe_digest

    try:
        before = decode_features(stored["features"]).astype(np.float64)
    except (AttributeError, KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise ModelIntegrityError(f"unreadable feature fingerprint ({exc}).") from None
    here = np.asarray(features, dtype=np.float64)
    if stored.get("probes") != probe_digest():
        message = f"{family}: the probe images differ from those of the fingerprint; features unchecked"
        return FeatureDrift(False, False, {}, None, message)
    if before.shape != here.shape:
        message = f"{family}: {here.shape[-1]} feature columns here, {before.shape[-1]} in the fingerprint"
        return FeatureDrift(True, True, {}, None, message)
    cosine = float(family_cosines(before, here).min(initial=1.0))
    drift = cosine < DRIFT_MIN_COSINE
    verb = "moved" if drift else "agree"
    message = (
        f"{family}: features on the probe images {verb} (cosine {cosine:.4f}, at least {DRIFT_MIN_COSINE})"
    )
    return FeatureDrift(True, drift, {family: cosine}, None, message)


def compare_fingerprint(pipeline, stored):
    """Compute a detector's fingerprint again and compare it with a stored one.

    Parameters
    ----------
    pipeline : estimator
        The fitted detector pipeline.
    stored : dict
        A fingerprint from :func:`~facetruth.models.feature_fingerprint`,
        as the model card holds it.

    Returns
    -------
    drift : FeatureDrift
        ``checked=False`` when the probe images here are not those of the
        fingerprint, or ``pipeline`` is not a detector pipeline.

    Raises
    ------
    ModelIntegrityError
        ``stored`` is not a readable fingerprint.

    Examples
    --------
    >>> import numpy as np
    >>> import facetruth
    >>> from facetruth.models import feature_fingerprint
    >>> from facetruth.models._drift import compare_fingerprint
    >>> images = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    >>> pipe = facetruth.build_pipeline("fft", "logistic", face="off", image_size=32, cv=2)
    >>> fingerprint = feature_fingerprint(pipe.fit(list(images), [0, 1] * 4))
    >>> drift = compare_fingerprint(pipe, fingerprint)
    >>> drift.checked, drift.drift, drift.cosine["fft"] > 0.9999
    (True, False, True)
    """
    features, prob, families = _decode(stored)
    if not is_detector_pipeline(pipeline):
        return FeatureDrift(
            False, False, {}, None, "not a detector pipeline: its features cannot be checked."
        )
    from ..data import probe_digest, probe_images

    images = probe_images()
    n = features.shape[0]
    if probe_digest(images) != stored.get("probes"):  # before any feature is computed
        return FeatureDrift(
            False,
            False,
            {},
            None,
            "the probe images differ from those of the model's fingerprint (another scikit-image or "
            "FaceTruth?), so its features cannot be checked on this machine.",
        )
    here, here_prob, here_families = _probe_features(pipeline, images)
    names = [f for f, _ in families]
    if here_families != families or here.shape != features.shape:
        return FeatureDrift(
            True,
            True,
            {},
            None,
            f"this machine's features have another layout ({here.shape[1]} columns of "
            f"{', '.join(f for f, _ in here_families)}; the model was saved with {features.shape[1]} of "
            f"{', '.join(names)}); scores are not comparable. {_where(stored, [])}",
        )
    cosine, start = {}, 0
    for family, width in families:
        cols = slice(start, start + width)
        cosine[family] = float(family_cosines(features[:, cols], here[:, cols]).min(initial=1.0))
        start += width
    prob_delta = float(np.max(np.abs(prob - here_prob))) if n else 0.0
    drifted = [f for f in names if cosine[f] < DRIFT_MIN_COSINE]
    drift = bool(drifted) or not prob_delta <= DRIFT_MAX_PROB_DELTA
    if not drift:
        message = (
            f"this machine's features match the model's fingerprint: min cosine {min(cosine.values()):.4f} "
            f"over {n} probe images, P(fake) moves by at most {prob_delta:.3f}."
        )
        return FeatureDrift(True, False, cosine, prob_delta, message)
    shown = drifted or [min(cosine, key=cosine.get)]
    cosines = ", ".join(f"{f} cosine {cosine[f]:.4f}" for f in shown)
    message = (
        f"this machine's features differ from those the model was saved with: {cosines} (min over {n} "
        f"probe images), P(fake) moves by up to {prob_delta:.3f}; scores are not comparable. "
        f"{_where(stored, drifted)}"
    )
    return FeatureDrift(True, True, cosine, prob_delta, message)


def check_features(pipeline, card, *, path, allow_drift=False):
    """The check :func:`facetruth.load` makes: compare, then refuse or warn; returns the :class:`FeatureDrift`."""
    stored = card.get("fingerprint") if isinstance(card, dict) else None
    if stored is None:
        if isinstance(card, dict) and is_detector_pipeline(pipeline):
            clip = "clip" in (card.get("feature_families") or {})
            warnings.warn(
                f"{path}: its model card holds no feature fingerprint (saved by an older FaceTruth), so its "
                "features cannot be checked on this machine."
                + (
                    " Its clip features, if computed by an older FaceTruth on a CPU without AVX-512 VNNI, "
                    "were wrong (onnxruntime's int8 kernel saturates there): retrain the model."
                    if clip
                    else " Retrain it, or save it again where it was trained, to add one."
                ),
                UserWarning,
                stacklevel=3,
            )
        return None
    try:
        drift = compare_fingerprint(pipeline, stored)
    except FaceTruthError:
        raise
    except Exception as exc:  # a missing library, an estimator of another version: say so in one line
        raise ModelIntegrityError(
            f"{path}: its features cannot be computed on this machine for the fingerprint check "
            f"({type(exc).__name__}: {exc})."
        ) from exc
    if drift.drift and not allow_drift:
        raise FeatureDriftError(
            f"{path}: {drift.message} Pass allow_drift=True (--allow-drift) to load it anyway."
        )
    if drift.drift or not drift.checked:
        anyway = " Loaded anyway because allow_drift=True (--allow-drift) was given." if drift.drift else ""
        warnings.warn(f"{path}: {drift.message}{anyway}", UserWarning, stacklevel=3)
    return drift
