import numpy as np
import pytest
from sklearn.pipeline import FeatureUnion, Pipeline

import facetruth
from facetruth.data import load_dataset
from facetruth.models import CalibratedDetector, make_classifier
from facetruth.pipelines import FEATURE_SETS, ImageLoader, build_pipeline, resolve_features, train_detector


def test_registry_resolves_names_and_lists():
    assert resolve_features("all") == ("fft", "dct", "noise", "lbp", "cnn")
    assert resolve_features("handcrafted") == ("fft", "dct", "noise", "lbp")
    assert resolve_features("fft,lbp") == ("fft", "lbp")
    assert resolve_features(["handcrafted", "cnn", "fft"]) == ("fft", "dct", "noise", "lbp", "cnn")
    assert set(FEATURE_SETS) >= {"fft", "dct", "noise", "lbp", "cnn", "handcrafted", "all"}
    with pytest.raises(ValueError, match="Unknown feature"):
        resolve_features("fft,wavelets")


def test_build_pipeline_structure():
    pipe = build_pipeline(features="handcrafted", classifier="logistic", face="off", image_size=64)
    assert isinstance(pipe, Pipeline) and list(pipe.named_steps) == ["loader", "features", "classifier"]
    assert isinstance(pipe["loader"], ImageLoader) and pipe["loader"].image_size == 64
    union = pipe["features"]
    assert isinstance(union, FeatureUnion) and union.verbose_feature_names_out is True
    assert [n for n, _ in union.transformer_list] == ["fft", "dct", "noise", "lbp"]
    assert isinstance(pipe["classifier"], CalibratedDetector)
    with pytest.raises(ValueError, match="classifier"):
        build_pipeline(features="fft", classifier="boosted-magic")


def test_logistic_cv_chooses_strong_regularisation_for_wide_noise():
    rng = np.random.default_rng(0)
    y = np.arange(200) % 2
    X = np.column_stack([y + rng.normal(0, 0.8, 200), rng.normal(size=(200, 400))])
    model = make_classifier("logistic_cv").fit(X, y)
    search = model[-1]
    assert search.C_ < 10  # not the weakest penalty of the grid
    assert search.scoring == "roc_auc" and len(search.Cs_) == 6


def test_build_pipeline_gives_every_cnn_family_the_device():
    pipe = build_pipeline(features="fft,cnn,parts", face="off", device="cpu")
    steps = dict(pipe["features"].transformer_list)
    assert steps["cnn"].device == "cpu" and steps["parts"].device == "cpu"
    assert resolve_features("all+parts") == ("fft", "dct", "noise", "lbp", "cnn", "parts")


@pytest.mark.parametrize(
    "classifier", ["xgboost", "logistic", "logistic_cv", "linear_probe", "svm", "random_forest"]
)
def test_fit_predict_on_paths(tiny_set, classifier):
    data = load_dataset(tiny_set)
    pipe = build_pipeline(features="fft", classifier=classifier, face="off", image_size=48, cv=3)
    pipe.fit(data.paths, data.labels)
    prob = pipe.predict_proba(data.paths)[:, 1]
    assert prob.shape == (len(data),)
    assert np.mean((prob >= pipe[-1].threshold_) == data.labels) > 0.9
    names = pipe[:-1].get_feature_names_out()
    assert all(n.startswith("fft__fft_") for n in names)


def test_train_detector_skips_bad_files_and_round_trips(tiny_set, tmp_path):
    import shutil

    root = tmp_path / "set"
    shutil.copytree(tiny_set, root)
    (root / "fake" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    data = load_dataset(root)
    pipe = build_pipeline("fft,dct", "xgboost", "off", 48, cv=3)
    result = train_detector(pipe, data)
    assert not hasattr(pipe["classifier"], "estimator_")  # the given pipeline stays unfitted
    assert len(result.skipped) == 1 and "broken.png" in result.skipped[0][1]
    meta = result.metadata
    assert meta["training_data"]["counts"] == {"real": 24, "fake": 24}
    assert meta["training_data"]["manifest_sha256"] == data.manifest_hash()
    loader_card = (meta["classifier"], meta["face"], meta["image_size"], meta["align"])
    assert loader_card == ("xgboost", "off", 48, False)
    path = tmp_path / "model.joblib"
    card = facetruth.save(result.pipeline, path, metadata=meta)
    assert card["label_positive"] == "fake" and card["feature_families"].keys() == {"fft", "dct"}
    loaded = facetruth.load(path)
    good = [p for p in data.paths if "broken" not in p]
    a = result.pipeline.predict_proba(good)
    b = loaded.predict_proba(good)
    assert np.array_equal(a, b)
    assert loaded[-1].threshold_ == card["threshold"]


def test_feature_cache_extracts_each_family_once(tiny_set, tmp_path):
    data = load_dataset(tiny_set)
    cache = tmp_path / "cache"
    pipe = build_pipeline(
        features="fft,dct", classifier="logistic", face="off", image_size=48, cache=cache, cv=3
    )
    pipe.fit(data.paths, data.labels)
    n_entries = len(list((cache / "fft").rglob("*.npy")))
    assert n_entries == len(data)
    feats = pipe[:-1].transform(data.paths)
    # a second pipeline with an overlapping feature set reuses the cached fft entries
    other = build_pipeline(
        features="fft", classifier="logistic", face="off", image_size=48, cache=cache, cv=3
    )
    other.fit(data.paths, data.labels)
    assert len(list((cache / "fft").rglob("*.npy"))) == n_entries
    assert np.array_equal(
        other[:-1].transform(data.paths), feats[:, : other[:-1].transform(data.paths[:1]).shape[1]]
    )


def test_train_detector_fits_what_the_pipeline_fits(tiny_set):
    from sklearn.base import clone

    data = load_dataset(tiny_set)
    pipe = build_pipeline("fft,dct", "xgboost", "off", 48, cv=3)
    result = train_detector(pipe, data)
    direct = clone(pipe).fit(data.paths, data.labels, classifier__groups=data.groups)
    np.testing.assert_array_equal(result.pipeline.predict_proba(data.paths), direct.predict_proba(data.paths))


@pytest.mark.parametrize("classifier", ["xgboost", "logistic", "logistic_cv", "svm", "random_forest"])
def test_the_card_names_the_classifier_of_the_estimator(classifier):
    from facetruth.models import classifier_name

    detector = build_pipeline("fft", classifier, "off", random_state=3)["classifier"]
    assert classifier_name(detector.estimator) == classifier
    assert classifier_name(make_classifier(classifier, random_state=1, n_jobs=1)) == classifier
    changed = make_classifier("xgboost").set_params(max_depth=2)
    assert classifier_name(changed) == "XGBClassifier"  # another recipe is named by its class


def test_auto_classifier_is_a_linear_probe_for_the_clip_embedding_alone():
    from facetruth.pipelines import build_pipeline

    probe = build_pipeline("clip").named_steps["classifier"].estimator
    assert "LogisticRegressionCV" in repr(probe) and "Normalizer" in repr(probe)
    trees = build_pipeline("clip+handcrafted").named_steps["classifier"].estimator
    assert type(trees).__name__ == "XGBClassifier"
