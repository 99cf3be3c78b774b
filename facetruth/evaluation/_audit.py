"""The shortcut audit: can a data set's labels be told without looking at the forgery?

A deepfake detector is only as good as the evidence that it detects forgeries
rather than data sets. :func:`audit_dataset` reads, for every item, properties
that have nothing to do with forgery (file size, format, JPEG quality, EXIF,
exposure, and with a loader the face's size in the frame and the geometry of
its crop) and measures how well small cross-validated models predict the label
from them alone. A high AUC means that a detector's figures on this set may
measure the set, not the forgery, until the shortcut is removed.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from ..data import CROP_GEOMETRY, ENCODING_PROPERTIES
from ..exceptions import DatasetLayoutError
from ._audit_table import nuisance_table
from ._shortcuts import shortcut_aucs, single_feature_aucs

__all__ = ["WARN_AUC", "AuditResult", "audit_dataset"]

WARN_AUC = 0.70
"""Nuisance AUC from which :func:`audit_dataset` warns."""

_REMEDIES = {
    "encoding": "re-encode both classes the same way (one format, JPEG quality and subsampling, no metadata)",
    "detail": (
        "the classes are encoded alike, so the file size measures image detail: match the sources and "
        "their processing (resampling, smoothing) and check whether the forgery itself (a smoother pasted "
        "face) explains it"
    ),
    "size": "resize both classes to the same dimensions",
    "geometry": "re-crop both classes so that faces fill the frame alike (match face size and framing)",
    "exposure": "match the sources of the two classes (scenes, lighting, cameras)",
}


def _kind(name, ranking):
    """Which remedy the feature ``name`` calls for, given every feature's own AUC."""
    if name in ("width", "height", "aspect_ratio"):
        return "size"
    if name in ("brightness", "contrast"):
        return "exposure"
    if name in CROP_GEOMETRY or name == "face_found":
        return "geometry"
    if name in ("file_bytes", "bytes_per_pixel"):
        separation = [abs(row["auc"] - 0.5) for row in ranking if row["name"] in ENCODING_PROPERTIES]
        if max(separation, default=0.0) < 0.05:
            return "detail"
    return "encoding"


def _clean(value):
    """JSON-safe copy: NaN becomes None, numpy scalars and arrays become Python values."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    return value


@dataclass
class AuditResult:
    """What :func:`audit_dataset` found.

    Attributes
    ----------
    nuisance_auc : float
        The higher of the two models' cross-validated ROC AUCs.
    model_aucs : dict
        ``{"logistic": auc, "gradient_boosting": auc}``.
    warning : bool
        ``nuisance_auc >= WARN_AUC`` (0.70).
    advice : str
        One sentence: the verdict, the most telling property, what to do.
    ranking : list of dict
        Every nuisance feature, most separating first: ``name``, ``auc`` (on
        its own; below 0.5 when higher values go with real images) and
        ``importance`` (permutation importance in the better model).
    per_source : list of dict
        For data sets with several sources: ``source``, ``n_real``,
        ``n_fake``, ``compared_with``, ``auc`` (the better model's
        out-of-fold scores), ``top_feature``, ``top_feature_auc``, ``warning``.
    errors : list of tuple (str, str)
        Items that could not be read, and why; left out of the audit.
    counts : dict
        ``{"real": n, "fake": n}`` of the audited items.
    n_splits : int
        Folds of the cross-validation.
    feature_names : list of str
    features : ndarray of shape (n_audited, n_features)
        The nuisance matrix (NaN where a property does not apply).
    labels : ndarray of shape (n_audited,)
    paths : list of str

    Examples
    --------
    :func:`audit_dataset` makes it; by hand:

    >>> import numpy as np
    >>> from facetruth.evaluation._audit import AuditResult
    >>> result = AuditResult(
    ...     nuisance_auc=0.55, model_aucs={"logistic": 0.55, "gradient_boosting": 0.5},
    ...     warning=False, advice="No nuisance property tells fake from real.",
    ...     ranking=[{"name": "jpeg_quality", "auc": float("nan"), "importance": 0.0}],
    ...     per_source=[], errors=[], counts={"real": 2, "fake": 2}, n_splits=2,
    ...     feature_names=["jpeg_quality"], features=np.full((4, 1), np.nan),
    ...     labels=np.array([0, 0, 1, 1]), paths=["a.png", "b.png", "c.png", "d.png"],
    ... )
    >>> summary = result.as_dict()
    >>> summary["warn_auc"], summary["top_features"][0]["auc"], "features" in summary
    (0.7, None, False)
    """

    nuisance_auc: float
    model_aucs: dict
    warning: bool
    advice: str
    ranking: list
    per_source: list
    errors: list
    counts: dict
    n_splits: int
    feature_names: list
    features: np.ndarray = field(repr=False)
    labels: np.ndarray = field(repr=False)
    paths: list = field(repr=False)

    @property
    def top_features(self):
        """The five most separating entries of :attr:`ranking`."""
        return self.ranking[:5]

    def as_dict(self):
        """A JSON-safe summary (without the feature matrix); NaN becomes ``None``."""
        return _clean(
            {
                "nuisance_auc": self.nuisance_auc,
                "model_aucs": self.model_aucs,
                "warning": self.warning,
                "warn_auc": WARN_AUC,
                "advice": self.advice,
                "top_features": self.top_features,
                "ranking": self.ranking,
                "per_source": self.per_source,
                "counts": self.counts,
                "n_splits": self.n_splits,
                "errors": [{"path": p, "error": e} for p, e in self.errors],
            }
        )


def audit_dataset(dataset, *, loader=None, cv=5, random_state=0, n_jobs=None, progress=False):
    """Measure how well nuisance properties alone predict a data set's labels.

    Every item's file properties (:func:`~facetruth.data.nuisance_properties`)
    and, with a ``loader``, its face's crop geometry
    (:func:`~facetruth.data.crop_geometry` of the loader's face box) and
    whether a face was found, are fed to two small models
    (:func:`shortcut_aucs`), cross-validated on stratified folds that keep
    each group together. Items that cannot be read are left out and reported.

    Parameters
    ----------
    dataset : Dataset
        Both classes present.
    loader : ImageLoader, default=None
        An (unfitted) loader whose face boxes give the crop geometry; it is
        cloned. ``None`` audits the file properties only.
    cv : int, default=5
        Number of folds.
    random_state : int, default=0
        Seeds the folds, the gradient boosting and the permutations.
    n_jobs : int, default=None
        Processes for the loader when it sets none itself.
    progress : bool, default=False
        Show a tqdm bar on stderr.

    Returns
    -------
    result : AuditResult

    Raises
    ------
    DatasetLayoutError
        When the data set holds one class only, or fewer than 2 readable
        items of a class.
    ValueError
        When ``cv`` or ``loader`` is invalid.

    Examples
    --------
    Fakes saved at another JPEG quality than the reals are caught:

    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> from facetruth.data import Dataset
    >>> from facetruth.evaluation import audit_dataset
    >>> folder = tempfile.mkdtemp()
    >>> rng = np.random.default_rng(0)
    >>> paths, labels = [], []
    >>> for i in range(12):
    ...     paths.append(os.path.join(folder, f"{i}.jpg"))
    ...     labels.append(i % 2)
    ...     pixels = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
    ...     Image.fromarray(pixels).save(paths[-1], quality=60 if i % 2 else 90)
    >>> result = audit_dataset(Dataset(paths, labels, paths, ["demo"] * 12), cv=3)
    >>> result.warning, result.nuisance_auc, result.counts
    (True, 1.0, {'real': 6, 'fake': 6})
    """
    if isinstance(cv, bool) or not isinstance(cv, (int, np.integer)) or cv < 2:
        raise ValueError(f"cv must be an integer >= 2; got {cv!r}.")
    counts = dataset.counts()
    if min(counts.values()) == 0:
        only = "real" if counts[1] == 0 else "fake"
        raise DatasetLayoutError(
            f"a shortcut audit needs both classes; this data set has only {only} items ({len(dataset)})."
        )
    if loader is not None:
        from ..pipelines import ImageLoader

        if not isinstance(loader, ImageLoader):
            raise ValueError(f"loader must be an ImageLoader or None; got {type(loader).__name__}.")
    X, names, ok, errors = nuisance_table(dataset, loader=loader, n_jobs=n_jobs, progress=progress)
    y = dataset.labels[ok]
    kept = np.bincount(y, minlength=2)
    if kept.min() < 2:
        raise DatasetLayoutError(
            f"a shortcut audit needs at least 2 readable items of each class; {kept[0]} real and "
            f"{kept[1]} fake could be read ({len(errors)} failed)."
        )
    groups = np.asarray(dataset.groups)[ok]
    models = shortcut_aucs(X, y, groups=groups, cv=cv, random_state=random_state)
    single = single_feature_aucs(X, y)
    order = sorted(range(len(names)), key=lambda j: (-abs(single[j] - 0.5), -models["importance"][j]))
    ranking = [
        {"name": names[j], "auc": float(single[j]), "importance": float(models["importance"][j])}
        for j in order
    ]
    auc = max(models["aucs"].values())
    sources = np.asarray(dataset.sources)[ok]
    return AuditResult(
        nuisance_auc=auc,
        model_aucs=models["aucs"],
        warning=bool(auc >= WARN_AUC),
        advice=_advice(auc, ranking),
        ranking=ranking,
        per_source=_per_source(sources, y, models["scores"], X, names) if len(set(sources)) > 1 else [],
        errors=errors,
        counts={"real": int(kept[0]), "fake": int(kept[1])},
        n_splits=models["n_splits"],
        feature_names=list(names),
        features=X,
        labels=y,
        paths=[dataset.paths[i] for i in ok],
    )


def _advice(auc, ranking):
    name, single = ranking[0]["name"], ranking[0]["auc"]
    if auc >= WARN_AUC:
        return (
            f"Nuisance properties alone tell fake from real (AUC {auc:.2f} >= {WARN_AUC:.2f}), above all "
            f"{name} (AUC {single:.2f} on its own): {_REMEDIES[_kind(name, ranking)]} before trusting a "
            "detector's figures on this set."
        )
    return (
        f"No strong shortcut: nuisance properties alone reach AUC {auc:.2f} (< {WARN_AUC:.2f}); the most "
        f"telling is {name} (AUC {single:.2f} on its own)."
    )


def _per_source(sources, y, scores, X, names):
    """Each source against the other class: within the source, or against all of it elsewhere."""
    from sklearn.metrics import roc_auc_score

    rows = []
    for source in sorted(set(sources)):
        inside = sources == source
        n_real, n_fake = int(np.sum(inside & (y == 0))), int(np.sum(inside & (y == 1)))
        if n_real and n_fake:
            mask, against = inside, "its own items"
        else:
            mask = inside | (y == (0 if n_fake else 1))
            against = "all real items" if n_fake else "all fake items"
        row = {"source": str(source), "n_real": n_real, "n_fake": n_fake, "compared_with": against}
        if min(np.bincount(y[mask], minlength=2)) >= 2:
            single = single_feature_aucs(X[mask], y[mask])
            top = int(np.argmax(np.abs(single - 0.5)))
            auc = float(roc_auc_score(y[mask], scores[mask]))
            row.update(auc=auc, top_feature=names[top], top_feature_auc=float(single[top]))
            row["warning"] = bool(auc >= WARN_AUC)
        else:
            row.update(auc=float("nan"), top_feature=None, top_feature_auc=float("nan"), warning=False)
        rows.append(row)
    return rows
