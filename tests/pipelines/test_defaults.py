"""``build_pipeline()`` and ``facetruth train`` build the same detector from one set of defaults."""

import argparse

import pytest

import facetruth
import facetruth.pipelines
from facetruth.cli import main
from facetruth.cli.main import build_parser
from facetruth.pipelines import DEFAULTS, build_detector, build_pipeline


class _Stop(BaseException):
    """Ends ``facetruth train`` once it has built its pipeline."""


def _train_pipeline(monkeypatch, tiny_set, tmp_path, *extra):
    """The pipeline ``facetruth train --data tiny_set ...`` hands to training."""
    built = []

    def capture(pipeline, dataset, **kwargs):
        built.append(pipeline)
        raise _Stop

    monkeypatch.delenv("FACETRUTH_CACHE", raising=False)
    monkeypatch.setattr(facetruth.pipelines, "train_detector", capture)
    with pytest.raises(_Stop):
        main(["train", "--data", str(tiny_set), "--out", str(tmp_path / "m.joblib"), *extra])
    return built[0]


def _params(pipeline):
    """Every parameter, by name, with the estimators replaced by their class names."""
    params = {}
    for key, value in pipeline.get_params(deep=True).items():
        if key == "steps" or key.endswith(("transformer_list", "steps")):
            continue
        if hasattr(value, "get_params"):
            value = type(value).__name__
        params[key] = value.tolist() if hasattr(value, "tolist") else value
    return params


def test_train_builds_what_build_pipeline_builds_every_core_aside(monkeypatch, tiny_set, tmp_path):
    from_cli = _params(_train_pipeline(monkeypatch, tiny_set, tmp_path))
    from_python = _params(build_pipeline())
    n_jobs = {key for key in from_python if key.endswith("n_jobs")}
    assert {key: from_cli[key] for key in n_jobs} == {
        "loader__n_jobs": DEFAULTS.cli_n_jobs,
        "features__n_jobs": None,  # the union's own; its families have theirs
        "features__clip__n_jobs": DEFAULTS.cli_n_jobs,
        "classifier__estimator__logisticregressioncv__n_jobs": DEFAULTS.classifier_n_jobs,
    }
    assert from_python["loader__n_jobs"] is None and from_python["features__clip__n_jobs"] is None
    same = {key: value for key, value in from_python.items() if key not in n_jobs}
    assert {key: from_cli[key] for key in same} == same


def test_the_defaults_are_the_recommended_detector():
    pipe = build_pipeline()
    assert [name for name, _ in pipe["features"].transformer_list] == [DEFAULTS.features] == ["clip"]
    assert [name for name, _ in pipe["classifier"].estimator.steps][-1] == "logisticregressioncv"
    detector = pipe["classifier"]
    assert (detector.cv, detector.confidence, detector.random_state) == (
        DEFAULTS.cv,
        DEFAULTS.confidence,
        DEFAULTS.seed,
    )
    assert (pipe["loader"].face, pipe["loader"].image_size) == (DEFAULTS.face, DEFAULTS.image_size)


def _option(command, flag):
    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return next(a for a in sub.choices[command]._actions if flag in a.option_strings)


def test_train_options_default_to_the_shared_constants():
    assert _option("train", "--features").default == DEFAULTS.features
    assert _option("train", "--classifier").default == DEFAULTS.classifier
    assert _option("train", "--face").default == DEFAULTS.face
    assert _option("train", "--image-size").default == DEFAULTS.image_size
    assert _option("train", "--confidence").default == DEFAULTS.confidence
    assert _option("train", "--seed").default == DEFAULTS.seed


def test_the_classifier_fits_on_one_thread_unless_asked():
    assert build_pipeline("all")["classifier"].estimator.n_jobs == DEFAULTS.classifier_n_jobs == 1
    assert build_detector("xgboost", device="cpu").estimator.n_jobs == 1
    assert build_detector("xgboost", device="cpu", n_jobs=-1).estimator.n_jobs == -1
    assert build_detector("random_forest").estimator.n_jobs == 1


def test_features_all_still_means_the_handcrafted_families_and_the_cnn():
    pipe = build_pipeline(features="all", device="cpu")
    assert [name for name, _ in pipe["features"].transformer_list] == ["fft", "dct", "noise", "lbp", "cnn"]
    assert type(pipe["classifier"].estimator).__name__ == "XGBClassifier"
