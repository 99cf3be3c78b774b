"""``facetruth demo``: its model, report and card, and a cold predict with its model that needs no torch."""

import contextlib
import io
import json
import subprocess
import sys

import pytest

from facetruth.cli import main


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """``facetruth demo`` with its default features: ``(output folder, printed text)``."""
    out = tmp_path_factory.mktemp("demo") / "demo"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        # the smallest demo whose detector passes the weak-model check honestly (24 fft images rank
        # their out-of-fold fakes below the reals, so their calibration is flat and the model refused)
        assert main(["demo", "--out", str(out), "--n", "48"]) == 0
    return out, printed.getvalue()


def test_demo_writes_model_and_report(demo):
    out, printed = demo
    assert "facetruth serve" in printed and "not evidence of accuracy" in printed
    assert "a demo, not a detector" in printed
    assert (out / "model.joblib").is_file() and (out / "model.joblib.json").is_file()
    html = (out / "experiment" / "report.html").read_text()
    assert "<img" in html and "data:image/png;base64," in html
    results = json.loads((out / "demo_results.json").read_text())
    assert results["test"]["n"] >= 16


def test_the_demo_model_card_marks_a_demo(demo, tiny_set, tmp_path):
    from facetruth.models._persistence import read_model_card

    out, _ = demo
    card = read_model_card(out / "model.joblib")
    assert card["demo"] is True and "not a detector" in card["demo_note"]
    assert card["features"] == ["fft", "dct", "noise", "lbp"]  # no network: the handcrafted families
    trained = tmp_path / "model.joblib"
    assert (
        main(["train", "--data", str(tiny_set), "--features", "fft", "--face", "off", "--out", str(trained)])
        == 0
    )
    assert "demo" not in read_model_card(trained)  # only the demo's model is marked


def _run(code):
    """Run ``code`` in a fresh interpreter; its last line of stdout, parsed as JSON."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_scoring_an_image_with_the_demo_model_never_imports_torch(demo):
    out, _ = demo
    image = sorted((out / "data" / "test").rglob("*.png"))[0]
    code = (
        "import json, sys\n"
        "import facetruth\n"
        f"model = facetruth.load({str(out / 'model.joblib')!r})\n"
        f"rows = facetruth.predict_items(model, [{str(image)!r}])\n"
        "assert rows[0].error is None and rows[0].prob_fake is not None, rows[0]\n"
        "print(json.dumps([m for m in ('torch', 'torchvision', 'timm') if m in sys.modules]))"
    )
    assert _run(code) == []


def test_a_cold_facetruth_predict_with_the_demo_model_never_imports_torch(demo):
    out, _ = demo
    image = sorted((out / "data" / "test").rglob("*.png"))[0]
    argv = ["facetruth", "predict", str(out / "model.joblib"), str(image)]
    code = (
        "import atexit, json, runpy, sys\n"
        f"sys.argv = {argv!r}\n"
        "atexit.register(lambda: print(json.dumps('torch' in sys.modules)))\n"
        "runpy.run_module('facetruth', run_name='__main__')"
    )
    assert _run(code) is False
