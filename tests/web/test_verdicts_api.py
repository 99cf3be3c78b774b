"""Honest verdicts through the JSON API and on the page: inconclusive rows say why."""

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from facetruth.web import create_app

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

ROW_KEYS = {
    "verdict",
    "reason",
    "message",
    "face_found",
    "label",
    "prob_fake",
    "threshold",
    "face_box",
    "error",
}


def post(client, files):
    data = {"files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/api/v1/predict", data=data, content_type="multipart/form-data")


def png(array):
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def client(face_model_file):
    return create_app({"FACETRUTH_MODEL": face_model_file}).test_client()


def test_noise_png_is_inconclusive_no_face(client, noise_png):
    response = post(client, [("noise.png", noise_png), ("face.png", png(skdata.astronaut()))])
    assert response.status_code == 200
    noise, face = response.get_json()["results"]
    assert ROW_KEYS <= set(noise)
    assert noise["verdict"] == noise["label"] == "inconclusive" and noise["reason"] == "no_face"
    assert noise["face_found"] is False and noise["face_box"] is None and noise["error"] is None
    assert 0 < noise["prob_fake"] < 1 and "No face found" in noise["message"]
    assert face["face_found"] is True and face["face_box"] is not None
    assert face["verdict"] in ("real", "fake", "inconclusive") and face["reason"] != "no_face"


def test_failed_rows_have_the_same_keys(client, noise_png):
    rows = post(client, [("empty.png", b""), ("noise.png", noise_png)]).get_json()["results"]
    assert list(rows[0]) == list(rows[1])
    assert rows[0]["verdict"] is None and rows[0]["reason"] == "unreadable"
    assert rows[0]["message"] == rows[0]["error"] == "empty file" and rows[0]["face_found"] is None


def test_a_small_face_is_face_too_small(client):
    small = np.asarray(Image.fromarray(skdata.astronaut()).resize((256, 256), Image.BICUBIC))
    row = post(client, [("small.png", png(small))]).get_json()["results"][0]
    assert row["verdict"] == "inconclusive" and row["reason"] == "face_too_small" and row["face_found"]


def test_band_setting_reaches_the_service(face_model_file, tiny_model):
    app = create_app({"FACETRUTH_MODEL": tiny_model, "FACETRUTH_BAND": 1.0})
    assert (
        app.extensions["facetruth"].band == 1.0 and app.test_client().get("/healthz").get_json()["band"] == 1
    )
    with pytest.raises(ValueError, match="band"):
        create_app({"FACETRUTH_MODEL": face_model_file, "FACETRUTH_BAND": 2.0})


def test_healthz_and_the_summary_report_both_cutoffs(tiny_model, tiny_set):
    from facetruth.models._persistence import read_model_card

    card = read_model_card(tiny_model)
    assert card["real_cutoff"] < card["fake_cutoff"]
    client = create_app({"FACETRUTH_MODEL": tiny_model}).test_client()
    for body in (client.get("/healthz").get_json(), client.get("/api/v1/model/summary").get_json()):
        assert body["real_cutoff"] == round(card["real_cutoff"], 4)
        assert body["fake_cutoff"] == round(card["fake_cutoff"], 4) and body["band"] is None
    page = client.get("/").get_data(as_text=True)
    assert (
        f"fake above {card['fake_cutoff']:.2f}" in page
        and f"real below P(fake) {card['real_cutoff']:.2f}" in page
    )
    # an explicit band replaces the cutoffs everywhere; the page states the band's two ends
    banded = create_app({"FACETRUTH_MODEL": tiny_model, "FACETRUTH_BAND": 0.2}).test_client()
    body = banded.get("/healthz").get_json()
    assert body["band"] == 0.2 and body["real_cutoff"] is None and body["fake_cutoff"] is None
    real, fake = max(0, body["threshold"] - 0.2), min(1, body["threshold"] + 0.2)
    page = banded.get("/").get_data(as_text=True)
    assert f"real below P(fake) {real:.2f} and fake above {fake:.2f}" in page


def test_tiny_model_with_a_full_band_is_inconclusive_everywhere(tiny_model, tiny_set):
    client = create_app({"FACETRUTH_MODEL": tiny_model, "FACETRUTH_BAND": 1.0}).test_client()
    path = tiny_set / "fake" / "f00.png"
    row = post(client, [(path.name, path.read_bytes())]).get_json()["results"][0]
    assert row["verdict"] == "inconclusive" and row["reason"] == "uncertain"
    assert row["face_found"] is False and row["contributions"]  # explanations stay
    assert "in between it makes no call" in client.get("/").get_data(as_text=True)  # the page states the band
    assert row["sentence"].startswith("Uncertain: P(fake)")


def test_the_page_draws_inconclusive_in_grey(client):
    css = client.get("/static/app.css").get_data(as_text=True)
    js = client.get("/static/app.js").get_data(as_text=True)
    assert ".verdict.inconclusive { color: var(--muted); }" in css
    assert '"inconclusive"' in js and "row.message" in js
