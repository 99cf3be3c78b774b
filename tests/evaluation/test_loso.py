"""Leave one source out: the held-out source never reaches a fit, and what the results hold."""

import json

import numpy as np
import pytest
from PIL import Image

from facetruth.data import Dataset
from facetruth.evaluation import make_detector, run_loso
from facetruth.evaluation._features import extract_families, load_crops
from facetruth.models import CalibratedDetector
from facetruth.pipelines import build_extras, build_features, build_loader

SOURCES = ("gan", "blend", "swap")


def _estimators():
    return build_loader("off", 32), build_features("fft,dct"), make_detector("logistic", inner_cv=2)


@pytest.fixture
def fits(monkeypatch):
    """Every ``CalibratedDetector.fit`` call's rows, recorded."""
    calls = []
    fit = CalibratedDetector.fit

    def spy(self, X, y, groups=None):
        calls.append((np.array(X), np.array(y)))
        return fit(self, X, y, groups=groups)

    monkeypatch.setattr(CalibratedDetector, "fit", spy)
    return calls


def _rows(X):
    return {row.tobytes() for row in np.asarray(X, dtype=np.float64)}


def test_the_held_out_source_never_reaches_fit(three_sources, fits):
    loader, features, detector = _estimators()
    results = run_loso(three_sources, loader, features, detector, ["fft", "spectral"], audit=False)
    assert len(fits) == 2 * len(SOURCES)  # one fit per (set, held-out source), nothing else
    # the feature rows of each source, from the same extraction as the experiment's
    loaded = load_crops(three_sources, loader)
    fft = extract_families(loaded.images, features, ["fft"], timing_sample=0)["fft"].X
    sources = np.asarray(three_sources.sources)[loaded.index]
    for (X, _), held in zip(fits[: len(SOURCES)], SOURCES):
        assert not _rows(X) & _rows(fft[sources == held])
        assert _rows(X) == _rows(fft[sources != held])
    fft_set = results["feature_sets"]["fft"]
    for held in SOURCES:
        assert fft_set["held_out"][held]["n"] == int(np.sum(sources == held))
        assert fft_set["held_out"][held]["n_train"] == int(np.sum(sources != held))


def test_extra_rows_of_the_held_out_source_are_left_out(three_sources, fits):
    loader, features, detector = _estimators()
    extras = build_extras(None, "robust:1", random_state=0)
    results = run_loso(three_sources, loader, features, detector, ["fft"], extras=extras, audit=False)
    for (X, _), held in zip(fits, SOURCES):
        n_train = len(three_sources) - three_sources.sources.count(held)
        assert len(X) == 2 * n_train  # each training crop and its one degraded copy
        assert results["feature_sets"]["fft"]["held_out"][held]["n_train"] == 2 * n_train
    assert results["meta"]["extra_training_rows"] == {"augment": len(three_sources)}


def test_results_hold_metrics_flag_rates_means_and_audits(three_sources):
    results = run_loso(three_sources, *_estimators(), ["fft", "dct"], random_state=3)
    assert results["protocol"] == "loso" and results["best"] in ("fft", "dct")
    for res in results["feature_sets"].values():
        held = res["held_out"]
        assert list(held) == list(SOURCES)
        for m in held.values():
            assert {"auc", "ap", "balanced_accuracy", "flag_rate_fake", "flag_rate_real", "threshold"} <= set(
                m
            )
            assert m["threshold"] == pytest.approx(m["threshold"]) and 0 <= m["flag_rate_fake"] <= 1
        assert res["mean_auc"] == pytest.approx(np.mean([m["auc"] for m in held.values()]))
    for source in SOURCES:
        entry = results["sources"][source]
        assert entry["n_real"] + entry["n_fake"] == 8
        assert entry["audit"]["counts"] == {"real": entry["n_real"], "fake": entry["n_fake"]}
        assert 0 <= entry["audit"]["nuisance_auc"] <= 1
    assert results["meta"]["seed"] == 3 and results["meta"]["data_name"] == "gan + blend + swap"
    json.dumps(results)  # a results.json can be written


def test_a_source_whose_others_lack_a_class_is_skipped_and_one_class_sources_have_no_auc(tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(12):
        paths.append(tmp_path / f"{i}.png")
        Image.fromarray(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(paths[-1])
    labels = [0, 1] * 4 + [1] * 4
    sources = ["a"] * 4 + ["b"] * 4 + ["fakes only"] * 4
    data = Dataset(paths, labels, [str(p) for p in paths], sources, root=tmp_path)
    results = run_loso(
        data, build_loader("off", 24), build_features("fft"), make_detector("logistic", inner_cv=2), ["fft"]
    )
    held = results["feature_sets"]["fft"]["held_out"]
    assert held["fakes only"]["auc"] is None and held["fakes only"]["flag_rate_real"] is None
    assert held["fakes only"]["flag_rate_fake"] == held["fakes only"]["flag_rate"]
    assert results["feature_sets"]["fft"]["mean_auc"] == pytest.approx(
        np.mean([held["a"]["auc"], held["b"]["auc"]])
    )
    assert results["sources"]["fakes only"]["audit"]["nuisance_auc"] is None
    assert "both classes" in results["sources"]["fakes only"]["audit"]["error"]
    only_two = data.subset(np.arange(8, 12).tolist() + [0, 2])  # 'a' reals and the fakes-only source
    results = run_loso(
        only_two,
        build_loader("off", 24),
        build_features("fft"),
        make_detector("logistic", inner_cv=2),
        ["fft"],
        audit=False,
    )
    assert "skipped" in results["feature_sets"]["fft"]["held_out"]["fakes only"]


def test_one_source_is_refused_before_any_image_is_read():
    data = Dataset(["missing-1.png", "missing-2.png"], [0, 1], ["1", "2"], ["only"] * 2)
    with pytest.raises(ValueError, match="at least two sources"):
        run_loso(data, *_estimators(), ["fft"])
