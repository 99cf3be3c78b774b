import json

from facetruth.cli import main


def test_demo_writes_model_and_report(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--n", "24", "--features", "fft"]) == 0
    printed = capsys.readouterr().out
    assert "facetruth serve" in printed and "not evidence of accuracy" in printed
    assert (out / "model.joblib").is_file() and (out / "model.joblib.json").is_file()
    html = (out / "experiment" / "report.html").read_text()
    assert "<img" in html and "data:image/png;base64," in html
    results = json.loads((out / "demo_results.json").read_text())
    assert results["test"]["n"] >= 16
