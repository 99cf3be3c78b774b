"""The torch half of :class:`~facetruth.models.CLIPNormTuner`: the tunable network, its loss, the epochs.

The network is the ``clip`` family's float32 torch encoder with every weight
frozen except the affine parameters of the LayerNorms of the last
``last_blocks`` blocks and of the final norm, followed by a linear head on
the L2-normalised embedding (GenD [1]_). The blocks below the tuned ones do
not change, so their output tokens can be computed once and kept
(:func:`lower_tokens`); each epoch then runs only the top blocks, forward
and backward.

References
----------
.. [1] Yermakov et al., "Deepfake Detection that Generalizes Across
       Benchmarks" (GenD), WACV 2026.
.. [2] T. Wang and P. Isola, "Understanding Contrastive Representation
       Learning through Alignment and Uniformity on the Hypersphere", ICML 2020.
"""

import numpy as np

from ..features import clip_preprocess, load_clip_encoder, norm_names

_N_BLOCKS = 12


def build_network(last_blocks, device):
    """The frozen CLIP trunk with trainable norms, its projection and a zero linear head.

    Returns
    -------
    net : torch.nn.Module
        With ``lower(pixels)``, ``upper(tokens) -> (z, logits)`` and
        ``norms()`` (the tuned values under the ONNX names).
    """
    import torch

    encoder = load_clip_encoder(device, backend="torch")
    names = norm_names(last_blocks)
    timm_names = norm_names(last_blocks, timm=True)

    class Tunable(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.trunk = encoder.trunk.train(False)
            self.register_buffer("projection", encoder.projection.clone())
            self.head = torch.nn.Linear(self.projection.shape[1], 1)
            torch.nn.init.zeros_(self.head.weight)
            torch.nn.init.zeros_(self.head.bias)
            params = dict(self.trunk.named_parameters())
            for p in params.values():
                p.requires_grad_(False)
            self.tuned = [params[n] for n in timm_names]
            for p in self.tuned:
                p.requires_grad_(True)

        def lower(self, pixels):
            t = self.trunk
            x = t.norm_pre(t.patch_drop(t._pos_embed(t.patch_embed(pixels))))
            for block in t.blocks[: _N_BLOCKS - last_blocks]:
                x = block(x)
            return x

        def upper(self, tokens):
            t = self.trunk
            x = tokens
            for block in t.blocks[_N_BLOCKS - last_blocks :]:
                x = block(x)
            z = torch.nn.functional.normalize(
                t.forward_head(t.norm(x), pre_logits=True) @ self.projection, dim=1
            )
            return z, self.head(z).squeeze(1)

        def tuned_state(self):
            return {"norms": [p.detach().cpu().clone() for p in self.tuned], "head": self.head.state_dict()}

        def load_tuned_state(self, state):
            with torch.no_grad():
                for p, value in zip(self.tuned, state["norms"]):
                    p.copy_(value)
            self.head.load_state_dict(state["head"])

        def norms(self):
            return {n: p.detach().float().cpu().numpy().copy() for n, p in zip(names, self.tuned)}

    return Tunable().to(device)


def lower_tokens(net, images, *, batch_size, device, dtype, progress=None):
    """The tokens entering the first tuned block, for each image (no gradient).

    Parameters
    ----------
    images : list of ndarray
        uint8 RGB images of any size (CLIP's preprocessing resizes them).
    dtype : torch.dtype
        Storage type of the kept tokens (float16 halves the memory).

    Returns
    -------
    tokens : torch.Tensor of shape (n_images, 197, 768), on CPU
    """
    import torch

    out = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            pixels = torch.from_numpy(clip_preprocess(images[start : start + batch_size])).to(device)
            out.append(net.lower(pixels).to("cpu", dtype))
            if progress is not None:
                progress.update(len(pixels))
    return torch.cat(out)


def tuning_loss(z, logits, y, align_weight):
    """Binary cross-entropy, plus ``align_weight`` times alignment and uniformity [2]_.

    Alignment is the mean squared distance between embeddings of the same
    class in the batch; uniformity the log of the mean Gaussian potential
    ``exp(-2 d^2)`` over all pairs.

    Returns
    -------
    loss : torch.Tensor
    parts : dict of str to float
    """
    import torch

    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
    parts = {"bce": float(bce.detach())}
    if not align_weight:
        return bce, parts
    d2 = torch.cdist(z, z).pow(2)
    off = ~torch.eye(len(z), dtype=torch.bool, device=z.device)
    same = (y[:, None] == y[None, :]) & off
    align = d2[same].mean() if same.any() else d2.new_zeros(())
    uniform = torch.log(torch.exp(-2.0 * d2[off]).mean())
    parts.update(align=float(align.detach()), uniform=float(uniform.detach()))
    return bce + align_weight * (align + uniform), parts


def run_epoch(net, optimiser, tokens, y, *, order, batch_size, align_weight, device, progress=None):
    """One pass over ``tokens`` in ``order``; returns the mean loss parts."""
    import torch

    totals, seen = {}, 0
    net.train(False)  # no dropout anywhere: the tuned parameters are the only change
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        batch = tokens[idx].to(device, torch.float32)
        target = torch.from_numpy(y[idx].astype(np.float32)).to(device)
        z, logits = net.upper(batch)
        loss, parts = tuning_loss(z, logits, target, align_weight)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        parts["loss"] = float(loss.detach())
        for key, value in parts.items():
            totals[key] = totals.get(key, 0.0) + value * len(idx)
        seen += len(idx)
        if progress is not None:
            progress.update(len(idx))
    return {key: value / seen for key, value in totals.items()}
