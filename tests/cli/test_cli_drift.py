"""A model whose features drift on this machine is refused by predict, evaluate and serve, unless --allow-drift."""

import pytest
from fingerprint_edits import edited_copy

from facetruth.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def drifted(trained, tmp_path):
    return edited_copy(trained, tmp_path, scale=1.05, family="fft")


@pytest.fixture
def photos(tiny_set):
    return sorted((tiny_set / "real").iterdir())[:2]


def test_predict_refuses_a_drifting_model_in_one_line(drifted, photos, capsys):
    code, out, err = run(capsys, "predict", drifted, *photos)
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("facetruth predict: error: ")
    assert "features differ" in err and "fft cosine" in err and "--allow-drift" in err


def test_predict_with_allow_drift_prints_verdicts(drifted, photos, capsys):
    with pytest.warns(UserWarning, match="fft cosine.*--allow-drift"):
        code, out, _ = run(capsys, "predict", drifted, *photos, "--allow-drift")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 and all("prob_fake=" in line for line in lines)


def test_evaluate_refuses_and_allows(drifted, tiny_set, capsys):
    code, _, err = run(capsys, "evaluate", drifted, "--data", tiny_set)
    assert code == 2 and "fft cosine" in err
    with pytest.warns(UserWarning, match="fft cosine"):
        code, out, _ = run(capsys, "evaluate", drifted, "--data", tiny_set, "--allow-drift", "--json")
    assert code == 0 and '"auc"' in out


def test_a_model_at_home_predicts_without_the_option(trained, photos, capsys, recwarn):
    code, out, _ = run(capsys, "predict", trained, *photos)
    assert code == 0 and len(out.splitlines()) == 2
    assert not [w for w in recwarn if "fingerprint" in str(w.message) or "features" in str(w.message)]


def test_serve_refuses_a_drifting_model_before_binding(drifted, capsys, monkeypatch):
    from facetruth.cli import serve

    def never(*args, **kwargs):
        raise AssertionError("the server was started")

    monkeypatch.setattr("facetruth.web.make_server", never)
    monkeypatch.setattr(serve, "_check_port", lambda host, port: None)
    code, _, err = run(capsys, "serve", drifted)
    assert code == 2 and "fft cosine" in err.splitlines()[-1] and "--allow-drift" in err
