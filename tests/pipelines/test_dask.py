"""Sharded feature extraction and training, in process and on a real two-worker Dask cluster."""

import json
import os
import signal
import threading
import time

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import facetruth
from facetruth.cli import main
from facetruth.data import Dataset, load_dataset
from facetruth.models import make_classifier
from facetruth.pipelines import (
    build_features,
    build_loader,
    build_pipeline,
    extract_features,
    train_detector,
    train_on_shards,
)
from facetruth.pipelines._dask_tasks import process_stats
from facetruth.pipelines._shards import plan_shards, read_manifest, shard_is_done

distributed = pytest.importorskip("distributed")


def reference_features(paths, loader, union):
    """The loader and feature union applied in this process, in one go."""
    images = loader.fit().transform(paths)
    return union.fit_transform(images), list(union.get_feature_names_out())


def hardfake_subset(root, n_per_class=12):
    dataset = load_dataset(root)
    rng = np.random.default_rng(0)
    keep = [rng.choice(np.flatnonzero(dataset.labels == k), n_per_class, replace=False) for k in (0, 1)]
    return dataset.subset(np.sort(np.concatenate(keep)))


def test_shard_names_follow_items_and_parameters():
    items = [f"img{i}.png" for i in range(10)]
    a = plan_shards(items, np.zeros(10, int), "p1", 4)
    assert [(s.start, s.stop) for s in a] == [(0, 4), (4, 8), (8, 10)]
    assert [s.name for s in plan_shards(items, np.zeros(10, int), "p1", 4)] == [s.name for s in a]
    assert all(x.name != y.name for x, y in zip(a, plan_shards(items, np.zeros(10, int), "p2", 4)))
    relabelled = plan_shards(items, np.r_[1, np.zeros(9, int)], "p1", 4)
    assert relabelled[0].name != a[0].name and relabelled[1].name == a[1].name
    with pytest.raises(ValueError, match="shard_size"):
        plan_shards(items, None, "p1", 0)


def test_in_process_extraction_resumes_and_reports_bad_items(tiny_set, tmp_path):
    paths = sorted(str(p) for p in tiny_set.rglob("*.png"))[:10]
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    items = paths[:5] + [str(broken)] + paths[5:]
    dataset = Dataset(items, [0] * 11, [str(i) for i in range(11)], ["x"] * 11)
    loader, union = build_loader("off", 48), build_features("fft,lbp")
    out = tmp_path / "shards"
    first = extract_features(loader, union, dataset, out=out, shard_size=4, n_jobs=2)  # joblib
    assert (first.shards_done, first.shards_skipped) == (3, 0)
    assert first.failed == [(str(broken), first.failed[0][1])] and "broken.png" in first.failed[0][1]
    np.testing.assert_array_equal(first.ok, [0, 1, 2, 3, 4, 6, 7, 8, 9, 10])
    ref, names = reference_features(paths, loader, union)
    np.testing.assert_allclose(first.X, ref, rtol=1e-6, atol=1e-7)
    assert first.feature_names == names
    manifest = read_manifest(out)
    assert manifest["n_items"] == 11 and manifest["n_ok"] == 10 and len(manifest["shards"]) == 3
    assert manifest["failed"][0]["item"] == str(broken)
    # a killed run leaves some shards: remove one and damage another, the re-run redoes just those
    files = first.shard_files
    files[0].unlink()
    files[2].write_bytes(b"truncated")
    assert not shard_is_done(files[2])
    again = extract_features(loader, union, dataset, out=out, shard_size=4)
    assert (again.shards_done, again.shards_skipped) == (2, 1)
    np.testing.assert_array_equal(again.X, first.X)


def test_distributed_xgboost_without_a_client_trains_locally():
    from xgboost import XGBClassifier

    from facetruth.pipelines import dask_client
    from facetruth.pipelines._dask import DistributedXGBClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5))
    y = (X[:, 0] > 0).astype(int)
    params = {"n_estimators": 20, "max_depth": 2, "n_jobs": 1, "random_state": 0}
    model = DistributedXGBClassifier(**params).fit(X, y)
    local = model.to_local()
    assert type(local) is XGBClassifier
    assert {k: local.get_params()[k] for k in params} == params
    expected = XGBClassifier(**params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(local.predict_proba(X), expected)
    with pytest.raises(ValueError, match="either a scheduler"), dask_client():
        pass
    with pytest.raises(ValueError, match="at least 1"), dask_client(n_workers=0):
        pass


def test_in_process_training_from_shards_equals_train_detector(tiny_set, tmp_path):
    dataset = load_dataset(tiny_set)
    xgb = make_classifier("xgboost", n_jobs=1).set_params(n_estimators=60)
    pipe = build_pipeline("fft,dct", xgb, "off", 48, cv=3)
    direct = train_detector(pipe, dataset)
    sharded = train_on_shards(pipe, dataset, out=tmp_path / "shards", shard_size=10)
    X = dataset.paths
    np.testing.assert_array_equal(direct.pipeline.predict_proba(X), sharded.pipeline.predict_proba(X))
    a, b = direct.metadata, sharded.metadata
    assert a["training_data"] == b["training_data"] and a["features"] == b["features"]
    for key in ("feature_mean", "mean_log_spectrum"):
        assert json.dumps(a["training_summary"][key]) == json.dumps(b["training_summary"][key])


def test_distributed_features_equal_in_process(cluster_client, hardfake_dir, tmp_path):
    dataset = hardfake_subset(hardfake_dir, 8)
    loader, union = build_loader("off", 64), build_features("handcrafted")
    result = extract_features(loader, union, dataset, client=cluster_client, out=tmp_path, shard_size=4)
    assert (result.shards_done, result.shards_skipped) == (4, 0)
    ref, names = reference_features(dataset.paths, loader, union)
    np.testing.assert_array_equal(result.ok, np.arange(len(dataset)))
    np.testing.assert_array_equal(result.y, dataset.labels)
    assert result.feature_names == names
    np.testing.assert_allclose(result.X, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result.to_dask_array().compute(), ref, rtol=1e-5, atol=1e-6)


def test_cnn_is_built_once_per_worker_process(cluster_client, tiny_set, tmp_path):
    paths = sorted(str(p) for p in tiny_set.rglob("*.png"))[:4]
    items = paths + paths[::-1]  # each image twice, in different shards
    loader, union = build_loader("off", 48), build_features("cnn", cnn__image_size=64)
    result = extract_features(loader, union, items, client=cluster_client, out=tmp_path, shard_size=2)
    assert result.shards_done == 4 and result.y is None and result.X.shape == (8, 1280)
    stats = cluster_client.run(process_stats)
    builds = [n for s in stats.values() for n in s["builds"].values()]
    assert builds and all(n == 1 for n in builds)  # four shards, at most one build per process
    assert len({s["pid"] for s in stats.values()}) == 2
    np.testing.assert_allclose(result.X[:4], result.X[::-1][:4], rtol=1e-5, atol=1e-6)
    assert np.abs(result.X[0] - result.X[1]).max() > 1e-3  # different images differ


def test_training_on_the_cluster_saves_a_loadable_model(cluster_client, tiny_set, tmp_path):
    from xgboost import XGBClassifier

    dataset = load_dataset(tiny_set)
    pipe = build_pipeline("fft,dct", "xgboost", "off", 48, cv=3)
    result = train_on_shards(pipe, dataset, out=tmp_path / "shards", client=cluster_client, shard_size=12)
    detector = result.pipeline.named_steps["classifier"]
    assert type(detector.estimator_) is XGBClassifier and type(detector.estimator) is XGBClassifier
    card = facetruth.save(result.pipeline, tmp_path / "model.joblib", metadata=result.metadata)
    assert card["scale_out"]["n_workers"] == 2 and card["scale_out"]["shards_done"] == 4
    model = facetruth.load(tmp_path / "model.joblib")
    prob = model.predict_proba(dataset.paths)[:, 1]
    assert prob.shape == (len(dataset),) and np.all((prob >= 0) & (prob <= 1))
    assert roc_auc_score(dataset.labels, prob) > 0.9  # up-sampling artefacts are easy to see


def test_killed_worker_does_not_stop_the_extraction(cluster_client, tiny_set, tmp_path):
    paths = sorted(str(p) for p in tiny_set.rglob("*.png"))
    loader, union = build_loader("off", 48), build_features("fft,noise")
    out = tmp_path / "shards"
    box = {}
    run = threading.Thread(
        target=lambda: box.update(
            result=extract_features(loader, union, paths, client=cluster_client, out=out, shard_size=1)
        )
    )
    run.start()
    deadline = time.monotonic() + 30
    while not list(out.glob("*.npz")) and time.monotonic() < deadline:
        time.sleep(0.01)
    victim = sorted(cluster_client.run(os.getpid).values())[0]
    try:
        os.kill(victim, signal.SIGKILL)  # a worker process of this test's own cluster
        at_kill = len(list(out.glob("*.npz")))
    finally:
        run.join(60)
    result = box["result"]
    assert 0 < at_kill < len(paths)  # the worker died mid-extraction
    # the scheduler may still list the dead worker for a moment: skip workers that cannot answer
    assert victim not in cluster_client.run(os.getpid, on_error="ignore").values()
    assert result.shards_done + result.shards_skipped == len(paths) and not result.failed
    ref, _ = reference_features(paths, loader, union)
    np.testing.assert_allclose(result.X, ref, rtol=1e-5, atol=1e-6)
    cluster_client.wait_for_workers(2, timeout=30)  # the nanny restarts the killed worker


def test_cli_train_with_local_dask_workers(tiny_set, tmp_path, capsys):
    model = tmp_path / "model.joblib"
    # the classifier is trained in this process; the cluster extracts the features
    args = [
        "train",
        "--data",
        str(tiny_set),
        "--features",
        "fft",
        "--face",
        "off",
        "--classifier",
        "logistic",
    ]
    assert main([*args, "--dask-workers", "2", "--shard-size", "16", "--out", str(model)]) == 0
    card = json.loads((tmp_path / "model.joblib.json").read_text())
    assert card["scale_out"]["n_workers"] == 2 and card["scale_out"]["shards_done"] == 3
    assert sorted(p.name for p in (tmp_path / "model.joblib.shards").iterdir())[-1] == "manifest.json"
    assert "saved" in capsys.readouterr().out
    assert main(["predict", str(model), str(tiny_set / "fake"), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 24 and np.mean([r["verdict"] == "fake" for r in rows]) > 0.8


def test_cli_train_on_local_dask_workers_with_alignment_and_extra_rows(tmp_path, capsys):
    from facetruth.data import make_demo_dataset

    make_demo_dataset(n=16, size=128, random_state=2, out=tmp_path / "data")
    reals = tmp_path / "reals" / "real"
    reals.mkdir(parents=True)
    for path in sorted((tmp_path / "data" / "real").iterdir()):
        (reals / path.name).symlink_to(path)
    base = ["train", "--features", "fft", "--classifier", "logistic", "--image-size", "64"]
    base += ["--dask-workers", "2", "--shard-size", "4"]
    model = tmp_path / "m.joblib"
    # sixteen demo images test the options on a cluster, not the detector's strength: --allow-weak
    argv = ["--data", str(tmp_path / "data"), "--align", "canonical", "--augment", "robust", "--allow-weak"]
    assert main([*base, *argv, "--out", str(model)]) == 0
    card = json.loads((tmp_path / "m.joblib.json").read_text())
    assert card["align"] == "canonical" and card["scale_out"]["n_workers"] == 2
    assert card["training_data"]["augment"] == "robust"
    assert card["training_data"]["extra_rows"] == {"augment": 16}
    assert read_manifest(tmp_path / "m.joblib.shards")["align"] == "canonical"
    # eight reals test pseudo-fakes on a cluster, not the detector's strength: --allow-weak
    argv = ["--data", str(tmp_path / "reals"), "--pseudo-fakes", "sbi", "--allow-weak"]
    assert main([*base, *argv, "--out", str(tmp_path / "r.joblib")]) == 0
    card = json.loads((tmp_path / "r.joblib.json").read_text())
    assert card["training_data"]["counts"] == {"real": 8, "fake": 0}
    assert card["training_data"]["extra_rows"] == {"sbi": 8}
    assert "saved" in capsys.readouterr().out
    assert main(["predict", str(tmp_path / "r.joblib"), str(tmp_path / "data" / "fake")]) == 0
