import json

import pytest

from facetruth.cli import main


def test_finetune_writes_a_loadable_backbone(tiny_set, tmp_path, capsys):
    torch = pytest.importorskip("torch")
    out = tmp_path / "backbone.pt"
    args = ["finetune", "--data", str(tiny_set), "--out", str(out), "--epochs", "1", "--max-items", "16"]
    assert main([*args, "--face", "off", "--batch-size", "8"]) == 0
    assert "best validation AUC" in capsys.readouterr().out
    state = torch.load(out, weights_only=True)
    assert "conv_stem.weight" in state and not any(k.startswith("classifier") for k in state)
    assert json.loads(out.with_suffix(".json").read_text())["epochs_run"] == 1
