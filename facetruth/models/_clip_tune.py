"""CLIP with tuned LayerNorms (GenD) as a scikit-learn classifier: :class:`CLIPNormTuner`."""

import hashlib
import json
import os
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from .._atomic import atomic_open
from .._cache import ArrayCache, hash_array, hash_bytes
from .._validation import check_images
from ..data import random_augment, self_blend
from ..features import WEIGHTS_SHA256, clip_embedding, load_clip_encoder, resolve_device
from ._clip_tune_loop import build_network, lower_tokens, run_epoch

#: what fit records, besides the parameters, to know a checkpoint is its own
_CHECKPOINT_FORMAT = "facetruth-clip-tune-1"


class CLIPNormTuner(ClassifierMixin, BaseEstimator):
    """CLIP ViT-B/16 with tuned LayerNorms and a linear head on its L2-normalised embedding.

    Only the affine parameters (weight and bias) of the LayerNorms of the
    last ``last_blocks`` transformer blocks and of the final norm are
    trained (about 0.03 % of the weights when all 12 blocks are tuned),
    together with a linear head on the L2-normalised 512-d embedding, with
    binary cross-entropy and, optionally, alignment and uniformity (GenD).
    The blocks below the tuned ones are frozen: their output tokens are
    computed once per training image and kept (float16), so each epoch runs
    only the tuned blocks. Robust copies and self-blended fakes are drawn
    once before training (their tokens are kept too).

    Prediction runs the portable ``clip`` encoder with the tuned norms
    (:class:`~facetruth.features.CLIPEmbedding` ``norms=``), so it costs
    what the frozen encoder costs and gives the same answer on every CPU;
    the norms (``norms_``) can also feed a ``clip`` family with any other
    classifier.

    Parameters
    ----------
    last_blocks : int, default=2
        How many of the 12 blocks, from the top, have their norms tuned.
    epochs : int, default=3
    batch_size : int, default=32
    lr : float, default=1e-3
        AdamW learning rate of the norms.
    head_lr : float, default=1e-2
        AdamW learning rate of the head (it starts at zero on unit vectors).
    weight_decay : float, default=0.0
        Of the head only.
    align_weight : float, default=0.0
        Weight of the alignment and uniformity terms; 0 is cross-entropy alone.
    augment : {None, "robust"}, default=None
        ``"robust"`` adds one degraded copy (blur, rescale, noise, JPEG) of each image.
    pseudo_fakes : float, default=0.0
        Self-blended fakes per real training image, labelled fake (0.5: one
        for half of the reals, chosen by content).
    device : str, default="auto"
        Where the tuning runs (CUDA when present); prediction uses the
        ``clip`` family's path for that device.
    random_state : int, default=0
        Seeds the extra rows, the head, and the order of each epoch.
    checkpoint : str or os.PathLike, optional
        File written atomically after each epoch; a fit with the same
        parameters and data resumes from it (after a kill, say, or to add
        epochs), and gives what an uninterrupted fit gives.
    cache : str or os.PathLike, optional
        Folder of an :class:`~facetruth._cache.ArrayCache` for the kept
        tokens (float16, about 300 KB per image), keyed by image content,
        the weights' SHA-256 and the number of frozen blocks: fits that tune
        the same ``last_blocks`` on overlapping images (the folds of a
        leave-one-source-out run) compute each image's tokens once.
    progress : bool, default=False
        Show progress bars on stderr.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
    norms_ : dict of str to ndarray of shape (768,)
        The tuned LayerNorm parameters, under the ONNX graph's names.
    head_ : dict
        ``{"coef": ndarray of shape (512,), "intercept": float}`` on the
        L2-normalised embedding.
    history_ : list of dict
        Per epoch: losses and seconds.
    recipe_ : dict
        Parameters, rows (images, robust copies, pseudo-fakes), seconds to
        keep the tokens and to tune: what a model card records.

    Examples
    --------
    >>> from facetruth.models import CLIPNormTuner
    >>> tuner = CLIPNormTuner(last_blocks=1, epochs=1, device="cpu")
    >>> tuner.get_params()["last_blocks"]
    1
    >>> tuner.fit(images, labels).norms_  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        last_blocks=2,
        epochs=3,
        batch_size=32,
        lr=1e-3,
        head_lr=1e-2,
        weight_decay=0.0,
        align_weight=0.0,
        augment=None,
        pseudo_fakes=0.0,
        device="auto",
        random_state=0,
        checkpoint=None,
        cache=None,
        progress=False,
    ):
        self.last_blocks = last_blocks
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.head_lr = head_lr
        self.weight_decay = weight_decay
        self.align_weight = align_weight
        self.augment = augment
        self.pseudo_fakes = pseudo_fakes
        self.device = device
        self.random_state = random_state
        self.checkpoint = checkpoint
        self.cache = cache
        self.progress = progress

    def _check_params(self):
        def integer(name, low, high=None):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, np.integer))
                or value < low
                or (high is not None and value > high)
            ):
                raise ValueError(
                    f"{name} must be an integer from {low}{f' to {high}' if high else ' up'}; got {value!r}."
                )

        def number(name, low=0.0, strict=False):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float, np.number))
                or not np.isfinite(value)
                or (value <= low if strict else value < low)
            ):
                raise ValueError(f"{name} must be a number {'>' if strict else '>='} {low}; got {value!r}.")

        integer("last_blocks", 0, 12)
        integer("epochs", 1)
        integer("batch_size", 2)
        integer("random_state", 0)
        for name in ("lr", "head_lr"):
            number(name, strict=True)
        for name in ("weight_decay", "align_weight", "pseudo_fakes"):
            number(name)
        if self.augment not in (None, "robust"):
            raise ValueError(f"augment must be None or 'robust'; got {self.augment!r}.")

    def _rows(self, images, y):
        """Training rows: the images, their robust copies, self-blended fakes of the reals.

        Each extra row is seeded by its image's content (and ``random_state``),
        so an image gets the same extra rows in every fit that holds it: the
        folds of a leave-one-source-out run share their kept tokens.
        """
        rows, labels = list(images), list(y)
        counts = {"images": len(rows), "robust": 0, "pseudo_fakes": 0}
        seeds = [int(hash_array(np.ascontiguousarray(im))[:8], 16) ^ int(self.random_state) for im in images]
        if self.augment == "robust":
            rows += [random_augment(im, random_state=seed) for im, seed in zip(images, seeds)]
            labels += list(y)
            counts["robust"] = len(images)
        ratio = float(self.pseudo_fakes)
        for image, label, seed in zip(images, y, seeds):
            if label != 0 or not ratio:
                continue
            rng = np.random.default_rng(seed)
            for j in range(int(ratio) + int(rng.random() < ratio - int(ratio))):
                rows.append(self_blend(image, random_state=seed + 1 + j)[0])
                labels.append(1)
                counts["pseudo_fakes"] += 1
        return rows, np.asarray(labels, dtype=np.int64), counts

    def _signature(self, images, y):
        # not the epochs: a finished tuning may be resumed for more of them
        skip = ("checkpoint", "cache", "progress", "device", "epochs")
        params = {k: v for k, v in self.get_params().items() if k not in skip}
        digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode())
        for image in images:
            digest.update(np.ascontiguousarray(image).tobytes())
        digest.update(np.asarray(y, dtype=np.int64).tobytes())
        return digest.hexdigest()

    def fit(self, X, y):
        """Tune on face crops (uint8 RGB arrays) and binary labels (1 = fake).

        Returns
        -------
        self : object
        """
        import torch
        from tqdm.auto import tqdm

        self._check_params()
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(f"CLIPNormTuner needs exactly 2 classes; got {len(self.classes_)}.")
        images = check_images(X)
        if len(y) != len(images):
            raise ValueError(f"CLIPNormTuner needs one label per image; got {len(y)} for {len(images)}.")
        y01 = (y == self.classes_[1]).astype(np.int64)
        device = resolve_device(self.device)
        torch.manual_seed(self.random_state)
        net = build_network(self.last_blocks, device)
        optimiser = torch.optim.AdamW(
            [
                {"params": net.tuned, "lr": self.lr, "weight_decay": 0.0},
                {"params": net.head.parameters(), "lr": self.head_lr, "weight_decay": self.weight_decay},
            ]
        )
        signature, history, start = self._signature(images, y01), [], 0
        state = self._read_checkpoint(signature)
        if state is not None:
            net.load_tuned_state(state["tuned"])
            optimiser.load_state_dict(state["optimiser"])
            history, start = state["history"], len(state["history"])
            if start > self.epochs:
                raise ValueError(
                    f"{os.fspath(self.checkpoint)!r} holds {start} epochs, more than epochs={self.epochs}; "
                    "ask for at least as many, or name another checkpoint."
                )
        begin = time.perf_counter()
        rows, labels, counts = self._rows(images, y01)
        bar = tqdm(total=len(rows), desc="CLIP tokens", unit="img", disable=not self.progress, leave=False)
        with bar:
            tokens = self._tokens(net, rows, device, bar)
        cache_seconds = time.perf_counter() - begin
        for epoch in range(start, self.epochs):
            order = np.random.default_rng([self.random_state, epoch]).permutation(len(rows))
            tic = time.perf_counter()
            bar = tqdm(total=len(rows), desc=f"tuning {epoch + 1}/{self.epochs}", unit="img",
                       disable=not self.progress, leave=False)  # fmt: skip
            with bar:
                parts = run_epoch(net, optimiser, tokens, labels, order=order, batch_size=self.batch_size,
                                  align_weight=float(self.align_weight), device=device, progress=bar)  # fmt: skip
            history.append({"epoch": epoch + 1, **parts, "seconds": time.perf_counter() - tic})
            self._write_checkpoint(signature, net, optimiser, history)
        self.norms_ = net.norms()
        self.head_ = {
            "coef": net.head.weight.detach().cpu().numpy()[0].astype(np.float32),
            "intercept": float(net.head.bias.detach().cpu()[0]),
        }
        self.history_ = history
        self.recipe_ = {
            **{k: v for k, v in self.get_params().items() if k not in ("checkpoint", "cache", "progress")},
            "device_": device,
            "rows": counts,
            "token_seconds": round(cache_seconds, 2),
            "tuning_seconds": round(sum(h["seconds"] for h in history), 2),
            "tuned_parameters": int(sum(v.size for v in self.norms_.values())),
        }
        self.model_ = None
        return self

    def _tokens(self, net, rows, device, bar):
        """The kept tokens of each row, from the cache where it has them."""
        import torch

        def compute(items):
            return lower_tokens(
                net, items, batch_size=self.batch_size, device=device, dtype=torch.float16, progress=bar
            )

        if self.cache is None:
            return compute(rows)
        cache, frozen = ArrayCache(self.cache), 12 - int(self.last_blocks)
        tag = f"{WEIGHTS_SHA256}-frozen{frozen}-float16".encode()
        keys = [hash_bytes(tag, hash_array(np.ascontiguousarray(r)).encode()) for r in rows]
        found = [cache.get("clip_tokens", key) for key in keys]
        missing = [i for i, value in enumerate(found) if value is None]
        bar.update(len(rows) - len(missing))
        for start in range(0, len(missing), 256):
            chunk = missing[start : start + 256]
            for i, value in zip(chunk, compute([rows[i] for i in chunk])):
                found[i] = value.numpy()
                cache.put("clip_tokens", keys[i], found[i])
        return torch.from_numpy(np.stack(found))

    def _read_checkpoint(self, signature):
        import torch

        if self.checkpoint is None or not os.path.exists(self.checkpoint):
            return None
        state = torch.load(self.checkpoint, weights_only=False, map_location="cpu")
        if state.get("format") != _CHECKPOINT_FORMAT or state.get("signature") != signature:
            raise ValueError(
                f"{os.fspath(self.checkpoint)!r} holds a tuning of other parameters or data; "
                "remove it or name another checkpoint."
            )
        return state

    def _write_checkpoint(self, signature, net, optimiser, history):
        import torch

        if self.checkpoint is None:
            return
        state = {"format": _CHECKPOINT_FORMAT, "signature": signature, "tuned": net.tuned_state(),
                 "optimiser": optimiser.state_dict(), "history": history}  # fmt: skip
        with atomic_open(self.checkpoint, "wb") as fh:
            torch.save(state, fh)

    def _encoder(self):
        if getattr(self, "model_", None) is None:
            self.model_ = load_clip_encoder(resolve_device(self.device), norms=self.norms_)
        return self.model_

    def decision_function(self, X):
        """Logit of the positive class for each image, shape (n_images,)."""
        check_is_fitted(self, "norms_")
        return self.head_scores(clip_embedding(check_images(X), encoder=self._encoder()))

    def head_scores(self, embedding):
        """The head's logit for embeddings already computed with the tuned norms.

        Parameters
        ----------
        embedding : ndarray of shape (n_images, 512 + ...)
            Rows of ``CLIPEmbedding(norms=self.norms_)``; the first 512
            columns (the embedding) are read.

        Returns
        -------
        logit : ndarray of shape (n_images,)
        """
        check_is_fitted(self, "norms_")
        embeds = np.asarray(embedding)[:, :512]
        z = embeds / np.maximum(np.linalg.norm(embeds, axis=1, keepdims=True), 1e-12)
        return z @ self.head_["coef"] + np.float32(self.head_["intercept"])

    def predict_proba(self, X):
        """Class probabilities, shape (n_images, 2); column 1 is ``classes_[1]``."""
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X).astype(np.float64)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        """Most probable class of each image."""
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    def __getstate__(self):
        state = self.__dict__.copy()
        state["model_"] = None  # the encoder is rebuilt on first use
        return state
