"""How the reports read: on a phone, with their labels, captions and titles; rendered from small results dicts."""

import re

import pytest

from facetruth.reports import render_html, render_markdown, write_report
from facetruth.reports._experiment import ROC_NOTE, figure_captions
from facetruth.reports._plots import roc_legend, sets_title
from facetruth.reports._tables import tables

SETS = ("fft", "dct")


def _fold(repeat, fold, auc):
    return {"repeat": repeat, "fold": fold, "auc": auc}


def _set(name, auc, n_repeats=1, videos=False):
    stat = {"mean": auc, "std": 0.01}
    summary = {k: dict(stat) for k in ("auc", "ap", "accuracy", "balanced_accuracy", "precision")}
    summary.update({k: dict(stat) for k in ("recall", "f1", "eer", "brier")})
    res = {
        "families": [name],
        "n_features": 4,
        "extraction_ms_per_image": {name: 1.0},
        "summary": summary,
        "folds": [_fold(r, f, auc) for r in range(n_repeats) for f in range(3)],
        "confusion": [[5, 1], [2, 4]],
        "curves": {
            "roc": {"fpr": [0, 0.5, 1], "tpr": [0, 0.9, 1]},
            "pr": {"recall": [0, 1], "precision": [1, 0.5]},
            "reliability": {"mean_predicted": [0.2, 0.8], "fraction_fake": [0.1, 0.9], "count": [6, 6]},
            "oof_auc": auc + 0.005,
        },
    }
    if videos:
        res["video_summary"] = summary
    return res


def _results(n_repeats=1, videos=False, **meta):
    sets = {n: _set(n, 0.9 - 0.1 * i, n_repeats, videos) for i, n in enumerate(SETS)}
    return {
        "feature_sets": sets,
        "best": "fft",
        "families": {},
        "errors": [
            {
                "kind": "false positive",
                "path": "real/very_long_file_name-0003.png",
                "prob_fake": 0.91,
                "feature_set": "fft",
                "thumbnail_jpeg_b64": "",
            }
        ],
        "meta": {
            "data_name": "train",
            "counts": {"real": 539, "fake": 650},
            "n_groups": 80,
            "folds": 3,
            "repeats": n_repeats,
            **meta,
        },
    }


@pytest.fixture(scope="module")
def html():
    results = _results()
    return render_html(results, {"ROC curves": b"png"})


def test_every_table_scrolls_sideways_and_the_page_fits_a_phone(html):
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert html.count("<table") == html.count("<div class='scroll'><table") > 3
    css = html.split("<style>")[1].split("</style>")[0]
    assert ".scroll{overflow-x:auto" in css and "img{max-width:100%" in css
    assert "max-width:1200px" in css


def test_gallery_captions_wrap_at_separators_never_inside_a_word(html):
    css = html.split("<style>")[1].split("</style>")[0]
    assert "break-all" not in css and "word-break:normal" in css.split(".gallery figcaption{")[1]
    caption = html.split("<div class='gallery'>")[1].split("</figcaption>")[0]
    assert "real/<wbr>very_<wbr>long_<wbr>file_<wbr>name-<wbr>0003.png" in caption
    assert "P(fake)&nbsp;=&nbsp;0.910" in caption


def test_metadata_is_a_headed_table_with_counts_in_words(html):
    results = _results()
    metadata = html.split("<h2>Run metadata</h2>")[1]
    assert "<th>setting</th><th>value</th>" in metadata and "<th></th>" not in metadata
    assert ">real: 539, fake: 650 (80 groups; 0 skipped)</td>" in metadata
    assert "{" not in metadata
    text = render_markdown(results).split("## Run metadata")[1]
    assert "| setting | value |" in text and "| items | real: 539, fake: 650 (80 groups; 0 skipped) |" in text
    assert "| folds | 3 folds |" in text


def test_fold_columns_are_counted_from_one():
    text = render_markdown(_results())
    assert "## ROC-AUC per fold (3 folds)\n\n| feature set | fold 1 | fold 2 | fold 3 |" in text
    assert not re.search(r"\br\d+f\d+\b", text)
    text = render_markdown(_results(n_repeats=2))
    assert "## ROC-AUC per fold (3 folds × 2 repeats)" in text
    assert "| repeat 1, fold 1 |" in text and "| repeat 2, fold 3 |" in text
    assert "| folds | 3 folds × 2 repeats |" in text


def test_frame_level_is_said_only_of_videos():
    text = render_markdown(_results())
    assert "frame" not in text and "## Cross-validated comparison\n" in text
    text = render_markdown(_results(videos=True))
    assert "## Cross-validated comparison (frame level)" in text and "## Video level" in text


def test_the_roc_legend_says_which_auc_is_pooled_and_which_the_fold_mean():
    res = _set("fft", 0.96)
    assert roc_legend("fft", res["curves"], res["summary"]) == (
        "fft: pooled over folds 0.965; mean of folds 0.960 ± 0.010"
    )
    assert roc_legend("fft", {"oof_auc": 0.9}) == "fft: pooled over folds 0.900"
    caption = figure_captions(_results())["ROC curves"]
    assert ROC_NOTE in caption and "pooled" in ROC_NOTE.lower() and "mean of folds" in ROC_NOTE.lower()


def test_every_figure_names_the_feature_sets_it_shows():
    results = _results()
    results["spectrum"] = {
        "radius": [0.5],
        "real_mean": [0],
        "real_std": [0],
        "fake_mean": [0],
        "fake_std": [0],
    }
    results["robustness"] = {"curves": {"dct": {"jpeg": {"levels": [90], "auc": [0.8]}}}}
    for title, caption in figure_captions(results).items():
        if title.startswith("Mean log spectrum"):
            assert "before any feature set" in caption
        elif title == "Robustness curves":
            assert caption == "Feature sets: dct."
        else:
            assert caption.startswith("Feature set") and "fft" in caption, title
    assert sets_title("ROC", SETS) == "ROC: fft, dct"
    assert max(len(line) for line in sets_title("ROC", ["clip+handcrafted"] * 6, 30).split("\n")) <= 30


def test_captions_follow_the_figures_in_markdown_and_html(tmp_path):
    results = _results()
    write_report(results, tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert "![ROC curves](figures/fig_roc_curves.png)\n\n*ROC curves.* Feature sets: fft, dct. " in text
    page = (tmp_path / "report.html").read_text()
    assert "<figcaption><b>ROC curves.</b> Feature sets: fft, dct. Pooled over folds" in page


def test_the_title_comes_from_the_caller_or_the_run(tmp_path):
    assert render_markdown(_results()).startswith("# FaceTruth experiment: train\n")
    assert render_markdown(_results(title="FaceTruth demo: fft")).startswith("# FaceTruth demo: fft\n")
    write_report(_results(), tmp_path, title="FaceTruth demo: fft, dct")
    assert (tmp_path / "report.md").read_text().startswith("# FaceTruth demo: fft, dct\n")
    assert "<title>FaceTruth demo: fft, dct</title>" in (tmp_path / "report.html").read_text()


def _thumbnail():
    import base64
    import io

    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.full((96, 96, 3), 128, np.uint8)).save(buf, "JPEG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


# the characters after which the line broke, for each caption path that wrapped
_BREAKS = """
return Array.from(document.querySelectorAll('.gallery .path')).map(span => {
  const text = span.firstChild ? span.textContent : '';
  const breaks = [];
  let top = null, offset = 0;
  for (const node of span.childNodes) {
    if (node.nodeType !== Node.TEXT_NODE) continue;
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i); range.setEnd(node, i + 1);
      const y = range.getBoundingClientRect().top;
      if (top !== null && y > top + 2) breaks.push(text[offset + i - 1]);
      top = y;
    }
    offset += node.length;
  }
  return [text, breaks];
});
"""


@pytest.mark.browser
def test_on_a_phone_only_tables_scroll_and_paths_wrap_at_separators(tmp_path, phone):
    results = _results()
    long_path = "fake/self_blending/a_rather_long_generated_file_name_0006.png"
    results["errors"] += [dict(results["errors"][0], path=long_path) for _ in range(3)]
    for error in results["errors"]:
        error["thumbnail_jpeg_b64"] = _thumbnail()
    write_report(results, tmp_path)
    driver = phone
    driver.get((tmp_path / "report.html").as_uri())
    width = driver.execute_script("return window.innerWidth;")
    assert width == 390
    assert driver.execute_script("return document.documentElement.scrollWidth;") <= width
    boxes = driver.execute_script(
        "return Array.from(document.querySelectorAll('table')).map(t => "
        "[t.parentElement.className, t.parentElement.getBoundingClientRect().right]);"
    )
    assert boxes and all(cls == "scroll" and right <= width for cls, right in boxes)
    images = driver.execute_script(
        "return Array.from(document.images).map(i => i.getBoundingClientRect().right);"
    )
    assert images and max(images) <= width
    wrapped = driver.execute_script(_BREAKS)
    assert any(breaks for _, breaks in wrapped), "no caption path wrapped: the test shows nothing"
    for text, breaks in wrapped:
        assert set(breaks) <= set("/\\_-"), f"{text!r} broke inside a word after {breaks}"


def _one_set(**summary):
    results = _results()
    results["feature_sets"] = {"fft": results["feature_sets"]["fft"]}
    results["feature_sets"]["fft"]["summary"].update(summary)
    results["audit"] = {"nuisance_auc": 0.93, "warning": True, "advice": "Re-crop.", "model_aucs": {}}
    return results


def test_nothing_is_bold_with_one_feature_set_not_even_the_audit_warning():
    results = _one_set()
    text = render_markdown(results)
    assert "in bold" not in text and "Feature set: **fft**" in text
    comparison = text.split("## Cross-validated comparison")[1].split("## Run metadata")[0]
    assert "**" not in comparison
    assert "| shortcut audit (nuisance properties only) | 0.930 (warning) |" in comparison
    page = render_html(results, {})
    assert "in bold" not in page
    tables = page.split("<h2>")[1:]
    assert not any("<b>" in t for t in tables if t.startswith(("Cross-validated", "Shortcut audit")))


def test_the_best_is_bold_only_where_values_differ():
    results = _results()  # fft 0.9, dct 0.8 in every metric
    header, rows = tables(results)[0][1:]
    auc = header.index("ROC-AUC")
    assert rows[0][auc] == ("0.900 ± 0.010", True) and rows[1][auc][1] is False
    results["feature_sets"]["dct"]["summary"]["auc"] = {"mean": 0.9, "std": 0.02}
    header, rows = tables(results)[0][1:]
    assert not rows[0][auc][1] and not rows[1][auc][1]  # a tie: nothing to point at
    assert "in bold" in render_markdown(results)


def test_undefined_metrics_read_n_a_in_markdown_and_html():
    results = _one_set(precision={"mean": None, "std": None}, auc={"mean": None, "std": None})
    text = render_markdown(results)
    assert "| fft | n/a | 0.900 ± 0.010 |" in text
    more = text.split(": more metrics")[1].split("## ")[0]
    assert "| fft | 0.900 ± 0.010 | n/a |" in more and "0.000 ±" not in more
    assert "<td>n/a</td>" in render_html(results, {})


def test_the_main_table_holds_the_key_columns_and_the_rest_follows():
    results = _results()
    curves = results["feature_sets"]["fft"]["curves"]
    curves["at_band"] = {"band": 0.1, "coverage": 0.8123, "accuracy_covered": 0.9, "accuracy_all": 0.85}
    curves["coverage"] = {"band": [0, 0.1, 0.2], "coverage": [1, 0.8, 0.0], "accuracy": [0.85, 0.9, None]}
    (main_title, main, rows), (more_title, more, _), (kinds_title, kinds, _) = tables(results)[:3]
    assert main == ["feature set", "ROC-AUC", "accuracy", "coverage", "AP", "EER"]
    assert rows[0][3] == ("0.812", False) and rows[1][3] == ("–", False)  # dct: not measured
    assert more == ["feature set", "bal. acc.", "precision", "recall", "F1", "Brier"]
    assert kinds == ["feature set", "families", "features", "ms/image"]
    assert main_title == "Cross-validated comparison" and "more metrics" in more_title
    coverage = render_markdown(results).split("## Verdict coverage")[1].split("## ")[0]
    assert "| 0.000 / n/a |" in coverage  # no verdict given at that band: no accuracy to state
