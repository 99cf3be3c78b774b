"""What the folds of a feature-set comparison train on."""

from facetruth.data import load_dataset
from facetruth.evaluation import make_detector, run_experiment
from facetruth.pipelines import build_extras, build_features, build_loader


def test_experiment_folds_train_on_pseudo_fakes_of_their_own_reals(tiny_set):
    estimators = build_loader("off", 48), build_features("fft"), make_detector(device="cpu")
    results = run_experiment(
        load_dataset(tiny_set), *estimators, ["fft"], n_splits=3, extras=build_extras("sbi")
    )
    meta = results["meta"]
    assert meta["pseudo_fakes"] == "sbi" and meta["extra_training_rows"] == {"sbi": 24}
    folds = results["feature_sets"]["fft"]["folds"]
    # each fold trains on its 32 crops plus the pseudo-fakes of its 16 reals
    assert [f["n_train"] for f in folds] == [48, 48, 48]
