"""Leave one source out with a tuned CLIP beside the frozen one: :func:`run_tuned_loso`."""

import logging
import time

import numpy as np
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from ._experiment import confident_errors
from ._features import describe_estimators, load_crops
from ._loso import _means, _metadata, fit_and_score

logger = logging.getLogger(__name__)


def run_tuned_loso(
    dataset, loader, embedding, tuner, detector, *, n_errors=4, random_state=None, progress=False
):
    """Hold out each source in turn; compare the frozen ``clip`` family with one tuned on the other sources.

    For each held-out source, the frozen embedding and a clone of ``tuner``
    fitted on the other sources' crops (with its own robust copies and
    self-blended fakes) each give features to a clone of ``detector``,
    fitted on the other sources only; the held-out source is scored at the
    threshold and cutoffs that detector chose out of fold on its training
    sources. The held-out source is never seen by the tuning, the detector or
    the choice of threshold.

    Parameters
    ----------
    dataset : Dataset
        At least two sources.
    loader : ImageLoader
        Unfitted; its cache makes repeated runs cheap.
    embedding : CLIPEmbedding
        The frozen family (``norms=None``); the tuned family is a clone with
        the tuned norms.
    tuner : CLIPNormTuner
        Unfitted; its ``cache`` lets the folds share the kept tokens.
    detector : CalibratedDetector
        Unfitted; every fit uses a clone.
    n_errors : int, default=4
        The tuned model's most confident errors kept per held-out source and
        kind (false positive, false negative), with thumbnails.
    random_state : int, optional
        Recorded seed; ``None`` takes the detector's.
    progress : bool, default=False

    Returns
    -------
    results : dict
        Shaped as :func:`run_loso`'s, with the sets ``clip`` (frozen) and
        ``clip_tuned``; each held-out entry also has ``sides`` (coverage and
        precision of each verdict at the detector's cutoffs), and the tuned
        one ``head_auc`` (the tuner's own head) and ``tuning`` (its recipe and
        history). ``errors`` lists the tuned model's confident mistakes.

    Examples
    --------
    Each fold tunes CLIP, minutes on a CPU even for tiny sets, so it is not run here:

    >>> from facetruth.evaluation import make_detector, run_tuned_loso
    >>> from facetruth.features import CLIPEmbedding
    >>> from facetruth.models import CLIPNormTuner
    >>> from facetruth.pipelines import build_loader
    >>> tuner = CLIPNormTuner(last_blocks=2, epochs=3, pseudo_fakes=0.5, augment="robust")
    >>> results = run_tuned_loso(dataset, build_loader(), CLIPEmbedding(), tuner,
    ...                          make_detector("linear_probe"))  # doctest: +SKIP
    >>> results["feature_sets"]["clip_tuned"]["mean_auc"]  # doctest: +SKIP
    """
    from tqdm.auto import tqdm

    start = time.perf_counter()
    names = list(dict.fromkeys(dataset.sources))
    if len(names) < 2:
        raise ValueError(f"Leaving one source out needs at least two sources; got {names or 'none'}.")
    loaded = load_crops(dataset, loader, progress=progress)
    item_sources = np.asarray(dataset.sources, dtype=object)[loaded.index]
    groups = np.asarray(loaded.groups, dtype=str)
    labels = loaded.labels
    frozen = clone(embedding).set_params(norms=None).fit_transform(loaded.images)
    sets = {"clip": {}, "clip_tuned": {}}
    errors = []
    with tqdm(total=len(names), desc="tuned loso", unit="fold", disable=not progress) as bar:
        for source in names:
            test = item_sources == source
            train = np.flatnonzero(~test)
            sets["clip"][source] = _scored(frozen, labels, groups, test, detector)
            tuned = clone(tuner).fit([loaded.images[i] for i in train], labels[train])
            X = clone(embedding).set_params(norms=tuned.norms_).fit_transform(loaded.images)
            entry = _scored(X, labels, groups, test, detector)
            head = tuned.head_scores(X)  # the tuner's own head, on the features just computed
            if len(np.unique(labels[test])) == 2:
                entry["head_auc"] = float(roc_auc_score(labels[test], head[test]))
            entry["tuning"] = {**tuned.recipe_, "history": tuned.history_}
            sets["clip_tuned"][source] = entry
            prob = np.full(len(labels), np.nan)
            prob[test] = entry.pop("_prob")
            sets["clip"][source].pop("_prob")
            errors += [
                dict(e, source=source)
                for e in confident_errors(loaded, prob, dataset, n=n_errors, feature_set="clip_tuned")
            ]
            logger.info(
                "%s held out: frozen AUC %s, tuned AUC %s",
                source,
                sets["clip"][source].get("auc"),
                entry.get("auc"),
            )
            bar.update()
    seed = detector.random_state if random_state is None else random_state
    results_sets = {
        name: {"families": ["clip"], "n_features": int(frozen.shape[1]), "held_out": held, **_means(held)}
        for name, held in sets.items()
    }
    per_source = {
        s: {
            "n_real": int(np.sum((item_sources == s) & (labels == 0))),
            "n_fake": int(np.sum((item_sources == s) & (labels == 1))),
        }
        for s in names
    }
    from sklearn.pipeline import FeatureUnion

    described = describe_estimators(loader, FeatureUnion([("clip", embedding)]), detector)
    return {
        "protocol": "loso",
        "sources": per_source,
        "feature_sets": results_sets,
        "best": max(results_sets, key=lambda k: results_sets[k]["mean_auc"] or 0.0),
        "errors": errors,
        "meta": _metadata(dataset, loaded, names, described, seed)
        | {
            "inner_cv": detector.cv,
            "tuner": {
                k: v for k, v in tuner.get_params().items() if k not in ("cache", "checkpoint", "progress")
            },
        },
        "wall_seconds": round(time.perf_counter() - start, 1),
    }


def _scored(X, labels, groups, test, detector):
    """:func:`fit_and_score`'s metrics, with the held-out scores under ``_prob``."""
    out, det, prob = fit_and_score(X, labels, groups, test, detector, None)
    out["_prob"] = np.full(int(test.sum()), np.nan) if det is None else prob
    return out
