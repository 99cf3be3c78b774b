"""The self-contained HTML report: inline CSS, PNG figures and thumbnails as data URIs.

The page loads nothing from the network or the disk, so it can be mailed,
archived or opened from any folder.
"""

import base64
import html
import re

from . import _plots
from ._report_tables import metadata_rows, n_compared, tables

_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
img{max-width:100%;height:auto}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%;margin:.5em 0 1.5em}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f3f3f3} td:first-child,th:first-child{text-align:left}
td:first-child{position:sticky;left:0;background:#fff} th:first-child{position:sticky;left:0}
td{white-space:nowrap} td:first-child{white-space:normal;min-width:7em} td.long{white-space:normal;min-width:14em;text-align:left}
th.txt,td.txt{text-align:left}
table.kv th,table.kv td{text-align:left;white-space:normal;min-width:0} table.kv td:last-child{overflow-wrap:anywhere}
.figs{display:flex;flex-wrap:wrap;gap:12px} .figs figure{margin:0;max-width:100%}
figcaption{font-size:12px;color:#555;max-width:450px}
figcaption b{color:#222}
.gallery{display:flex;flex-wrap:wrap;gap:8px} .gallery figure{margin:0;width:110px}
.gallery figcaption{font-size:11px;word-break:normal;overflow-wrap:normal;hyphens:none}
@media (max-width:600px){body{margin:1em auto;padding:0 .6em} h1{font-size:1.5em} h2{font-size:1.2em}}
"""

#: a line under the ROC plot: what its two AUCs mean
ROC_NOTE = (
    "Pooled over folds: one AUC of all out-of-fold scores ranked together, the curve drawn. "
    "Mean of folds: the average (± standard deviation) of each fold's own AUC, as in the tables."
)

_LONG = " class='long'"  # a cell of prose, which may wrap; numbers stay on one line
_TEXT = " class='txt'"  # a cell of a column of words (families, a rule), set to the left
_FIGURE = re.compile(r"[-+−]?[\d.]")  # a cell that starts as a number does
_EMPTY = ("–", "n/a", "")

#: the last header of a two-column table of names and prose values, which wraps to the page
_KV_HEADERS = ("value", "why")

_HEAD = (
    '<html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
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
    >>> from facetruth.evaluation._report_html import figure_captions
    >>> sets = {"fft": {"curves": {}, "confusion": [[1, 0], [0, 1]]}}
    >>> figure_captions({"feature_sets": sets, "best": "fft"})["Precision-recall curves"]
    'Feature sets: fft.'
    """
    return {title: caption for title, caption, _ in _specs(results)}


def report_title(results, title=None):
    """The report's title: ``title``, else the one stored in the run's metadata, else the data set's name.

    Examples
    --------
    >>> from facetruth.evaluation._report_html import report_title
    >>> report_title({"meta": {"data_name": "ffhq"}}), report_title({"meta": {"title": "FaceTruth demo"}})
    ('FaceTruth experiment: ffhq', 'FaceTruth demo')
    """
    meta = results.get("meta", {})
    return title or meta.get("title") or f"FaceTruth experiment: {meta.get('data_name', 'dataset')}"


def _lead(results):
    """The sentence above the tables: the best feature set, and what bold means when anything is compared."""
    best = html.escape(results["best"])
    if n_compared(results) > 1:
        return (
            f"<p>Best feature set by mean ROC-AUC: <b>{best}</b>. "
            "Means ± standard deviations over folds; the best value of each column is in bold.</p>"
        )
    return f"<p>Feature set: <b>{best}</b>. Means ± standard deviations over folds.</p>"


def _text_columns(header, rows):
    """Positions of the columns (after the first) whose cells are words, not figures: set to the left."""
    out = set()
    for j in range(1, len(header)):
        cells = [row[j][0] for row in rows if j < len(row) and row[j][0] not in _EMPTY]
        if cells and not any(_FIGURE.match(text) for text in cells):
            out.add(j)
    return out


def _table(header, rows):
    text = _text_columns(header, rows)

    def attrs(j, t=""):
        return _LONG if len(t) > 40 else _TEXT if j in text else ""

    head = "".join(f"<th{attrs(j)}>{html.escape(h)}</th>" for j, h in enumerate(header))
    body = []
    for row in rows:
        cells = "".join(
            f"<td{attrs(j, t)}>{'<b>' if b else ''}{html.escape(t)}{'</b>' if b else ''}</td>"
            for j, (t, b) in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    thead = f"<thead><tr>{head}</tr></thead>" if any(header) else ""
    kv = " class='kv'" if len(header) == 2 and header[1] in _KV_HEADERS else ""
    return f"<div class='scroll'><table{kv}>{thead}<tbody>{''.join(body)}</tbody></table></div>"


def _path_html(path):
    """A path, escaped, that may wrap after its separators but never inside a name."""
    text = html.escape(str(path))
    for sep in ("/", "\\", "_", "-"):
        text = text.replace(sep, sep + "<wbr>")
    return f"<span class='path'>{text}</span>"


def _img(png_bytes, alt):
    data = base64.b64encode(png_bytes).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def render_html(results, figs=None, title=None):
    """The report as one HTML document (str) with every image inlined.

    Parameters
    ----------
    results : dict
        From :func:`~facetruth.evaluation.run_experiment`.
    figs : dict of str to bytes, default=None
        PNG figures; computed with :func:`figures` when omitted.
    title : str, default=None
        The page's title; by default :func:`report_title`.
    """
    figs = figures(results) if figs is None else figs
    captions = figure_captions(results)
    title = report_title(results, title)
    out = [
        "<!DOCTYPE html>",
        _HEAD,
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        _lead(results),
    ]
    for t, header, rows in tables(results):
        out += [f"<h2>{html.escape(t)}</h2>", _table(header, rows)]
    out.append("<h2>Figures</h2><div class='figs'>")
    for t, png in figs.items():
        note = f" {html.escape(captions[t])}" if captions.get(t) else ""
        out.append(f"<figure>{_img(png, t)}<figcaption><b>{html.escape(t)}.</b>{note}</figcaption></figure>")
    out.append("</div>")
    errors = results.get("errors", [])
    if errors:
        out.append(
            f"<h2>Most confident errors ({html.escape(str(errors[0]['feature_set']))}, out-of-fold)</h2>"
            "<div class='gallery'>"
        )
        for e in errors:
            src = f"data:image/jpeg;base64,{e['thumbnail_jpeg_b64']}"
            cap = f"{e['kind']}: P(fake)&nbsp;=&nbsp;{e['prob_fake']:.3f}<br>{_path_html(e['path'])}"
            out.append(
                f'<figure><img src="{src}" alt="{html.escape(e["path"])}"><figcaption>{cap}</figcaption></figure>'
            )
        out.append("</div>")
    out.append("<h2>Run metadata</h2>")
    out.append(
        _table(["setting", "value"], [[(k, False), (str(v), False)] for k, v in metadata_rows(results)])
    )
    out.append("</body></html>")
    return "\n".join(out) + "\n"
