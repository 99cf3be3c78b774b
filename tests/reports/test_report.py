"""Markdown and self-contained HTML reports, and re-rendering them from results.json."""

import base64
import json
import re

import pytest

from facetruth.cli import main
from facetruth.data import load_dataset
from facetruth.evaluation import make_detector, run_experiment
from facetruth.pipelines import build_features, build_loader
from facetruth.reports import render_markdown, write_report
from facetruth.reports._tables import metric_table

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run_dir(tiny_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    estimators = build_loader("off", 48), build_features("fft,dct"), make_detector(device="cpu")
    results = run_experiment(load_dataset(tiny_set), *estimators, ["fft", "dct", "spectral"], n_splits=3)
    (out / "results.json").write_text(json.dumps(results))
    write_report(results, out)
    return out


def _results(run_dir):
    return json.loads((run_dir / "results.json").read_text())


def test_metric_table_bolds_the_best_of_each_column():
    def res(auc, eer):
        stat = {
            k: {"mean": 0.5, "std": 0.0}
            for k in ("ap", "accuracy", "balanced_accuracy", "precision", "recall", "f1", "brier")
        }
        stat.update(auc={"mean": auc, "std": 0.01}, eer={"mean": eer, "std": 0.01})
        return {
            "families": ["fft"],
            "n_features": 3,
            "extraction_ms_per_image": {"fft": 1.0},
            "summary": stat,
        }

    header, rows = metric_table({"a": res(0.9, 0.2), "b": res(0.8, 0.1)})
    auc, eer = header.index("ROC-AUC"), header.index("EER")
    assert rows[0][auc] == ("0.900 ± 0.010", True) and rows[1][auc][1] is False
    assert rows[1][eer] == ("0.100 ± 0.010", True) and rows[0][eer][1] is False  # lower EER is better


def test_markdown_has_every_table(run_dir):
    text = (run_dir / "report.md").read_text()
    for title in (
        "Cross-validated comparison",
        "ROC-AUC per fold",
        "Feature extraction cost",
        "gain share per family",
        "Run metadata",
    ):
        assert title in text
    assert text.count("\n| spectral |") >= 2
    assert "**" in text  # best values in bold
    results = _results(run_dir)
    assert results["meta"]["manifest_sha256"] in text
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        assert (run_dir / link).read_bytes().startswith(PNG_MAGIC)


def test_html_is_self_contained_and_images_decode(run_dir):
    html = (run_dir / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)=["'](?!data:)""", html), "external resource referenced"
    assert "http://" not in html and "https://" not in html
    sources = re.findall(r'<img src="data:image/(png|jpeg);base64,([^"]+)"', html)
    pngs = [base64.b64decode(data) for kind, data in sources if kind == "png"]
    assert len(pngs) >= 6  # ROC, PR, reliability, confusion, importance, spectrum
    assert all(p.startswith(PNG_MAGIC) for p in pngs)
    errors = _results(run_dir)["errors"]
    assert sum(kind == "jpeg" for kind, _ in sources) == len(errors)
    for section in (
        "ROC curves",
        "Precision-recall",
        "Reliability",
        "Confusion matrix",
        "Mean log spectrum",
        "Run metadata",
    ):
        assert section in html


def test_report_command_rerenders_from_results_json(run_dir, tmp_path, capsys):
    assert main(["report", str(run_dir), "--out", str(tmp_path)]) == 0
    assert "report.html" in capsys.readouterr().out
    assert (tmp_path / "report.html").read_text() == (run_dir / "report.html").read_text()


def test_report_includes_robustness_when_present(run_dir, tmp_path):
    results = _results(run_dir)
    results["robustness"] = {
        "curves": {
            "fft": {
                "jpeg": {"levels": [100, 50], "auc": [0.99, 0.7]},
                "blur": {"levels": [0, 2], "auc": [0.99, 0.6]},
            }
        },
        "labels": {"jpeg": "JPEG quality", "blur": "sigma"},
    }
    text = render_markdown(results)
    assert "Robustness: ROC-AUC under jpeg" in text and "| fft | 0.990 | 0.700 |" in text
    write_report(results, tmp_path)
    assert "Robustness curves" in (tmp_path / "report.html").read_text()


def test_report_command_without_results_fails_cleanly(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "results.json" in capsys.readouterr().err


def test_the_shortcut_audit_stands_beside_the_feature_sets(run_dir):
    results = _results(run_dir)
    audit = results["audit"]
    assert 0 <= audit["nuisance_auc"] <= 1 and audit["counts"] == {"real": 24, "fake": 24}
    text = (run_dir / "report.md").read_text()
    comparison = text.split("## Cross-validated comparison")[1].split("## ")[0]
    auc = f"{audit['nuisance_auc']:.3f}" + (" (warning)" if audit["warning"] else "")
    assert f"| shortcut audit (nuisance properties only) | {auc} | – |" in comparison  # never bold
    kinds = text.split("## Feature sets")[1].split("## ")[0]
    assert "| shortcut audit (nuisance properties only) | file, encoding, face geometry |" in kinds
    assert "## Shortcut audit" in text and audit["advice"] in text
    assert audit["top_features"][0]["name"] in text
    assert "shortcut audit (nuisance properties only)" in (run_dir / "report.html").read_text()
    del results["audit"]  # results written before the audit still render
    assert "Shortcut audit" not in render_markdown(results)
