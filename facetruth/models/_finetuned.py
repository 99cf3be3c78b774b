"""Scoring face crops with a network written by ``facetruth finetune``: its own head, no detector around it."""

import json
from pathlib import Path

import numpy as np


def finetuned_scores(backbone, images, *, batch_size=32, device="cpu"):
    """``P(fake)`` of face crops from a fine-tuned network: the sigmoid of its head's logit.

    ``facetruth finetune --out NAME.pt`` writes the backbone (``NAME.pt``),
    its linear head (``NAME.head.pt``) and a card (``NAME.json``) naming the
    input size; each crop is resized to that size, as in fine-tuning.

    Parameters
    ----------
    backbone : str or os.PathLike
        The backbone file.
    images : sequence of ndarray of shape (height, width, 3), dtype uint8
        Face crops, as the image loader gives them.
    batch_size : int, default=32
    device : str, default="cpu"
        Anything :func:`facetruth.features.resolve_device` accepts.

    Returns
    -------
    scores : ndarray of shape (n_images,), dtype float64

    Examples
    --------
    A network needs ``facetruth finetune`` first, minutes on a CPU:

    >>> from facetruth.models import finetuned_scores
    >>> finetuned_scores("runs/sbi/hardfake_sbi_160.pt", crops)  # doctest: +SKIP
    array([0.12, 0.87, ...])
    """
    import torch

    from ..features import load_backbone
    from ._finetune import predict_logits
    from ._finetune_data import load_items

    backbone = Path(backbone)
    card = json.loads(backbone.with_suffix(".json").read_text(encoding="utf-8"))
    net = load_backbone(backbone, device=device)
    net.reset_classifier(0)
    head = torch.nn.Linear(card["head"]["in_features"], 1)
    head.load_state_dict(torch.load(backbone.with_suffix(".head.pt"), map_location=device, weights_only=True))
    model = torch.nn.Sequential(net, head.to(_device(net))).eval()
    logits = predict_logits(
        model, load_items(list(images), card["input"]["image_size"]), batch_size=batch_size
    )
    return 1 / (1 + np.exp(-logits))


def _device(net):
    """The device of a network's first parameter."""
    return next(net.parameters()).device
