"""CLIPNormTuner: tunes the named norms, predicts through the portable encoder, resumes after a kill."""

import numpy as np
import pytest

from facetruth.features import CLIPEmbedding, norm_names
from facetruth.models import CLIPNormTuner, _clip_tune_loop


@pytest.fixture(scope="module")
def data():
    """Six dark 'real' and six bright 'fake' noise images: separable after one epoch."""
    rng = np.random.default_rng(0)
    reals = rng.integers(0, 90, (6, 32, 32, 3), dtype=np.uint8)
    fakes = rng.integers(160, 256, (6, 32, 32, 3), dtype=np.uint8)
    return np.concatenate([reals, fakes]), np.array([0] * 6 + [1] * 6)


def tuner(**kwargs):
    return CLIPNormTuner(**{"last_blocks": 1, "epochs": 2, "batch_size": 6, "device": "cpu", **kwargs})


@pytest.fixture(scope="module")
def fitted(weights, data):
    return tuner().fit(*data)


def test_only_the_named_norms_are_tuned_and_recorded(fitted):
    assert sorted(fitted.norms_) == sorted(norm_names(1))
    assert fitted.head_["coef"].shape == (512,)
    assert [h["epoch"] for h in fitted.history_] == [1, 2]
    assert fitted.recipe_["tuned_parameters"] == 6 * 768
    assert fitted.recipe_["rows"] == {"images": 12, "robust": 0, "pseudo_fakes": 0}


def test_predictions_are_the_portable_encoder_with_the_tuned_norms_and_the_head(fitted, data):
    images, labels = data
    proba = fitted.predict_proba(images)
    assert proba.shape == (12, 2) and np.allclose(proba.sum(axis=1), 1)
    embeds = CLIPEmbedding(device="cpu", norms=fitted.norms_).fit_transform(images)
    z = embeds / np.linalg.norm(embeds, axis=1, keepdims=True)
    np.testing.assert_allclose(
        fitted.decision_function(images),
        z @ fitted.head_["coef"] + fitted.head_["intercept"],
        rtol=1e-5,
        atol=1e-6,
    )
    assert (fitted.predict(images) == labels).mean() >= 0.75


def test_a_killed_fit_resumes_from_its_checkpoint_to_the_same_result(fitted, data, tmp_path, monkeypatch):
    checkpoint = tmp_path / "tune.pt"
    real_epoch = _clip_tune_loop.run_epoch
    calls = []

    def dies_in_the_second_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_epoch(*args, **kwargs)

    monkeypatch.setattr("facetruth.models._clip_tune.run_epoch", dies_in_the_second_epoch)
    with pytest.raises(KeyboardInterrupt):
        tuner(checkpoint=checkpoint).fit(*data)
    monkeypatch.setattr("facetruth.models._clip_tune.run_epoch", real_epoch)
    resumed = tuner(checkpoint=checkpoint).fit(*data)
    assert [h["epoch"] for h in resumed.history_] == [1, 2]
    for name, value in fitted.norms_.items():
        np.testing.assert_allclose(resumed.norms_[name], value, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="other parameters or data"):
        tuner(checkpoint=checkpoint, lr=0.5).fit(*data)
    with pytest.raises(ValueError, match="more than epochs=1"):
        tuner(checkpoint=checkpoint, epochs=1).fit(*data)


def test_extra_rows_and_the_alignment_term(weights, data):
    images, labels = data
    est = tuner(epochs=1, augment="robust", pseudo_fakes=1.0, align_weight=0.5).fit(images, labels)
    assert est.recipe_["rows"] == {"images": 12, "robust": 12, "pseudo_fakes": 6}
    assert {"bce", "align", "uniform", "loss"} <= set(est.history_[0])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"last_blocks": 13}, "last_blocks"),
        ({"epochs": 0}, "epochs"),
        ({"lr": 0}, "lr"),
        ({"augment": "heavy"}, "augment"),
        ({"pseudo_fakes": -1}, "pseudo_fakes"),
    ],
)
def test_bad_parameters_are_refused_before_any_work(params, match, data):
    with pytest.raises(ValueError, match=match):
        tuner(**params).fit(*data)


def test_cached_tokens_give_the_same_tuning(fitted, data, tmp_path):
    first = tuner(cache=tmp_path).fit(*data)
    second = tuner(cache=tmp_path).fit(*data)
    for name, value in fitted.norms_.items():
        np.testing.assert_allclose(first.norms_[name], value, rtol=1e-6, atol=1e-7)
        np.testing.assert_array_equal(second.norms_[name], first.norms_[name])
    assert len(list(tmp_path.rglob("*.npy"))) == len(data[0])
