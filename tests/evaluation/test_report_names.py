"""What a report calls its data and its files: the CSV's or the folder's name, paths from the data root."""

import types

import numpy as np
import pytest

from facetruth.data import load_dataset
from facetruth.evaluation import make_detector, run_experiment
from facetruth.evaluation._experiment import confident_errors
from facetruth.pipelines import build_features, build_loader
from facetruth.reports import render_markdown


@pytest.fixture
def csv_here(tiny_set, tmp_path, monkeypatch):
    """``test.csv`` in the working folder, listing the tiny set's images by absolute path."""
    data = load_dataset(tiny_set)
    rows = [f"{p},{y}" for p, y in zip(data.paths, data.labels)]
    (tmp_path / "test.csv").write_text("path,label\n" + "\n".join(rows) + "\n")
    monkeypatch.chdir(tmp_path)
    return "test.csv"


def test_a_csv_in_the_working_folder_names_title_and_data_row(csv_here):
    estimators = build_loader("off", 48), build_features("fft"), make_detector("logistic", inner_cv=2)
    results = run_experiment(load_dataset(csv_here), *estimators, ["fft"], n_splits=3, audit=False)
    assert results["meta"]["data_name"] == "test.csv"
    text = render_markdown(results)
    assert text.startswith("# FaceTruth experiment: test.csv\n")
    assert "| data | test.csv (csv) |" in text and ": ." not in text.splitlines()[0]


def test_a_folder_given_as_dot_is_named_after_the_folder(tiny_set, monkeypatch):
    monkeypatch.chdir(tiny_set)
    data = load_dataset(".")
    assert data.name == tiny_set.name and data.name not in (".", "")


def _all_wrong(dataset):
    """A loaded-crops stand-in and probabilities that make every item a confident error."""
    n = len(dataset)
    loaded = types.SimpleNamespace(
        labels=dataset.labels, images=np.zeros((n, 8, 8, 3), np.uint8), index=np.arange(n)
    )
    return loaded, np.where(dataset.labels == 1, 0.05, 0.95)


def test_error_paths_are_relative_to_the_data_root_for_absolute_csv_paths(csv_here, tiny_set):
    data = load_dataset(csv_here)
    errors = confident_errors(*_all_wrong(data), data, n=3)
    paths = [e["path"] for e in errors]
    assert paths and not any(p.startswith("..") or p.startswith("/") for p in paths)
    assert all(p.split("/")[0] in ("real", "fake") for p in paths)
    assert all((tiny_set / p).is_file() for p in paths)


def test_error_paths_of_a_folder_stay_relative_to_it(tiny_set):
    data = load_dataset(tiny_set)
    errors = confident_errors(*_all_wrong(data), data, n=2)
    real, fake = np.flatnonzero(data.labels == 0)[:2], np.flatnonzero(data.labels == 1)[:2]
    assert [e["path"] for e in errors] == [data.relative_path(i) for i in [*real, *fake]]
