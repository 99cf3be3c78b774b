"""The pretrained EfficientNet-Lite0 backbone: key conversion, ImageNet predictions, weight files."""

import numpy as np
import pytest
import torch
from skimage import data

from facetruth.exceptions import ModelIntegrityError
from facetruth.features._backbone import (
    STAGE_DEPTHS,
    convert_state_dict,
    imagenet_weights_path,
    load_backbone,
    resolve_device,
)
from facetruth.features._cnn import cnn_embedding, predict_imagenet

#: ImageNet-1k indices of the domestic cats (tabby, tiger cat, Persian, Siamese, Egyptian cat)
CAT_CLASSES = {281, 282, 283, 284, 285}
ESPRESSO = 967


@pytest.fixture(scope="module")
def backbone():
    return load_backbone("imagenet", device="cpu")


def test_converted_keys_and_shapes_match_timm():
    import timm

    source = torch.load(imagenet_weights_path(), map_location="cpu", weights_only=True)
    converted = convert_state_dict(source)
    target = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=1000).state_dict()
    assert len(converted) == len(source) == len(target) == 296
    assert set(converted) == set(target)
    assert {k: tuple(v.shape) for k, v in converted.items()} == {k: tuple(v.shape) for k, v in target.items()}
    assert sum(STAGE_DEPTHS) == 16
    # the first block has no expansion: its projection is timm's conv_pw
    assert converted["blocks.0.0.conv_pw.weight"].shape == (16, 32, 1, 1)
    assert converted["blocks.6.0.conv_pwl.weight"].shape == (320, 1152, 1, 1)


def test_convert_rejects_unknown_keys():
    with pytest.raises(KeyError, match="unexpected"):
        convert_state_dict({"_se_reduce.weight": torch.zeros(1)})
    with pytest.raises(KeyError, match="beyond"):
        convert_state_dict({"_blocks.16._bn0.weight": torch.zeros(1)})


def test_imagenet_predictions_on_known_photos(backbone):
    """A silently broken weight load (wrong renames, wrong normalisation) fails here."""
    classes = predict_imagenet([data.chelsea(), data.coffee()], backbone)
    assert classes[0] in CAT_CLASSES  # Egyptian cat (285)
    assert classes[1] == ESPRESSO


def test_backbone_is_in_eval_mode_on_cpu(backbone):
    assert not backbone.training
    assert next(backbone.parameters()).device.type == "cpu"


def test_resolve_device():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device"):
        resolve_device("tpu")
    with pytest.raises(ValueError, match="device"):
        resolve_device(0)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA"):
            resolve_device("cuda")
        with pytest.raises(ValueError, match="no CUDA"):
            resolve_device("cuda:0")


def test_missing_weights_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        load_backbone(tmp_path / "absent.pt")


def test_corrupt_weights_file(tmp_path):
    path = tmp_path / "backbone.pt"
    path.write_bytes(b"this is not a torch file" * 10)
    with pytest.raises(ModelIntegrityError, match="Cannot read"):
        load_backbone(path)


def test_truncated_weights_file(tmp_path, backbone):
    path = tmp_path / "backbone.pt"
    torch.save(backbone.state_dict(), path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelIntegrityError):
        load_backbone(path)


def test_mismatched_weights_file(tmp_path, backbone):
    path = tmp_path / "backbone.pt"
    state = dict(backbone.state_dict())
    del state["conv_stem.weight"]
    torch.save(state, path)
    with pytest.raises(ModelIntegrityError, match="do not fit"):
        load_backbone(path)


def test_fine_tuned_file_replaces_imagenet_weights(tmp_path, backbone):
    """A backbone state_dict without classifier, as finetune saves it, loads strictly."""
    state = {k: v.clone() for k, v in backbone.state_dict().items() if not k.startswith("classifier.")}
    state["conv_head.weight"] = state["conv_head.weight"] * 0.5
    path = tmp_path / "tuned.pt"
    torch.save(state, path)
    tuned = load_backbone(path)
    assert torch.equal(tuned.conv_head.weight, state["conv_head.weight"])
    assert isinstance(tuned.classifier, torch.nn.Identity)
    image = data.chelsea()
    assert not np.allclose(cnn_embedding(image, model=tuned), cnn_embedding(image, model=backbone))
