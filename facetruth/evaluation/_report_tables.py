"""The tables of an experiment report as plain rows of ``(text, is_best)`` cells.

Both renderers, Markdown (:mod:`._report`) and HTML (:mod:`._report_html`),
draw their tables from here.
"""

from ._audit_report import AUDIT_LABEL, audit_tables

#: the comparison's first table, what a reader looks at first: (key, header, higher is better);
#: the verdicts' coverage stands after accuracy
MAIN_COLUMNS = (
    ("auc", "ROC-AUC", True),
    ("accuracy", "accuracy", True),
    ("ap", "AP", True),
    ("eer", "EER", False),
)
#: the comparison's second table: the other metrics
MORE_COLUMNS = (
    ("balanced_accuracy", "bal. acc.", True),
    ("precision", "precision", True),
    ("recall", "recall", True),
    ("f1", "F1", True),
    ("brier", "Brier", False),
)
METRIC_COLUMNS = MAIN_COLUMNS + MORE_COLUMNS

#: a metric that is undefined on the data (one class in every fold, nothing called fake): ``null`` in JSON
UNDEFINED = "n/a"
#: a cell with nothing to show (a metric the audit row has no counterpart for, a value not recorded)
NO_VALUE = "–"

_COVERAGE = "coverage"


def _fmt(stat):
    if stat is None:
        return NO_VALUE
    if stat.get("mean") is None:
        return UNDEFINED
    return f"{stat['mean']:.3f} ± {stat['std']:.3f}"


def best_value(values, higher=True):
    """The value to put in bold among ``values``: ``None`` unless there is something to compare.

    Values are compared as shown, to three decimals; at least two must be
    known and differ.

    Parameters
    ----------
    values : iterable of (float or None)
    higher : bool, default=True
        Whether a higher value is better.

    Returns
    -------
    best : float or None

    Examples
    --------
    >>> from facetruth.evaluation._report_tables import best_value
    >>> best_value([0.91, 0.8]), best_value([0.2, 0.1, None], higher=False)
    (0.91, 0.1)
    >>> best_value([0.91]) is None, best_value([0.9, 0.9004]) is None  # one value, or a tie as shown
    (True, True)
    """
    known = {round(v, 3) for v in values if v is not None}
    if len(known) < 2:
        return None
    return max(known) if higher else min(known)


def is_best(value, best):
    """Whether ``value`` (shown to three decimals) is :func:`best_value`'s ``best``."""
    return best is not None and value is not None and round(value, 3) == best


def metric_table(feature_sets, summary_key="summary", columns=MAIN_COLUMNS, coverage=None):
    """Feature set × metric table; the best mean per metric is flagged when there is one to compare.

    Parameters
    ----------
    feature_sets : dict
        The ``feature_sets`` of the results.
    summary_key : str, default="summary"
        ``"video_summary"`` for the video-level figures.
    columns : tuple of (str, str, bool), default=MAIN_COLUMNS
        ``(key, header, higher is better)`` of each metric.
    coverage : bool, default=None
        Add the verdicts' coverage after accuracy; by default when the
        columns are :data:`MAIN_COLUMNS` of the item-level summary and a set
        has it.

    Returns
    -------
    header : list of str
    rows : list of list of (str, bool)
        Cell text and whether it is the column's best. Nothing is flagged in
        a column of one value, or where every value is the same.
    """
    names = [n for n in feature_sets if feature_sets[n].get(summary_key)]
    if coverage is None:
        coverage = columns == MAIN_COLUMNS and summary_key == "summary"
        coverage = coverage and any(_coverage(feature_sets[n]) is not None for n in names)
    keys = [(key, head) for key, head, _ in columns]
    if coverage:
        at = next((i for i, (key, _) in enumerate(keys) if key == "accuracy"), len(keys) - 1) + 1
        keys.insert(at, (_COVERAGE, "coverage"))
    higher = {key: up for key, _, up in columns}
    best = {
        key: best_value(
            [(feature_sets[n][summary_key].get(key) or {}).get("mean") for n in names], higher[key]
        )
        for key, _, _ in columns
    }
    rows = []
    for n in names:
        summary = feature_sets[n][summary_key]
        row = [(n, False)]
        for key, _ in keys:
            if key == _COVERAGE:
                value = _coverage(feature_sets[n])
                row.append((NO_VALUE if value is None else f"{value:.3f}", False))
                continue
            stat = summary.get(key)
            row.append((_fmt(stat), is_best((stat or {}).get("mean"), best[key])))
        rows.append(row)
    return ["feature set"] + [head for _, head in keys], rows


def _coverage(result):
    """The share of out-of-fold items given a verdict under the folds' own rules, or ``None``."""
    at = result.get("curves", {}).get("at_band") or {}
    return at.get("coverage")


def feature_set_table(feature_sets, audit=None):
    """What each feature set is: its families, its number of features and its extraction time.

    With a shortcut audit, a last row says what the nuisance model looks at.
    """
    header = ["feature set", "families", "features", "ms/image"]
    rows = []
    for n, res in feature_sets.items():
        ms = sum(res.get("extraction_ms_per_image", {}).values())
        cells = [n, "+".join(res["families"]), str(res["n_features"]), f"{ms:.1f}"]
        rows.append([(c, False) for c in cells])
    if audit and audit.get("nuisance_auc") is not None:
        cells = [AUDIT_LABEL, "file, encoding, face geometry", str(len(audit.get("ranking", []))), NO_VALUE]
        rows.append([(c, False) for c in cells])
    return "Feature sets: families, size and extraction time", header, rows


def md_table(header, rows):
    """A GitHub Markdown table of ``(text, bold)`` cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(f"**{t}**" if b else t for t, b in row) + " |")
    return "\n".join(lines)


def audit_row(audit, header):
    """The shortcut audit as a row of the comparison table: its AUC under ROC-AUC, dashes elsewhere.

    Never in bold: bold marks the best feature set, and the audit is none.
    """
    auc = f"{audit['nuisance_auc']:.3f}" + (" (warning)" if audit.get("warning") else "")
    cells = {"feature set": AUDIT_LABEL, "ROC-AUC": auc}
    return [(cells.get(h, NO_VALUE), False) for h in header]


#: the title of the comparison's first table
COMPARISON = "Cross-validated comparison"


def n_compared(results):
    """How many feature sets the comparison holds: with one, nothing is in bold."""
    return sum(1 for res in results["feature_sets"].values() if res.get("summary"))


def tables(results):
    """Every table of the report, as ``(title, header, rows)`` with rows of ``(text, bold)`` cells.

    The comparison comes first in three narrow tables: the main metrics
    (ROC-AUC, accuracy, coverage, AP, EER) beside the shortcut audit, the
    other metrics, and what each feature set is.
    """
    sets = results["feature_sets"]
    header, rows = metric_table(sets)
    audit = results.get("audit")
    if audit and audit.get("nuisance_auc") is not None:  # every figure read against its shortcut
        rows.append(audit_row(audit, header))
    videos = any(r.get("video_summary") for r in sets.values())
    level = " (frame level)" if videos else ""
    out = [(COMPARISON + level, header, rows)]
    out.append((f"{COMPARISON}{level}: more metrics",) + metric_table(sets, columns=MORE_COLUMNS))
    out.append(feature_set_table(sets, audit))
    out.extend(audit_tables(audit))
    if videos:
        out.append(("Video level (mean of frame scores)",) + metric_table(sets, "video_summary"))
        out.append(("Video level: more metrics",) + metric_table(sets, "video_summary", columns=MORE_COLUMNS))
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
    rows = [[(n, False)] + [(_fmt_opt(f.get("auc")), False) for f in r["folds"]] for n, r in sets.items()]
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
    return UNDEFINED if value is None else f"{value:.3f}"
