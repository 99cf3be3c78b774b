"""The reports of a results dict: Markdown, one self-contained HTML page, and both written to a folder.

A results dict is what evaluation returns and stores as ``results.json``:
a feature-set comparison (``run_experiment``, optionally with a
``robustness`` entry), or a leave-one-source-out run (``run_loso``, whose
``protocol`` is ``"loso"``). Both reports draw the same tables.
"""

import logging
from pathlib import Path

from .._atomic import atomic_write_bytes, atomic_write_text

logger = logging.getLogger(__name__)


def _is_loso(results):
    return results.get("protocol") == "loso"


def render_markdown(results, figures=None, title=None):
    """The Markdown report: metadata, every table, and links to figure files.

    Parameters
    ----------
    results : dict
        A feature-set comparison, or a leave-one-source-out run (whose
        report has no figures and keeps its own title).
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
    >>> from facetruth.reports import render_markdown
    >>> summary = {"auc": {"mean": 0.91, "std": 0.02}}
    >>> fft = {"families": ["fft"], "n_features": 64, "summary": summary,
    ...        "folds": [{"repeat": 0, "fold": 0, "auc": 0.91}]}
    >>> text = render_markdown({"feature_sets": {"fft": fft}, "best": "fft", "meta": {"data_name": "demo"}})
    >>> print(text.split("\\n## ")[0])
    # FaceTruth experiment: demo
    <BLANKLINE>
    Feature set: **fft** (one set, so no column has a best value).
    <BLANKLINE>
    >>> "| fft | 0.910 ± 0.020 |" in text, "## Run metadata" in text
    (True, True)
    """
    if _is_loso(results):
        from ._loso import loso_markdown

        return loso_markdown(results)
    from ._experiment import experiment_markdown

    return experiment_markdown(results, figures, title)


def render_html(results, figures=None, title=None):
    """The report as one self-contained HTML page: inline CSS, every image a data URI.

    The page is rendered from Jinja2 templates with autoescaping on: a file
    name or title in ``results`` never becomes markup.

    Parameters
    ----------
    results : dict
        A feature-set comparison, or a leave-one-source-out run (whose
        page has no figures and keeps its own title).
    figures : dict of str to bytes, default=None
        Figure title to PNG bytes; by default every figure of the
        comparison, rendered here.
    title : str, default=None
        As in :func:`render_markdown`.

    Returns
    -------
    page : str

    Examples
    --------
    >>> from facetruth.reports import render_html
    >>> summary = {"auc": {"mean": 0.91, "std": 0.02}}
    >>> fft = {"families": ["fft"], "n_features": 64, "summary": summary,
    ...        "folds": [{"repeat": 0, "fold": 0, "auc": 0.91}]}
    >>> page = render_html({"feature_sets": {"fft": fft}, "best": "fft"}, figures={}, title="A & B")
    >>> page.startswith("<!DOCTYPE html>"), "<title>A &amp; B</title>" in page
    (True, True)
    """
    if _is_loso(results):
        from ._loso import loso_html

        return loso_html(results)
    from ._experiment import experiment_html

    return experiment_html(results, figures, title)


def write_report(results, out_dir, title=None):
    """Write ``report.md`` and a self-contained ``report.html`` into ``out_dir``.

    The figures of a comparison are also written as PNG files under
    ``out_dir/figures``, which the Markdown report links to.

    Parameters
    ----------
    results : dict
        A feature-set comparison (``results.json`` of an experiment),
        optionally with a ``robustness`` entry; or a leave-one-source-out run.
    out_dir : str or os.PathLike
        Made if missing.
    title : str, default=None
        The title of both reports; by default the ``title`` of the run's
        metadata, else ``"FaceTruth experiment: "`` and the data set's name.
        (A leave-one-source-out report keeps its own title.)

    Returns
    -------
    paths : list of pathlib.Path
        ``report.md`` and ``report.html``.

    Examples
    --------
    >>> import tempfile
    >>> from facetruth.reports import write_report
    >>> results = {"protocol": "loso", "best": "fft", "meta": {"data_name": "demo"},
    ...            "sources": {"gan": {"n_real": 4, "n_fake": 4}},
    ...            "feature_sets": {"fft": {"held_out": {"gan": {"auc": 0.8}}, "mean_auc": 0.8}}}
    >>> [path.name for path in write_report(results, tempfile.mkdtemp())]
    ['report.md', 'report.html']
    """
    out_dir = Path(out_dir)
    md, html = out_dir / "report.md", out_dir / "report.html"
    if _is_loso(results):
        atomic_write_text(md, render_markdown(results))
        atomic_write_text(html, render_html(results))
        logger.info("wrote %s and %s", md, html)
        return [md, html]
    from ._experiment import figures

    figs = figures(results)
    md_figs = {}
    for fig_title, png in figs.items():
        name = "fig_" + "".join(c if c.isalnum() else "_" for c in fig_title.lower()).strip("_") + ".png"
        atomic_write_bytes(out_dir / "figures" / name, png)
        md_figs[fig_title] = f"figures/{name}"
    atomic_write_text(md, render_markdown(results, md_figs, title))
    atomic_write_text(html, render_html(results, figs, title))
    logger.info("wrote %s and %s", md, html)
    return [md, html]
