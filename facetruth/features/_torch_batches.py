"""Running a torch network over batches of uint8 RGB images, shared by the CNN features and fine-tuning.

The four steps every torch consumer of face crops takes, in one place:

- :func:`resize_square` resizes one crop to the network's input side (area
  averaging down, bilinear up);
- :func:`images_to_tensor` stacks crops into a normalised ``(n, 3, size, size)``
  channels-last tensor, ``(x - 127) / 128`` as EfficientNet-Lite expects;
- :func:`autocast_context` is mixed precision on CUDA and nothing on the CPU;
- :func:`run_batches` applies a ``forward(model, tensor)`` to resized batches
  under :func:`torch.inference_mode`, in micro-batches on the CPU.

The CNN families (:func:`~facetruth.features.cnn_embedding`,
:func:`~facetruth.features.cnn_stats`, :func:`~facetruth.features.part_embedding`)
and the fine-tuning of :mod:`facetruth.models` use these. Importing this
module does not import torch.
"""

import contextlib
from numbers import Integral

import cv2
import numpy as np

from .._params import HasMethods, Interval, validate_arguments

__all__ = ["autocast_context", "images_to_tensor", "resize_square", "run_batches"]

#: EfficientNet-Lite's input normalisation, ``(x - 127) / 128`` (as facetruth.features._backbone
#: states it, kept here to avoid importing torch for constants)
_MEAN, _STD = 127.0, 128.0
#: images per forward pass on CPU: a depthwise-separable network is bound by
#: memory traffic there, and the activations of a few images stay in cache
#: while those of 32 do not (about 1.5x faster per image, same results)
_CPU_MICRO_BATCH = 4
#: a network: a torch module, run on the device of its parameters
_MODEL = HasMethods(["parameters", "eval"])
_BATCH_SIZE = Interval(Integral, 1, None, closed="left")


@validate_arguments({"image": ["array-like"], "size": [Interval(Integral, 1, None, closed="left")]})
def resize_square(image, size):
    """Resize an image to ``(size, size, 3)``: area averaging down, bilinear up.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
    size : int
        At least 1.

    Returns
    -------
    resized : ndarray of shape (size, size, 3), dtype uint8

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import resize_square
    >>> image = np.zeros((48, 64, 3), np.uint8)
    >>> image[:, 32:] = 200
    >>> small = resize_square(image, 4)
    >>> small.shape
    (4, 4, 3)
    >>> print(small[0, :, 0])
    [  0   0 200 200]
    """
    image = np.asarray(image)
    if image.shape[:2] == (size, size):
        return np.ascontiguousarray(image)
    shrink = image.shape[0] * image.shape[1] > size * size
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def images_to_tensor(images, device):
    """Normalise a stack of uint8 RGB images for EfficientNet-Lite.

    Parameters
    ----------
    images : ndarray of shape (n, size, size, 3), dtype uint8
    device : str or torch.device

    Returns
    -------
    tensor : torch.Tensor of shape (n, 3, size, size), float32, channels_last
        ``(x - 127) / 128`` on ``device``.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import images_to_tensor
    >>> tensor = images_to_tensor(np.full((2, 8, 8, 3), 255, np.uint8), "cpu")
    >>> tuple(tensor.shape), tensor.dtype, float(tensor.max())
    ((2, 3, 8, 8), torch.float32, 1.0)
    """
    import torch

    batch = torch.from_numpy(np.ascontiguousarray(images)).to(device, non_blocking=True)
    batch = batch.permute(0, 3, 1, 2).float().sub_(_MEAN).div_(_STD)
    return batch.contiguous(memory_format=torch.channels_last)


def autocast_context(device):
    """Mixed precision on CUDA (bfloat16 where supported, else float16); nothing on CPU.

    Parameters
    ----------
    device : str or torch.device

    Returns
    -------
    context : context manager
        ``torch.autocast`` on CUDA, else a :func:`contextlib.nullcontext`.

    Examples
    --------
    >>> from facetruth.features import autocast_context
    >>> autocast_context("cpu")
    <contextlib.nullcontext object at ...>
    """
    import torch

    if torch.device(device).type != "cuda":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)


@validate_arguments(
    {
        "images": ["array-like"],
        "model": [_MODEL],
        "batch_size": [_BATCH_SIZE],
        "image_size": [Interval(Integral, 1, None, closed="left")],
        "forward": [callable],
    }
)
def run_batches(images, model, batch_size, image_size, forward):
    """Apply ``forward(model, tensor)`` to resized batches of images under ``torch.inference_mode``.

    Parameters
    ----------
    images : sequence of ndarray of shape (height, width, 3), dtype uint8
    model : torch.nn.Module
        Run on the device of its parameters (mixed precision on CUDA).
    batch_size : int
        Images per batch (smaller micro-batches on the CPU).
    image_size : int
        Square side each image is resized to.
    forward : callable
        ``forward(model, tensor) -> tensor`` of shape ``(batch, ...)``.

    Returns
    -------
    outputs : ndarray of shape (n_images, ...), dtype float32

    Examples
    --------
    A one-layer network, mean-pooled:

    >>> import numpy as np
    >>> import torch
    >>> from facetruth.features import run_batches
    >>> net = torch.nn.Conv2d(3, 2, kernel_size=1)
    >>> images = [np.zeros((10, 12, 3), np.uint8), np.zeros((20, 20, 3), np.uint8)]
    >>> out = run_batches(images, net, 8, 16, lambda model, x: model(x).mean((2, 3)))
    >>> out.shape, out.dtype
    ((2, 2), dtype('float32'))
    """
    import torch

    device = next(model.parameters()).device
    model = model.eval().to(memory_format=torch.channels_last)
    step = min(batch_size, _CPU_MICRO_BATCH) if device.type == "cpu" else batch_size
    outputs = []
    with torch.inference_mode(), autocast_context(device):
        for start in range(0, len(images), batch_size):
            chunk = np.stack([resize_square(img, image_size) for img in images[start : start + batch_size]])
            tensor = images_to_tensor(chunk, device)
            for i in range(0, len(chunk), step):
                outputs.append(forward(model, tensor[i : i + step]).float().cpu().numpy())
    return np.concatenate(outputs, axis=0)
