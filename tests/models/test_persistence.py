import json
import pickle

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

import facetruth
from facetruth.exceptions import ModelIntegrityError
from facetruth.models import CalibratedDetector
from facetruth.models._persistence import read_model_card, sha256_file


@pytest.fixture
def saved(tmp_path):
    X, y = make_classification(n_samples=120, n_features=6, random_state=0)
    model = CalibratedDetector(LogisticRegression(), cv=3).fit(X, y)
    path = tmp_path / "model.joblib"
    card = facetruth.save(model, path, metadata={"seed": 7})
    return model, path, card, X


def test_card_contents(saved):
    model, path, card, _ = saved
    on_disk = read_model_card(path)
    assert on_disk == json.loads(json.dumps(card))
    assert card["sha256"] == sha256_file(path)
    assert card["label_positive"] == "fake" and card["seed"] == 7
    assert card["threshold"] == pytest.approx(model.threshold_)
    assert {"facetruth", "scikit-learn", "xgboost", "numpy"} <= set(card["versions"])
    assert "auc" in card["validation_metrics"]
    assert not list(path.parent.glob("*.tmp"))


def test_round_trip_is_identical(saved):
    model, path, _, X = saved
    assert np.array_equal(facetruth.load(path).predict_proba(X), model.predict_proba(X))


def test_one_flipped_byte_is_refused(saved):
    _, path, _, _ = saved
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(ModelIntegrityError, match="sha256.*does not match"):
        facetruth.load(path)
    with pytest.raises(ModelIntegrityError, match="sha256"):
        facetruth.load(path, trust=True)  # trust never overrides a mismatching card


def test_replaced_pickle_is_refused(saved, tmp_path):
    _, path, _, _ = saved
    path.write_bytes(pickle.dumps({"not": "a model"}))
    with pytest.raises(ModelIntegrityError, match="does not match"):
        facetruth.load(path)


def test_missing_card_needs_trust(saved):
    model, path, _, X = saved
    path.with_name(path.name + ".json").unlink()
    with pytest.raises(ModelIntegrityError, match="no model card.*trust"):
        facetruth.load(path)
    with pytest.warns(UserWarning, match="no model card.*integrity cannot be checked.*trust") as record:
        loaded = facetruth.load(path, trust=True)
    assert [str(w.message).count("model.joblib") for w in record] == [1]  # one warning, naming the file
    assert record[0].filename == __file__  # points at the caller, not at FaceTruth's code
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_trust_with_a_card_loads_silently(saved, recwarn):
    _, path, _, _ = saved
    facetruth.load(path, trust=True)
    assert not [w for w in recwarn if "model card" in str(w.message)]


def test_missing_file_and_non_detector(tmp_path):
    with pytest.raises(ModelIntegrityError, match="not found"):
        facetruth.load(tmp_path / "nope.joblib")
    path = tmp_path / "list.joblib"
    joblib.dump([1, 2, 3], path)
    with pytest.raises(ModelIntegrityError, match="not a detector"):
        facetruth.load(path, trust=True)


def test_version_difference_warns(saved):
    _, path, card, _ = saved
    card["versions"]["scikit-learn"] = "0.0.1"
    path.with_name(path.name + ".json").write_text(json.dumps(card))
    with pytest.warns(UserWarning, match="scikit-learn 0.0.1"):
        facetruth.load(path)


class _Planted:
    """Unpickling this object creates ``marker``: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_code_in_a_tampered_pickle_never_runs(saved, tmp_path):
    _, path, _, _ = saved
    marker = tmp_path / "code-ran"
    joblib.dump(_Planted(marker), path)
    for trust in (False, True):
        with pytest.raises(ModelIntegrityError, match="does not match the model card"):
            facetruth.load(path, trust=trust)
    assert not marker.exists()
    card = path.with_name(path.name + ".json")
    for text in ("not json", "[1, 2]", '"a string"'):  # a damaged card never means 'no card'
        card.write_text(text)
        for trust in (False, True):
            with pytest.raises(ModelIntegrityError, match="unreadable model card"):
                facetruth.load(path, trust=trust)
    assert not marker.exists()
    card.unlink()
    with pytest.raises(ModelIntegrityError, match="no model card"):
        facetruth.load(path)
    assert not marker.exists()
    with pytest.raises(ModelIntegrityError, match="not a detector"):
        facetruth.load(path, trust=True)  # the owner vouched for it: it runs
    assert marker.exists()


def test_card_with_odd_fields_is_refused_not_crashed(saved):
    _, path, card, _ = saved
    card_path = path.with_name(path.name + ".json")
    for sha in (None, 12, ["x"]):
        card_path.write_text(json.dumps({**card, "sha256": sha}))
        with pytest.raises(ModelIntegrityError, match="does not match"):
            facetruth.load(path)
    card_path.write_text(json.dumps({**card, "versions": ["odd"]}))
    assert hasattr(facetruth.load(path), "predict_proba")


def test_the_bytes_checked_are_the_bytes_loaded(saved, monkeypatch):
    """Replacing the file after the sha256 check cannot slip another pickle in."""
    from facetruth.models import _persistence

    model, path, _, X = saved
    good = path.read_bytes()
    real_sha = _persistence.hashlib.sha256

    def swap_after_hashing(data):
        path.write_bytes(pickle.dumps({"not": "a model"}))  # lands after the check
        return real_sha(data)

    monkeypatch.setattr(_persistence.hashlib, "sha256", swap_after_hashing)
    loaded = facetruth.load(path)
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert path.read_bytes() != good
