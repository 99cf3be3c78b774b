"""run_tuned_loso: the frozen and the tuned clip family, each source held out from tuning and fitting."""

import numpy as np

from facetruth.data import concat_datasets, load_dataset, make_demo_dataset
from facetruth.evaluation import make_detector, run_tuned_loso
from facetruth.features import CLIPEmbedding
from facetruth.models import CLIPNormTuner
from facetruth.pipelines import build_loader


def test_each_source_is_held_out_of_the_tuning_and_both_sets_are_scored(weights, tmp_path, monkeypatch):
    sets = []
    for i, name in enumerate(["a", "b", "c"]):
        make_demo_dataset(n=6, size=32, out=tmp_path / name, random_state=i)
        sets.append(load_dataset(tmp_path / name))
    dataset = concat_datasets(sets)
    seen = []
    real_fit = CLIPNormTuner.fit

    def recording_fit(self, X, y):
        seen.append({np.asarray(x).tobytes() for x in X})
        return real_fit(self, X, y)

    monkeypatch.setattr(CLIPNormTuner, "fit", recording_fit)
    tuner = CLIPNormTuner(last_blocks=0, epochs=1, batch_size=6, device="cpu", cache=tmp_path / "tokens")
    results = run_tuned_loso(
        dataset,
        build_loader("off", 32),
        CLIPEmbedding(device="cpu"),
        tuner,
        make_detector("logistic", inner_cv=2),
        n_errors=1,
    )
    assert set(results["feature_sets"]) == {"clip", "clip_tuned"}
    for name in ("clip", "clip_tuned"):
        assert sorted(results["feature_sets"][name]["held_out"]) == ["a", "b", "c"]
    held = results["feature_sets"]["clip_tuned"]["held_out"]["a"]
    assert {"auc", "sides", "cutoffs", "head_auc", "tuning"} <= set(held)
    assert held["tuning"]["rows"]["images"] == 12
    assert "sides" in results["feature_sets"]["clip"]["held_out"]["b"]
    # the fold holding out "a" tuned on b and c only
    crops = build_loader("off", 32).fit_transform(sets[0].paths)
    assert not seen[0] & {np.asarray(c).tobytes() for c in crops}
    assert all(e["feature_set"] == "clip_tuned" for e in results["errors"])
