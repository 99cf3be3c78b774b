"""facetruth tune writes tuned CLIP norms with their recipe; train --clip-norms records them in the card."""

import json

from facetruth.cli import main
from facetruth.data import make_demo_dataset
from facetruth.features import norms_digest, read_norms


def test_tune_then_train_with_the_norms(weights, tmp_path, capsys):
    data = tmp_path / "data"
    make_demo_dataset(n=8, size=48, out=data, random_state=0)
    norms_file = tmp_path / "norms.npz"
    common = ["--face", "off", "--image-size", "48", "--no-progress"]
    assert main(["tune", "--data", str(data), "--out", str(norms_file), "--last-blocks", "0", "--epochs", "1",
                 "--batch-size", "4", "--augment", "robust", *common]) == 0  # fmt: skip
    assert "saved" in capsys.readouterr().out
    norms, recipe = read_norms(norms_file)
    assert len(norms) == 2 and recipe["rows"] == {"images": 8, "robust": 8, "pseudo_fakes": 0}
    assert recipe["last_blocks"] == 0 and recipe["manifest_sha256"]
    model = tmp_path / "m.joblib"
    assert main(["train", "--data", str(data), "--features", "clip", "--classifier", "logistic",
                 "--clip-norms", str(norms_file), "--allow-weak", "--out", str(model), *common]) == 0  # fmt: skip
    card = json.loads((tmp_path / "m.joblib.json").read_text())
    assert card["feature_params"]["clip"]["norms"]["sha256"] == norms_digest(norms)
    assert card["clip_norms"]["recipe"]["epochs"] == 1


def test_clip_norms_needs_the_clip_family(tmp_path, capsys):
    data = tmp_path / "data"
    make_demo_dataset(n=4, size=32, out=data, random_state=0)
    code = main(
        [
            "train",
            "--data",
            str(data),
            "--features",
            "fft",
            "--clip-norms",
            "x.npz",
            "--out",
            str(tmp_path / "m.joblib"),
        ]
    )
    assert code != 0
    assert "--clip-norms" in capsys.readouterr().err


def test_a_bad_tuning_setting_is_refused_before_any_image_is_read(tmp_path, capsys):
    data = tmp_path / "data"
    make_demo_dataset(n=4, size=32, out=data, random_state=0)
    code = main(["tune", "--data", str(data), "--out", str(tmp_path / "n.npz"), "--last-blocks", "13"])
    assert code != 0 and "last_blocks" in capsys.readouterr().err
