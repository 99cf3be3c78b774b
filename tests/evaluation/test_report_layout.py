"""How the reports read: on a phone, with their labels, captions and titles; rendered from small results dicts."""

import re

import pytest

from facetruth.evaluation import render_markdown, write_report
from facetruth.evaluation._plots import roc_legend, sets_title
from facetruth.evaluation._report_html import ROC_NOTE, figure_captions, render_html

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
def test_on_a_phone_only_tables_scroll_and_paths_wrap_at_separators(tmp_path, chromium):
    results = _results()
    long_path = "fake/self_blending/a_rather_long_generated_file_name_0006.png"
    results["errors"] += [dict(results["errors"][0], path=long_path) for _ in range(3)]
    for error in results["errors"]:
        error["thumbnail_jpeg_b64"] = _thumbnail()
    write_report(results, tmp_path)
    driver = chromium("390,844")
    driver.get((tmp_path / "report.html").as_uri())
    width = driver.execute_script("return window.innerWidth;")
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
