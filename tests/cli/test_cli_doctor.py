"""facetruth doctor: one table (or JSON) of this machine's facts; exit 1 when a check finds a problem."""

import json
import os
import pathlib
import shutil
import subprocess
import sys
from types import SimpleNamespace

import pytest

import facetruth.features
import facetruth.models
from facetruth.cli import main
from facetruth.cli.doctor import PACKAGES
from facetruth.features import _clip_weights
from facetruth.features._clip_weights import INSTALL_HINT
from facetruth.models import FeatureDrift

SECTIONS = ("versions", "cpu", "threads", "clip", "cuda", "problems")


@pytest.fixture
def no_weights(monkeypatch):
    monkeypatch.setattr(_clip_weights, "_WEIGHTS_PACKAGE", "facetruth_no_such_package")


@pytest.fixture
def weights_ok(monkeypatch):
    """CLIP weights found and checked, whether or not this machine has them installed."""
    # the package keeps each name once resolved, so it is patched too
    for where in (facetruth.features, _clip_weights):  # the package first: it resolves the real one
        monkeypatch.setattr(where, "clip_weights_path", lambda: "clip_encoder.int8.onnx")
        monkeypatch.setattr(where, "read_clip_weights", lambda path=None: b"")


def _doctor(capsys, *args):
    code = main(["doctor", *args])
    return code, capsys.readouterr().out


def test_the_table_lists_every_section(weights_ok, capsys):
    code, out = _doctor(capsys)
    assert code == 0
    sections = [line.split()[0] for line in out.splitlines() if line and not line[0].isspace()]
    assert sections == list(SECTIONS)
    for name in ("python", *PACKAGES, "instruction sets", "int8 kernel (clip, int8)", "cpus available"):
        assert f"  {name}  " in out
    assert "U8S8 (exact with AVX-512 VNNI)" in out or "U8U8 (exact everywhere)" in out
    assert out.rstrip().endswith("none") and "PROBLEM" not in out


def test_json_has_the_facts_and_a_problems_list(weights_ok, capsys):
    code, out = _doctor(capsys, "--json")
    facts = json.loads(out)
    assert code == 0 and facts["problems"] == [] and facts["model"] is None
    assert {"python", "packages", "cpu", "threads", "clip_weights", "cuda", "model", "problems"} == set(facts)
    assert list(facts["packages"]) == list(PACKAGES) and facts["packages"]["facetruth"]
    assert {"machine", "model", "cores", "isa", "int8_kernel"} <= set(facts["cpu"])
    assert facts["cpu"]["int8_kernel"] in ("U8S8", "U8U8")
    assert {"cpus_available", "torch", "env"} <= set(facts["threads"])
    assert facts["clip_weights"]["ok"] is True and isinstance(facts["cuda"]["available"], bool)


def test_missing_clip_weights_is_a_problem_that_says_how_to_install(no_weights, capsys):
    code, out = _doctor(capsys)
    assert code == 1
    assert "PROBLEM" in out and INSTALL_HINT in out and "clip_weights" in out.splitlines()[-1]
    code, out = _doctor(capsys, "--json")
    facts = json.loads(out)
    assert code == 1 and facts["clip_weights"]["ok"] is False
    assert [p["check"] for p in facts["problems"]] == ["clip_weights"]
    assert INSTALL_HINT in facts["problems"][0]["message"]


def test_changed_clip_weights_are_a_problem(tmp_path, monkeypatch, capsys):
    changed = tmp_path / "clip_encoder.int8.onnx"
    changed.write_bytes(b"not the published encoder")
    for where in (facetruth.features, _clip_weights):  # the package first: it resolves the real one
        monkeypatch.setattr(where, "clip_weights_path", lambda: changed)
    code, out = _doctor(capsys, "--json")
    facts = json.loads(out)
    assert code == 1 and facts["clip_weights"]["path"] == str(changed)
    assert "Refusing" in facts["clip_weights"]["message"] and INSTALL_HINT in facts["clip_weights"]["message"]


def test_a_saved_model_is_checked(trained, weights_ok, capsys):
    code, out = _doctor(capsys, str(trained), "--json")
    model = json.loads(out)["model"]
    assert code == 0 and model["path"] == str(trained)
    assert model["status"] == "ok" and model["fingerprint"]["drift"] is False
    code, out = _doctor(capsys, str(trained))
    assert code == 0 and "fingerprint" in out and "ok: this machine's features match" in out


def test_a_model_whose_features_drifted_is_a_problem(trained, weights_ok, tmp_path, capsys):
    path = tmp_path / "model.joblib"
    shutil.copy(trained, path)
    card = json.loads(pathlib.Path(f"{trained}.json").read_text(encoding="utf-8"))
    card["fingerprint"]["prob_fake"] = [(p + 0.5) % 1.0 for p in card["fingerprint"]["prob_fake"]]
    pathlib.Path(f"{path}.json").write_text(json.dumps(card), encoding="utf-8")
    code, out = _doctor(capsys, str(path), "--json")
    facts = json.loads(out)
    assert code == 1 and facts["model"]["status"] == "drift" and "P(fake) moves" in facts["model"]["message"]
    assert [p["check"] for p in facts["problems"]] == ["model"]


def test_an_unreadable_model_is_a_problem_row(tmp_path, weights_ok, capsys):
    path = tmp_path / "broken.joblib"
    path.write_bytes(b"not a model")
    code, out = _doctor(capsys, str(path), "--trust")
    assert code == 1 and "PROBLEM: cannot be loaded" in out
    code, out = _doctor(capsys, str(tmp_path / "absent.joblib"), "--json")
    facts = json.loads(out)
    assert code == 1 and facts["model"]["status"] == "unreadable"
    assert facts["problems"] == [{"check": "model", "message": facts["model"]["message"]}]


DRIFTED = "this machine's features differ from those the model was saved with: clip cosine 0.41"


@pytest.mark.parametrize(
    "drift, status, code",
    [
        (None, "not checked", 0),
        (FeatureDrift(True, False, {"fft": 1.0}, 0.0, "this machine's features match"), "ok", 0),
        (FeatureDrift(True, True, {"clip": 0.41}, 0.2, DRIFTED), "drift", 1),
        ({"checked": True, "drift": True, "message": DRIFTED}, "drift", 1),
        (FeatureDrift(False, False, {}, None, "the probe images differ"), "not checked", 0),
    ],
)
def test_the_fingerprint_check_is_reported(drift, status, code, weights_ok, monkeypatch, capsys):
    seen = {}

    def load(path, *, trust=False, allow_drift=False):
        seen.update(trust=trust, allow_drift=allow_drift)
        return SimpleNamespace(facetruth_card_={}, facetruth_drift_=drift)

    monkeypatch.setattr(facetruth.models, "load", load)
    got, out = _doctor(capsys, "model.joblib", "--json")
    facts = json.loads(out)
    model = facts["model"]
    assert (got, model["status"]) == (code, status) and seen == {"trust": False, "allow_drift": True}
    if status == "drift":
        assert model["message"] == DRIFTED and facts["problems"] == [{"check": "model", "message": DRIFTED}]
        assert model["fingerprint"]["drift"] is True
    got, out = _doctor(capsys, "model.joblib")
    expected = {
        "ok": "  ok: this machine's features match",
        "drift": f"PROBLEM: drift: {DRIFTED}",
        "not checked": "  not checked: ",
    }
    assert got == code and expected[status] in out


def test_no_gpu_runtime_means_no_torch_import():
    code = (
        "import sys\nfrom facetruth.cli import main\nmain(['doctor', '--json'])\n"
        "print('torch' in sys.modules)"
    )
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "-1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    *facts, imported = out.stdout.strip().splitlines()
    assert imported == "False", out.stderr
    assert json.loads(facts[-1])["cuda"]["available"] is False
