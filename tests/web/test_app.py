"""Flask test-client tests of the web app: every route, every error, hostile uploads."""

import io
import json
import os
import struct
import tempfile
import zlib

import numpy as np
import pytest
from PIL import Image

from facetruth.exceptions import ModelIntegrityError
from facetruth.web import create_app

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def app_config():
    return {"MAX_FILES": 4}


def png_bytes(array):
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def post(client, files, **kwargs):
    data = {"files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/api/v1/predict", data=data, content_type="multipart/form-data", **kwargs)


def assert_json_error(response, status):
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def bomb_png(width=100_000, height=100_000):
    """A PNG whose header claims ``width x height`` pixels but carries almost no data."""

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_healthz(client, tiny_model):
    from facetruth.models._persistence import read_model_card

    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert read_model_card(tiny_model)["sha256"].startswith(body["model_sha256"])


def _strings(value):
    """Every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_model_card_keeps_no_backbone_path():
    from facetruth.web._card import public_card

    backbone = os.path.abspath(os.path.join("models", "tuned.pt"))
    card = {"feature_params": {"cnn": {"weights": backbone}, "fft": {"n_bins": 32}}}
    assert public_card(card)["feature_params"] == {"cnn": {"weights": "tuned.pt"}, "fft": {"n_bins": 32}}


def test_model_card(client, tiny_model):
    from facetruth.models._persistence import read_model_card

    card = read_model_card(tiny_model)
    body = client.get("/api/v1/model").get_json()
    assert body["threshold"] == pytest.approx(card["threshold"])
    assert body["versions"] == card["versions"]
    assert body["training_data"]["counts"] == {"real": 24, "fake": 24}
    assert "/" not in body["training_data"]["source"]  # no server paths
    assert not [v for v in _strings(body) if os.path.isabs(v)]
    spectra = body["training_summary"]["mean_log_spectrum"]
    assert len(spectra["real"]) == len(spectra["fake"]) == 64


def test_page_and_static_files(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="files"' in html and "/static/app.js" in html and "/static/app.css" in html
    assert "http://" not in html and "https://" not in html  # nothing from a CDN
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    for name in ("app.js", "app.css"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and len(response.data) > 500
        response.close()


def test_predict_matches_the_command_line(client, tiny_model, tiny_set):
    import facetruth

    paths = [tiny_set / "real" / "r00.png", tiny_set / "fake" / "f00.png"]
    response = post(client, [(p.name, p.read_bytes()) for p in paths])
    assert response.status_code == 200
    rows = response.get_json()["results"]
    expected = facetruth.predict_items(facetruth.load(tiny_model), paths)
    assert [r["path"] for r in rows] == ["r00.png", "f00.png"]
    assert [r["label"] for r in rows] == [p.verdict for p in expected] == ["real", "fake"]
    np.testing.assert_allclose([r["prob_fake"] for r in rows], [p.prob_fake for p in expected], atol=1e-6)
    for row in rows:
        assert row["error"] is None and row["face_box"] is None  # face cropping is off
        assert set(row["contributions"]) == {"fft", "dct"}
        assert row["contribution_unit"] == "log-odds"
        assert len(row["spectrum"]) == 64 and all(np.isfinite(row["spectrum"]))
    assert sum(rows[1]["contributions"].values()) > sum(rows[0]["contributions"].values())


def test_logistic_model_is_explained_by_occlusion(tiny_logistic_model, tiny_set):
    client = create_app({"FACETRUTH_MODEL": tiny_logistic_model}).test_client()
    path = tiny_set / "fake" / "f01.png"
    row = post(client, [(path.name, path.read_bytes())]).get_json()["results"][0]
    assert row["label"] == "fake"
    assert row["contribution_unit"] == "probability"
    assert set(row["contributions"]) == {"fft", "dct"}
    assert all(-1.0 <= v <= 1.0 for v in row["contributions"].values())


def test_bad_file_among_good_ones_is_reported_per_row(client, tiny_set):
    good = (tiny_set / "fake" / "f02.png").read_bytes()
    rows = post(client, [("empty.png", b""), ("ok.png", good), ("notes.jpg", b"just text")]).get_json()
    rows = rows["results"]
    assert rows[0]["error"] == "empty file" and rows[0]["prob_fake"] is None
    assert rows[1]["error"] is None and rows[1]["label"] == "fake"
    assert "not a supported image" in rows[2]["error"]
    assert [list(row) for row in rows[::2]] == [list(rows[1])] * 2  # failed rows: the same keys
    assert all(rows[0][key] is None for key in ("label", "contributions", "spectrum", "face_method"))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.png", b"", "empty file"),
        ("photo.jpg", b"<html><script>alert(1)</script></html>", "not a supported image"),
        ("gifar.gif", b"GIF89a<script>alert(1)</script>PK\x03\x04", "GIF89a"[:0]),
        ("bomb.png", bomb_png(), "too many pixels"),
        ("cut.png", png_bytes(np.zeros((32, 32, 3), np.uint8))[:60], ""),
    ],
)
def test_unreadable_upload_is_422(client, name, content, message):
    body = assert_json_error(post(client, [(name, content)]), 422)
    assert message in body["results"][0]["error"]
    assert body["results"][0]["prob_fake"] is None


def test_polyglot_png_is_scored_as_its_pixels_only(client, tiny_set):
    clean = (tiny_set / "real" / "r03.png").read_bytes()
    polyglot = clean + b"<?php system($_GET['c']); ?>PK\x05\x06" + b"\0" * 18
    rows = post(client, [("a.png", clean), ("a.php.png", polyglot)]).get_json()["results"]
    assert rows[1]["error"] is None
    assert rows[1]["prob_fake"] == pytest.approx(rows[0]["prob_fake"])


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("..\\..\\windows\\win.png", None),  # the multipart quoting may eat backslashes
        ("/abs/path/x.png", "x.png"),
        ("<img src=x onerror=alert(1)>.png", "img_srcx_onerroralert1.png"),
        ("../..", "upload-1"),
    ],
)
def test_file_names_are_sanitised(client, tiny_set, filename, expected):
    content = (tiny_set / "real" / "r04.png").read_bytes()
    name = post(client, [(filename, content)]).get_json()["results"][0]["path"]
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    if expected is not None:
        assert name == expected


def test_too_many_files_is_413(client, tiny_set):
    content = (tiny_set / "real" / "r05.png").read_bytes()
    assert post(client, [("a.png", content)] * 4).status_code == 200
    body = assert_json_error(post(client, [("a.png", content)] * 5), 413)
    assert "at most 4" in body["error"] and "--max-files" in body["error"]
    assert_json_error(post(client, [("a.png", content)] * 200), 413)


def test_oversized_body_is_413(tiny_model):
    client = create_app({"FACETRUTH_MODEL": tiny_model, "MAX_CONTENT_LENGTH": 50_000}).test_client()
    assert_json_error(post(client, [("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 60_000)]), 413)


def test_wrong_content_type_and_missing_field(client):
    assert_json_error(client.post("/api/v1/predict", json={"files": ["x.png"]}), 415)
    assert_json_error(client.post("/api/v1/predict", data={"files": "x.png"}), 415)
    response = client.post("/api/v1/predict", data={"other": "1"}, content_type="multipart/form-data")
    assert_json_error(response, 400)
    assert_json_error(
        client.post("/api/v1/predict", data=b"--x\r\n", content_type="multipart/form-data"), 400
    )


def test_unknown_route_and_method(client):
    assert_json_error(client.get("/admin"), 404)
    assert_json_error(client.get("/api/v1/predict"), 405)
    assert_json_error(client.delete("/api/v1/model"), 405)


def test_unexpected_failure_is_a_json_500_without_a_trace(app, client, monkeypatch, caplog, tiny_set):
    def boom(uploads):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(app.extensions["facetruth"], "predict", boom)
    response = post(client, [("a.png", (tiny_set / "real" / "r06.png").read_bytes())])
    body = assert_json_error(response, 500)
    assert "secret" not in json.dumps(body)
    assert "secret internal detail" in caplog.text  # logged on the server


def test_hostile_uploads_write_nothing_to_disk(client, tmp_path, monkeypatch, rng):
    spool, cwd = tmp_path / "tmp", tmp_path / "cwd"
    spool.mkdir(), cwd.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    monkeypatch.chdir(cwd)
    large = png_bytes(rng.integers(0, 256, (420, 420, 3), dtype=np.uint8))
    assert len(large) > 500_000  # would be spooled to a temp file by a default request
    batches = [
        [("big.png", large)],
        [("../../evil.png", large), ("bomb.png", bomb_png())],
        [("x.jpg", b"\xff\xd8\xff" + b"A" * 1000)],
        [("e", b"")] * 5,
    ]
    statuses = [post(client, batch).status_code for batch in batches]
    assert statuses == [200, 200, 422, 413]
    assert list(spool.iterdir()) == [] and list(cwd.iterdir()) == []


def test_create_app_refuses_a_missing_or_tampered_model(tiny_model, tmp_path, monkeypatch):
    monkeypatch.delenv("FACETRUTH_MODEL", raising=False)
    with pytest.raises(ModelIntegrityError, match="FACETRUTH_MODEL"):
        create_app()
    with pytest.raises(ModelIntegrityError, match="not found|no model card"):
        create_app({"FACETRUTH_MODEL": tmp_path / "missing.joblib"})
    bad = tmp_path / "bad.joblib"
    bad.write_bytes(tiny_model.read_bytes() + b"\0")
    (tmp_path / "bad.joblib.json").write_text(tiny_model.with_name("tiny.joblib.json").read_text())
    with pytest.raises(ModelIntegrityError, match="sha256"):
        create_app({"FACETRUTH_MODEL": bad})
    monkeypatch.setenv("FACETRUTH_MODEL", str(tiny_model))
    assert create_app().test_client().get("/healthz").status_code == 200


def test_serving_turns_off_on_disk_caches(tmp_path):
    import facetruth
    from facetruth.web import DetectorService

    images = np.random.default_rng(0).integers(0, 256, (12, 32, 32, 3), dtype=np.uint8)
    pipe = facetruth.build_pipeline("fft,dct", "logistic", "off", 32, cache=tmp_path / "cache", cv=2)
    facetruth.save(pipe.fit(list(images), [0, 1] * 6), tmp_path / "m.joblib")
    served = DetectorService(tmp_path / "m.joblib").pipeline
    assert all(v is None for k, v in served.get_params().items() if k.endswith("cache"))


def test_serve_command_help_and_bad_arguments(tiny_model, capsys):
    from facetruth.cli import main

    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert "examples:" in out and "--workers" in out and "127.0.0.1" in out
    assert main(["serve", str(tiny_model), "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err
    assert main(["serve", str(tiny_model) + ".missing"]) == 2


def test_serve_command_passes_connection_limits(tiny_model, capsys, monkeypatch):
    import facetruth.web
    from facetruth.cli import main

    seen = {}

    class Server:
        def run(self):
            seen["ran"] = True

    def fake_make_server(app, **kwargs):
        seen.update(kwargs)
        return Server()

    monkeypatch.setattr(facetruth.web, "make_server", fake_make_server)
    argv = ["serve", str(tiny_model), "--port", "8123", "--idle-timeout", "7", "--max-connections", "9"]
    assert main(argv) == 0
    assert seen["channel_timeout"] == 7 and seen["connection_limit"] == 9 and seen["ran"]
    assert main(["serve", str(tiny_model), "--idle-timeout", "0"]) == 2
    assert "--idle-timeout" in capsys.readouterr().err
