"""A training run killed with SIGKILL leaves nothing half-written, and a re-run resumes from its cache.

``facetruth train`` runs in a subprocess on 100 hardfake images (linked, not
copied, into a temporary folder), face cropping off, handcrafted features and
a crop/feature cache. It is killed once the crop cache holds some entries.
Then: no model or model card exists, every cache entry loads, leftovers are
only ``.*.tmp`` files that readers ignore; the re-run succeeds and computes
exactly the crops that were missing (counted from the cache's debug log),
without rewriting a finished entry.
"""

import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import facetruth
from facetruth._cache import ArrayCache

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

N_PER_CLASS = 50

#: runs the CLI with the cache's per-entry debug lines on stderr
DRIVER = """
import logging, sys
logging.getLogger("facetruth._cache").setLevel(logging.DEBUG)
from facetruth.cli import main
sys.exit(main(sys.argv[1:]))
"""


def linked_subset(source, dest, n):
    """``dest/{real,fake}`` holding links to the first ``n`` images of each class of ``source``."""
    for cls in ("real", "fake"):
        (dest / cls).mkdir(parents=True)
        for path in sorted((source / cls).glob("*.jpg"))[:n]:
            os.symlink(path, dest / cls / path.name)
    return dest


def entries(cache, namespace):
    """``{path: (inode, mtime_ns)}`` of the finished entries of one cache namespace."""
    found = {}
    for path in (cache / namespace).rglob("*.npy") if (cache / namespace).is_dir() else []:
        st = path.stat()
        found[path] = (st.st_ino, st.st_mtime_ns)
    return found


def train_command(data, cache, out):
    return [
        sys.executable,
        "-c",
        DRIVER,
        "train",
        "--data",
        str(data),
        "--features",
        "handcrafted",
        "--classifier",
        "logistic",
        "--face",
        "off",
        "--cache",
        str(cache),
        # one process: the cache writes are counted in its log, which worker processes do not write to
        "--n-jobs",
        "1",
        "--out",
        str(out),
    ]


def test_killed_training_leaves_no_partial_artefact_and_resumes(hardfake_dir, tmp_path):
    data = linked_subset(hardfake_dir, tmp_path / "data", N_PER_CLASS)
    cache, out = tmp_path / "cache", tmp_path / "model" / "model.joblib"
    cmd = train_command(data, cache, out)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    with open(tmp_path / "run1.log", "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + 180
        while proc.poll() is None and len(entries(cache, "crop_info")) < 20 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # nothing a reader would take for a finished artefact
    assert not out.exists() and not out.with_name(out.name + ".json").exists()
    for path in cache.rglob("*"):
        if path.is_file() and path.suffix != ".npy":
            assert path.name.startswith(".") and path.name.endswith(".tmp"), path
    for path in cache.rglob("*.npy"):
        np.load(path, allow_pickle=False)  # raises on a partial entry
    # a crop is finished once its info is written too (the loader writes the crop first)
    infos = {path.name for path in entries(cache, "crop_info")}
    before = {path: stamp for path, stamp in entries(cache, "crops").items() if path.name in infos}
    n_done = len(before)
    assert 20 <= n_done < 2 * N_PER_CLASS
    assert len(ArrayCache(cache)) == sum(1 for _ in cache.rglob("*.npy"))

    rerun = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    writes = re.findall(r"cache write (\w+)/", rerun.stderr)
    recomputed_crops = writes.count("crops")
    print(f"killed after {n_done} of {2 * N_PER_CLASS} crops; the re-run computed {recomputed_crops} crops")
    assert recomputed_crops == 2 * N_PER_CLASS - n_done
    after = entries(cache, "crops")
    assert all(after[path] == stamp for path, stamp in before.items())  # finished work untouched
    for family in ("fft", "dct", "noise", "lbp"):
        assert writes.count(family) == 2 * N_PER_CLASS
    model = facetruth.load(out)
    assert model.facetruth_card_["training_data"]["counts"] == {"real": N_PER_CLASS, "fake": N_PER_CLASS}


def test_features_interrupted_mid_extraction_keep_finished_batches(tmp_path, monkeypatch, rng):
    """The feature cache is written batch by batch, so an interruption loses one batch at most."""
    from facetruth.features import FFTFeatures, _base

    images = rng.integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    expected = FFTFeatures().fit(images).transform(images)
    monkeypatch.setattr(_base, "_CACHE_BATCH", 2)
    step = FFTFeatures(cache=tmp_path).fit(images)
    compute, calls = step._compute_rows, []

    def interrupted(batch, kwargs):
        calls.append(len(batch))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return compute(batch, kwargs)

    monkeypatch.setattr(step, "_compute_rows", interrupted)
    with pytest.raises(KeyboardInterrupt):
        step.transform(images)
    assert calls == [2, 2, 1] and len(ArrayCache(tmp_path)) == 4
    calls.clear()
    assert np.array_equal(step.transform(images), expected) and calls == [1]
