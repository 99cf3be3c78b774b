"""``facetruth serve``: --trust, the model loaded before "ready", and a clear error for a busy port."""

import socket

import pytest

import facetruth.web
from facetruth.cli import main


class FakeServer:
    def __init__(self, events):
        self.events = events

    def run(self):
        self.events.append("run")


@pytest.fixture
def events(monkeypatch):
    """Replaces the server and the warm-up by recorders; returns the list of what happened, in order."""
    seen = []

    def fake_make_server(app, **kwargs):
        seen.append(("bind", kwargs["port"]))
        kwargs["warm_up"]()  # on each worker thread, in the real server
        return FakeServer(seen)

    monkeypatch.setattr(facetruth.web, "make_server", fake_make_server)
    monkeypatch.setattr(facetruth.web.DetectorService, "warm_up", lambda self: seen.append("warm_up"))
    return seen


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ready_is_said_after_the_model_is_loaded_and_warmed_up(tiny_model, events, capsys):
    port = free_port()
    assert main(["serve", str(tiny_model), "--port", str(port)]) == 0
    assert events == [("bind", port), "warm_up", "run"]
    err = capsys.readouterr().err
    assert err.index("loading") < err.index(f"ready at http://127.0.0.1:{port}/")


def test_a_busy_port_is_a_clear_error_before_any_url(tiny_model, events, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", str(tiny_model), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"port {port}" in err and "already in use" in err and "--port" in err
    assert "http://" not in err and "Traceback" not in err
    assert events == []  # refused before the model was loaded


def test_trust_serves_a_model_without_a_card_with_a_warning(tiny_model, events, tmp_path, capsys):
    bare = tmp_path / "bare.joblib"
    bare.write_bytes(tiny_model.read_bytes())
    assert main(["serve", str(bare), "--port", str(free_port())]) == 2
    assert "--trust" in capsys.readouterr().err
    assert events == []
    with pytest.warns(UserWarning, match="no model card"):
        assert main(["serve", str(bare), "--port", str(free_port()), "--trust"]) == 0
    assert events[-1] == "run"


def test_serve_help_shows_trust(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    assert "--trust" in capsys.readouterr().out
