"""Markdown and HTML reports of an experiment, rendered from its ``results`` dict.

The same tables feed both formats: :func:`~facetruth.evaluation._report_tables.tables` returns them as plain rows,
:func:`render_markdown` writes them as GitHub tables, and
:func:`~facetruth.evaluation._report_html.render_html` as a single
self-contained HTML page with the figures embedded.
"""

import logging
from pathlib import Path

from .._atomic import atomic_write_bytes, atomic_write_text
from ._report_tables import md_table as _md_table
from ._report_tables import metadata_rows, n_compared, tables

logger = logging.getLogger(__name__)


def render_markdown(results, figures=None, title=None):
    """The Markdown report: metadata, every table, and links to figure files.

    Parameters
    ----------
    results : dict
        From :func:`~facetruth.evaluation.run_experiment`, or
        :func:`~facetruth.evaluation.run_loso` (whose report has no figures).
    figures : dict of str to str, default=None
        Figure title to a relative PNG path, linked at the end with its caption.
    title : str, default=None
        The report's title; by default the ``title`` of the run's metadata, else
        ``"FaceTruth experiment: "`` and the data set's name.

    Returns
    -------
    text : str

    Examples
    --------
    >>> import tempfile
    >>> from facetruth.data import load_dataset, make_demo_dataset
    >>> from facetruth.evaluation import make_detector, render_markdown, run_experiment
    >>> from facetruth.pipelines import build_features, build_loader
    >>> folder = tempfile.mkdtemp()
    >>> _ = make_demo_dataset(n=8, size=32, out=folder)
    >>> results = run_experiment(
    ...     load_dataset(folder), build_loader("off", 32), build_features("fft"),
    ...     make_detector("logistic", inner_cv=2), ["fft"], n_splits=2, audit=False,
    ... )
    >>> text = render_markdown(results)
    >>> text.startswith("# FaceTruth experiment"), "## Run metadata" in text
    (True, True)
    """
    if results.get("protocol") == "loso":
        from ._report_loso import render_loso_markdown

        return render_loso_markdown(results)
    from ._report_html import figure_captions, report_title

    parts = [f"# {report_title(results, title)}", ""]
    if n_compared(results) > 1:
        parts.append(
            f"Best feature set by mean ROC-AUC: **{results['best']}**. Best value per column in bold."
        )
    else:
        parts.append(f"Feature set: **{results['best']}** (one set, so no column has a best value).")
    for heading, header, rows in tables(results):
        parts += ["", f"## {heading}", "", _md_table(header, rows)]
    errors = results.get("errors", [])
    if errors:
        parts += ["", f"## Most confident errors ({errors[0]['feature_set']}, out-of-fold)", ""]
        rows = [[(e["kind"], False), (e["path"], False), (f"{e['prob_fake']:.3f}", False)] for e in errors]
        parts.append(_md_table(["error", "file", "P(fake)"], rows))
    captions = figure_captions(results) if figures else {}
    for name, path in (figures or {}).items():
        parts += ["", f"![{name}]({path})"]
        if captions.get(name):
            parts += ["", f"*{name}.* {captions[name]}"]
    parts += [
        "",
        "## Run metadata",
        "",
        _md_table(["setting", "value"], [[(k, False), (str(v), False)] for k, v in metadata_rows(results)]),
    ]
    return "\n".join(parts) + "\n"


def write_report(results, out_dir, title=None):
    """Write ``report.md`` and a self-contained ``report.html`` into ``out_dir``.

    Parameters
    ----------
    results : dict
        From :func:`~facetruth.evaluation.run_experiment` (or ``results.json``),
        optionally with a ``robustness`` entry from
        :func:`~facetruth.evaluation.run_robustness`; or from
        :func:`~facetruth.evaluation.run_loso`.
    out_dir : str or os.PathLike
    title : str, default=None
        The title of both reports; by default the ``title`` of the run's
        metadata, else ``"FaceTruth experiment: "`` and the data set's name.
        (A leave-one-source-out report keeps its own title.)

    Returns
    -------
    paths : list of pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> from facetruth.data import load_dataset, make_demo_dataset
    >>> from facetruth.evaluation import make_detector, run_experiment, write_report
    >>> from facetruth.pipelines import build_features, build_loader
    >>> folder = tempfile.mkdtemp()
    >>> _ = make_demo_dataset(n=8, size=32, out=folder)
    >>> results = run_experiment(
    ...     load_dataset(folder), build_loader("off", 32), build_features("fft"),
    ...     make_detector("logistic", inner_cv=2), ["fft"], n_splits=2, audit=False,
    ... )
    >>> [path.name for path in write_report(results, tempfile.mkdtemp())]
    ['report.md', 'report.html']
    """
    out_dir = Path(out_dir)
    if results.get("protocol") == "loso":
        from ._report_loso import render_loso_html, render_loso_markdown

        md, html = out_dir / "report.md", out_dir / "report.html"
        atomic_write_text(md, render_loso_markdown(results))
        atomic_write_text(html, render_loso_html(results))
        logger.info("wrote %s and %s", md, html)
        return [md, html]
    from ._report_html import figures, render_html

    figs = figures(results)
    md_figs = {}
    for fig_title, png in figs.items():
        name = "fig_" + "".join(c if c.isalnum() else "_" for c in fig_title.lower()).strip("_") + ".png"
        atomic_write_bytes(out_dir / "figures" / name, png)
        md_figs[fig_title] = f"figures/{name}"
    md, html = out_dir / "report.md", out_dir / "report.html"
    atomic_write_text(md, render_markdown(results, md_figs, title))
    atomic_write_text(html, render_html(results, figs, title))
    logger.info("wrote %s and %s", md, html)
    return [md, html]
