"""The self-contained HTML report: inline CSS, PNG figures and thumbnails as data URIs.

The page loads nothing from the network or the disk, so it can be mailed,
archived or opened from any folder.
"""

import base64
import html

from . import _plots
from ._report_tables import metadata_rows, tables

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f3f3f3} td:first-child,th:first-child{text-align:left}
.figs{display:flex;flex-wrap:wrap;gap:12px} .figs figure{margin:0}
figcaption{font-size:12px;color:#555;text-align:center}
.gallery{display:flex;flex-wrap:wrap;gap:8px} .gallery figure{margin:0;width:110px}
.gallery figcaption{font-size:11px;word-break:break-all}
"""


def figures(results):
    """Every figure of the report as ``{title: png_bytes}``, in display order."""
    sets = results["feature_sets"]
    best = results["best"]
    figs = {
        "ROC curves": _plots.roc_png(sets),
        "Precision-recall curves": _plots.pr_png(sets),
        f"Reliability ({best})": _plots.reliability_png(
            sets[best]["curves"]["reliability"], f"Reliability: {best}"
        ),
        "Coverage and accuracy": _plots.coverage_png(sets),
        f"Confusion matrix ({best})": _plots.confusion_png(
            sets[best]["confusion"], f"{best}: at each fold's threshold"
        ),
    }
    multi = [n for n in sets if len(sets[n].get("importance", {})) > 1]
    if multi:
        name = "all" if "all" in multi else multi[-1]
        figs[f"Importance per family ({name})"] = _plots.importance_png(
            sets[name]["importance"], f"XGBoost gain per family: {name}"
        )
    if results.get("spectrum"):
        figs["Mean log spectrum, real vs fake"] = _plots.spectrum_png(results["spectrum"])
    if results.get("robustness"):
        figs["Robustness curves"] = _plots.robustness_png(results["robustness"])
    return figs


def _table(header, rows):
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(f"<td>{'<b>' if b else ''}{html.escape(t)}{'</b>' if b else ''}</td>" for t, b in row)
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _img(png_bytes, alt):
    data = base64.b64encode(png_bytes).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def render_html(results, figs=None):
    """The report as one HTML document (str) with every image inlined.

    Parameters
    ----------
    results : dict
        From :func:`~facetruth.evaluation.run_experiment`.
    figs : dict of str to bytes, default=None
        PNG figures; computed with :func:`figures` when omitted.
    """
    figs = figures(results) if figs is None else figs
    title = f"FaceTruth experiment: {results.get('meta', {}).get('data_name', 'dataset')}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Best feature set by mean ROC-AUC: <b>{html.escape(results['best'])}</b>. "
        "Means ± standard deviations over folds; the best value of each column is in bold.</p>",
    ]
    for t, header, rows in tables(results):
        out += [f"<h2>{html.escape(t)}</h2>", _table(header, rows)]
    out.append("<h2>Figures</h2><div class='figs'>")
    for t, png in figs.items():
        out.append(f"<figure>{_img(png, t)}<figcaption>{html.escape(t)}</figcaption></figure>")
    out.append("</div>")
    errors = results.get("errors", [])
    if errors:
        out.append(
            f"<h2>Most confident errors ({html.escape(str(errors[0]['feature_set']))}, out-of-fold)</h2>"
            "<div class='gallery'>"
        )
        for e in errors:
            src = f"data:image/jpeg;base64,{e['thumbnail_jpeg_b64']}"
            cap = f"{e['kind']}: P(fake)={e['prob_fake']:.3f}<br>{html.escape(e['path'])}"
            out.append(
                f'<figure><img src="{src}" alt="{html.escape(e["path"])}"><figcaption>{cap}</figcaption></figure>'
            )
        out.append("</div>")
    out.append("<h2>Run metadata</h2>")
    out.append(_table(["", ""], [[(k, False), (str(v), False)] for k, v in metadata_rows(results)]))
    out.append("</body></html>")
    return "\n".join(out) + "\n"
