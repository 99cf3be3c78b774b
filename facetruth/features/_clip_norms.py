"""Tuned LayerNorm parameters of the ``clip`` encoder: names, checks, files and graph surgery.

A CLIP tuned the GenD way changes only the affine parameters (weight and
bias) of some LayerNorms. They are kept under the names of the ONNX graph's
float initialisers (``vision_model.encoder.layers.11.layer_norm1.weight``,
``vision_model.post_layernorm.bias`` ...), so that the tuned encoder runs
through the same portable paths as the published one: :func:`with_norms`
replaces the initialisers of the ONNX graph, :func:`timm_norms` gives the
same values under timm's names for the torch encoder.
"""

import hashlib
import json
import os

import numpy as np

from .._atomic import atomic_open
from ..exceptions import ModelIntegrityError
from ._clip_weights import N_BLOCKS, WIDTH

_BLOCK = "vision_model.encoder.layers.{}.layer_norm{}.{}"
_PRE = "vision_model.pre_layrnorm.{}"
_POST = "vision_model.post_layernorm.{}"
#: file format tag of :func:`save_norms`
NORMS_FORMAT = "facetruth-clip-norms-1"


def norm_names(last_blocks=N_BLOCKS, *, final=True, timm=False):
    """ONNX names of the LayerNorm parameters of the last ``last_blocks`` blocks (and the final norm).

    Parameters
    ----------
    last_blocks : int, default=12
        How many of the 12 blocks, counted from the top, have tuned norms.
    final : bool, default=True
        Include the norm after the last block (``post_layernorm``).
    timm : bool, default=False
        Give timm's names (``blocks.11.norm1.weight``, ``norm.weight``) instead.

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> from facetruth.features._clip_norms import norm_names
    >>> norm_names(1)
    ['vision_model.encoder.layers.11.layer_norm1.weight', 'vision_model.encoder.layers.11.layer_norm1.bias', 'vision_model.encoder.layers.11.layer_norm2.weight', 'vision_model.encoder.layers.11.layer_norm2.bias', 'vision_model.post_layernorm.weight', 'vision_model.post_layernorm.bias']
    """
    if isinstance(last_blocks, bool) or not isinstance(last_blocks, (int, np.integer)):
        raise ValueError(f"last_blocks must be an integer from 0 to {N_BLOCKS}; got {last_blocks!r}.")
    if not 0 <= last_blocks <= N_BLOCKS:
        raise ValueError(f"last_blocks must be from 0 to {N_BLOCKS}; got {last_blocks}.")
    names = [
        _BLOCK.format(i, n, p)
        for i in range(N_BLOCKS - last_blocks, N_BLOCKS)
        for n in (1, 2)
        for p in ("weight", "bias")
    ]
    names += [_POST.format(p) for p in ("weight", "bias")] if final else []
    return [_timm_name(n) for n in names] if timm else names


def _timm_name(name):
    """timm's name of an ONNX LayerNorm parameter name."""
    if name.startswith("vision_model.encoder.layers."):
        block, norm, param = name[len("vision_model.encoder.layers.") :].split(".")
        return f"blocks.{block}.norm{norm[-1]}.{param}"
    if name.startswith("vision_model.post_layernorm."):
        return "norm." + name.rsplit(".", 1)[1]
    return "norm_pre." + name.rsplit(".", 1)[1]


_KNOWN = frozenset(norm_names(N_BLOCKS) + [_PRE.format("weight"), _PRE.format("bias")])


def check_norms(norms):
    """Validated tuned norms: ONNX names to float32 vectors of 768 finite values.

    Parameters
    ----------
    norms : mapping of str to array-like

    Returns
    -------
    norms : dict of str to ndarray of shape (768,), dtype float32
        Sorted by name, each array read-only.

    Raises
    ------
    ValueError
        On an unknown name, a wrong shape or a non-finite value.
    """
    if not hasattr(norms, "items"):
        raise ValueError(f"norms must map LayerNorm parameter names to arrays; got {type(norms).__name__}.")
    if not norms:
        raise ValueError("norms is empty: name at least one LayerNorm parameter.")
    out = {}
    for name in sorted(norms):
        if name not in _KNOWN:
            raise ValueError(f"{name!r} is not a LayerNorm parameter of the CLIP encoder.")
        value = np.array(norms[name], dtype=np.float32)
        if value.shape != (WIDTH,) or not np.isfinite(value).all():
            raise ValueError(f"norms[{name!r}] must hold {WIDTH} finite values; got shape {value.shape}.")
        value.setflags(write=False)
        out[name] = value
    return out


def norms_digest(norms):
    """SHA-256 of checked norms (names and float32 bytes), for cache keys and model cards.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features._clip_norms import norms_digest
    >>> len(norms_digest({"vision_model.post_layernorm.bias": np.zeros(768)}))
    64
    """
    digest = hashlib.sha256()
    for name, value in check_norms(norms).items():
        digest.update(name.encode() + b"\0" + value.tobytes())
    return digest.hexdigest()


def timm_norms(norms):
    """The same norms under timm's names (``blocks.11.norm1.weight``, ``norm.bias`` ...)."""
    return {_timm_name(name): value for name, value in check_norms(norms).items()}


def with_norms(model, norms):
    """Replace the LayerNorm initialisers of an ONNX CLIP graph with ``norms``, in place.

    Parameters
    ----------
    model : onnx.ModelProto
    norms : mapping of str to array-like

    Returns
    -------
    model : onnx.ModelProto
    """
    from onnx import numpy_helper

    norms = check_norms(norms)
    found = set()
    for index, tensor in enumerate(model.graph.initializer):
        if tensor.name in norms:
            model.graph.initializer[index].CopyFrom(numpy_helper.from_array(norms[tensor.name], tensor.name))
            found.add(tensor.name)
    missing = sorted(set(norms) - found)
    if missing:
        raise ModelIntegrityError(f"The CLIP encoder graph has no initialiser {missing[0]!r}.")
    return model


def save_norms(path, norms, recipe=None):
    """Write tuned norms and their recipe to an ``.npz`` file, atomically.

    Parameters
    ----------
    path : str or os.PathLike
    norms : mapping of str to array-like
    recipe : dict, optional
        How they were tuned (JSON-serialisable); read back by :func:`read_norms`.

    Returns
    -------
    path : str

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from facetruth.features import read_norms, save_norms
    >>> path = save_norms(os.path.join(tempfile.mkdtemp(), "norms.npz"),
    ...                   {"vision_model.post_layernorm.bias": np.zeros(768)}, {"epochs": 3})
    >>> norms, recipe = read_norms(path)
    >>> list(norms), recipe
    (['vision_model.post_layernorm.bias'], {'epochs': 3})
    """
    norms = check_norms(norms)
    meta = json.dumps({"format": NORMS_FORMAT, "recipe": recipe or {}}, sort_keys=True)
    with atomic_open(path, "wb") as fh:
        np.savez(fh, __meta__=np.array(meta), **norms)
    return os.fspath(path)


def read_norms(path):
    """Norms and recipe from a file of :func:`save_norms`.

    Returns
    -------
    norms : dict of str to ndarray
    recipe : dict

    Raises
    ------
    ModelIntegrityError
        When the file is missing, unreadable or not a norms file.

    Examples
    --------
    >>> from facetruth.features import read_norms
    >>> read_norms("missing.npz")
    Traceback (most recent call last):
    ...
    facetruth.exceptions.ModelIntegrityError: 'missing.npz' is not a file of tuned CLIP norms (...).
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["__meta__"]))
            if meta.get("format") != NORMS_FORMAT:
                raise ValueError(f"format {meta.get('format')!r}")
            norms = {k: data[k] for k in data.files if k != "__meta__"}
        return check_norms(norms), meta.get("recipe", {})
    except (OSError, KeyError, ValueError) as exc:
        raise ModelIntegrityError(f"{os.fspath(path)!r} is not a file of tuned CLIP norms ({exc}).") from exc
