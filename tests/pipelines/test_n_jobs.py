"""``n_jobs`` as in scikit-learn and joblib: ``None`` one, ``-1`` every core, ``-2`` all but one."""

import argparse

import numpy as np
import pytest
from joblib import cpu_count, parallel_config

import facetruth.pipelines._loader as loader_module
from facetruth.cli.main import build_parser
from facetruth.pipelines import DEFAULTS, ImageLoader, build_pipeline, predict_items, score_items


@pytest.fixture
def images():
    return list(np.random.default_rng(0).integers(0, 256, (12, 40, 48, 3), dtype=np.uint8))


@pytest.fixture
def workers(monkeypatch):
    """The ``n_jobs`` of every ``Parallel`` the loader starts, in order."""
    started = []
    real = loader_module.Parallel

    def spy(*args, **kwargs):
        started.append(kwargs["n_jobs"])
        return real(*args, **kwargs)

    monkeypatch.setattr(loader_module, "Parallel", spy)
    return started


@pytest.mark.parametrize(
    ("n_jobs", "expected"),
    [(None, None), (1, None), (2, 2), (-1, cpu_count()), (-(cpu_count() + 1), None)],
)
def test_loader_processes_follow_joblib(images, workers, n_jobs, expected):
    crops = ImageLoader(face="off", image_size=32, n_jobs=n_jobs).fit_transform(images)
    np.testing.assert_array_equal(crops, ImageLoader(face="off", image_size=32).fit_transform(images))
    processes = expected if expected is None or expected > 1 else None
    assert workers == ([] if processes is None else [processes])


def test_loader_none_follows_a_joblib_context(images, workers):
    with parallel_config(n_jobs=2):
        ImageLoader(face="off", image_size=32).fit_transform(images)
    assert workers == [2]


def test_loader_refuses_zero(images):
    with pytest.raises(ValueError, match="n_jobs == 0"):
        ImageLoader(face="off", image_size=32, n_jobs=0).fit_transform(images)


def test_predict_n_jobs_sets_the_features_too_and_leaves_the_model_alone(images):
    model = build_pipeline("fft,lbp", "logistic", face="off", image_size=32, cv=2, n_jobs=1)
    model.fit(images, [0, 1] * 6)
    seen = []
    original = type(model["features"]).transform

    def spy(self, X, **params):
        seen.append([t.n_jobs for _, t in self.transformer_list])
        return original(self, X, **params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(model["features"]), "transform", spy)
        faster = score_items(model, images, n_jobs=2)
    assert seen == [[2, 2]]
    assert [t.n_jobs for _, t in model["features"].transformer_list] == [1, 1]
    assert model["loader"].n_jobs == 1
    same = [row.prob_fake for row in predict_items(model, images)]
    assert [row.prob_fake for row in faster.predictions] == same


def _n_jobs_option(command):
    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return next(a for a in sub.choices[command]._actions if "--n-jobs" in a.option_strings)


@pytest.mark.parametrize("command", ["train", "experiment", "finetune", "predict", "evaluate"])
def test_n_jobs_defaults_to_every_core(command):
    option = _n_jobs_option(command)
    assert option.default == DEFAULTS.cli_n_jobs == -1
    assert "-1 is every core" in option.help
    assert option.type("-2") == -2 and option.type("3") == 3


def test_n_jobs_zero_is_refused_with_a_reason():
    with pytest.raises(argparse.ArgumentTypeError, match="0 has no meaning"):
        _n_jobs_option("train").type("0")
    with pytest.raises(argparse.ArgumentTypeError, match="not an integer"):
        _n_jobs_option("train").type("all")
