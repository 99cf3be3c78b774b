import json
import pickle

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

import facetruth
from facetruth.exceptions import ModelIntegrityError
from facetruth.models import CalibratedDetector, read_model_card, sha256_file


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
    assert np.array_equal(facetruth.load(path, trust=True).predict_proba(X), model.predict_proba(X))


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
