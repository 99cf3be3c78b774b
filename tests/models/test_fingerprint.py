"""The feature fingerprint in every saved detector, checked where it is loaded."""

import json
import warnings

import numpy as np
import pytest
from fingerprint_edits import edited_copy, family_columns, read_features
from PIL import Image

import facetruth
from facetruth.data import probe_digest
from facetruth.exceptions import FeatureDriftError, ModelIntegrityError
from facetruth.features import FFTFeatures
from facetruth.models import DRIFT_MIN_COSINE, feature_fingerprint
from facetruth.models._drift import compare_fingerprint
from facetruth.models._fingerprint import DRIFT_MAX_PROB_DELTA
from facetruth.models._persistence import read_model_card


def _images(folder):
    return [np.asarray(Image.open(p).convert("RGB")) for p in sorted(folder.iterdir())]


@pytest.fixture(scope="module")
def detector(tiny_set):
    """fft+dct and a logistic probe on ``tiny_set``: its P(fake) of the probes is not flat."""
    real, fake = _images(tiny_set / "real"), _images(tiny_set / "fake")
    pipe = facetruth.build_pipeline("fft,dct", "logistic", face="off", image_size=32, cv=2)
    return pipe.fit(real + fake, [0] * len(real) + [1] * len(fake))


@pytest.fixture(scope="module")
def model_file(detector, tmp_path_factory):
    path = tmp_path_factory.mktemp("fingerprint") / "model.joblib"
    facetruth.save(detector, path)
    return path


def test_the_card_holds_the_fingerprint_and_load_checks_it(detector, model_file, recwarn):
    card = read_model_card(model_file)
    fingerprint = card["fingerprint"]
    assert fingerprint["families"] == [["fft", 69], ["dct", 434]]
    assert fingerprint["probes"] == probe_digest()
    assert read_features(fingerprint).shape == (4, 503)
    assert len(set(np.round(fingerprint["prob_fake"], 3))) > 1  # a detector that tells the probes apart
    assert {"machine", "isa", "cores", "model"} <= set(fingerprint["machine"])
    assert {"onnxruntime", "torch", "numpy", "opencv-python-headless", "scikit-image"} <= set(
        fingerprint["versions"]
    )
    assert {"onnxruntime", "onnx", "scikit-image"} <= set(card["versions"])
    model = facetruth.load(model_file)
    drift = model.facetruth_drift_
    assert drift.checked and not drift.drift
    assert set(drift.cosine) == {"fft", "dct"} and drift.min_cosine > 1 - 1e-6 and drift.prob_delta < 1e-6
    assert "match" in drift.message
    assert not [w for w in recwarn if "fingerprint" in str(w.message) or "features" in str(w.message)]


def test_fingerprint_never_uses_or_fills_caches(detector, tmp_path):
    cache = tmp_path / "cache"
    facetruth.models.set_cache(detector, cache)
    try:
        fingerprint = feature_fingerprint(detector)
        assert {v for k, v in detector.get_params().items() if k.endswith("__cache")} == {str(cache)}
    finally:
        facetruth.models.set_cache(detector, None)
    assert not cache.exists() or not any(cache.rglob("*"))
    assert compare_fingerprint(detector, fingerprint).drift is False


def test_the_check_runs_on_a_copy_with_one_job_and_leaves_the_pipeline_alone(detector, monkeypatch):
    """A web server may score with the pipeline in another thread meanwhile: nothing of it changes."""
    n_jobs = detector[0].n_jobs
    detector.set_params(loader__n_jobs=2)
    seen = []
    loader_type = type(detector[0])
    original = loader_type.transform

    def spy(self, X):
        seen.append((self is detector[0], self.n_jobs))
        return original(self, X)

    monkeypatch.setattr(loader_type, "transform", spy)
    try:
        before = detector.get_params()
        fingerprint = feature_fingerprint(detector)
        assert compare_fingerprint(detector, fingerprint).drift is False
        assert detector.get_params() == before
    finally:
        detector.set_params(loader__n_jobs=n_jobs)
    assert seen and all(not is_original and n_jobs == 1 for is_original, n_jobs in seen)


def test_a_bare_estimator_has_no_fingerprint_and_loads_silently(detector, tmp_path, recwarn):
    classifier = detector[-1]
    assert feature_fingerprint(classifier) is None
    card = facetruth.save(classifier, tmp_path / "bare.joblib")
    assert "fingerprint" not in card
    assert facetruth.load(tmp_path / "bare.joblib").facetruth_drift_ is None
    assert not recwarn.list


def test_drifting_features_are_refused_naming_the_family(model_file, tmp_path):
    drifted = edited_copy(model_file, tmp_path, scale=1.02, family="dct")
    with pytest.raises(FeatureDriftError) as info:
        facetruth.load(drifted)
    message = str(info.value)
    assert isinstance(info.value, ModelIntegrityError)
    assert "dct cosine" in message and "fft cosine" not in message and "min over 4 probe images" in message
    assert "not comparable" in message and "--allow-drift" in message and "\n" not in message


def test_allow_drift_loads_with_a_warning(model_file, tmp_path):
    drifted = edited_copy(model_file, tmp_path, scale=1.02, family="dct")
    with pytest.warns(UserWarning, match="dct cosine.*allow_drift=True") as record:
        model = facetruth.load(drifted, allow_drift=True)
    assert record[0].filename == __file__
    drift = model.facetruth_drift_
    assert drift.checked and drift.drift and drift.cosine["dct"] < DRIFT_MIN_COSINE <= drift.cosine["fft"]
    assert json.loads(json.dumps(drift.as_dict()))["drift"] is True


def test_a_moved_probability_alone_is_drift(model_file, tmp_path):
    drifted = edited_copy(model_file, tmp_path, prob_shift=2 * DRIFT_MAX_PROB_DELTA)
    with pytest.raises(FeatureDriftError, match=r"P\(fake\) moves by up to 0.020"):
        facetruth.load(drifted)
    within = edited_copy(model_file, tmp_path, prob_shift=DRIFT_MAX_PROB_DELTA / 2, name="within.joblib")
    assert not facetruth.load(within).facetruth_drift_.drift


def test_a_feature_function_that_moves_is_caught(model_file, monkeypatch):
    """A library that scales a family by 2 % (a plain cosine would still be 1.0)."""
    for method in ("_function", "_planes_function"):
        original = getattr(FFTFeatures, method)

        def scaled(self, original=original):
            function = original(self)
            return lambda image, **kwargs: 1.02 * np.asarray(function(image, **kwargs))

        monkeypatch.setattr(FFTFeatures, method, scaled)
    with pytest.raises(FeatureDriftError, match="fft cosine") as info:
        facetruth.load(model_file)
    assert "dct cosine" not in str(info.value)


def test_the_message_says_what_differs_between_the_machines(model_file, tmp_path):
    def older_machine(card):
        card["fingerprint"]["machine"] = {"machine": "x86_64", "isa": ["avx2", "fma"]}
        card["fingerprint"]["versions"]["opencv-python-headless"] = "1.0.0"

    drifted = edited_copy(model_file, tmp_path, scale=1.05, family="fft", edit=older_machine)
    with pytest.raises(FeatureDriftError) as info:
        facetruth.load(drifted)
    message = str(info.value)
    assert "Saved on x86_64 [avx2, fma] with opencv-python-headless 1.0.0; here " in message
    assert "fft cosine" in message


def test_a_card_without_fingerprint_warns(model_file, tmp_path):
    old = edited_copy(model_file, tmp_path, edit=lambda card: card.pop("fingerprint"))
    with pytest.warns(
        UserWarning, match="no feature fingerprint.*cannot be checked on this machine"
    ) as record:
        model = facetruth.load(old)
    assert model.facetruth_drift_ is None and "VNNI" not in str(record[0].message)

    def old_clip(card):
        card.pop("fingerprint")
        card["feature_families"] = {"clip": 512}

    old = edited_copy(model_file, tmp_path, edit=old_clip, name="clip.joblib")
    with pytest.warns(UserWarning, match="clip features.*without AVX-512 VNNI.*were wrong.*retrain"):
        facetruth.load(old)


def test_other_probes_cannot_be_checked_and_warn(model_file, tmp_path):
    other = edited_copy(model_file, tmp_path, edit=lambda card: card["fingerprint"].update(probes="0" * 64))
    with pytest.warns(UserWarning, match="probe images differ.*cannot be checked"):
        model = facetruth.load(other)
    assert model.facetruth_drift_.checked is False and model.facetruth_drift_.drift is False


def test_another_feature_layout_is_drift(model_file, tmp_path):
    def fewer_columns(card):
        fingerprint = card["fingerprint"]
        features = read_features(fingerprint)[:, family_columns(fingerprint, "fft")]
        fingerprint["features"].update(shape=list(features.shape), data=_b64(features))
        fingerprint["families"] = [["fft", 69]]

    with pytest.raises(FeatureDriftError, match="another layout"):
        facetruth.load(edited_copy(model_file, tmp_path, edit=fewer_columns))


def _b64(array):
    import base64

    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


@pytest.mark.parametrize(
    "damage",
    [
        lambda fp: fp.update(format="other/1"),
        lambda fp: fp["features"].update(data="not base64!"),
        lambda fp: fp["features"].update(shape=[3, 7]),
        lambda fp: fp.update(prob_fake="x"),
        lambda fp: fp.pop("families"),
    ],
)
def test_an_unreadable_fingerprint_is_an_integrity_error(model_file, tmp_path, damage):
    damaged = edited_copy(model_file, tmp_path, edit=lambda card: damage(card["fingerprint"]))
    with pytest.raises(ModelIntegrityError, match="unreadable feature fingerprint"):
        facetruth.load(damaged, allow_drift=True)


def test_compare_needs_no_file(detector):
    fingerprint = json.loads(json.dumps(feature_fingerprint(detector)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        drift = compare_fingerprint(detector, fingerprint)
    assert (drift.checked, drift.drift) == (True, False)
    assert compare_fingerprint(detector[-1], fingerprint).checked is False
