"""The shortcut audit in a report: its tables, and the audit alone as Markdown.

Every accuracy figure of a report is read against the AUC that nuisance
properties alone reach on the same items: a detector that does no better
than file size and face framing has not shown that it sees the forgery.
The audit's ``dict`` is the JSON-safe entry that evaluation stores in its
results (``results["audit"]``, ``results["sources"][name]["audit"]``).
"""

from ._cells import NO_VALUE, markdown_table

#: what the audit row of a report says the nuisance model looks at
AUDIT_LABEL = "shortcut audit (nuisance properties only)"


def auc_text(audit):
    """The nuisance AUC as a report shows it: a warning is written out, never put in bold.

    Examples
    --------
    >>> from facetruth.reports._audit import auc_text
    >>> auc_text({"nuisance_auc": 0.93, "warning": True}), auc_text(None)
    ('0.930 (warning)', '–')
    """
    auc = (audit or {}).get("nuisance_auc")
    if auc is None:
        return NO_VALUE
    return f"{auc:.3f}" + (" (warning)" if audit.get("warning") else "")


def audit_tables(audit, title="Shortcut audit"):
    """The audit of one data set as report tables: the models' AUCs, then the top features.

    A warning is written out (``"0.930 (warning)"``), never put in bold:
    bold marks the best value of a column.

    Parameters
    ----------
    audit : dict
        The audit entry of a results dict; with ``nuisance_auc`` None, its
        ``error`` says why the set was not audited.
    title : str

    Returns
    -------
    tables : list of (str, list of str, list of list of (str, bool))
        ``(title, header, rows)`` as the report renderers take them; empty
        without an audit.

    Examples
    --------
    >>> from facetruth.reports._audit import audit_tables
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
    rows = [[("nuisance AUC (best model, cross-validated)", False), (auc_text(audit), False)]]
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
        Source name to its audit entry.
    title : str

    Returns
    -------
    table : tuple of (str, list of str, list of list of (str, bool))

    Examples
    --------
    >>> from facetruth.reports._audit import source_audit_table
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
                (auc_text(audit), False),
                (f"{top['name']} ({top['auc']:.3f})" if top else str(audit.get("error", NO_VALUE)), False),
                (str(counts.get("real", NO_VALUE)), False),
                (str(counts.get("fake", NO_VALUE)), False),
            ]
        )
    return title, header, rows


def render_audit(audit, title="Shortcut audit"):
    """The shortcut audit of one data set as Markdown: a section per table.

    Parameters
    ----------
    audit : dict
        An audit entry of a results dict, or ``AuditResult.as_dict()``.
    title : str, default="Shortcut audit"
        The heading of its first section.

    Returns
    -------
    text : str
        Empty without an audit.

    Examples
    --------
    >>> from facetruth.reports import render_audit
    >>> audit = {"nuisance_auc": 0.62, "warning": False, "advice": "No shortcut found.",
    ...          "counts": {"real": 5, "fake": 5}, "model_aucs": {"logistic": 0.62}}
    >>> print(render_audit(audit))
    ## Shortcut audit
    <BLANKLINE>
    | measure | value |
    |---|---|
    | nuisance AUC (best model, cross-validated) | 0.620 |
    | logistic model | 0.620 |
    | items audited | 5 real, 5 fake |
    | advice | No shortcut found. |
    <BLANKLINE>
    """
    parts = []
    for heading, header, rows in audit_tables(audit, title):
        parts += [f"## {heading}", "", markdown_table(header, rows), ""]
    return "\n".join(parts)
