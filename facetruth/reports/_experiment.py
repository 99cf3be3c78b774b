"""The report of a feature-set comparison, in Markdown and as one self-contained HTML page.

The page loads nothing from the network or the disk (inline CSS, PNG
figures and thumbnails as data URIs), so it can be mailed, archived or
opened from any folder.
"""

import base64

from . import _plots
from ._cells import markdown_table, plain
from ._html import render_page, table_view
from ._metadata import metadata_rows
from ._tables import n_compared, tables

#: a line under the ROC plot: what its two AUCs mean
ROC_NOTE = (
    "Pooled over folds: one AUC of all out-of-fold scores ranked together, the curve drawn. "
    "Mean of folds: the average (± standard deviation) of each fold's own AUC, as in the tables."
)


def _specs(results):
    """``(title, caption, render)`` of every figure, in display order; ``render()`` gives the PNG."""
    sets = results["feature_sets"]
    best = results["best"]
    names = ", ".join(sets)
    with_coverage = [n for n in sets if sets[n].get("curves", {}).get("coverage")]
    specs = [
        ("ROC curves", f"Feature sets: {names}. {ROC_NOTE}", lambda: _plots.roc_png(sets)),
        ("Precision-recall curves", f"Feature sets: {names}.", lambda: _plots.pr_png(sets)),
        (
            f"Reliability ({best})",
            f"Feature set: {best} (best by mean ROC-AUC); out-of-fold calibrated P(fake), items per bin.",
            lambda: _plots.reliability_png(sets[best]["curves"]["reliability"], f"Reliability: {best}"),
        ),
    ]
    if with_coverage:  # results written before coverage was measured have none
        specs.append(
            (
                "Coverage and accuracy",
                f"Feature sets: {', '.join(with_coverage)}.",
                lambda: _plots.coverage_png(sets),
            )
        )
    specs.append(
        (
            f"Confusion matrix ({best})",
            f"Feature set: {best}; out-of-fold, each item at its own fold's threshold.",
            lambda: _plots.confusion_png(sets[best]["confusion"], f"{best}: at each fold's threshold"),
        )
    )
    multi = [n for n in sets if len(sets[n].get("importance", {})) > 1]
    if multi:
        name = "all" if "all" in multi else multi[-1]
        specs.append(
            (
                f"Importance per family ({name})",
                f"Feature set: {name}; XGBoost gain share per family, mean over folds.",
                lambda: _plots.importance_png(sets[name]["importance"], f"XGBoost gain per family: {name}"),
            )
        )
    if results.get("spectrum"):
        specs.append(
            (
                "Mean log spectrum, real vs fake",
                "Computed from the crops themselves, before any feature set.",
                lambda: _plots.spectrum_png(results["spectrum"]),
            )
        )
    if results.get("robustness"):
        rob = results["robustness"]
        specs.append(
            (
                "Robustness curves",
                f"Feature sets: {', '.join(rob['curves'])}.",
                lambda: _plots.robustness_png(rob),
            )
        )
    return specs


def figures(results):
    """Every figure of the report as ``{title: png_bytes}``, in display order."""
    return {title: render() for title, _, render in _specs(results)}


def figure_captions(results):
    """A sentence under each figure as ``{title: text}``: the feature set(s) it shows, and how to read it.

    Examples
    --------
    >>> from facetruth.reports._experiment import figure_captions
    >>> sets = {"fft": {"curves": {}, "confusion": [[1, 0], [0, 1]]}}
    >>> figure_captions({"feature_sets": sets, "best": "fft"})["Precision-recall curves"]
    'Feature sets: fft.'
    """
    return {title: caption for title, caption, _ in _specs(results)}


def report_title(results, title=None):
    """The report's title: ``title``, else the one stored in the run's metadata, else the data set's name.

    Examples
    --------
    >>> from facetruth.reports._experiment import report_title
    >>> report_title({"meta": {"data_name": "ffhq"}}), report_title({"meta": {"title": "FaceTruth demo"}})
    ('FaceTruth experiment: ffhq', 'FaceTruth demo')
    """
    meta = results.get("meta", {})
    return title or meta.get("title") or f"FaceTruth experiment: {meta.get('data_name', 'dataset')}"


def experiment_markdown(results, figures=None, title=None):
    """The Markdown report of a comparison: its tables, errors, figure links and metadata."""
    parts = [f"# {report_title(results, title)}", ""]
    if n_compared(results) > 1:
        parts.append(
            f"Best feature set by mean ROC-AUC: **{results['best']}**. Best value per column in bold."
        )
    else:
        parts.append(f"Feature set: **{results['best']}** (one set, so no column has a best value).")
    for heading, header, rows in tables(results):
        parts += ["", f"## {heading}", "", markdown_table(header, rows)]
    errors = results.get("errors", [])
    if errors:
        parts += ["", f"## Most confident errors ({errors[0]['feature_set']}, out-of-fold)", ""]
        rows = [[(e["kind"], False), (e["path"], False), (f"{e['prob_fake']:.3f}", False)] for e in errors]
        parts.append(markdown_table(["error", "file", "P(fake)"], rows))
    captions = figure_captions(results) if figures else {}
    for name, path in (figures or {}).items():
        parts += ["", f"![{name}]({path})"]
        if captions.get(name):
            parts += ["", f"*{name}.* {captions[name]}"]
    parts += ["", "## Run metadata", "", markdown_table(["setting", "value"], plain(metadata_rows(results)))]
    return "\n".join(parts) + "\n"


def experiment_html(results, figs=None, title=None):
    """The HTML page of a comparison, every image inlined; ``figs`` as :func:`figures` gives them."""
    figs = figures(results) if figs is None else figs
    captions = figure_captions(results)
    shown = [
        {"title": t, "caption": captions.get(t), "data": base64.b64encode(png).decode("ascii")}
        for t, png in figs.items()
    ]
    return render_page(
        "experiment.html",
        title=report_title(results, title),
        best=results["best"],
        compared=n_compared(results) > 1,
        tables=[table_view(*table) for table in tables(results)],
        figures=shown,
        errors=results.get("errors", []),
        metadata=table_view("Run metadata", ["setting", "value"], plain(metadata_rows(results))),
    )
