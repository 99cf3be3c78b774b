import json

from facetruth.cli import main


def test_demo_writes_model_and_report(tmp_path, capsys):
    out = tmp_path / "demo"
    # the smallest demo whose detector passes the weak-model check honestly (24 fft images rank
    # their out-of-fold fakes below the reals, so their calibration is flat and the model refused)
    assert main(["demo", "--out", str(out), "--n", "48", "--features", "noise"]) == 0
    printed = capsys.readouterr().out
    assert "facetruth serve" in printed and "not evidence of accuracy" in printed
    assert (out / "model.joblib").is_file() and (out / "model.joblib.json").is_file()
    html = (out / "experiment" / "report.html").read_text()
    assert "<img" in html and "data:image/png;base64," in html
    results = json.loads((out / "demo_results.json").read_text())
    assert results["test"]["n"] >= 16
