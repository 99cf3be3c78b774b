"""The Jinja2 environment of the report pages, and the view of a table that its templates draw.

The templates live in ``facetruth/reports/templates``; every value they
show is escaped (autoescaping is on), so a file name or a title from a
results dict can never inject markup into a page.
"""

import functools
import re

#: a cell of prose, which may wrap; numbers stay on one line
_LONG = "long"
#: a cell of a column of words (families, a rule), set to the left
_TEXT = "txt"
_FIGURE = re.compile(r"[-+−]?[\d.]")  # a cell that starts as a number does
_EMPTY = ("–", "n/a", "")
#: the last header of a two-column table of names and prose values, which wraps to the page
_KV_HEADERS = ("value", "why")


@functools.cache
def environment():
    """The Jinja2 environment of the report templates, with autoescaping on.

    Examples
    --------
    >>> from facetruth.reports._html import environment
    >>> environment().autoescape, "experiment.html" in environment().list_templates()
    (True, True)
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("facetruth.reports", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["wrap_path"] = wrap_path
    return env


def render_page(template, **context):
    """Render the template named ``template`` with ``context``."""
    return environment().get_template(template).render(**context)


def wrap_path(path):
    """A path, escaped, that may wrap after its separators but never inside a name.

    Examples
    --------
    >>> from facetruth.reports._html import wrap_path
    >>> str(wrap_path("real/a_<b>.png"))
    "<span class='path'>real/<wbr>a_<wbr>&lt;b&gt;.png</span>"
    """
    from markupsafe import Markup, escape

    text = str(escape(str(path)))
    for sep in ("/", "\\", "_", "-"):
        text = text.replace(sep, sep + "<wbr>")
    return Markup(f"<span class='path'>{text}</span>")


def _text_columns(header, rows):
    """Positions of the columns (after the first) whose cells are words, not figures: set to the left."""
    out = set()
    for j in range(1, len(header)):
        cells = [row[j][0] for row in rows if j < len(row) and row[j][0] not in _EMPTY]
        if cells and not any(_FIGURE.match(text) for text in cells):
            out.add(j)
    return out


def table_view(title, header, rows):
    """What the ``table`` macro of the templates draws: the cells with their classes.

    Parameters
    ----------
    title : str
    header : list of str
        No ``<thead>`` when every heading is empty.
    rows : list of list of (str, bool)
        Each cell's text and whether it is in bold.

    Returns
    -------
    view : dict
        ``title``, ``kv`` (a two-column table of names and prose),
        ``head`` (cells of ``text`` and ``cls``, or None) and ``rows``
        (cells of ``text``, ``bold`` and ``cls``).

    Examples
    --------
    >>> from facetruth.reports._html import table_view
    >>> view = table_view("T", ["feature set", "families"], [[("fft", False), ("fft", False)]])
    >>> view["rows"][0][1]
    {'text': 'fft', 'bold': False, 'cls': 'txt'}
    """
    text = _text_columns(header, rows)

    def cls(j, t=""):
        return _LONG if len(t) > 40 else _TEXT if j in text else ""

    head = [{"text": h, "cls": cls(j)} for j, h in enumerate(header)] if any(header) else None
    body = [[{"text": t, "bold": bool(b), "cls": cls(j, t)} for j, (t, b) in enumerate(row)] for row in rows]
    kv = len(header) == 2 and header[1] in _KV_HEADERS
    return {"title": title, "kv": kv, "head": head, "rows": body}
