"""Markdown and HTML reports of an experiment, rendered from its ``results`` dict.

The same tables feed both formats: :func:`tables` returns them as plain rows,
:func:`render_markdown` writes them as GitHub tables, and
:func:`~facetruth.evaluation._report_html.render_html` as a single
self-contained HTML page with the figures embedded.
"""

import logging
from pathlib import Path

from .._atomic import atomic_write_bytes, atomic_write_text

logger = logging.getLogger(__name__)

#: (key, header, higher is better)
METRIC_COLUMNS = (
    ("auc", "ROC-AUC", True),
    ("ap", "AP", True),
    ("accuracy", "accuracy", True),
    ("balanced_accuracy", "bal. acc.", True),
    ("precision", "precision", True),
    ("recall", "recall", True),
    ("f1", "F1", True),
    ("eer", "EER", False),
    ("brier", "Brier", False),
)


def _fmt(stat):
    if stat is None or stat.get("mean") is None:
        return "–"
    return f"{stat['mean']:.3f} ± {stat['std']:.3f}"


def metric_table(feature_sets, summary_key="summary"):
    """Feature set × metric table; the best mean per metric is flagged.

    Returns
    -------
    header : list of str
    rows : list of list of (str, bool)
        Cell text and whether it is the column's best.
    """
    names = [n for n in feature_sets if feature_sets[n].get(summary_key)]
    header = ["feature set", "families", "features", "ms/image"] + [h for _, h, _ in METRIC_COLUMNS]
    best = {}
    for key, _, higher in METRIC_COLUMNS:
        means = [feature_sets[n][summary_key][key]["mean"] for n in names]
        valid = [m for m in means if m is not None]
        if valid:
            best[key] = max(valid) if higher else min(valid)
    rows = []
    for n in names:
        res = feature_sets[n]
        ms = sum(res.get("extraction_ms_per_image", {}).values())
        row = [(n, False), ("+".join(res["families"]), False), (str(res["n_features"]), False)]
        row.append((f"{ms:.1f}", False))
        for key, _, _ in METRIC_COLUMNS:
            stat = res[summary_key][key]
            row.append(
                (_fmt(stat), stat["mean"] is not None and round(stat["mean"], 3) == round(best[key], 3))
            )
        rows.append(row)
    return header, rows


def tables(results):
    """Every table of the report, as ``(title, header, rows)`` with rows of ``(text, bold)`` cells."""
    sets = results["feature_sets"]
    out = [("Cross-validated comparison (frame level)",) + metric_table(sets)]
    if any(r.get("video_summary") for r in sets.values()):
        out.append(("Video level (mean of frame scores)",) + metric_table(sets, "video_summary"))
    n_folds = max(len(r["folds"]) for r in sets.values())
    header = ["feature set"] + [f"r{f['repeat']}f{f['fold']}" for f in next(iter(sets.values()))["folds"]]
    rows = [[(n, False)] + [(f"{f['auc']:.3f}", False) for f in r["folds"]] for n, r in sets.items()]
    out.append((f"ROC-AUC per fold ({n_folds} folds)", header, rows))
    fams = results.get("families", {})
    header = ["family", "features", "ms/image (uncached)", "images timed"]
    rows = [
        [
            (f, False),
            (str(v["n_features"]), False),
            (f"{v['ms_per_image']:.2f}", False),
            (str(v["n_timed"]), False),
        ]
        for f, v in fams.items()
    ]
    out.append(("Feature extraction cost", header, rows))
    multi = {n: r["importance"] for n, r in sets.items() if len(r.get("importance", {})) > 1}
    if multi:
        all_fams = list(dict.fromkeys(f for imp in multi.values() for f in imp))
        rows = [
            [(n, False)] + [(f"{imp.get(f, 0):.2f}" if f in imp else "", False) for f in all_fams]
            for n, imp in multi.items()
        ]
        out.append(("XGBoost gain share per family (mean over folds)", ["feature set"] + all_fams, rows))
    rob = results.get("robustness")
    if rob:
        out.extend(robustness_tables(rob))
    return out


def robustness_tables(rob):
    """One AUC table per perturbation: feature set × level."""
    out = []
    curves = rob["curves"]
    for kind in next(iter(curves.values())):
        levels = next(iter(curves.values()))[kind]["levels"]
        header = ["feature set"] + [f"{kind} {lv:g}" for lv in levels]
        rows = [[(n, False)] + [(f"{a:.3f}", False) for a in c[kind]["auc"]] for n, c in curves.items()]
        out.append((f"Robustness: ROC-AUC under {kind}", header, rows))
    return out


def metadata_rows(results):
    """Run metadata as ``(key, value)`` pairs."""
    meta = results.get("meta", {})
    versions = meta.get("versions", {})
    pairs = [
        ("data", f"{meta.get('data_name', '')} ({meta.get('layout', '')})"),
        ("manifest sha256", meta.get("manifest_sha256", "")),
        (
            "counts",
            f"{meta.get('counts', {})} in {meta.get('n_groups', '?')} groups, {meta.get('n_skipped', 0)} skipped",
        ),
        (
            "face crop",
            f"{meta.get('face')} at {meta.get('image_size')} px, face found {meta.get('face_found_rate')}",
        ),
        ("folds", f"{meta.get('folds')} × {meta.get('repeats')} repeat(s), {meta.get('split', '')}"),
        ("classifier", f"{meta.get('classifier', '')}; inner cv {meta.get('inner_cv')}"),
        ("seed", str(meta.get("seed"))),
        (
            "wall time",
            f"{results.get('wall_seconds', '?')} s (decode+crop {meta.get('load_seconds', '?')} s)",
        ),
        ("date", meta.get("date", "")),
        ("versions", ", ".join(f"{k} {v}" for k, v in versions.items())),
    ]
    return pairs


def _md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(f"**{t}**" if b else t for t, b in row) + " |")
    return "\n".join(lines)


def render_markdown(results, figures=None):
    """The Markdown report: metadata, every table, and links to figure files.

    Parameters
    ----------
    results : dict
        From :func:`~facetruth.evaluation.run_experiment`.
    figures : dict of str to str, default=None
        Figure title to a relative PNG path, linked at the end.

    Returns
    -------
    text : str
    """
    meta = results.get("meta", {})
    parts = [f"# FaceTruth experiment: {meta.get('data_name', 'dataset')}", ""]
    parts.append(f"Best feature set by mean ROC-AUC: **{results['best']}**. Best value per column in bold.")
    for title, header, rows in tables(results):
        parts += ["", f"## {title}", "", _md_table(header, rows)]
    errors = results.get("errors", [])
    if errors:
        parts += ["", f"## Most confident errors ({errors[0]['feature_set']}, out-of-fold)", ""]
        rows = [[(e["kind"], False), (e["path"], False), (f"{e['prob_fake']:.3f}", False)] for e in errors]
        parts.append(_md_table(["error", "file", "P(fake)"], rows))
    for title, path in (figures or {}).items():
        parts += ["", f"![{title}]({path})"]
    parts += [
        "",
        "## Run metadata",
        "",
        _md_table(["", ""], [[(k, False), (str(v), False)] for k, v in metadata_rows(results)]),
    ]
    return "\n".join(parts) + "\n"


def write_report(results, out_dir):
    """Write ``report.md`` and a self-contained ``report.html`` into ``out_dir``.

    Parameters
    ----------
    results : dict
        From :func:`~facetruth.evaluation.run_experiment` (or ``results.json``),
        optionally with a ``robustness`` entry from
        :func:`~facetruth.evaluation.run_robustness`.
    out_dir : str or os.PathLike

    Returns
    -------
    paths : list of pathlib.Path
    """
    from ._report_html import figures, render_html

    out_dir = Path(out_dir)
    figs = figures(results)
    md_figs = {}
    for title, png in figs.items():
        name = "fig_" + "".join(c if c.isalnum() else "_" for c in title.lower()).strip("_") + ".png"
        atomic_write_bytes(out_dir / "figures" / name, png)
        md_figs[title] = f"figures/{name}"
    md, html = out_dir / "report.md", out_dir / "report.html"
    atomic_write_text(md, render_markdown(results, md_figs))
    atomic_write_text(html, render_html(results, figs))
    logger.info("wrote %s and %s", md, html)
    return [md, html]
