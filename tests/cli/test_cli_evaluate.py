import json

import numpy as np

from facetruth.cli import main


def test_evaluate_json(trained, tiny_set, capsys):
    assert main(["evaluate", str(trained), "--data", str(tiny_set), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    keys = {
        "n",
        "auc",
        "ap",
        "accuracy",
        "balanced_accuracy",
        "precision",
        "recall",
        "f1",
        "eer",
        "threshold",
    }
    assert keys <= set(m) and m["n"] == 48 and m["auc"] > 0.9
    assert np.array(m["confusion"]).sum() == 48
    assert 0 <= m["coverage"] <= 1 and sum(m["inconclusive"].values()) == round(48 * (1 - m["coverage"]))


def test_evaluate_reports_coverage_and_precision_per_side(trained, tiny_set, capsys):
    import facetruth
    from facetruth.data import load_dataset

    assert main(["evaluate", str(trained), "--data", str(tiny_set), "--json"]) == 0
    sides = json.loads(capsys.readouterr().out)["sides"]
    data = load_dataset(tiny_set)
    rows = facetruth.predict_items(facetruth.load(trained), [str(p) for p in data.paths])
    verdicts, labels = np.array([r.verdict for r in rows]), np.asarray(data.labels)
    for side, label in (("fake", 1), ("real", 0)):
        called = verdicts == side
        assert sides[side]["n"] == called.sum() > 0
        assert sides[side]["coverage"] == (called & (labels == label)).sum() / (labels == label).sum()
        assert sides[side]["precision"] == (labels[called] == label).mean()
    assert main(["evaluate", str(trained), "--data", str(tiny_set)]) == 0
    out = capsys.readouterr().out
    assert "verdicts per side" in out and f"fake: {sides['fake']['n']:>4} items" in out
    assert "sides:" not in out  # not printed as a raw dict
    # under --band 1 nothing is called: no precision to give
    assert main(["evaluate", str(trained), "--data", str(tiny_set), "--band", "1", "--json"]) == 0
    sides = json.loads(capsys.readouterr().out)["sides"]
    assert sides["fake"] == {"n": 0, "coverage": 0.0, "precision": None} and sides["real"]["n"] == 0


def test_evaluate_band_zero_gives_every_item_a_verdict(trained, tiny_set, capsys):
    assert main(["evaluate", str(trained), "--data", str(tiny_set), "--band", "0"]) == 0
    out = capsys.readouterr().out
    assert "coverage: 1.0000" in out and "covered_accuracy" in out
    assert main(["evaluate", str(trained), "--data", str(tiny_set), "--band", "1", "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["coverage"] == 0 and m["covered_accuracy"] is None and m["inconclusive"] == {"uncertain": 48}
    assert m["n"] == 48 and m["auc"] > 0.9  # the usual metrics stay on every scored item


def test_evaluate_a_folder_of_reals_only(trained, tiny_set, tmp_path, capsys):
    (tmp_path / "real").symlink_to(tiny_set / "real")
    assert main(["evaluate", str(trained), "--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "flag_rate:" in out and "mean_prob_fake:" in out
    assert "prob_fake histogram (threshold" in out and out.count(" |") >= 10
    assert "note: only real items: AUC, AP, EER and balanced accuracy need both" in out
    assert main(["evaluate", str(trained), "--data", str(tmp_path), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["auc"] is None and m["n"] == 24 and sum(m["histogram"]["counts"]) == 24
    assert m["flag_rate"] == m["flag_rate_real"] and m["flag_rate_fake"] is None


def test_evaluate_both_classes_gives_flag_rates_per_class_and_per_source(trained, three_sources, capsys):
    assert main(["evaluate", str(trained), "--data", *map(str, three_sources), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["n"] == 48 and m["flag_rate_fake"] == m["recall"]
    assert sorted(m["flag_rate_by_source"]) == ["a", "b", "c"]
    assert main(["evaluate", str(trained), "--data", *map(str, three_sources)]) == 0
    out = capsys.readouterr().out
    assert "flag rate per source (all / fakes / reals):" in out and "  a: " in out and "note:" not in out
