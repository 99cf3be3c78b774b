"""Tables, plots and pages of FaceTruth's reports, rendered from results dicts.

Evaluation computes; this package only renders what it computed (the
JSON-able ``results`` dicts, as stored in ``results.json``), so a report can
be re-rendered, and a docs page built, from a committed file alone. Pages are
Jinja2 templates with autoescaping on; figures are PNG bytes from
Matplotlib's Agg backend. Nothing here imports evaluation, the web app or the CLI.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
