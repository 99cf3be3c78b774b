"""``facetruth check-results``: a line per results file, exit 1 under ``--strict`` when one is stale."""

import json

import pytest

from facetruth.cli import main
from facetruth.data import make_demo_dataset
from facetruth.evaluation import run_record, write_results


@pytest.fixture
def results(tmp_path):
    root = tmp_path
    make_demo_dataset(8, size=32, out=root / "data" / "demo")
    record = run_record([root / "data" / "demo"], ["fft"], "python make_it.py")
    write_results(root / "results" / "fresh" / "results.json", {"auc": 0.9}, record)
    (root / "results" / "old").mkdir()
    (root / "results" / "old" / "results.json").write_text('{"auc": 0.8}\n')
    return root


def test_prints_each_file_and_exits_0(results, capsys):
    code = main(["check-results", str(results / "results"), "--data", str(results / "data")])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[:2] == ["fresh  fresh/results.json", "stale  old/results.json: no provenance record"]
    assert out[-1].startswith("1 fresh, 1 stale of 2 results files in ")


def test_strict_exits_1_when_one_is_stale(results, capsys):
    args = ["check-results", str(results / "results"), "--data", str(results / "data"), "--strict"]
    assert main(args) == 1
    (results / "results" / "old" / "results.json").unlink()
    assert main(args) == 0


def test_json_lists_reasons(results, capsys):
    assert main(["check-results", str(results / "results"), "--data", str(results / "data"), "--json"]) == 0
    statuses = json.loads(capsys.readouterr().out)
    assert [(s["path"], s["fresh"]) for s in statuses] == [
        ("fresh/results.json", True),
        ("old/results.json", False),
    ]
    assert statuses[1]["reasons"] == ["no provenance record"]


def test_missing_folder_is_an_error(tmp_path, capsys):
    assert main(["check-results", str(tmp_path / "nothing")]) == 2
    assert "is not a folder of results" in capsys.readouterr().err


def test_help_says_what_it_checks(capsys):
    with pytest.raises(SystemExit):
        main(["check-results", "--help"])
    out = capsys.readouterr().out
    assert "--strict" in out and "manifest hash" in out and "facetruth check-results results" in out
