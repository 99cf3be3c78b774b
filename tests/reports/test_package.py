"""The reports package: its public names, its layer, its templates and their autoescaping."""

import ast
import fnmatch
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import facetruth.reports
from facetruth.reports import markdown_table, render_audit, render_html, render_markdown, write_report

PACKAGE = Path(facetruth.reports.__file__).parent
ROOT = PACKAGE.parents[1]
PUBLIC = (
    "write_report",
    "render_markdown",
    "render_html",
    "markdown_table",
    "robustness_png",
    "robustness_tables",
    "render_audit",
)
SCRIPT = "<script>alert(1)</script>"


def _experiment_results():
    summary = {"auc": {"mean": 0.9, "std": 0.01}, "accuracy": {"mean": 0.8, "std": 0.02}}
    fft = {
        "families": ["fft"],
        "n_features": 8,
        "extraction_ms_per_image": {"fft": 1.0},
        "summary": summary,
        "folds": [{"repeat": 0, "fold": 0, "auc": 0.9}],
    }
    error = {
        "kind": "false positive",
        "path": f"real/{SCRIPT}.png",
        "prob_fake": 0.97,
        "feature_set": "fft",
        "thumbnail_jpeg_b64": "",
    }
    meta = {"data_name": f"faces{SCRIPT}", "counts": {"real": 4, "fake": 4}}
    return {"feature_sets": {"fft": fft}, "best": "fft", "errors": [error], "meta": meta}


def _loso_results():
    held_out = {"gan": {"auc": 0.8, "skipped": SCRIPT}}
    return {
        "protocol": "loso",
        "best": "fft",
        "meta": {"data_name": SCRIPT},
        "sources": {"gan": {"n_real": 4, "n_fake": 4, "audit": {"nuisance_auc": 0.6, "advice": SCRIPT}}},
        "feature_sets": {"fft": {"held_out": held_out, "mean_auc": 0.8}},
        "errors": [
            {
                "source": "gan",
                "kind": "missed fake",
                "path": SCRIPT,
                "prob_fake": 0.1,
                "feature_set": "fft",
                "thumbnail_jpeg_b64": "AAAA",
            }
        ],
    }


def test_the_public_names_exist_and_each_shows_an_example():
    assert set(PUBLIC) <= set(facetruth.reports.__all__) == set(dir(facetruth.reports))
    for name in facetruth.reports.__all__:
        obj = getattr(facetruth.reports, name)
        assert re.search(r"^Examples\n-{8,}$", inspect.getdoc(obj) or "", re.MULTILINE), name
    with pytest.raises(AttributeError, match="md_table"):
        facetruth.reports.md_table  # noqa: B018


def test_evaluation_no_longer_renders():
    import facetruth.evaluation

    assert not {"write_report", "render_markdown"} & set(dir(facetruth.evaluation))


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = (
                "facetruth" + (f".{node.module}" if node.module else "") if node.level == 2 else node.module
            )
            if node.level == 1:
                base = "facetruth.reports" + (f".{node.module}" if node.module else "")
            yield base or ""


def test_reports_import_nothing_from_evaluation_the_web_app_or_the_cli(tmp_path):
    upper = ("facetruth.evaluation", "facetruth.web", "facetruth.cli")
    found = [
        f"{path.name}: {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for name in _imports(path)
        if name.startswith(upper)
    ]
    assert not found
    code = (
        "import sys, facetruth.reports as r\n"
        f"r.write_report({_loso_results()!r}, sys.argv[1])\n"
        "print([m for m in sys.modules if m.startswith(('facetruth.evaluation', 'facetruth.web', "
        "'facetruth.cli', 'facetruth.pipelines'))])"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_templates_are_package_data():
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "setup")
    package_data = ast.literal_eval(next(k.value for k in call.keywords if k.arg == "package_data"))
    globs = package_data["facetruth.reports"]
    templates = [p.relative_to(PACKAGE).as_posix() for p in (PACKAGE / "templates").iterdir()]
    assert {"base.html", "experiment.html", "loso.html"} <= {Path(t).name for t in templates}
    for name in templates:
        assert any(fnmatch.fnmatch(name, g) for g in globs), f"{name} is not in setup.py's package_data"


def test_a_script_in_a_file_name_or_a_title_comes_out_escaped(tmp_path):
    page = render_html(_experiment_results(), figures={"ROC curves": b"png"}, title=f"T {SCRIPT}")
    assert "<script" not in page
    assert "<title>T &lt;script&gt;alert(1)&lt;/script&gt;</title>" in page
    assert "real/<wbr>&lt;script&gt;alert(1)&lt;/<wbr>script&gt;.png" in page  # the gallery caption
    assert 'alt="real/&lt;script&gt;alert(1)&lt;/script&gt;.png"' in page
    assert "faces&lt;script&gt;" in page  # the run metadata
    assert "P(fake)&nbsp;=&nbsp;0.970" in page  # the template's own markup is kept
    write_report(_loso_results(), tmp_path)
    loso = (tmp_path / "report.html").read_text()
    assert "<script" not in loso and loso.count("&lt;script&gt;") >= 4


def test_markdown_is_not_escaped():
    text = render_markdown(_experiment_results())
    assert f"real/{SCRIPT}.png" in text and "&lt;" not in text
    assert markdown_table(["a"], [[("<b>", False)]]).endswith("| <b> |")


def test_render_audit_of_an_unaudited_set_says_why():
    text = render_audit({"nuisance_auc": None, "warning": False, "error": "one class only"})
    assert "| not audited | one class only |" in text
    assert render_audit(None) == render_audit({}) == ""


def test_rendering_leaves_the_results_untouched():
    results = _experiment_results()
    before = json.dumps(results, sort_keys=True)
    render_html(results, figures={})
    render_markdown(results)
    assert json.dumps(results, sort_keys=True) == before
