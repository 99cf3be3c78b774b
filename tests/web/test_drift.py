"""The web app checks the model's feature fingerprint at start-up and reports it on /healthz."""

import pytest
from fingerprint_edits import edited_copy

from facetruth.exceptions import FeatureDriftError
from facetruth.web import create_app


def test_healthz_reports_features_that_match(client):
    features = client.get("/healthz").get_json()["features"]
    assert features["checked"] is True and features["drift"] is False
    assert features["min_cosine"] > 0.999999 and features["prob_delta"] < 1e-6
    assert "match" in features["message"]


def test_a_drifting_model_is_refused_unless_allowed(tiny_model, tmp_path):
    drifted = edited_copy(tiny_model, tmp_path, scale=1.05, family="dct")
    with pytest.raises(FeatureDriftError, match="dct cosine"):
        create_app({"FACETRUTH_MODEL": drifted})
    with pytest.warns(UserWarning, match="dct cosine"):
        app = create_app({"FACETRUTH_MODEL": drifted, "FACETRUTH_ALLOW_DRIFT": True})
    client = app.test_client()
    features = client.get("/healthz").get_json()["features"]
    assert features["checked"] is True and features["drift"] is True and features["min_cosine"] < 0.999
    assert "dct cosine" in features["message"]
    assert client.get("/api/v1/model/summary").status_code == 200


def test_healthz_says_when_nothing_was_checked(tiny_model, tmp_path):
    old = edited_copy(tiny_model, tmp_path, edit=lambda card: card.pop("fingerprint"))
    with pytest.warns(UserWarning, match="no feature fingerprint"):
        app = create_app({"FACETRUTH_MODEL": old})
    features = app.test_client().get("/healthz").get_json()["features"]
    assert features["checked"] is False and features["drift"] is None
    assert "no feature fingerprint" in features["message"]
