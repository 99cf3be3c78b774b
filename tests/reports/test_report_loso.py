"""The leave-one-source-out report: sets × held-out sources, the audit per source, re-rendering."""

import json
import re

import pytest

from facetruth.cli import main
from facetruth.evaluation import make_detector, run_loso
from facetruth.pipelines import build_features, build_loader
from facetruth.reports import render_markdown, write_report

SOURCES = ("gan", "blend", "swap")


@pytest.fixture(scope="module")
def loso_dir(three_sources, tmp_path_factory):
    estimators = build_loader("off", 32), build_features("fft,dct"), make_detector("logistic", inner_cv=2)
    results = run_loso(three_sources, *estimators, ["fft", "dct", "spectral"])
    out = tmp_path_factory.mktemp("loso_run")
    (out / "results.json").write_text(json.dumps(results))
    write_report(results, out)
    return out


def _table(text, title):
    section = text.split(f"## {title}")[1].split("\n## ")[0]
    return [line for line in section.splitlines() if line.startswith("|")]


def test_markdown_table_has_sets_as_rows_and_held_out_sources_as_columns(loso_dir):
    results = json.loads((loso_dir / "results.json").read_text())
    text = (loso_dir / "report.md").read_text()
    lines = _table(text, "Leave one source out: ROC-AUC on the held-out source")
    assert lines[0] == "| feature set | gan | blend | swap | mean |"
    assert [line.split(" | ")[0].strip("| ") for line in lines[2:]] == [
        "fft",
        "dct",
        "spectral",
        "shortcut audit (nuisance AUC of the source)",
    ]
    fft = results["feature_sets"]["fft"]
    cells = [c.strip(" *") for c in lines[2].strip("|").split("|")]
    assert cells[1:] == [f"{fft['held_out'][s]['auc']:.3f}" for s in SOURCES] + [f"{fft['mean_auc']:.3f}"]
    audit_cells = [c.strip() for c in lines[-1].strip("|").split("|")][1:4]
    assert audit_cells == [f"{results['sources'][s]['audit']['nuisance_auc']:.3f}" for s in SOURCES]
    for title in (
        "Average precision on the held-out source",
        "Balanced accuracy on the held-out source",
        "Flag rate on the held-out source",
        "Shortcut audit per source",
        "What the shortcut audit says per source",
        "Run metadata",
    ):
        assert title in text
    flags = _table(text, "Flag rate on the held-out source: fakes called fake / reals called fake")
    m = fft["held_out"]["gan"]
    assert f"{m['flag_rate_fake']:.2f} / {m['flag_rate_real']:.2f}" in flags[2]
    assert results["meta"]["manifest_sha256"] in text and "never from the held-out source" in text
    metadata = text.split("## Run metadata")[1]
    assert "| setting | value |" in metadata and "|  |  |" not in metadata
    counts = results["meta"]["counts"]
    assert f"| items | real: {counts['real']}, fake: {counts['fake']} (" in metadata and "{" not in metadata


def test_html_is_self_contained(loso_dir):
    html = (loso_dir / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<th>mean</th>" in html
    assert not re.search(r"""(src|href)=["']""", html) and "http" not in html
    assert (
        html.count("<table")
        == html.count("<div class='scroll'><table")
        == render_markdown(json.loads((loso_dir / "results.json").read_text())).count("\n|---")
    )


def test_report_command_rerenders_a_loso_run(loso_dir, tmp_path, capsys):
    assert main(["report", str(loso_dir), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "report.md").read_text() == (loso_dir / "report.md").read_text()
    assert (tmp_path / "report.html").read_text() == (loso_dir / "report.html").read_text()
