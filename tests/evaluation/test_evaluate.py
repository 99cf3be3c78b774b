"""evaluate_model: metrics at the model's threshold from predict_items' rows, failed items counted."""

import numpy as np
import pytest

from facetruth import predict_items
from facetruth.data import Dataset, load_dataset
from facetruth.evaluation import evaluate_model
from facetruth.exceptions import ImageDecodeError
from facetruth.metrics import detection_metrics
from facetruth.pipelines import build_pipeline, decision_threshold


@pytest.fixture(scope="module")
def model(tiny_set):
    data = load_dataset(tiny_set)
    pipe = build_pipeline("fft", "logistic", face="off", image_size=48, cv=3)
    return pipe.fit(data.paths, data.labels)


def test_metrics_of_the_scored_items_and_a_row_per_item(model, tiny_set, tmp_path):
    data = load_dataset(tiny_set)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    paths = [data.paths[0], str(bad), *data.paths[1:]]
    labels = [data.labels[0], 1, *data.labels[1:]]
    mixed = Dataset(paths, labels, range(len(paths)), ["tiny"] * len(paths))
    metrics, rows = evaluate_model(model, mixed)
    assert len(rows) == len(paths) and [r.item for r in rows] == paths
    assert metrics["n"] == len(data) and metrics["n_failed"] == 1 and rows[1].failed
    prob = [r.prob_fake for r in predict_items(model, data.paths)]
    expected = detection_metrics(data.labels, prob, decision_threshold(model))
    assert metrics["auc"] == pytest.approx(expected["auc"])
    assert metrics["confusion"] == expected["confusion"] and metrics["threshold"] == expected["threshold"]
    scored = [r for r in rows if not r.failed]
    np.testing.assert_allclose([r.prob_fake for r in scored], prob, atol=1e-9)


def test_nothing_scored_is_a_clear_error(model, tmp_path):
    empty = Dataset([tmp_path / "a.png", tmp_path / "b.png"], [0, 1], ["a", "b"], ["x", "x"])
    with pytest.raises(ImageDecodeError, match="None of the 2 items could be scored"):
        evaluate_model(model, empty)


def test_coverage_and_the_accuracy_of_the_verdicts_given(model, tiny_set):
    data = load_dataset(tiny_set)
    metrics, rows = evaluate_model(model, data, band=1)  # nothing is certain
    assert metrics["coverage"] == 0 and metrics["covered_accuracy"] is None
    assert sum(metrics["inconclusive"].values()) == len(data)
    off, rows = evaluate_model(model, data, band=0)
    given = [r for r in rows if r.verdict in ("real", "fake")]
    assert off["coverage"] == pytest.approx(len(given) / len(data))
    right = [
        (r.verdict == "fake") == bool(y) for r, y in zip(rows, data.labels) if r.verdict != "inconclusive"
    ]
    assert off["covered_accuracy"] == pytest.approx(np.mean(right))
    assert metrics["auc"] == off["auc"] and metrics["n"] == off["n"] == len(data)  # on every scored item


def test_verdict_coverage_counts_failed_items_as_not_covered():
    from facetruth.evaluation._evaluate import verdict_coverage
    from facetruth.pipelines import Prediction

    rows = [
        Prediction("a", "fake", 0.9, 0.5),
        Prediction("b", None, None, 0.5, reason="unreadable", error="gone"),
        Prediction("c", "inconclusive", 0.5, 0.5, reason="no_face"),
        Prediction("d", "real", 0.1, 0.5),
    ]
    out = verdict_coverage(rows, [1, 0, 1, 1])
    sides = {
        "fake": {"n": 1, "coverage": 1 / 3, "precision": 1.0},  # of three fakes, the failed one too
        "real": {"n": 1, "coverage": 0.0, "precision": 0.0},  # "d" is a fake called real
    }
    assert out == {"coverage": 0.5, "covered_accuracy": 0.5, "inconclusive": {"no_face": 1}, "sides": sides}
    with pytest.raises(ValueError, match="labels"):
        verdict_coverage(rows, [1, 0])


def test_a_folder_of_one_class_gets_flag_rate_mean_and_histogram(model, tiny_set):
    data = load_dataset(tiny_set)
    reals = data.subset(data.labels == 0)
    metrics, rows = evaluate_model(model, reals)
    prob = np.array([r.prob_fake for r in rows])
    assert metrics["auc"] is None and metrics["ap"] is None and metrics["eer"] is None
    assert "only real items" in metrics["note"] and "need both" in metrics["note"]
    assert metrics["flag_rate"] == pytest.approx(np.mean(prob > metrics["threshold"]))
    assert metrics["flag_rate_real"] == metrics["flag_rate"] and metrics["flag_rate_fake"] is None
    assert metrics["mean_prob_fake"] == pytest.approx(prob.mean(), abs=1e-6)
    assert len(metrics["histogram"]["counts"]) == 10 and sum(metrics["histogram"]["counts"]) == len(reals)
    assert metrics["histogram"]["edges"][0] == 0 and metrics["histogram"]["edges"][-1] == 1
    assert "flag_rate_by_source" not in metrics  # one source: the totals say it all


def test_both_classes_get_flag_rates_per_class_and_per_source(model, tiny_set):
    data = load_dataset(tiny_set)
    sources = ["even" if i % 2 else "odd" for i in range(len(data))]
    data = Dataset(data.paths, data.labels, data.groups, sources, root=data.root)
    metrics, rows = evaluate_model(model, data)
    prob = np.array([r.prob_fake for r in rows])
    called = prob > metrics["threshold"]
    assert "note" not in metrics and metrics["auc"] is not None
    assert metrics["flag_rate_fake"] == pytest.approx(called[data.labels == 1].mean())
    assert metrics["flag_rate_real"] == pytest.approx(called[data.labels == 0].mean())
    assert metrics["flag_rate_fake"] == pytest.approx(metrics["recall"])
    by_source = metrics["flag_rate_by_source"]
    assert list(by_source) == ["odd", "even"] and by_source["odd"]["n"] == len(data) // 2
    odd = np.array(sources) == "odd"
    assert by_source["odd"]["flag_rate"] == pytest.approx(called[odd].mean())
    assert by_source["odd"]["flag_rate_fake"] == pytest.approx(called[odd & (data.labels == 1)].mean())
