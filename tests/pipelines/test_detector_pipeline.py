"""``DetectorPipeline``: a scikit-learn ``Pipeline`` whose ``fit`` draws progress bars."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from facetruth.data import load_dataset
from facetruth.exceptions import ImageDecodeError
from facetruth.pipelines import DetectorPipeline, build_pipeline, train_detector
from facetruth.pipelines._progress import progress_stage


def _tiny_pipeline(**kwargs):
    return build_pipeline("fft,lbp", "logistic", face="off", image_size=48, cv=3, **kwargs)


def test_fit_with_progress_fits_what_the_plain_fit_fits_and_draws_each_step(tiny_set, capsys):
    data = load_dataset(tiny_set)
    plain = _tiny_pipeline().fit(data.paths, data.labels)
    assert capsys.readouterr().err == ""
    shown = _tiny_pipeline(progress=True).fit(data.paths, data.labels)
    err = capsys.readouterr().err
    n = len(data)
    assert "decode+crop: 100%" in err and f"{n}/{n}" in err
    assert "features: 100%" in err and "classifier fit: 1/1" in err
    np.testing.assert_array_equal(shown.predict_proba(data.paths), plain.predict_proba(data.paths))
    assert shown["loader"].min_face_side_ == plain["loader"].min_face_side_
    assert shown["classifier"].threshold_ == plain["classifier"].threshold_


def test_fit_with_progress_passes_step_parameters_and_refuses_others(tiny_set):
    data = load_dataset(tiny_set)
    plain = _tiny_pipeline().fit(data.paths, data.labels, classifier__groups=data.groups)
    shown = _tiny_pipeline(progress=True).fit(data.paths, data.labels, classifier__groups=data.groups)
    np.testing.assert_array_equal(shown.predict_proba(data.paths[:6]), plain.predict_proba(data.paths[:6]))
    with pytest.raises(ValueError, match="stepname__parameter"):
        _tiny_pipeline(progress=True).fit(data.paths, data.labels, groups=data.groups)


@pytest.mark.parametrize("progress", [False, True])
def test_an_undecodable_image_fails_the_fit_either_way(tiny_set, tmp_path, progress):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    data = load_dataset(tiny_set)
    with pytest.raises(ImageDecodeError):
        _tiny_pipeline(progress=progress).fit([*data.paths, str(broken)], [*data.labels, 1])


def test_progress_is_a_parameter_that_clones_and_changes_nothing_else():
    pipe = _tiny_pipeline(progress=True)
    assert isinstance(pipe, Pipeline) and pipe.get_params()["progress"] is True
    assert clone(pipe).progress is True and clone(pipe.set_params(progress=False)).progress is False
    assert build_pipeline().progress is False


def test_other_steps_get_a_bar_each(capsys):
    X = np.random.default_rng(0).normal(size=(30, 3))
    y = np.arange(30) % 2
    pipe = DetectorPipeline([("scale", StandardScaler()), ("clf", LogisticRegression())], progress=True)
    expected = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]).fit(X, y)
    np.testing.assert_allclose(pipe.fit(X, y).predict_proba(X), expected.predict_proba(X))
    err = capsys.readouterr().err
    assert "scale: 1/1" in err and "clf fit: 1/1" in err


def test_train_detector_draws_the_detector_fit(tiny_set, capsys):
    train_detector(_tiny_pipeline(), load_dataset(tiny_set), progress=True)
    err = capsys.readouterr().err
    assert "decode+crop" in err and "features" in err and "detector fit: 1/1" in err


def test_progress_stage_draws_only_when_asked(capsys):
    with progress_stage("step", progress=True, interval=0.01):
        sum(range(1000))
    assert "step: 1/1" in capsys.readouterr().err
    with progress_stage("quiet"):
        pass
    assert capsys.readouterr().err == ""
    with pytest.raises(KeyError), progress_stage("failing", progress=True, interval=0.01):
        raise KeyError("x")


#: what scikit-learn's own Pipeline fails too: it fits the estimators of ``steps`` in place
_IN_PLACE = "a Pipeline fits the estimators in its steps in place, as scikit-learn's own Pipeline does"


@parametrize_with_checks(
    [
        DetectorPipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]),
        DetectorPipeline([("scale", StandardScaler()), ("clf", LogisticRegression())], progress=True),
    ],
    expected_failed_checks=lambda estimator: {
        "check_estimators_overwrite_params": _IN_PLACE,
        # the Pipeline's own fit also replaces ``steps`` (with the same, fitted, estimators)
        **({} if estimator.progress else {"check_dont_overwrite_parameters": _IN_PLACE}),
    },
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
