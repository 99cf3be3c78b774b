"""The shortcut audit beside an experiment's figures: its JSON-safe entry in the results.

Every accuracy figure of a report is read against the AUC that nuisance
properties alone reach on the same items (:func:`audit_dataset`): a detector
that does no better than file size and face framing has not shown that it
sees the forgery. :mod:`facetruth.reports` renders the entry.
"""

import logging

logger = logging.getLogger(__name__)


def audit_entry(dataset, loader=None, *, random_state=0, progress=False):
    """The JSON-safe shortcut audit of a data set, or why it could not be made.

    Parameters
    ----------
    dataset : Dataset
    loader : ImageLoader, default=None
        Adds the face geometry; with the loader's crop cache warm (as after an
        experiment has loaded the crops) the faces are not searched again.
        Without a cache, the audit finds every face once more.
    random_state : int, default=0
    progress : bool, default=False

    Returns
    -------
    audit : dict
        :meth:`AuditResult.as_dict`; or, when the set cannot be audited (one
        class, too few readable items), ``nuisance_auc`` None and ``error``.

    Examples
    --------
    >>> from facetruth.data import Dataset
    >>> from facetruth.evaluation._audit_entry import audit_entry
    >>> audit_entry(Dataset(["a.png"], [1], ["a"], ["gan"]))
    {'nuisance_auc': None, 'warning': False, 'error': 'a shortcut audit needs both classes; this data set has only fake items (1).'}
    """
    from ..exceptions import DatasetLayoutError
    from ._audit import audit_dataset

    try:
        result = audit_dataset(dataset, loader=loader, random_state=random_state, progress=progress)
    except (DatasetLayoutError, ValueError) as exc:
        logger.warning("no shortcut audit: %s", exc)
        return {"nuisance_auc": None, "warning": False, "error": str(exc)}
    logger.info("shortcut audit: nuisance AUC %.3f", result.nuisance_auc)
    return result.as_dict()
