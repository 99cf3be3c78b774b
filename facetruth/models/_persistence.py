"""Saving and loading fitted detectors: joblib plus a JSON model card with a sha256.

A joblib (pickle) file runs code when it is loaded. :func:`load` therefore
checks the file's sha256 against the metadata written beside it by
:func:`save`, and refuses a file without metadata unless ``trust=True``.
Load only models you made yourself or got from someone you trust.
"""

import datetime as _dt
import hashlib
import io
import json
import logging
import os
import warnings
from pathlib import Path

import joblib
import numpy as np

from .._atomic import atomic_open, atomic_write_json
from .._version import __version__, installed_versions, source_commit
from ..exceptions import ModelIntegrityError
from ._card_settings import input_settings
from ._drift import check_features
from ._fingerprint import feature_fingerprint
from ._model_path import check_model_path
from ._strength import calibration_decreases

logger = logging.getLogger(__name__)

_TRACKED = (
    "numpy",
    "scikit-learn",
    "xgboost",
    "torch",
    "timm",
    "joblib",
    "opencv-python-headless",
    "onnxruntime",
    "onnx",
    "scikit-image",
)


def sha256_file(path, chunk_size=1 << 20):
    """Hex sha256 of a file's bytes, read in chunks of ``chunk_size`` bytes.

    Examples
    --------
    >>> import os, tempfile
    >>> from facetruth.models._persistence import sha256_file
    >>> path = os.path.join(tempfile.mkdtemp(), "empty.bin")
    >>> open(path, "wb").close()
    >>> sha256_file(path)
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def package_versions():
    """Versions of FaceTruth and the libraries whose pickles it stores.

    Returns
    -------
    versions : dict of str to str or None
        ``None`` for a library that is not installed.

    Examples
    --------
    >>> import facetruth
    >>> from facetruth.models import package_versions
    >>> versions = package_versions()
    >>> versions["facetruth"] == facetruth.__version__, "scikit-learn" in versions
    (True, True)
    """
    return {"facetruth": __version__, **installed_versions(_TRACKED)}


def metadata_path(path):
    """Path of the JSON model card that belongs to ``path``."""
    return Path(f"{os.fspath(path)}.json")


def describe_pipeline(pipeline):
    """Feature names, families, threshold and input settings of a fitted pipeline (best effort)."""
    info = {}
    try:
        names = [str(n) for n in pipeline[:-1].get_feature_names_out()]
    except (AttributeError, ValueError, TypeError, IndexError):
        names = []
    info["feature_names"] = names
    families = {}
    for name in names:
        family = name.split("__", 1)[0]
        families[family] = families.get(family, 0) + 1
    info["feature_families"] = families
    clf = pipeline[-1] if hasattr(pipeline, "__getitem__") else pipeline
    threshold = getattr(clf, "threshold_", None)
    info["threshold"] = None if threshold is None else float(threshold)
    info.update(input_settings(pipeline))  # every setting that shapes the input
    for key, attribute in (
        ("calibration", "calibration_"),
        ("prob_floor", "prob_floor_"),
        ("band", "band_"),  # detectors fitted before the cutoffs
        ("confidence", "confidence"),
        ("real_cutoff", "real_cutoff_"),
        ("fake_cutoff", "fake_cutoff_"),
    ):
        if hasattr(clf, attribute):
            value = getattr(clf, attribute)
            info[key] = value if value is None or isinstance(value, str) else float(value)
    loader = pipeline[0] if hasattr(pipeline, "__getitem__") else None
    if hasattr(loader, "min_face_side_"):  # the smallest face the training faces cover
        info["min_face_side"] = None if loader.min_face_side_ is None else int(loader.min_face_side_)
    novelty = getattr(clf, "novelty_", None)
    if novelty is not None:
        info["novelty"] = {
            "distance": "rms_zscore",
            "percentile": novelty.percentile,
            "limit": novelty.limit_,
        }
    oof = getattr(clf, "oof_metrics_", None)
    if oof is not None:
        info["validation_metrics"] = oof
    return info


def save(pipeline, path, *, metadata=None):
    """Write a fitted pipeline to ``path`` (joblib) and its model card to ``path.json``.

    Both files are written atomically. The card holds the joblib file's
    sha256, package versions, the git commit (if any), feature names and
    families, the threshold, every setting that shapes the input (the
    loader's ``face``, ``image_size``, ``margin``, ``align``, ``native`` and
    ``pad`` under ``"loader"``, each family's parameters under
    ``"feature_params"``), ``"label_positive": "fake"``, the feature
    fingerprint of a detector pipeline (``"fingerprint"``, see
    :func:`~facetruth.models.feature_fingerprint`; :func:`load` checks it) and
    whatever ``metadata`` adds (training-data hash and counts, metrics, seed).

    Parameters
    ----------
    pipeline : estimator
        A fitted detector.
    path : str or os.PathLike
        Destination of the joblib file.
    metadata : dict, default=None
        Extra JSON-serialisable fields.

    Returns
    -------
    card : dict
        The metadata written.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import facetruth
    >>> images = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    >>> pipe = facetruth.build_pipeline("fft", "logistic", face="off", image_size=32, cv=2)
    >>> pipe = pipe.fit(list(images), [0, 1] * 4)
    >>> path = os.path.join(tempfile.mkdtemp(), "detector.joblib")
    >>> card = facetruth.save(pipe, path, metadata={"seed": 0})
    >>> card["label_positive"], card["feature_families"], card["seed"]
    ('fake', {'fft': 69}, 0)
    >>> os.path.isfile(path + ".json")
    True
    """
    path = Path(path)
    fingerprint = feature_fingerprint(pipeline)  # first: a failure leaves no model without its card
    with atomic_open(path, "wb") as fh:
        joblib.dump(pipeline, fh, compress=3)
    card = {
        "format": "facetruth-model/1",
        "file": path.name,
        "sha256": sha256_file(path),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": package_versions(),
        "git_commit": source_commit(),
        "label_positive": "fake",
        **describe_pipeline(pipeline),
        **(metadata or {}),
    }
    if fingerprint is not None:
        card["fingerprint"] = fingerprint
    atomic_write_json(metadata_path(path), card, default=_json_default)
    return card


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def read_model_card(path):
    """Return the metadata dict written beside ``path``.

    Raises
    ------
    NotAModelError
        ``path`` is an image, a video, a model card or a folder.
    ModelIntegrityError
        When the card is missing or unreadable.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.linear_model import LogisticRegression
    >>> from facetruth.models import save
    >>> from facetruth.models._persistence import read_model_card
    >>> path = os.path.join(tempfile.mkdtemp(), "model.joblib")
    >>> _ = save(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), path)
    >>> card = read_model_card(path)
    >>> card["format"], card["file"], len(card["sha256"])
    ('facetruth-model/1', 'model.joblib', 64)
    >>> read_model_card(path + ".old")
    Traceback (most recent call last):
    ...
    facetruth.exceptions.ModelIntegrityError: ...: no model card model.joblib.old.json beside it, ...
    """
    check_model_path(path)  # an image, a card or a folder: say so, never look for "card.json.json"
    card_path = metadata_path(path)
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        if not isinstance(card, dict):
            raise ValueError(f"expected a JSON object, found {type(card).__name__}")
        return card
    except FileNotFoundError:
        raise ModelIntegrityError(
            f"{path}: no model card {card_path.name} beside it, so its integrity cannot be checked. "
            "A joblib file runs code when loaded; pass trust=True (--trust) only for your own files."
        ) from None
    except (OSError, ValueError) as exc:
        raise ModelIntegrityError(f"{card_path}: unreadable model card ({exc}).") from exc


def load(path, *, trust=False, allow_drift=False):
    """Load a detector saved by :func:`save`, after checking its sha256 and its features.

    Parameters
    ----------
    path : str or os.PathLike
        The joblib file.
    trust : bool, default=False
        Load even without a model card, with a warning: its integrity cannot
        be checked. The sha256 is still checked when a card exists.
    allow_drift : bool, default=False
        Load, with a warning, a detector whose features on this machine
        differ from the fingerprint in its card (see below).

    Returns
    -------
    pipeline : estimator
        Its model card is attached as ``pipeline.facetruth_card_`` when
        present, and the comparison of its features with the card's
        fingerprint (a :class:`~facetruth.models.FeatureDrift`, or ``None``
        without a fingerprint) as ``pipeline.facetruth_drift_``.

    Raises
    ------
    NotAModelError
        ``path`` is an image, a video, a model card or a folder (a subclass of
        :class:`~facetruth.exceptions.ModelIntegrityError`).
    ModelIntegrityError
        Missing file, missing card (without ``trust``), sha256 mismatch, a
        file that does not unpickle to an estimator, or an unreadable
        fingerprint.
    FeatureDriftError
        The features of the probe images, computed here once (every cache
        off), differ from the card's fingerprint: a family's cosine below
        :data:`~facetruth.models.DRIFT_MIN_COSINE` on some probe or a
        probe's ``P(fake)`` moved by more than
        :data:`~facetruth.models._fingerprint.DRIFT_MAX_PROB_DELTA` (without
        ``allow_drift``). The message names the families and what differs
        between the machines.

    Warns
    -----
    UserWarning
        A model loaded without its card (``trust=True``), saved with other
        package versions, whose calibration decreases (saved by an older
        FaceTruth: see :func:`~facetruth.models._strength.detector_weaknesses`), whose
        features drift (``allow_drift=True``), or a detector whose card has
        no fingerprint (saved by an older FaceTruth).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import facetruth
    >>> images = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    >>> pipe = facetruth.build_pipeline("fft", "logistic", face="off", image_size=32, cv=2)
    >>> path = os.path.join(tempfile.mkdtemp(), "detector.joblib")
    >>> card = facetruth.save(pipe.fit(list(images), [0, 1] * 4), path)
    >>> model = facetruth.load(path)
    >>> model.predict_proba(list(images[:2])).shape, model.facetruth_card_["sha256"] == card["sha256"]
    ((2, 2), True)
    >>> model.facetruth_drift_.drift
    False

    A file changed after it was saved is refused before it is unpickled:

    >>> with open(path, "ab") as fh:
    ...     _ = fh.write(b"tampered")
    >>> try:
    ...     facetruth.load(path)
    ... except facetruth.ModelIntegrityError as exc:
    ...     print("does not match the model card" in str(exc))
    True
    """
    path = Path(path)
    check_model_path(path)  # an image, a card or a folder is named as such, never unpickled
    if not path.is_file():
        raise ModelIntegrityError(f"{path}: model file not found.")
    try:
        card = read_model_card(path)
    except ModelIntegrityError:
        if not trust or metadata_path(path).exists():
            raise
        card = None
        warnings.warn(
            f"{path}: no model card beside it, so its integrity cannot be checked; loaded anyway because "
            "trust=True (--trust) was given. A joblib file runs code when loaded: trust only your own files.",
            UserWarning,
            stacklevel=2,
        )
    # The bytes that are hashed are the bytes that are unpickled: swapping the
    # file between the check and the load changes nothing.
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelIntegrityError(f"{path}: cannot read the model file ({exc.strerror or exc}).") from exc
    if card is not None:
        actual = hashlib.sha256(data).hexdigest()
        expected = str(card.get("sha256"))
        if actual != expected:
            raise ModelIntegrityError(
                f"{path}: sha256 {actual[:16]}... does not match the model card's {expected[:16]}.... "
                "The file was changed or replaced after it was saved; refusing to unpickle it."
            )
        versions = card.get("versions")
        _warn_versions(path, versions if isinstance(versions, dict) else {})
    try:
        pipeline = joblib.load(io.BytesIO(data))
    except Exception as exc:  # any unpickling failure is reported as integrity
        raise ModelIntegrityError(f"{path}: cannot be loaded ({type(exc).__name__}: {exc}).") from exc
    if not hasattr(pipeline, "predict_proba"):
        raise ModelIntegrityError(f"{path}: holds a {type(pipeline).__name__}, not a detector.")
    if calibration_decreases(pipeline):
        warnings.warn(
            f"{path}: its calibration decreases (a sigmoid of negative slope turns its classifier's "
            "scores upside down: the higher the score, the lower P(fake)); retrain it.",
            UserWarning,
            stacklevel=2,
        )
    drift = check_features(pipeline, card, path=path, allow_drift=allow_drift) if card is not None else None
    attached = (
        {"facetruth_drift_": drift} if card is None else {"facetruth_card_": card, "facetruth_drift_": drift}
    )
    for name, value in attached.items():
        try:
            setattr(pipeline, name, value)
        except AttributeError:
            pass
    return pipeline


def _warn_versions(path, saved):
    current = package_versions()
    diffs = [f"{k} {v} (now {current.get(k)})" for k, v in saved.items() if k in current and current[k] != v]
    if diffs:
        warnings.warn(
            f"{path} was saved with different package versions: {', '.join(diffs)}. "
            "Predictions may differ; re-train to be sure.",
            UserWarning,
            stacklevel=3,
        )
