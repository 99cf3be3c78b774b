"""The ``clip`` family's input and encoder: CLIP's preprocessing and :func:`load_clip_encoder`.

:func:`clip_preprocess` turns RGB images into CLIP's input tensor [1]_;
:func:`load_clip_encoder` builds the encoder that reads it: the ONNX model
with onnxruntime on CPU, in float32 or int8
(:class:`~facetruth.features._clip_onnx_encoder.ONNXCLIPEncoder`), or its
de-quantised weights in float32 with torch
(:class:`~facetruth.features._clip_torch.TorchCLIPEncoder`), the default on CUDA.

References
----------
.. [1] A. Radford et al., "Learning Transferable Visual Models From Natural
       Language Supervision", ICML 2021.
"""

import numpy as np

from .._validation import check_images
from ._backbone import resolve_device
from ._clip_norms import norms_digest, timm_norms
from ._clip_onnx import KERNELS, PRECISIONS, default_kernel, onnx_session
from ._clip_onnx_encoder import ONNXCLIPEncoder
from ._clip_torch import ARCHITECTURE, TorchCLIPEncoder, clip_state_dict
from ._clip_weights import _check_blocks, read_clip_weights

#: CLIP's input normalisation (RGB in [0, 1])
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
#: side of the network input
INPUT_SIZE = 224


def _resize_crop(image, size):
    """Bicubic resize of the short side to ``size``, then the central ``size`` x ``size`` crop.

    The arithmetic is torchvision's ``Resize(size)`` + ``CenterCrop(size)``
    on a PIL image, as in CLIP's own preprocessing.
    """
    from PIL import Image

    height, width = image.shape[:2]
    if width <= height:
        new_w, new_h = size, int(size * height / width)
    else:
        new_w, new_h = int(size * width / height), size
    if (new_h, new_w) != (height, width):
        image = np.asarray(Image.fromarray(image).resize((new_w, new_h), Image.BICUBIC))
    top = int(round((new_h - size) / 2.0))
    left = int(round((new_w - size) / 2.0))
    return image[top : top + size, left : left + size]


def clip_preprocess(images, *, size=INPUT_SIZE):
    """CLIP's input tensor for a batch of RGB images.

    Bicubic resize of the short side to ``size`` (PIL, anti-aliased when
    shrinking), central ``size`` x ``size`` crop, scaling to [0, 1] and
    normalisation with CLIP's mean and standard deviation [1]_.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width, 3) or list of ndarray
        uint8 RGB; a list may hold images of different sizes.
    size : int, default=224
        Side of the network input.

    Returns
    -------
    pixel_values : ndarray of shape (n_images, 3, size, size), dtype float32

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import clip_preprocess
    >>> x = clip_preprocess(np.full((2, 48, 64, 3), 128, np.uint8))
    >>> x.shape, x.dtype
    ((2, 3, 224, 224), dtype('float32'))
    >>> [round(float(v), 4) for v in x[0, :, 0, 0]]
    [0.0763, 0.1689, 0.3399]
    """
    batch = check_images(images)
    mean = np.asarray(CLIP_MEAN, np.float32)[:, None, None]
    std = np.asarray(CLIP_STD, np.float32)[:, None, None]
    out = np.empty((len(batch), 3, size, size), np.float32)
    for i, image in enumerate(batch):
        crop = _resize_crop(np.ascontiguousarray(image), size)
        plane = crop.transpose(2, 0, 1).astype(np.float32) / np.float32(255)
        out[i] = (plane - mean) / std
    return out


def load_clip_encoder(
    device="auto", *, blocks=None, n_threads=None, backend=None, precision="float32", kernel=None, norms=None
):
    """Build the CLIP image encoder once, to pass to :func:`clip_embedding`.

    Parameters
    ----------
    device : str, default="auto"
        ``"auto"`` (CUDA when torch sees a GPU, else CPU), ``"cpu"``,
        ``"cuda"`` or ``"cuda:N"``.
    blocks : sequence of int, optional
        Blocks (0 to 11) whose CLS token the ONNX encoder outputs besides the
        embedding; the torch encoder outputs any block.
    n_threads : int, optional
        Images the ONNX encoder runs at the same time, one thread each;
        default: the CPUs available to this process.
    backend : {"onnx", "torch"}, optional
        Default: ``"torch"`` on CUDA, ``"onnx"`` (onnxruntime) on CPU.
        ``"torch"`` on CPU runs the de-quantised float32 weights.
    precision : {"float32", "int8"}, default="float32"
        What the ONNX encoder computes in: the de-quantised weights in
        float32 (the same features on every CPU, and as the torch encoder's),
        or the file's int8 products (about three times as fast; the features
        agree across CPUs to a cosine of about 0.995). See
        :mod:`facetruth.features._clip_onnx`. The torch encoder is float32.
    kernel : {"u8s8", "u8u8"}, optional
        onnxruntime's int8 kernel for ``precision="int8"``. Default:
        ``"u8s8"`` on CPUs where it is exact, else ``"u8u8"``
        (:func:`~facetruth.features._clip_onnx.default_kernel`); both give
        the same integer products. Forcing ``"u8s8"`` on an x86 CPU without
        AVX-512 VNNI gives wrong features, and is allowed only to measure them.
    norms : mapping of str to array-like, optional
        Tuned LayerNorm parameters under the ONNX graph's names (see
        :mod:`facetruth.features._clip_norms`), replacing the published ones
        in either backend.

    Returns
    -------
    encoder : ONNXCLIPEncoder or TorchCLIPEncoder

    Raises
    ------
    ModelIntegrityError
        When the weight file is missing or not the published one.

    Examples
    --------
    >>> from facetruth.features import load_clip_encoder
    >>> encoder = load_clip_encoder("cpu", n_threads=2)  # doctest: +SKIP
    >>> encoder.backend  # doctest: +SKIP
    'onnx'
    """
    device = resolve_device(device)
    blocks = _check_blocks(blocks)
    if backend is None:
        backend = "torch" if device.startswith("cuda") else "onnx"
    if backend not in ("onnx", "torch"):
        raise ValueError(f"backend must be 'onnx' or 'torch'; got {backend!r}.")
    if backend == "onnx" and device != "cpu":
        raise ValueError(f"The onnx backend runs on CPU only; got device={device!r}.")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}; got {precision!r}.")
    if kernel is not None and precision != "int8":
        raise ValueError(f"kernel={kernel!r} applies to precision='int8' only; got precision={precision!r}.")
    if backend == "torch" and precision != "float32":
        raise ValueError("The torch encoder computes in float32; precision='int8' needs backend='onnx'.")
    if backend == "onnx":
        if n_threads is None:
            from joblib import cpu_count

            n_threads = cpu_count()
        if precision == "int8":
            kernel = default_kernel() if kernel is None else kernel
            if kernel not in KERNELS:
                raise ValueError(f"kernel must be one of {KERNELS}; got {kernel!r}.")
        # the bytes go to the session builder alone, which lets go of them once it has parsed them
        session = onnx_session(read_clip_weights(), blocks, precision=precision, kernel=kernel, norms=norms)
        encoder = ONNXCLIPEncoder(
            session, blocks, n_threads=int(n_threads), precision=precision, kernel=kernel
        )
        encoder.norms_digest = norms_digest(norms) if norms else None
        return encoder
    import timm
    import torch

    state_dict, projection = clip_state_dict(read_clip_weights())
    if norms:
        state_dict.update({k: torch.from_numpy(v.copy()) for k, v in timm_norms(norms).items()})
    trunk = timm.create_model(ARCHITECTURE, pretrained=False, num_classes=0)
    trunk.load_state_dict(state_dict, strict=True)
    encoder = TorchCLIPEncoder(trunk.to(device), projection.to(device))
    encoder.norms_digest = norms_digest(norms) if norms else None
    return encoder
