"""The shortcut audit beside an experiment's figures: its results entry and its report tables.

Every accuracy figure of a report is read against the AUC that nuisance
properties alone reach on the same items (:func:`audit_dataset`): a detector
that does no better than file size and face framing has not shown that it
sees the forgery.
"""

import logging

logger = logging.getLogger(__name__)

#: what the audit row of a report says the nuisance model looks at
AUDIT_LABEL = "shortcut audit (nuisance properties only)"


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
    >>> from facetruth.evaluation._audit_report import audit_entry
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


def _auc_text(audit):
    auc = (audit or {}).get("nuisance_auc")
    if auc is None:
        return "–"
    return f"{auc:.3f}" + (" (warning)" if audit.get("warning") else "")


def audit_tables(audit, title="Shortcut audit"):
    """The audit of one data set as report tables: the models' AUCs, then the top features.

    A warning is written out (``"0.930 (warning)"``), never put in bold:
    bold marks the best value of a column.

    Parameters
    ----------
    audit : dict
        From :func:`audit_entry`.
    title : str

    Returns
    -------
    tables : list of (str, list of str, list of list of (str, bool))
        ``(title, header, rows)`` as the report renderers take them; empty
        without an audit.

    Examples
    --------
    >>> from facetruth.evaluation._audit_report import audit_tables
    >>> audit = {"nuisance_auc": 0.9, "warning": True, "advice": "Re-crop.", "counts": {"real": 5, "fake": 5},
    ...          "model_aucs": {"logistic": 0.9}, "top_features": [{"name": "file_bytes", "auc": 0.2}]}
    >>> [row[1][0] for row in audit_tables(audit)[0][2]]
    ['0.900 (warning)', '0.900', '5 real, 5 fake', 'Re-crop.']
    """
    if not audit:
        return []
    if audit.get("nuisance_auc") is None:
        return [(title, ["audit", "why"], [[("not audited", False), (str(audit.get("error", "")), False)]])]
    counts = audit.get("counts", {})
    rows = [[("nuisance AUC (best model, cross-validated)", False), (_auc_text(audit), False)]]
    rows += [[(f"{name} model", False), (f"{auc:.3f}", False)] for name, auc in audit["model_aucs"].items()]
    rows.append(
        [("items audited", False), (f"{counts.get('real', '?')} real, {counts.get('fake', '?')} fake", False)]
    )
    rows.append([("advice", False), (str(audit.get("advice", "")), False)])
    out = [(title, ["measure", "value"], rows)]
    top = audit.get("top_features") or []
    if top:
        header = ["nuisance property", "AUC on its own (< 0.5: higher values go with reals)"]
        out.append(
            (
                f"{title}: most telling properties",
                header,
                [[(f["name"], False), (f"{f['auc']:.3f}", False)] for f in top],
            )
        )
    return out


def source_audit_table(audits, title="Shortcut audit per source"):
    """One row per source: its nuisance AUC, warning, most telling property and counts.

    Parameters
    ----------
    audits : dict of str to dict
        Source name to :func:`audit_entry`.

    Returns
    -------
    table : tuple of (str, list of str, list of list of (str, bool))

    Examples
    --------
    >>> from facetruth.evaluation._audit_report import source_audit_table
    >>> audits = {"gan": {"nuisance_auc": 0.95, "warning": True, "counts": {"real": 4, "fake": 4},
    ...                   "top_features": [{"name": "face_side_share", "auc": 0.1}]}}
    >>> source_audit_table(audits)[2][0][:3]
    [('gan', False), ('0.950 (warning)', False), ('face_side_share (0.100)', False)]
    """
    header = ["source", "nuisance AUC", "most telling property (AUC)", "real", "fake"]
    rows = []
    for source, audit in audits.items():
        top = (audit.get("top_features") or [None])[0]
        counts = audit.get("counts", {})
        rows.append(
            [
                (str(source), False),
                (_auc_text(audit), False),
                (f"{top['name']} ({top['auc']:.3f})" if top else str(audit.get("error", "–")), False),
                (str(counts.get("real", "–")), False),
                (str(counts.get("fake", "–")), False),
            ]
        )
    return title, header, rows
