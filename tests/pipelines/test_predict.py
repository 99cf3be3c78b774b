"""predict_items: one row per item, in order, the same fields for failed rows, past bad items."""

import dataclasses
import json

import numpy as np
import pytest
from PIL import Image

from facetruth import predict_items
from facetruth.exceptions import ImageDecodeError, ModelIntegrityError
from facetruth.pipelines import Prediction, build_pipeline, score_items, split_pipeline


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).integers(0, 256, (12, 32, 32, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def model(images):
    pipe = build_pipeline("fft", "logistic", face="off", image_size=32, cv=3)
    return pipe.fit(list(images), [0, 1] * 6)


@pytest.fixture
def files(tmp_path, images):
    paths = []
    for i, image in enumerate(images[:3]):
        paths.append(tmp_path / f"img{i}.png")
        Image.fromarray(image).save(paths[-1])
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 truncated jpeg")
    return paths, bad


def test_one_row_per_item_in_order_with_a_bad_file_in_the_middle(model, files, images):
    paths, bad = files
    items = [paths[0], bad, images[5], ImageDecodeError("clip.mp4: not a readable video"), paths[1]]
    rows = predict_items(model, items)
    assert len(rows) == len(items) and all(isinstance(r, Prediction) for r in rows)
    assert [r.item for r in rows] == [
        str(paths[0]),
        str(bad),
        "<array (32, 32, 3)>",
        "<ImageDecodeError>",
        str(paths[1]),
    ]
    assert [r.failed for r in rows] == [False, True, False, True, False]
    for row in (rows[1], rows[3]):
        assert row.verdict is None and row.prob_fake is None and row.reason == "unreadable"
        assert row.error and row.message == row.error and row.face_box is None
    assert "bad.jpg" in rows[1].error and rows[3].error == "clip.mp4: not a readable video"
    threshold = split_pipeline(model)[2].threshold_
    for row in (rows[0], rows[2], rows[4]):
        assert row.verdict in ("real", "fake", "inconclusive") and 0 <= row.prob_fake <= 1
        assert (row.reason is None) == (row.verdict != "inconclusive") and row.error is None
        assert row.threshold == threshold and "cutoff" in row.message
        assert row.face_method == "off" and row.face_found is False and row.face_box is None
    keys = [set(r.as_dict()) for r in rows]
    assert all(k == {f.name for f in dataclasses.fields(Prediction)} for k in keys)
    json.dumps([r.as_dict() for r in rows])  # JSON-ready


def test_arrays_score_as_the_pipeline_does(model, images):
    rows = predict_items(model, images[:6])
    np.testing.assert_array_equal([r.prob_fake for r in rows], model.predict_proba(images[:6])[:, 1])
    again = predict_items(model, [images[2], images[0], images[2]])  # another batch: float noise only
    assert again[0].prob_fake == again[2].prob_fake == pytest.approx(rows[2].prob_fake, abs=1e-6)
    assert again[1].prob_fake == pytest.approx(rows[0].prob_fake, abs=1e-6)


def test_video_frames_and_bytes(model, tmp_path, images):
    import cv2

    video = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 5, (32, 32))
    for i in range(4):
        writer.write(images[i][:, :, ::-1])
    writer.release()
    png = tmp_path / "x.png"
    Image.fromarray(images[0]).save(png)
    rows = predict_items(model, [(video, 1), (video, 99), png.read_bytes()], names=["v1", "v99", "up.png"])
    assert [r.item for r in rows] == ["v1", "v99", "up.png"]
    assert [r.failed for r in rows] == [False, True, False]
    assert rows[2].prob_fake == pytest.approx(predict_items(model, [png])[0].prob_fake, abs=1e-6)
    assert predict_items(model, [(video, 2)])[0].item == f"{video}#frame=2"


def test_a_probability_equal_to_the_threshold_is_real(model, images):
    detector = split_pipeline(model)[2]
    prob = predict_items(model, images[:1])[0].prob_fake
    saved = detector.threshold_
    try:
        detector.threshold_ = prob
        assert predict_items(model, images[:1], band=0)[0].verdict == "real"
        detector.threshold_ = np.nextafter(prob, -1.0)
        assert predict_items(model, images[:1], band=0)[0].verdict == "fake"
    finally:
        detector.threshold_ = saved


def test_n_jobs_gives_the_same_rows_and_leaves_the_model_alone(model, files, images):
    paths, bad = files
    items = [*paths, bad, *images[:5]]
    serial = predict_items(model, items)
    parallel = predict_items(model, items, n_jobs=2)
    assert parallel == serial
    assert split_pipeline(model)[0].n_jobs is None


def test_score_items_keeps_the_crops_and_features_of_scored_items(model, files, images):
    paths, bad = files
    result = score_items(model, [bad, images[3], paths[0]])
    assert result.scored.tolist() == [1, 2]
    assert result.crops.shape == (2, 32, 32, 3) and result.features.shape[0] == 2
    np.testing.assert_array_equal(result.crops[0], images[3])
    _, _, detector = split_pipeline(model)
    np.testing.assert_array_equal(
        detector.predict_proba(result.features)[:, 1], [p.prob_fake for p in result.predictions[1:]]
    )


def test_empty_batch_and_all_failed(model, files):
    assert predict_items(model, []) == []
    rows = predict_items(model, [files[1], ImageDecodeError("gone")])
    assert all(r.failed and r.threshold == split_pipeline(model)[2].threshold_ for r in rows)


def test_refuses_what_is_not_a_fitted_detector(model, images):
    with pytest.raises(ModelIntegrityError, match="detector pipeline"):
        predict_items(split_pipeline(model)[2], images[:1])
    with pytest.raises(ModelIntegrityError, match="threshold"):
        predict_items(build_pipeline("fft", "logistic", face="off"), images[:1])
    with pytest.raises(ValueError, match="names"):
        predict_items(model, images[:2], names=["one"])
