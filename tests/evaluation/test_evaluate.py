"""evaluate_model: metrics at the model's threshold from predict_items' rows, failed items counted."""

import numpy as np
import pytest

from facetruth import predict_items
from facetruth.data import Dataset, load_dataset
from facetruth.evaluation import detection_metrics, evaluate_model
from facetruth.exceptions import ImageDecodeError
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
