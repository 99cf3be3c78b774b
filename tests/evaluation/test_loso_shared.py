"""Leave one source out on the shared data sets (samples of each, to keep the run short)."""

import numpy as np
import pytest

from facetruth.data import concat_datasets, load_dataset
from facetruth.evaluation import make_detector, run_loso
from facetruth.pipelines import build_features, build_loader


def _sample(folder, n_per_class, seed=0):
    data = load_dataset(folder)
    rng = np.random.default_rng(seed)
    keep = [rng.choice(np.flatnonzero(data.labels == c), n_per_class, replace=False) for c in (0, 1)]
    return data.subset(np.sort(np.concatenate(keep)))


@pytest.mark.slow
@pytest.mark.shared_data
def test_loso_over_two_shared_sources(hardfake_dir, ciplab_dir):
    names = ("hardfake", "ciplab")
    data = concat_datasets([_sample(hardfake_dir, 30), _sample(ciplab_dir, 30)])
    assert list(dict.fromkeys(data.sources)) == list(names)
    results = run_loso(
        data,
        build_loader("off", 128),
        build_features("fft,dct"),
        make_detector(device="cpu"),
        ["fft", "spectral"],
    )
    for res in results["feature_sets"].values():
        assert list(res["held_out"]) == list(names)
        for m in res["held_out"].values():
            assert m["n"] == 60 and m["n_train"] == 60 and 0 <= m["auc"] <= 1
            assert 0 <= m["flag_rate_fake"] <= 1 and 0 <= m["flag_rate_real"] <= 1
    for name in names:  # each source's own audit: file properties and whole-image geometry
        audit = results["sources"][name]["audit"]
        assert audit["counts"] == {"real": 30, "fake": 30} and 0 <= audit["nuisance_auc"] <= 1
