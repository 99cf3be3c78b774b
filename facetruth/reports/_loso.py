"""The leave-one-source-out report, in Markdown and as one self-contained HTML page.

Feature sets are rows, held-out sources columns, the mean over sources last;
under the ROC-AUC of the feature sets stands the AUC that nuisance properties
alone reach on each source, so that a figure is read against its shortcut.
"""

from ._audit import source_audit_table
from ._cells import UNDEFINED, best_value, fmt, is_best, markdown_table, plain
from ._html import render_page, table_view
from ._metadata import loso_metadata_rows

_AUDIT_ROW = "shortcut audit (nuisance AUC of the source)"


def source_table(results, key, title, *, with_audit=False):
    """Feature set × held-out source table of one metric, with the mean over sources.

    Parameters
    ----------
    results : dict
        A leave-one-source-out results dict.
    key : str
        A :func:`~facetruth.metrics.detection_metrics` key with a ``mean_``
        entry per set (``"auc"``, ``"ap"``, ``"balanced_accuracy"``).
    title : str
    with_audit : bool, default=False
        Add a last row: each source's nuisance AUC.

    Returns
    -------
    table : tuple of (str, list of str, list of list of (str, bool))
        The best value of each column is flagged, when the column has two
        or more values that differ.

    Examples
    --------
    >>> from facetruth.reports._loso import source_table
    >>> results = {"sources": {"gan": {"audit": {"nuisance_auc": 0.6}}},
    ...            "feature_sets": {"fft": {"held_out": {"gan": {"auc": 0.8}}, "mean_auc": 0.8}}}
    >>> source_table(results, "auc", "AUC", with_audit=True)[2]  # one set: nothing to compare
    [[('fft', False), ('0.800', False), ('0.800', False)], [('shortcut audit (nuisance AUC of the source)', False), ('0.600', False), ('0.600', False)]]
    >>> results["feature_sets"]["dct"] = {"held_out": {"gan": {"auc": 0.7}}, "mean_auc": 0.7}
    >>> source_table(results, "auc", "AUC")[2][0]
    [('fft', False), ('0.800', True), ('0.800', True)]
    """
    sources = list(results["sources"])
    sets = results["feature_sets"]
    values = {
        name: [res["held_out"][s].get(key) for s in sources] + [res.get(f"mean_{key}")]
        for name, res in sets.items()
    }
    columns = list(zip(*values.values())) if values else []
    best = [best_value(col) for col in columns]
    rows = [
        [(name, False)] + [(fmt(v), is_best(v, b)) for v, b in zip(vals, best)]
        for name, vals in values.items()
    ]
    if with_audit:
        aucs = [(results["sources"][s].get("audit") or {}).get("nuisance_auc") for s in sources]
        known = [a for a in aucs if a is not None]
        mean = sum(known) / len(known) if known else None
        rows.append([(_AUDIT_ROW, False)] + [(fmt(a), False) for a in [*aucs, mean]])
    return title, ["feature set", *sources, "mean"], rows


def _held_out_table(results, title, cell):
    """Feature set × held-out source table whose cells are ``cell(held-out metrics)``, none flagged."""
    sources = list(results["sources"])
    rows = [
        [(name, False), *((cell(res["held_out"][s]), False) for s in sources)]
        for name, res in results["feature_sets"].items()
    ]
    return title, ["feature set", *sources], rows


def flag_table(results):
    """Share of the held-out source's fakes and of its reals called fake, at the training threshold."""
    return _held_out_table(
        results,
        "Flag rate on the held-out source: fakes called fake / reals called fake",
        lambda m: f"{fmt(m.get('flag_rate_fake'), 2)} / {fmt(m.get('flag_rate_real'), 2)}",
    )


def training_table(results):
    """What each fit learnt on its training sources: out-of-fold AUC, threshold and rows."""
    return _held_out_table(
        results,
        "Training sources: out-of-fold ROC-AUC @ threshold chosen there (column: the source held out)",
        lambda m: (
            m["skipped"]
            if "skipped" in m
            else f"{fmt(m.get('train_oof_auc'))} @ {fmt(m.get('threshold'))} ({m.get('n_train')} rows)"
        ),
    )


def sides_table(results):
    """Each verdict's coverage (and precision) on the held-out source, at the cutoffs chosen in training."""

    def cell(m):
        sides = m.get("sides")
        if not sides:
            return UNDEFINED
        fake, real = sides["fake"], sides["real"]
        return (
            f"fake {fmt(fake['coverage'], 2)} ({fmt(fake['precision'], 2)}) / "
            f"real {fmt(real['coverage'], 2)} ({fmt(real['precision'], 2)})"
        )

    return _held_out_table(
        results,
        "Verdicts on the held-out source at the training cutoffs: share of each class called it (precision)",
        cell,
    )


def errors_table(results):
    """The most confident mistakes kept per held-out source, as ``(title, header, rows)``."""
    rows = [
        [
            (e.get("source", ""), False),
            (e["kind"], False),
            (e["path"], False),
            (f"{e['prob_fake']:.3f}", False),
        ]
        for e in results.get("errors", [])
    ]
    name = (results.get("errors") or [{}])[0].get("feature_set", "")
    return (
        f"Most confident errors on the held-out sources ({name})",
        ["held out", "kind", "path", "P(fake)"],
        rows,
    )


def loso_tables(results):
    """Every table of the leave-one-source-out report, as ``(title, header, rows)``."""
    out = [
        source_table(results, "auc", "Leave one source out: ROC-AUC on the held-out source", with_audit=True),
        source_table(results, "ap", "Average precision on the held-out source"),
        source_table(
            results,
            "balanced_accuracy",
            "Balanced accuracy on the held-out source, at the training threshold",
        ),
        flag_table(results),
        training_table(results),
    ]
    if any(m.get("sides") for res in results["feature_sets"].values() for m in res["held_out"].values()):
        out.append(sides_table(results))
    if results.get("errors"):
        out.append(errors_table(results))
    audits = {s: v["audit"] for s, v in results["sources"].items() if v.get("audit")}
    if audits:
        out.append(source_audit_table(audits))
    counts = [
        [(s, False), (str(v["n_real"]), False), (str(v["n_fake"]), False)]
        for s, v in results["sources"].items()
    ]
    out.append(("Items per source", ["source", "real", "fake"], counts))
    return out


def _advice(results):
    return [
        (source, entry["audit"]["advice"])
        for source, entry in results["sources"].items()
        if (entry.get("audit") or {}).get("advice")
    ]


def _title(results):
    return f"FaceTruth leave one source out: {results.get('meta', {}).get('data_name', 'sources')}"


def _summary(results):
    best = results["best"]
    mean = results["feature_sets"][best].get("mean_auc")
    compared = len(results["feature_sets"]) > 1
    lead = "Best feature set by mean held-out ROC-AUC" if compared else "Feature set, mean held-out ROC-AUC"
    return (
        f"{lead}: {best} ({fmt(mean)}). Each column is a source the "
        "detector never saw: it was fitted, calibrated and given its threshold on the other sources."
        + (" Best value per column in bold." if compared else "")
    )


def loso_markdown(results):
    """The leave-one-source-out report in Markdown."""
    parts = [
        f"# {_title(results)}",
        "",
        _summary(results).replace(results["best"], f"**{results['best']}**", 1),
    ]
    for title, header, rows in loso_tables(results):
        parts += ["", f"## {title}", "", markdown_table(header, rows)]
    advice = _advice(results)
    if advice:
        parts += ["", "## What the shortcut audit says per source", ""]
        parts += [f"- **{source}**: {text}" for source, text in advice]
    parts += [
        "",
        "## Run metadata",
        "",
        markdown_table(["setting", "value"], plain(loso_metadata_rows(results))),
    ]
    return "\n".join(parts) + "\n"


def loso_html(results):
    """The leave-one-source-out report as one self-contained HTML page."""
    errors = [
        dict(e, source=e.get("source", "")) for e in results.get("errors", []) if e.get("thumbnail_jpeg_b64")
    ]
    return render_page(
        "loso.html",
        title=_title(results),
        summary=_summary(results),
        tables=[table_view(*table) for table in loso_tables(results)],
        errors=errors,
        errors_title=errors_table(results)[0],
        advice=_advice(results),
        metadata=table_view("Run metadata", ["setting", "value"], plain(loso_metadata_rows(results))),
    )
