"""A hostile client against a real server: waitress on a free loopback port, raw sockets.

Every hostile request ends in a 4xx JSON answer (or, for an upload that is
abandoned or stalls, a closed connection), never a 5xx; nothing is written
to the temporary folder or the working folder; and the server keeps serving
well-behaved clients throughout.
"""

import io
import json
import os
import socket
import tempfile
import threading
import uuid
import zipfile

import numpy as np
import pytest
from fuzz_corpus import jpeg_header, png_bomb, png_header
from PIL import Image

from facetruth.web import create_app, make_server

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

MAX_BODY = 256 * 1024


@pytest.fixture(scope="module")
def model(tiny_set, tmp_path_factory):
    import facetruth
    from facetruth.data import load_dataset
    from facetruth.pipelines import build_pipeline, train_detector

    result = train_detector(build_pipeline("fft", "logistic", "off"), load_dataset(tiny_set))
    out = tmp_path_factory.mktemp("hostile") / "model.joblib"
    facetruth.save(result.pipeline, out, metadata=result.metadata)
    return out


@pytest.fixture(scope="module")
def server(model, tmp_path_factory):
    """``(port, spool folder, working folder)`` of a running server; checks both stay empty."""
    spool, cwd = tmp_path_factory.mktemp("spool"), tmp_path_factory.mktemp("cwd")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tempfile, "tempdir", str(spool))
        mp.chdir(cwd)
        app = create_app({"FACETRUTH_MODEL": model, "MAX_CONTENT_LENGTH": MAX_BODY, "MAX_FILES": 8})
        srv = make_server(app, port=0, threads=4, max_body=MAX_BODY, channel_timeout=2, cleanup_interval=1)
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        yield srv.effective_port, spool, cwd
        srv.close()
        thread.join(timeout=10)
    assert list(spool.iterdir()) == [] and list(cwd.iterdir()) == []


def exchange(port, data, *, shut=False, timeout=20):
    """Send raw bytes and read until the server closes; ``(status, headers, body)`` or ``None``."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            if shut:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before taking everything
        raw = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            raw += chunk
    if not raw:
        return None
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def request(path, body=b"", content_type=None, method="POST", extra=""):
    head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    if content_type:
        head += f"Content-Type: {content_type}\r\n"
    return (head + f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body


def multipart(files, field="files"):
    boundary = uuid.uuid4().hex
    parts = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'.encode()
        + b"Content-Type: application/octet-stream\r\n\r\n"
        + content
        + b"\r\n"
        for name, content in files
    )
    return parts + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def predict(port, files):
    return exchange(port, request("/api/v1/predict", *multipart(files)))


def assert_4xx_json(answer, status=None):
    assert answer is not None, "the server closed the connection without answering"
    code, headers, body = answer
    assert 400 <= code < 500 and (status is None or code == status), (code, body[:300])
    assert (
        headers["Content-Type"].startswith("application/json")
        and headers["X-Content-Type-Options"] == "nosniff"
    )
    assert json.loads(body)["error"]
    return json.loads(body)


def png(seed=0, size=48):
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)).save(
        buf, "PNG"
    )
    return buf.getvalue()


def test_oversized_bodies_are_json_413_before_the_body_is_read(server):
    port = server[0]
    for declared in (MAX_BODY + 1, 10 * MAX_BODY, 2**40):
        head = request("/api/v1/predict", b"", "multipart/form-data; boundary=x")
        head = head.replace(b"Content-Length: 0", f"Content-Length: {declared}".encode())
        body = assert_4xx_json(exchange(port, head), 413)
        assert f"more than {MAX_BODY} bytes" in body["error"] and "--max-upload-mb" in body["error"]
    chunked = request(
        "/api/v1/predict", b"", "multipart/form-data; boundary=x", extra="Transfer-Encoding: chunked\r\n"
    )
    chunked = (
        chunked.replace(b"Content-Length: 0\r\n", b"") + b"%x\r\n" % (MAX_BODY + 10) + b"A" * (MAX_BODY + 10)
    )
    assert_4xx_json(exchange(port, chunked), 413)


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/json", b'{"files": ["a.png"]}', 415),
        ("text/plain", b"hello", 415),
        ("application/x-www-form-urlencoded", b"files=a.png", 415),
        ("image/png", None, 415),
        ("multipart/form-data", b"--x\r\n\r\n", 400),  # no boundary
        ("multipart/form-data; boundary=x", b"--x\r\ngarbage", 400),
        (None, b"", 415),
    ],
)
def test_wrong_content_types(server, content_type, body, status):
    body = png() if body is None else body
    assert_4xx_json(exchange(server[0], request("/api/v1/predict", body, content_type)), status)


def test_malformed_http_is_json_4xx(server):
    port = server[0]
    assert_4xx_json(exchange(port, b"GARBAGE\r\n\r\n"), 400)
    assert_4xx_json(exchange(port, request("/api/v1/predict", b"", extra="Transfer-Encoding: gzip\r\n")), 400)
    huge_header = request("/healthz", method="GET", extra=f"X-Pad: {'a' * 300_000}\r\n")
    assert_4xx_json(exchange(port, huge_header), 431)
    assert_4xx_json(exchange(port, request("/../../etc/passwd", method="GET")), 404)


def test_polyglots_are_scored_as_their_pixels(server):
    port, clean = server[0], png(1)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("evil.class", b"\xca\xfe\xba\xbe")
    polyglots = [
        ("zip.png", clean + archive.getvalue()),
        ("html.png", clean + b"<html><script>alert(1)</script></html>"),
        ("x.html", clean),
    ]
    code, headers, body = predict(port, [("clean.png", clean), *polyglots])
    rows = json.loads(body)["results"]
    assert code == 200 and headers["Content-Type"] == "application/json"
    assert all(r["error"] is None and r["prob_fake"] == pytest.approx(rows[0]["prob_fake"]) for r in rows)
    gif = io.BytesIO()
    Image.new("RGB", (8, 8), (255, 0, 0)).save(gif, "GIF")
    code, _, body = predict(port, [("gifar.gif", gif.getvalue() + archive.getvalue())])
    assert code == 200 and json.loads(body)["results"][0]["error"] is None


def test_bombs_and_junk_are_422(server):
    for name, content in [
        ("bomb.png", png_bomb(8000, 8000)),  # 64 MB of zeros in a few KB; MAX_PIXELS is 40M
        ("header.png", png_header(20000, 20000)),
        ("empty.png", b""),
        ("junk.jpg", b"\xff\xd8\xff" + b"\0" * 100),
    ]:
        body = assert_4xx_json(predict(server[0], [(name, content)]), 422)
        assert body["results"][0]["prob_fake"] is None


def test_small_files_claiming_many_pixels_are_refused_unread(server):
    """633 bytes claiming 6000x6000 (under MAX_PIXELS) cost ~350 MB to decode; a flat photo is fine."""
    body = assert_4xx_json(predict(server[0], [("tiny.jpg", jpeg_header(6000, 6000))]), 422)
    assert "decompression bomb" in body["results"][0]["error"]
    flat = io.BytesIO()
    Image.new("RGB", (2500, 2000), (120, 130, 140)).save(flat, "PNG")  # ~270 pixels per byte
    code, _, answer = predict(server[0], [("flat.png", flat.getvalue())])
    assert code == 200 and json.loads(answer)["results"][0]["error"] is None


def test_many_files_and_many_fields_are_413(server):
    port = server[0]
    assert "--max-files" in assert_4xx_json(predict(port, [("a.png", b"x")] * 9), 413)["error"]
    assert "--max-files" in assert_4xx_json(predict(port, [("a.png", b"x")] * 500), 413)["error"]
    fields, ctype = multipart([(f"f{i}", b"1") for i in range(2000)], field="other")
    assert_4xx_json(exchange(port, request("/api/v1/predict", fields, ctype)), 413)


@pytest.mark.parametrize(
    "name", ["../../../tmp/evil.png", "..\\..\\evil.png", "/etc/cron.d/x.png", "a\x00b.png"]
)
def test_path_traversal_names_are_only_labels(server, name):
    code, _, body = predict(server[0], [(name, png(2))])
    assert code == 200
    shown = json.loads(body)["results"][0]["path"]
    assert "/" not in shown and "\\" not in shown and ".." not in shown and "\x00" not in shown


def test_stalled_and_abandoned_uploads_do_not_block_others(server):
    port = server[0]
    body, ctype = multipart([("slow.png", png(3))])
    partial = request("/api/v1/predict", body, ctype)[: -len(body) // 2]
    stalled = socket.create_connection(("127.0.0.1", port), timeout=30)
    stalled.sendall(partial)  # then silence
    assert exchange(port, partial, shut=True) is None  # abandoned: half a body, then gone
    code, _, answer = predict(port, [("ok.png", png(4))])  # served while the other one stalls
    assert code == 200 and json.loads(answer)["results"][0]["error"] is None
    try:
        assert stalled.recv(65536) == b""  # the server drops the silent client (channel_timeout)
    finally:
        stalled.close()
    assert exchange(port, request("/healthz", method="GET"))[0] == 200


def test_no_hostile_request_left_a_5xx_or_a_file(server):
    """After everything above, a last look: the server is healthy and wrote nothing."""
    port, spool, cwd = server
    code, _, body = exchange(port, request("/healthz", method="GET"))
    assert code == 200 and json.loads(body)["status"] == "ok"
    assert list(spool.iterdir()) == [] and list(cwd.iterdir()) == []
    assert not [p for p in os.listdir(tempfile.gettempdir()) if p.startswith("facetruth-upload")]


def test_pixel_budget_bounds_concurrent_decodes():
    from facetruth.web._limits import PixelBudget

    budget = PixelBudget(100)
    release_a, release_b, b_inside = threading.Event(), threading.Event(), threading.Event()

    def holder(pixels, inside, release):
        with budget.hold(pixels):
            inside.set()
            release.wait(30)

    a_inside = threading.Event()
    a = threading.Thread(target=holder, args=(60, a_inside, release_a))
    b = threading.Thread(target=holder, args=(60, b_inside, release_b))
    a.start()
    assert a_inside.wait(30)
    b.start()
    assert not b_inside.wait(0.3) and budget.in_use == 60  # 60 + 60 > 100: b waits
    release_a.set()
    assert b_inside.wait(30)  # ... and runs once a is done
    with budget.hold(10):  # small ones share the rest
        assert budget.in_use == 70
    release_b.set()
    a.join(), b.join()
    with budget.hold(500):  # larger than the whole budget: runs alone
        assert budget.in_use == 500
    assert budget.in_use == 0
