"""Several --data sets: one source each, for training, experiments (k-fold or leave one source out)."""

import json

from facetruth.cli import main


def test_train_on_several_sets_trains_on_all(three_sources, tmp_path, capsys):
    out = tmp_path / "m.joblib"
    args = ["train", "--data", *map(str, three_sources), "--features", "fft", "--face", "off"]
    assert main([*args, "--image-size", "48", "--out", str(out)]) == 0
    card = json.loads(out.with_name(out.name + ".json").read_text())
    assert card["training_data"]["counts"] == {"real": 24, "fake": 24}


def test_sets_of_one_class_each_are_joined(three_sources, tmp_path, capsys):
    reals, fakes = three_sources[0] / "real", three_sources[1] / "fake"
    (tmp_path / "r").mkdir(), (tmp_path / "f").mkdir()
    (tmp_path / "r" / "real").symlink_to(reals)
    (tmp_path / "f" / "fake").symlink_to(fakes)
    out = tmp_path / "m.joblib"
    args = ["train", "--data", str(tmp_path / "r"), str(tmp_path / "f"), "--features", "fft", "--face", "off"]
    assert main([*args, "--image-size", "48", "--out", str(out)]) == 0
    assert main(["train", "--data", str(tmp_path / "r"), str(tmp_path / "r"), "--out", str(out)]) == 2
    assert "only one class found together (16 real, 0 fake)" in capsys.readouterr().err


def test_experiment_leaves_each_source_out(three_sources, tmp_path, capsys):
    out = tmp_path / "loso"
    args = ["experiment", "--data", *map(str, three_sources), "--protocol", "loso", "--sets", "fft,dct"]
    args += ["--face", "off", "--image-size", "48", "--classifier", "logistic", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())
    assert results["protocol"] == "loso" and list(results["sources"]) == ["a", "b", "c"]
    assert set(results["feature_sets"]) == {"fft", "dct"}
    for source in "abc":
        assert f"  {source} held out: AUC" in printed
        assert results["sources"][source]["audit"]["counts"] == {"real": 8, "fake": 8}
    assert "| feature set | a | b | c | mean |" in (out / "report.md").read_text()
    assert (out / "report.html").is_file()


def test_loso_on_one_set_is_a_clear_error(tiny_set, tmp_path, capsys):
    args = ["experiment", "--data", str(tiny_set), "--protocol", "loso", "--sets", "fft", "--face", "off"]
    assert main([*args, "--out", str(tmp_path / "run")]) == 2
    assert "at least two sources" in capsys.readouterr().err


def test_kfold_on_several_sets_pools_them_and_reports_the_audit(three_sources, tmp_path, capsys):
    out = tmp_path / "run"
    args = [
        "experiment",
        "--data",
        *map(str, three_sources),
        "--sets",
        "fft",
        "--folds",
        "3",
        "--face",
        "off",
    ]
    assert main([*args, "--protocol", "kfold", "--image-size", "48", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["meta"]["counts"] == {"real": 24, "fake": 24}
    assert [row["source"] for row in results["audit"]["per_source"]] == ["a", "b", "c"]
    assert "shortcut audit: nuisance properties alone reach AUC" in capsys.readouterr().out
    assert "shortcut audit (nuisance properties only)" in (out / "report.md").read_text()
