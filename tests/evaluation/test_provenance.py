"""The provenance block of a results file, and the check that tells stale results."""

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from facetruth.data import load_dataset, make_demo_dataset
from facetruth.evaluation import check_results, machine_info, run_record, write_results
from facetruth.evaluation._provenance import (
    PROVENANCE_FORMAT,
    family_probe_features,
    feature_record,
    source_record,
)
from facetruth.models import probe_fingerprint, source_commit

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    """Two small demo sources, ``a`` and ``b``, under one data root."""
    root = tmp_path_factory.mktemp("data")
    make_demo_dataset(8, size=32, out=root / "a")
    make_demo_dataset(8, size=32, random_state=1, out=root / "b")
    return root


@pytest.fixture(scope="module")
def fft_record(data_root):
    used = load_dataset(data_root / "a").subset([0, 1, 2, 3])
    return run_record({data_root / "a": used, data_root / "b": None}, ["fft"], "python make_it.py")


def test_run_record_holds_every_fact(fft_record, data_root):
    record = fft_record
    assert record["format"] == PROVENANCE_FORMAT
    assert record["command"] == "python make_it.py"
    assert record["commit"] == source_commit()
    assert record["date"].endswith("+00:00")
    assert {"isa", "cores", "gpu"} <= set(record["machine"])
    assert record["versions"]["facetruth"] and record["versions"]["python"]
    a, b = record["data"]
    assert (a["name"], a["path"], a["n_items"], a["subset"]["n_items"]) == ("a", "a", 8, 4)
    assert (b["name"], b["subset"], b["as_of"]) == ("b", None, "run")
    assert a["manifest_sha256"] == load_dataset(data_root / "a").manifest_hash()
    (fft,) = record["features"]
    assert (fft["family"], fft["params"], fft["fingerprint"]["features"]["shape"]) == ("fft", {}, [4, 69])


def test_subset_hash_ignores_the_subsets_root(data_root):
    """A subset taken from a concatenation hashes as the same items of the folder."""
    from facetruth.data import concat_datasets

    both = concat_datasets([load_dataset(data_root / "a"), load_dataset(data_root / "b")])
    direct = load_dataset(data_root / "a").subset([0, 1])
    through = both.subset([0, 1])
    assert (
        source_record(data_root / "a", through)["subset"] == source_record(data_root / "a", direct)["subset"]
    )
    whole = source_record(data_root / "a", load_dataset(data_root / "a"))
    assert (
        whole["subset"] is None and whole["manifest_sha256"] == load_dataset(data_root / "a").manifest_hash()
    )


def test_family_names_sets_and_params():
    record = run_record(families={"fft": None, "handcrafted": {}}, command=["python", "x y.py"])
    assert record["command"] == "python 'x y.py'"
    assert [f["family"] for f in record["features"]] == ["fft", "dct", "noise", "lbp"]


def test_commit_covers_the_whole_checkout():
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True)
    if head.returncode:
        pytest.skip("not a git checkout")
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    assert source_commit() == head.stdout.strip() + ("+changes" if dirty else "")


def test_machine_names_no_gpu_without_torch_imported(monkeypatch):
    import sys

    monkeypatch.delitem(sys.modules, "torch", raising=False)
    assert machine_info()["gpu"] is None


def test_write_results_replaces_the_block(tmp_path, fft_record):
    path = write_results(tmp_path / "x" / "results.json", {"auc": 0.5, "provenance": "old"}, fft_record)
    written = json.loads(path.read_text())
    assert written["auc"] == 0.5 and written["provenance"]["commit"] == fft_record["commit"]
    assert not list(path.parent.glob("*.tmp*"))


def _results(tmp_path, record, name="r"):
    write_results(tmp_path / "results" / name / "results.json", {"auc": 0.5}, record)
    return tmp_path / "results"


def test_fresh_then_stale_when_a_source_changes(tmp_path, data_root, fft_record):
    import shutil

    root = tmp_path / "data"
    shutil.copytree(data_root, root)
    record = run_record({root / "a": None, root / "b": None}, ["fft"], "x")
    results = _results(tmp_path, record)
    (status,) = check_results(results, root)
    assert status.fresh and status.reasons == () and status.line() == "fresh  r/results.json"
    extra = next(p for p in sorted((root / "b").rglob("*.png")))
    shutil.copy(extra, extra.with_name(f"new{extra.suffix}"))
    (status,) = check_results(results, root)
    assert not status.fresh
    assert status.reasons == ("source 'b': manifest hash differs from " + str(root / "b") + " now",)
    shutil.rmtree(root / "a")
    (status,) = check_results(results, root)
    assert len(status.reasons) == 2 and "'a' not found" in status.reasons[0]


def test_stale_when_an_image_changes_under_the_same_name(tmp_path, data_root):
    import shutil

    root = tmp_path / "data"
    shutil.copytree(data_root, root)
    record = run_record({root / "a": None}, [], "x")
    assert record["data"][0]["content_sha256"] == load_dataset(root / "a").content_hash()
    results = _results(tmp_path, record)
    image = sorted((root / "a").rglob("*.png"))[0]
    image.write_bytes(image.read_bytes() + b"\0")
    (status,) = check_results(results, root)
    assert status.reasons == ("source 'a': the files' contents differ from " + str(root / "a") + " now",)


def test_stale_when_features_moved(tmp_path, data_root, fft_record):
    record = json.loads(json.dumps(fft_record))
    features = family_probe_features("fft")
    features[0] = features[0] + np.linspace(0, 5, features.shape[1])
    record["features"][0]["fingerprint"] = probe_fingerprint(features)
    (status,) = check_results(_results(tmp_path, record), data_root)
    assert not status.fresh
    assert status.reasons[0].startswith("fft: features on the probe images moved (cosine ")


def test_stale_without_a_record_and_notes_of_a_migration(tmp_path, data_root, fft_record):
    results = tmp_path / "results"
    (results / "old").mkdir(parents=True)
    (results / "old" / "results.json").write_text('{"auc": 0.5}')
    migrated = json.loads(json.dumps(fft_record))
    migrated["features"][0]["as_of"] = "migration"
    write_results(results / "new" / "results.json", {}, migrated)
    new, old = check_results(results, data_root)
    assert (old.fresh, old.reasons) == (False, ("no provenance record",))
    assert new.fresh and new.notes[0].startswith("fingerprint computed at migration with the code of")


def test_feature_record_takes_features_computed_elsewhere():
    features = family_probe_features("fft")
    record = feature_record("fft", features=features, commit="0" * 40)
    assert record["commit"] == "0" * 40
    assert record["fingerprint"] == probe_fingerprint(features) | {
        "machine": record["fingerprint"]["machine"]
    }
