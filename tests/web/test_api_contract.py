"""The JSON API's contract: field names, 405 hint, limit messages, rounding, row keys, the model summary."""

import io
import json

import numpy as np
import pytest
from PIL import Image

from facetruth.web import create_app

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def app_config():
    return {"MAX_FILES": 3}


def post(client, fields):
    """POST ``[(field, name, content), ...]`` as multipart/form-data."""
    data = {}
    for field, name, content in fields:
        data.setdefault(field, []).append((io.BytesIO(content), name))
    return client.post("/api/v1/predict", data=data, content_type="multipart/form-data")


def png_bytes(shape):
    buf = io.BytesIO()
    Image.fromarray(np.zeros(shape, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def good(tiny_set):
    return (tiny_set / "fake" / "f03.png").read_bytes()


def test_the_field_file_is_accepted_as_well_as_files(client, good):
    one = post(client, [("file", "a.png", good)])
    assert one.status_code == 200
    assert [r["path"] for r in one.get_json()["results"]] == ["a.png"]
    both = post(client, [("files", "b.png", good), ("file", "c.png", good)]).get_json()["results"]
    assert sorted(r["path"] for r in both) == ["b.png", "c.png"]
    assert post(client, [("image", "d.png", good)]).status_code == 400


def test_get_predict_is_a_json_405_with_a_hint(client):
    response = client.get("/api/v1/predict")
    assert response.status_code == 405 and response.mimetype == "application/json"
    assert response.headers["Allow"] == "POST"
    body = response.get_json()
    assert "POST" in body["error"]
    assert "multipart/form-data" in body["hint"] and "files" in body["hint"] and "curl" in body["hint"]


def test_limit_messages_name_the_command_line_options(tiny_model, good):
    client = create_app({"FACETRUTH_MODEL": tiny_model, "MAX_FILES": 2, "MAX_PIXELS": 1000}).test_client()
    too_many = post(client, [("files", "a.png", good)] * 3).get_json()["error"]
    assert "--max-files" in too_many and "MAX_FILES" not in too_many
    way_too_many = post(client, [("files", "a.png", good)] * 40).get_json()["error"]
    assert "--max-files" in way_too_many
    pixels = post(client, [("files", "big.png", png_bytes((40, 40, 3)))]).get_json()
    assert "--max-pixels" in pixels["results"][0]["error"] and "1600" in pixels["results"][0]["error"]
    small = create_app({"FACETRUTH_MODEL": tiny_model, "MAX_CONTENT_LENGTH": 20_000}).test_client()
    body = post(small, [("files", "a.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 30_000)])
    assert body.status_code == 413
    assert (
        "--max-upload-mb" in body.get_json()["error"] and "MAX_CONTENT_LENGTH" not in body.get_json()["error"]
    )


def test_thresholds_are_rounded(app, client, good):
    service = app.extensions["facetruth"]
    exact = service.threshold
    service.threshold = 0.1 + 0.2  # 0.30000000000000004
    try:
        for body in (client.get("/healthz").get_json(), client.get("/api/v1/model/summary").get_json()):
            assert body["threshold"] == 0.3
    finally:
        service.threshold = exact
    row = post(client, [("files", "a.png", good)]).get_json()["results"][0]
    assert row["threshold"] == round(row["threshold"], 4)


def test_failed_rows_have_the_keys_of_good_rows_with_null_values(client, good):
    rows = post(client, [("files", "ok.png", good), ("files", "junk.png", b"not an image")]).get_json()[
        "results"
    ]
    assert list(rows[1]) == list(rows[0])
    described = (
        "prob_fake",
        "verdict",
        "label",
        "face_box",
        "contributions",
        "spectrum",
        "contribution_unit",
    )
    assert all(rows[1][key] is None for key in described)
    assert rows[1]["error"] and rows[1]["reason"] == "unreadable"
    failed = post(client, [("files", "junk.png", b"not an image")])
    assert failed.status_code == 422 and list(failed.get_json()["results"][0]) == list(rows[0])


def test_the_page_does_not_carry_the_model_card(client, tiny_model):
    from facetruth.models._persistence import read_model_card

    card = read_model_card(tiny_model)
    page = client.get("/").get_data(as_text=True)
    script = client.get("/static/app.js").get_data(as_text=True)
    assert "feature_mean" not in page and '"/api/v1/model"' not in script
    summary = client.get("/api/v1/model/summary")
    assert len(summary.data) < len(json.dumps(card)) / 2
    body = summary.get_json()
    assert body["features"] == card["features"] and body["training_counts"] == {"real": 24, "fake": 24}
    assert len(body["mean_log_spectrum"]["real"]) == 64
    assert 'href="/api/v1/model"' in page  # the whole card, on demand


def test_the_server_warms_up_every_worker_thread_before_serving(tiny_model):
    import threading

    from facetruth.web import make_server

    names = []
    server = make_server(
        lambda e, s: [], port=0, threads=3, warm_up=lambda: names.append(threading.current_thread().name)
    )
    server.close()
    assert len(names) == 3 and len(set(names)) == 3

    def broken():
        raise ValueError("cannot score the warm-up photo")

    with pytest.raises(ValueError, match="warm-up photo"):
        make_server(lambda e, s: [], port=0, threads=2, warm_up=broken)


def test_warm_up_scores_a_built_in_photo(app):
    row = app.extensions["facetruth"].warm_up()
    assert row["error"] is None and 0 <= row["prob_fake"] <= 1


def test_a_model_without_a_card_needs_trust_and_warns(tiny_model, tmp_path):
    from facetruth.exceptions import ModelIntegrityError

    bare = tmp_path / "bare.joblib"
    bare.write_bytes(tiny_model.read_bytes())
    with pytest.raises(ModelIntegrityError, match="--trust"):
        create_app({"FACETRUTH_MODEL": bare})
    with pytest.warns(UserWarning, match="no model card.*trust") as record:
        app = create_app({"FACETRUTH_MODEL": bare, "FACETRUTH_TRUST": True})
    assert sum("no model card" in str(w.message) for w in record) == 1  # load's warning, not a copy
    client = app.test_client()
    assert client.get("/healthz").get_json()["model_sha256"] == ""
    assert client.get("/api/v1/model/summary").get_json()["mean_log_spectrum"] is None
