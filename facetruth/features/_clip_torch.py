"""The torch twin of the ``clip`` family's encoder, for CUDA (and fine-tuning).

The int8 weights of the ONNX encoder (:mod:`facetruth.features._clip_weights`)
are de-quantised into timm's ``vit_base_patch16_clip_quickgelu_224``
(:func:`clip_state_dict`), which then runs in float32 on CPU or CUDA
(:class:`TorchCLIPEncoder`).
"""

import re

import numpy as np

from ..exceptions import ModelIntegrityError
from ._clip_onnx import dequantised_weights
from ._clip_weights import N_BLOCKS, WIDTH, _import_onnx, read_clip_weights

#: timm architecture the weights de-quantise onto
ARCHITECTURE = "vit_base_patch16_clip_quickgelu_224"


_MATMUL = re.compile(
    r"/(?:vision_model/encoder/layers\.(\d+)/(?:self_attn/(q|k|v|out)_proj|mlp/(fc1|fc2))|(visual_projection))"
    r"/MatMul_quant"
)


def clip_state_dict(data=None):
    """De-quantise the int8 CLIP encoder into timm's ``vit_base_patch16_clip_quickgelu_224``.

    Each int8 weight ``q`` of a ``MatMulInteger`` (layout ``(in, out)``, one
    scale and zero point per output column) becomes ``(q - zero_point) *
    scale``, transposed to torch's ``(out, in)``; the query, key and value
    projections are stacked into timm's ``qkv``. Float initialisers (layer
    norms, biases, embeddings) are copied. Runs on CPU with numpy.

    Parameters
    ----------
    data : bytes, optional
        The ONNX model; default: :func:`read_clip_weights`.

    Returns
    -------
    state_dict : dict of str to torch.Tensor
        Loads strictly into ``timm.create_model(ARCHITECTURE, num_classes=0)``.
    projection : torch.Tensor of shape (768, 512)
        CLIP's visual projection: ``image_embeds = pooled @ projection``.

    Examples
    --------
    >>> from facetruth.features._clip_torch import clip_state_dict
    >>> state_dict, projection = clip_state_dict()  # doctest: +SKIP
    >>> tuple(state_dict["blocks.0.attn.qkv.weight"].shape), tuple(projection.shape)  # doctest: +SKIP
    ((2304, 768), (768, 512))
    """
    onnx = _import_onnx()
    import torch
    from onnx import numpy_helper

    model = onnx.load_from_string(read_clip_weights() if data is None else data)
    inits = {t.name: t for t in model.graph.initializer}

    def array(name):
        if name not in inits:
            raise ModelIntegrityError(f"The CLIP encoder graph has no initialiser {name!r}.")
        return numpy_helper.to_array(inits[name])

    dense = {}  # (layer or None, role) -> float32 (out, in)
    for name, (_, weight) in dequantised_weights(model).items():
        match = _MATMUL.fullmatch(name)
        if match is None:
            continue
        layer, attn, mlp, proj = match.groups()
        key = (None, "proj") if proj else (int(layer), attn or mlp)
        dense[key] = np.ascontiguousarray(weight.T)
    hf = "vision_model.encoder.layers.{}.{}"
    sd = {
        "cls_token": array("vision_model.embeddings.class_embedding").reshape(1, 1, WIDTH),
        "pos_embed": array("vision_model.embeddings.position_embedding.weight")[None],
        "patch_embed.proj.weight": array("vision_model.embeddings.patch_embedding.weight"),
        "norm_pre.weight": array("vision_model.pre_layrnorm.weight"),
        "norm_pre.bias": array("vision_model.pre_layrnorm.bias"),
        "norm.weight": array("vision_model.post_layernorm.weight"),
        "norm.bias": array("vision_model.post_layernorm.bias"),
    }
    try:
        for i in range(N_BLOCKS):
            p = f"blocks.{i}."
            for ours, theirs in (("norm1", "layer_norm1"), ("norm2", "layer_norm2")):
                sd[p + ours + ".weight"] = array(hf.format(i, theirs + ".weight"))
                sd[p + ours + ".bias"] = array(hf.format(i, theirs + ".bias"))
            sd[p + "attn.qkv.weight"] = np.concatenate([dense[i, r] for r in "qkv"])
            sd[p + "attn.qkv.bias"] = np.concatenate(
                [array(hf.format(i, f"self_attn.{r}_proj.bias")) for r in "qkv"]
            )
            sd[p + "attn.proj.weight"] = dense[i, "out"]
            sd[p + "attn.proj.bias"] = array(hf.format(i, "self_attn.out_proj.bias"))
            for fc in ("fc1", "fc2"):
                sd[p + f"mlp.{fc}.weight"] = dense[i, fc]
                sd[p + f"mlp.{fc}.bias"] = array(hf.format(i, f"mlp.{fc}.bias"))
        projection = dense[None, "proj"].T
    except KeyError as exc:
        raise ModelIntegrityError(f"The CLIP encoder graph lacks the quantised weight {exc}.") from exc
    state_dict = {k: torch.from_numpy(np.array(v, dtype=np.float32, order="C")) for k, v in sd.items()}
    return state_dict, torch.from_numpy(np.array(projection, dtype=np.float32, order="C"))


class TorchCLIPEncoder:
    """The CLIP image tower as a timm ViT in float32, on CPU or CUDA.

    Built by :func:`load_clip_encoder`; ``trunk`` is timm's
    ``vit_base_patch16_clip_quickgelu_224`` without a head, ``projection``
    CLIP's visual projection applied to its pooled (normalised) CLS token.

    Parameters
    ----------
    trunk : torch.nn.Module
    projection : torch.Tensor of shape (768, 512)

    Examples
    --------
    >>> from facetruth.features import load_clip_encoder
    >>> encoder = load_clip_encoder("cpu", backend="torch")  # doctest: +SKIP
    >>> encoder.device  # doctest: +SKIP
    'cpu'
    """

    backend = "torch"
    precision = "float32"
    #: SHA-256 of the tuned LayerNorm parameters, None for the published ones
    norms_digest = None
    blocks = tuple(range(N_BLOCKS))

    def __init__(self, trunk, projection):
        self.trunk = trunk.eval()
        self.projection = projection

    @property
    def device(self):
        return str(self.projection.device)

    def __call__(self, pixel_values, blocks=()):
        """Embeddings and CLS tokens of a normalised batch (see :meth:`ONNXCLIPEncoder.__call__`)."""
        import torch

        trunk = self.trunk
        # no TF32 convolutions on GPUs that have them: float32, as on CPU
        no_tf32 = torch.backends.cudnn.flags(enabled=torch.backends.cudnn.enabled, allow_tf32=False)
        with torch.inference_mode(), no_tf32:
            x = torch.from_numpy(np.ascontiguousarray(pixel_values)).to(self.projection.device)
            x = trunk.norm_pre(trunk.patch_drop(trunk._pos_embed(trunk.patch_embed(x))))
            tokens = {}
            for i, block in enumerate(trunk.blocks):
                x = block(x)
                if i in blocks:
                    tokens[i] = x[:, 0]
            pooled = trunk.forward_head(trunk.norm(x), pre_logits=True)
            outputs = [pooled @ self.projection, *(tokens[b] for b in blocks)]
            return [t.float().cpu().numpy() for t in outputs]
