"""The tables of an experiment report as plain rows of ``(text, is_best)`` cells.

Both renderers, Markdown (:mod:`._report`) and HTML (:mod:`._report_html`),
draw their tables from here.
"""

from ._audit_report import AUDIT_LABEL, audit_tables

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


def md_table(header, rows):
    """A GitHub Markdown table of ``(text, bold)`` cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(f"**{t}**" if b else t for t, b in row) + " |")
    return "\n".join(lines)


def audit_row(audit, header):
    """The shortcut audit as a row of the comparison table: its AUC under ROC-AUC, dashes elsewhere."""
    cells = {"feature set": AUDIT_LABEL, "families": "file, encoding, face geometry"}
    cells["features"] = str(len(audit.get("ranking", [])))
    cells["ROC-AUC"] = f"{audit['nuisance_auc']:.3f}" + (" (warning)" if audit.get("warning") else "")
    return [(cells.get(h, "–"), h == "ROC-AUC" and bool(audit.get("warning"))) for h in header]


def tables(results):
    """Every table of the report, as ``(title, header, rows)`` with rows of ``(text, bold)`` cells."""
    sets = results["feature_sets"]
    header, rows = metric_table(sets)
    audit = results.get("audit")
    if audit and audit.get("nuisance_auc") is not None:  # every figure read against its shortcut
        rows.append(audit_row(audit, header))
    videos = any(r.get("video_summary") for r in sets.values())
    out = [("Cross-validated comparison" + (" (frame level)" if videos else ""), header, rows)]
    out.extend(audit_tables(audit))
    if videos:
        out.append(("Video level (mean of frame scores)",) + metric_table(sets, "video_summary"))
    out.extend(coverage_tables(sets))
    out.append(fold_table(sets))
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


def fold_label(fold, n_repeats=1):
    """A fold as a reader counts it: ``"fold 1"``, or ``"repeat 1, fold 1"`` when repeated.

    Parameters
    ----------
    fold : dict
        A ``folds`` entry of the results, with 0-based ``repeat`` and ``fold``.
    n_repeats : int, default=1

    Returns
    -------
    label : str

    Examples
    --------
    >>> from facetruth.evaluation._report_tables import fold_label
    >>> fold_label({"repeat": 0, "fold": 2}), fold_label({"repeat": 1, "fold": 0}, n_repeats=2)
    ('fold 3', 'repeat 2, fold 1')
    """
    label = f"fold {fold['fold'] + 1}"
    return f"repeat {fold['repeat'] + 1}, {label}" if n_repeats > 1 else label


def fold_table(sets):
    """Feature set × fold table of ROC-AUC, columns labelled as :func:`fold_label` does."""
    folds = next(iter(sets.values()))["folds"]
    n_repeats = len({f["repeat"] for f in folds})
    n_folds = len({f["fold"] for f in folds})
    header = ["feature set"] + [fold_label(f, n_repeats) for f in folds]
    rows = [[(n, False)] + [(f"{f['auc']:.3f}", False) for f in r["folds"]] for n, r in sets.items()]
    title = f"ROC-AUC per fold ({n_folds} folds" + (f" × {n_repeats} repeats)" if n_repeats > 1 else ")")
    return title, header, rows


def counts_text(counts, empty="–"):
    """Counts as prose: ``{"real": 539, "fake": 650}`` reads ``"real: 539, fake: 650"``.

    Examples
    --------
    >>> from facetruth.evaluation._report_tables import counts_text
    >>> counts_text({"real": 539, "fake": 650}), counts_text({}, empty="none")
    ('real: 539, fake: 650', 'none')
    """
    return ", ".join(f"{k}: {v}" for k, v in (counts or {}).items()) or empty


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
            "items",
            f"{counts_text(meta.get('counts'))} ({meta.get('n_groups', '?')} groups; "
            f"{meta.get('n_skipped', 0)} skipped)",
        ),
        (
            "face crop",
            f"{meta.get('face')} at {meta.get('image_size')} px, face found {meta.get('face_found_rate')}",
        ),
        ("folds", _folds_text(meta)),
        ("classifier", f"{meta.get('classifier', '')}; inner cv {meta.get('inner_cv')}"),
        *([("clip family", clip_text(meta["clip"]))] if meta.get("clip") else []),
        ("seed", str(meta.get("seed"))),
        (
            "wall time",
            f"{results.get('wall_seconds', '?')} s (decode+crop {meta.get('load_seconds', '?')} s)",
        ),
        ("date", meta.get("date", "")),
        ("versions", ", ".join(f"{k} {v}" for k, v in versions.items())),
    ]
    return pairs


def clip_text(clip):
    """How a report describes the clip family's options.

    Examples
    --------
    >>> from facetruth.evaluation._report_tables import clip_text
    >>> clip_text({"blocks": [], "flip": False, "precision": "float32"})
    'final embedding'
    >>> clip_text({"blocks": list(range(12)), "flip": True, "precision": "float32"})
    'final embedding + CLS tokens of blocks 0-11; each image averaged with its mirror image'
    >>> clip_text({"blocks": [4, 8], "flip": False, "precision": "int8"})
    'final embedding + CLS tokens of blocks 4, 8; int8'
    """
    blocks = list(clip.get("blocks") or [])
    text = "final embedding"
    consecutive = len(blocks) > 2 and blocks == list(range(blocks[0], blocks[-1] + 1))
    if consecutive:
        text += f" + CLS tokens of blocks {blocks[0]}-{blocks[-1]}"
    elif blocks:
        text += " + CLS tokens of blocks " + ", ".join(str(b) for b in blocks)
    if clip.get("flip"):
        text += "; each image averaged with its mirror image"
    if clip.get("precision", "int8") == "int8":  # results recorded before float32 existed were int8
        text += "; int8"
    return text


def _folds_text(meta):
    repeats = meta.get("repeats") or 1
    text = f"{meta.get('folds')} folds" + (f" × {repeats} repeats" if repeats > 1 else "")
    return f"{text}, {meta['split']}" if meta.get("split") else text


def coverage_tables(sets):
    """Verdict coverage under each set's own verdict rules, and at symmetric bands.

    Rows: feature sets. Columns: the mean band of the folds (or their mean
    cutoffs for real and fake), the share of
    out-of-fold items given a verdict there, the accuracy of those verdicts
    and of all verdicts (band 0); then coverage / accuracy at bands 0.1 and 0.2.
    """
    with_coverage = {n: r["curves"] for n, r in sets.items() if r.get("curves", {}).get("at_band")}
    if not with_coverage:
        return []
    header = ["feature set", "band or cutoffs", "coverage", "accuracy (covered)", "accuracy (all)"]
    header += ["band 0.1: coverage / acc.", "band 0.2: coverage / acc."]
    rows = []
    for name, curves in with_coverage.items():
        at = curves["at_band"]
        rule = f"{at['band']:.3f}"
        if at.get("fake_cutoff") is not None:  # folds with one cutoff per side
            rule = f"real ≤ {at['real_cutoff']:.3f}, fake ≥ {at['fake_cutoff']:.3f}"
        cells = [name, rule, f"{at['coverage']:.3f}", _fmt_opt(at["accuracy_covered"])]
        cells.append(_fmt_opt(at["accuracy_all"]))
        cov = curves["coverage"]
        for band in (0.1, 0.2):
            i = min(range(len(cov["band"])), key=lambda k: abs(cov["band"][k] - band))
            cells.append(f"{cov['coverage'][i]:.3f} / {_fmt_opt(cov['accuracy'][i])}")
        rows.append([(c, False) for c in cells])
    title = "Verdict coverage: share of out-of-fold images given a verdict, and its accuracy"
    return [(title, header, rows)]


def _fmt_opt(value):
    return "–" if value is None else f"{value:.3f}"
