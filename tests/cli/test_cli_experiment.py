import json

from facetruth.cli import main


def test_experiment_records_its_classifier(tiny_set, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["experiment", "--data", str(tiny_set), "--sets", "fft", "--folds", "3", "--face", "off"]
    args += ["--confidence", "0.9"]
    assert main([*args, "--classifier", "logistic_cv", "--image-size", "48", "--out", str(out)]) == 0
    meta = json.loads((out / "results.json").read_text())["meta"]
    assert meta["confidence"] == 0.9  # reached every fold's detector
    assert meta["classifier"].startswith("logistic regression (C by inner 3-fold AUC)")
    # what re-runs it, from which source, on which CPU
    assert (
        meta["command"].startswith("facetruth experiment --data ")
        and "--classifier logistic_cv" in meta["command"]
    )
    assert meta["commit"] is None or len(meta["commit"].split("+")[0]) == 40
    assert "isa" in meta["machine"] and "manifest_sha256" in meta
    report = (out / "report.md").read_text()
    assert "logistic regression" in report
    assert "Verdict coverage" in report and "coverage_and_accuracy" in report.lower().replace(" ", "_")
    at_band = json.loads((out / "results.json").read_text())["feature_sets"]["fft"]["curves"]["at_band"]
    assert 0 <= at_band["coverage"] <= 1 and at_band["band"] == 0  # the folds' own cutoffs, no band
    assert 0 <= at_band["real_cutoff"] < at_band["fake_cutoff"] <= 1
    assert "fake ≥" in report  # the coverage table names the cutoffs


def test_experiment_on_local_dask_workers_with_alignment_and_extra_rows(tiny_set, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["experiment", "--data", str(tiny_set), "--sets", "fft", "--folds", "3", "--image-size", "48"]
    args += ["--dask-workers", "2", "--align", "canonical", "--augment", "robust", "--out", str(out)]
    assert main(args) == 0
    meta = json.loads((out / "results.json").read_text())["meta"]
    assert meta["align"] == "canonical" and meta["augment"] == "robust"
    assert meta["extra_training_rows"] == {"augment": 48}
    assert (out / "shards" / "manifest.json").is_file() and (out / "cache").is_dir()
    assert "Dask: features of 48 images" in capsys.readouterr().err
