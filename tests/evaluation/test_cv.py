"""Cross-validation on shared grouped folds, leak checks, video-level scores, the experiment runner."""

import json

import numpy as np
import pytest

from facetruth.data import load_dataset
from facetruth.evaluation import make_detector, run_experiment
from facetruth.evaluation._cv import (
    FoldLeakError,
    check_no_leak,
    cross_validate_features,
    cv_splits,
    video_scores,
)
from facetruth.pipelines import build_features, build_loader


def _grouped(n_groups=30, per_group=4, seed=0):
    rng = np.random.default_rng(seed)
    groups = np.repeat([f"id{g:02d}" for g in range(n_groups)], per_group)
    labels = np.repeat(rng.permutation(np.arange(n_groups) % 2), per_group)
    return labels, groups


@pytest.mark.parametrize("n_repeats", [1, 3])
def test_splits_never_leak_a_group(n_repeats):
    labels, groups = _grouped()
    splits = cv_splits(labels, groups, n_splits=5, n_repeats=n_repeats, random_state=0)
    assert len(splits) == 5 * n_repeats
    for repeat in range(n_repeats):
        tests = [s["test"] for s in splits if s["repeat"] == repeat]
        # every item is tested exactly once per repeat
        assert np.array_equal(np.sort(np.concatenate(tests)), np.arange(len(labels)))
        owner = {}
        for k, test in enumerate(tests):
            for g in set(groups[test]):
                assert owner.setdefault(g, k) == k, f"group {g} in two folds"
    for s in splits:
        assert not set(groups[s["train"]]) & set(groups[s["test"]])
        assert set(labels[s["test"]]) == {0, 1}  # stratified: both classes in every test fold


def test_splits_are_seeded_and_repeats_differ():
    labels, groups = _grouped()
    a = cv_splits(labels, groups, n_splits=3, n_repeats=2, random_state=7)
    b = cv_splits(labels, groups, n_splits=3, n_repeats=2, random_state=7)
    assert all(np.array_equal(x["test"], y["test"]) for x, y in zip(a, b))
    first = {tuple(s["test"]) for s in a if s["repeat"] == 0}
    second = {tuple(s["test"]) for s in a if s["repeat"] == 1}
    assert first != second


def test_check_no_leak_catches_shared_groups():
    groups = np.array(["a", "a", "b", "b", "c", "c"])
    leaky_train_test = [{"repeat": 0, "fold": 0, "train": np.array([0, 2, 3]), "test": np.array([1, 4, 5])}]
    with pytest.raises(FoldLeakError, match="both sides"):
        check_no_leak(leaky_train_test, groups)
    two_folds = [
        {"repeat": 0, "fold": 0, "train": np.array([2, 3, 4, 5]), "test": np.array([0])},
        {"repeat": 0, "fold": 1, "train": np.array([2, 3, 4, 5]), "test": np.array([1])},
    ]
    with pytest.raises(FoldLeakError, match="test folds"):
        check_no_leak(two_folds, groups)


def test_too_few_groups_is_refused():
    with pytest.raises(ValueError, match="groups"):
        cv_splits([0, 1, 0, 1], ["a", "a", "b", "b"], n_splits=3)


def test_video_scores_are_frame_means():
    prob = [0.2, 0.4, 0.9, 0.7, 0.1]
    labels = [0, 0, 1, 1, 0]
    videos = ["v1", "v1", "v2", "v2", "v3"]
    mean, label, names = video_scores(prob, labels, videos)
    assert list(names) == ["v1", "v2", "v3"]
    np.testing.assert_allclose(mean, [0.3, 0.8, 0.1])
    assert list(label) == [0, 1, 0]


def test_cross_validate_features_known_answers():
    rng = np.random.default_rng(0)
    labels, groups = _grouped(n_groups=40, per_group=3)
    informative = labels + rng.normal(0, 0.05, len(labels))  # separates the classes
    X = np.column_stack([informative, rng.normal(size=(len(labels), 3))]).astype(np.float32)
    splits = cv_splits(labels, groups, n_splits=4, random_state=0)
    videos = groups  # three frames per "video"
    res = cross_validate_features(
        X,
        labels,
        groups,
        splits,
        make_detector(device="cpu"),
        videos=videos,
        column_family=["sig", "junk", "junk", "junk"],
    )
    assert len(res["folds"]) == 4
    # isotonic calibration creates ties, so a separable feature gives an AUC just below 1
    assert res["summary"]["auc"]["mean"] > 0.97
    assert res["summary"]["auc"]["std"] < 0.05
    assert not np.isnan(res["oof_prob"]).any()
    assert int(np.sum(res["confusion"])) == len(labels)
    assert sum(f["n"] for f in res["video_folds"]) == 40
    assert res["video_summary"]["accuracy"]["mean"] > 0.9
    assert res["importance"]["sig"] > 0.5
    assert sum(res["importance"].values()) == pytest.approx(1.0)


def test_cross_validate_features_with_another_classifier():
    rng = np.random.default_rng(1)
    labels, groups = _grouped(n_groups=40, per_group=3)
    X = np.column_stack([labels + rng.normal(0, 0.3, len(labels)), rng.normal(size=(len(labels), 50))])
    splits = cv_splits(labels, groups, n_splits=4, random_state=0)
    detector = make_detector("logistic_cv")
    res = cross_validate_features(X, labels, groups, splits, detector, column_family=["a"] * 51)
    assert res["summary"]["auc"]["mean"] > 0.9
    assert "importance" not in res  # gain importances are XGBoost's only


@pytest.fixture(scope="module")
def tiny_results(tiny_set):
    dataset = load_dataset(tiny_set)
    estimators = build_loader("off", 48), build_features("fft,dct"), make_detector(device="cpu")
    return run_experiment(dataset, *estimators, ["fft", "dct", "spectral"], n_splits=3)


def test_run_experiment_compares_sets_on_the_same_folds(tiny_results):
    sets = tiny_results["feature_sets"]
    assert list(sets) == ["fft", "dct", "spectral"]
    assert sets["spectral"]["families"] == ["fft", "dct"]
    assert sets["spectral"]["n_features"] == sets["fft"]["n_features"] + sets["dct"]["n_features"]
    sizes = [[f["n"] for f in r["folds"]] for r in sets.values()]
    assert sizes[0] == sizes[1] == sizes[2]  # the same folds for every set
    assert sum(sizes[0]) == 48
    # the tiny set's fakes carry an obvious nearest-neighbour up-sampling spectrum
    assert sets["fft"]["summary"]["auc"]["mean"] > 0.95
    for res in sets.values():
        assert set(res["extraction_ms_per_image"]) == set(res["families"])
        assert all(v > 0 for v in res["extraction_ms_per_image"].values())
        assert {"roc", "pr", "reliability", "oof_auc"} <= set(res["curves"])
        assert len(res["oof_prob"]) == 48


def test_results_are_json_and_hold_the_metadata(tiny_results, tiny_set):
    text = json.dumps(tiny_results)  # no numpy scalars or arrays left
    back = json.loads(text)
    meta = back["meta"]
    assert meta["counts"] == {"real": 24, "fake": 24}
    assert meta["manifest_sha256"] == load_dataset(tiny_set).manifest_hash()
    assert meta["seed"] == 0 and meta["folds"] == 3
    assert meta["classifier"].startswith("XGBoost in CalibratedDetector")
    assert meta["clip"] is None  # no clip family in the run
    assert "scikit-learn" in meta["versions"]
    assert back["families"]["fft"]["n_timed"] == 32
    spec = back["spectrum"]
    assert len(spec["radius"]) == len(spec["real_mean"]) == len(spec["fake_mean"]) == 64


def test_metadata_records_the_clip_options():
    from facetruth.evaluation._features import describe_estimators
    from facetruth.pipelines import build_detector, build_features, build_loader
    from facetruth.reports._metadata import metadata_rows

    features = build_features("fft,clip", clip__blocks=(8, 3), clip__flip=True)
    described = describe_estimators(build_loader("off", 64), features, build_detector("linear_probe"))
    assert described["clip"] == {"blocks": [8, 3], "flip": True, "precision": "float32"}  # in column order
    rows = dict(metadata_rows({"meta": {"clip": described["clip"]}}))
    assert (
        rows["clip family"]
        == "final embedding + CLS tokens of blocks 8, 3; each image averaged with its mirror image"
    )
    plain = describe_estimators(
        build_loader("off", 64), build_features("clip"), build_detector("linear_probe")
    )
    assert plain["clip"] == {"blocks": [], "flip": False, "precision": "float32"}
    int8 = describe_estimators(
        build_loader("off", 64),
        build_features("clip", clip__precision="int8"),
        build_detector("linear_probe"),
    )
    assert dict(metadata_rows({"meta": {"clip": int8["clip"]}}))["clip family"] == "final embedding; int8"
    # results recorded before the precision existed were int8
    assert dict(metadata_rows({"meta": {"clip": {"blocks": [], "flip": False}}}))["clip family"] == (
        "final embedding; int8"
    )
