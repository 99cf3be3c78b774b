import json
import re

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
    # said first, before any figure: what one class cannot measure
    assert out.startswith("note: only real items: one-class metrics are limited. AUC, AP, EER")
    assert main(["evaluate", str(trained), "--data", str(tmp_path), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["auc"] is None and m["n"] == 24 and sum(m["histogram"]["counts"]) == 24
    assert m["flag_rate"] == m["flag_rate_real"] and m["flag_rate_fake"] is None
    assert m["one_class"] == "real" and "one-class metrics are limited" in m["note"]


def test_evaluate_takes_its_data_as_positional_arguments(trained, tiny_set, capsys):
    assert main(["evaluate", str(trained), str(tiny_set), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["n"] == 48 and m["one_class"] is None and "note" not in m


def test_evaluate_keeps_data_as_an_alias_of_the_positional_arguments(trained, tiny_set, capsys):
    assert main(["evaluate", str(trained), str(tiny_set), "--json"]) == 0
    positional = json.loads(capsys.readouterr().out)
    assert main(["evaluate", str(trained), "--data", str(tiny_set), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == positional


def test_evaluate_without_data_says_how_to_name_it(trained, capsys):
    assert main(["evaluate", str(trained)]) == 2
    assert "no data set given" in capsys.readouterr().err


def _flat_reals(tiny_set, folder):
    """A folder of the real images of ``tiny_set``, directly in it: no class folder."""
    folder.mkdir()
    for path in sorted((tiny_set / "real").iterdir()):
        (folder / path.name).symlink_to(path)
    return folder


def test_a_flat_folder_of_one_class_is_evaluated_with_its_label(trained, tiny_set, tmp_path, capsys):
    flat = _flat_reals(tiny_set, tmp_path / "photos")
    assert main(["evaluate", str(trained), str(flat)]) == 2  # no class folder, no label
    err = capsys.readouterr().err
    assert "matches no known dataset layout" in err and "add --label real or --label fake" in err
    assert main(["evaluate", str(trained), str(flat), "--label", "real", "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["n"] == 24 and m["one_class"] == "real" and m["flag_rate_fake"] is None
    assert m["confusion"][1] == [0, 0] and sum(m["confusion"][0]) == 24  # every item labelled real
    assert main(["evaluate", str(trained), str(flat), "--label", "fake"]) == 0
    assert capsys.readouterr().out.startswith("note: only fake items: one-class metrics are limited.")


def test_a_label_that_contradicts_a_class_folder_is_refused(trained, tiny_set, capsys):
    assert main(["evaluate", str(trained), str(tiny_set), "--label", "fake"]) == 2
    assert "holds real items" in capsys.readouterr().err


def test_undefined_metrics_are_null_in_json_and_na_in_text(trained, tiny_set, tmp_path, capsys):
    flat = _flat_reals(tiny_set, tmp_path / "photos")
    assert main(["evaluate", str(trained), str(flat), "--label", "real", "--band", "1", "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    for key in ("auc", "ap", "eer", "balanced_accuracy", "recall", "f1", "flag_rate_fake"):
        assert m[key] is None, key  # no fake: undefined, never 0
    assert (m["precision"] is None) == (m["confusion"][0][1] == 0)  # defined once anything is called fake
    assert main(["evaluate", str(trained), str(flat), "--label", "real"]) == 0
    out = capsys.readouterr().out
    shown = dict(re.findall(r"^ *(\w+): (\S+)$", out, flags=re.MULTILINE))
    for key in ("auc", "ap", "eer", "balanced_accuracy", "recall", "f1", "flag_rate_fake"):
        assert shown[key] == "n/a", key
    assert float(shown["accuracy"]) >= 0 and "0.0000" not in (shown["recall"], shown["f1"])


def test_evaluate_both_classes_gives_flag_rates_per_class_and_per_source(trained, three_sources, capsys):
    assert main(["evaluate", str(trained), "--data", *map(str, three_sources), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["n"] == 48 and m["flag_rate_fake"] == m["recall"]
    assert sorted(m["flag_rate_by_source"]) == ["a", "b", "c"]
    assert main(["evaluate", str(trained), "--data", *map(str, three_sources)]) == 0
    out = capsys.readouterr().out
    assert "flag rate per source (all / fakes / reals):" in out and "  a: " in out and "note:" not in out
