"""Cells of a report table: ``(text, bold)`` pairs, the value to put in bold, and Markdown tables."""

#: a metric that is undefined on the data (one class in every fold, nothing called fake): ``null`` in JSON
UNDEFINED = "n/a"
#: a cell with nothing to show (a metric the audit row has no counterpart for, a value not recorded)
NO_VALUE = "–"


def fmt(value, digits=3):
    """A value to ``digits`` decimals, or :data:`UNDEFINED` when it is ``None``.

    Examples
    --------
    >>> from facetruth.reports._cells import fmt
    >>> fmt(0.91234), fmt(None), fmt(0.5, 2)
    ('0.912', 'n/a', '0.50')
    """
    return UNDEFINED if value is None else f"{value:.{digits}f}"


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
    >>> from facetruth.reports._cells import best_value
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


def markdown_table(header, rows):
    """A GitHub Markdown table of ``(text, bold)`` cells.

    Parameters
    ----------
    header : list of str
        The column headings.
    rows : list of list of (str, bool)
        Each cell's text and whether it is set in bold (the best value of
        its column, in the reports).

    Returns
    -------
    text : str
        The table's lines, without a final newline.

    Examples
    --------
    >>> from facetruth.reports import markdown_table
    >>> print(markdown_table(["feature set", "ROC-AUC"], [[("fft", False), ("0.912", True)]]))
    | feature set | ROC-AUC |
    |---|---|
    | fft | **0.912** |
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(f"**{t}**" if b else t for t, b in row) + " |")
    return "\n".join(lines)


def counts_text(counts, empty=NO_VALUE):
    """Counts as prose: ``{"real": 539, "fake": 650}`` reads ``"real: 539, fake: 650"``.

    Examples
    --------
    >>> from facetruth.reports._cells import counts_text
    >>> counts_text({"real": 539, "fake": 650}), counts_text({}, empty="none")
    ('real: 539, fake: 650', 'none')
    """
    return ", ".join(f"{k}: {v}" for k, v in (counts or {}).items()) or empty


def plain(pairs):
    """``(key, value)`` pairs as table rows of cells never in bold.

    Examples
    --------
    >>> from facetruth.reports._cells import plain
    >>> plain([("seed", 0)])
    [[('seed', False), ('0', False)]]
    """
    return [[(str(k), False), (str(v), False)] for k, v in pairs]
