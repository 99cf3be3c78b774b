"""The tables of an experiment report as plain rows of ``(text, is_best)`` cells.

Both renderers, Markdown (:func:`~facetruth.reports.render_markdown`) and
HTML (:func:`~facetruth.reports.render_html`), draw their tables from here.
"""

from ._audit import AUDIT_LABEL, auc_text, audit_tables
from ._cells import NO_VALUE, UNDEFINED, best_value, fmt, is_best

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

_COVERAGE = "coverage"


def _fmt_stat(stat):
    if stat is None:
        return NO_VALUE
    if stat.get("mean") is None:
        return UNDEFINED
    return f"{stat['mean']:.3f} ± {stat['std']:.3f}"


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
            row.append((_fmt_stat(stat), is_best((stat or {}).get("mean"), best[key])))
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


def audit_row(audit, header):
    """The shortcut audit as a row of the comparison table: its AUC under ROC-AUC, dashes elsewhere.

    Never in bold: bold marks the best feature set, and the audit is none.
    """
    cells = {"feature set": AUDIT_LABEL, "ROC-AUC": auc_text(audit)}
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
    >>> from facetruth.reports._tables import fold_label
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
    rows = [[(n, False)] + [(fmt(f.get("auc")), False) for f in r["folds"]] for n, r in sets.items()]
    title = f"ROC-AUC per fold ({n_folds} folds" + (f" × {n_repeats} repeats)" if n_repeats > 1 else ")")
    return title, header, rows


def robustness_tables(robustness):
    """One ROC-AUC table per perturbation: feature set × level.

    Parameters
    ----------
    robustness : dict
        The ``robustness`` entry of a results dict: ``curves`` maps each
        feature set to ``{perturbation: {"levels": [...], "auc": [...]}}``.

    Returns
    -------
    tables : list of (str, list of str, list of list of (str, bool))
        ``(title, header, rows)``, one per perturbation, nothing in bold.

    Examples
    --------
    >>> from facetruth.reports import markdown_table, robustness_tables
    >>> curves = {"fft": {"jpeg": {"levels": [100, 50], "auc": [0.99, 0.7]}}}
    >>> [(title, header) for title, header, _ in robustness_tables({"curves": curves})]
    [('Robustness: ROC-AUC under jpeg', ['feature set', 'jpeg 100', 'jpeg 50'])]
    >>> print(markdown_table(*robustness_tables({"curves": curves})[0][1:]))
    | feature set | jpeg 100 | jpeg 50 |
    |---|---|---|
    | fft | 0.990 | 0.700 |
    """
    rob = robustness
    out = []
    curves = rob["curves"]
    for kind in next(iter(curves.values())):
        levels = next(iter(curves.values()))[kind]["levels"]
        header = ["feature set"] + [f"{kind} {lv:g}" for lv in levels]
        rows = [[(n, False)] + [(f"{a:.3f}", False) for a in c[kind]["auc"]] for n, c in curves.items()]
        out.append((f"Robustness: ROC-AUC under {kind}", header, rows))
    return out


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
        cells = [name, rule, f"{at['coverage']:.3f}", fmt(at["accuracy_covered"])]
        cells.append(fmt(at["accuracy_all"]))
        cov = curves["coverage"]
        for band in (0.1, 0.2):
            i = min(range(len(cov["band"])), key=lambda k: abs(cov["band"][k] - band))
            cells.append(f"{cov['coverage'][i]:.3f} / {fmt(cov['accuracy'][i])}")
        rows.append([(c, False) for c in cells])
    title = "Verdict coverage: share of out-of-fold images given a verdict, and its accuracy"
    return [(title, header, rows)]
