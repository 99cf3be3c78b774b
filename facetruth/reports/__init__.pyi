# The public names of facetruth.reports: __init__.py loads each from its private module
# on first use (lazy_loader.attach_stub reads this file). Only `from .module import name`
# lines: a name whose home is another package is imported from there.

__all__ = [
    "markdown_table",
    "render_audit",
    "render_html",
    "render_markdown",
    "robustness_png",
    "robustness_tables",
    "write_report",
]

from ._audit import render_audit
from ._cells import markdown_table
from ._plots import robustness_png
from ._report import render_html, render_markdown, write_report
from ._tables import robustness_tables
