"""A small built-in real/fake image set, generated from scikit-image's bundled photographs.

It exists so that the README's first command and the unit tests run with no
download. It is a smoke/demo set: its fakes are simulated forgeries, and a
detector's score on it is never evidence of accuracy on real deepfakes. A
model trained on it is a demo, not a detector: ``facetruth demo`` marks its
model card (``"demo": true``) and the web page shows a banner saying so.
"""

import dataclasses
import functools
import logging
from pathlib import Path

import numpy as np

from .._atomic import atomic_write_bytes

logger = logging.getLogger(__name__)

#: photographs shipped inside the scikit-image wheel (no pooch download)
SOURCE_PHOTOS = (
    "astronaut",
    "brick",
    "camera",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "grass",
    "gravel",
    "hubble_deep_field",
    "immunohistochemistry",
    "moon",
    "retina",
    "rocket",
)
KINDS = ("real", "gan_upsampling", "self_blending")
#: the 1-D taps of the fixed 2x transposed-convolution kernel. Its even and
#: odd phases sum to 0.95 and 1.05: the uneven overlap that leaves checkerboard
#: artefacts (Odena et al., Distill 2016) and spectral peaks.
TRANSPOSED_TAPS = np.array([0.2, 0.75, 0.75, 0.3])


@dataclasses.dataclass
class DemoData:
    """The demo set returned by :func:`make_demo_dataset`.

    Attributes
    ----------
    images : list of ndarray of shape (size, size, 3), dtype uint8
    labels : ndarray of shape (n,), int
        1 = fake, 0 = real.
    kinds : list of str
        ``"real"``, ``"gan_upsampling"`` or ``"self_blending"``.
    paths : list of pathlib.Path or None
        The PNG files, when written.

    Examples
    --------
    >>> from facetruth.data import make_demo_dataset
    >>> data = make_demo_dataset(4, size=32)
    >>> type(data).__name__, len(data.images), data.paths
    ('DemoData', 4, None)
    """

    images: list
    labels: np.ndarray
    kinds: list
    paths: list | None = None


@functools.lru_cache(maxsize=1)
def _photos():
    import skimage.data

    photos = []
    for name in SOURCE_PHOTOS:
        image = np.asarray(getattr(skimage.data, name)())
        if image.ndim == 2:
            image = np.repeat(image[:, :, None], 3, axis=2)
        image = np.ascontiguousarray(image[:, :, :3], dtype=np.uint8)
        image.setflags(write=False)
        photos.append(image)
    return tuple(photos)


def _real(rng, size, min_std=8.0, tries=10):
    """A random crop of a random photograph, down-scaled and maybe mirrored; flat crops are redrawn."""
    best = None
    for _ in range(tries):
        image = _random_crop(rng, size)
        spread = float(image.std())
        if best is None or spread > best[0]:
            best = (spread, image)
        if spread >= min_std:
            break
    return best[1]


def _random_crop(rng, size):
    import cv2

    photo = _photos()[rng.integers(len(SOURCE_PHOTOS))]
    height, width = photo.shape[:2]
    low = size / min(height, width)
    factor = rng.uniform(low, max(low, 1.0))
    shape = (max(size, round(width * factor)), max(size, round(height * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    image = cv2.resize(photo, shape, interpolation=interpolation)
    y = rng.integers(image.shape[0] - size + 1)
    x = rng.integers(image.shape[1] - size + 1)
    image = image[y : y + size, x : x + size]
    if rng.random() < 0.5:
        image = image[:, ::-1]
    return np.ascontiguousarray(image)


def gan_upsampling(image, rng):
    """Simulate a generator's 2x up-sampling layer (Zhang et al., WIFS 2019; Durall et al., CVPR 2020).

    The image is halved (``cv2.INTER_AREA``) and doubled again, either by zero
    insertion followed by the fixed kernel ``outer(TRANSPOSED_TAPS,
    TRANSPOSED_TAPS)`` (a transposed convolution) or by nearest-neighbour
    repetition; both replicate the spectrum and leave peaks at high
    frequencies that camera images lack.
    """
    import cv2

    size = image.shape[0]
    half = -(-size // 2)
    small = cv2.resize(image, (half, half), interpolation=cv2.INTER_AREA).astype(np.float32)
    if rng.random() < 0.5:
        up = np.zeros((2 * half, 2 * half, 3), dtype=np.float32)
        up[::2, ::2] = small
        kernel = np.outer(TRANSPOSED_TAPS, TRANSPOSED_TAPS).astype(np.float32)
        up = cv2.filter2D(up, -1, kernel, borderType=cv2.BORDER_REFLECT_101)
    else:
        up = np.repeat(np.repeat(small, 2, axis=0), 2, axis=1)
    return np.clip(np.rint(up[:size, :size]), 0, 255).astype(np.uint8)


def _soft_ellipse(size, rng):
    import cv2

    mask = np.zeros((size, size), dtype=np.float32)
    centre = tuple(int(v) for v in rng.uniform(0.3 * size, 0.7 * size, 2))
    axes = tuple(int(v) for v in rng.uniform(0.15 * size, 0.3 * size, 2))
    cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
    sigma = rng.uniform(0.02, 0.06) * size
    return cv2.GaussianBlur(mask, (0, 0), sigmaX=sigma)[:, :, None]


def self_blending(image, rng):
    """Blend an altered copy of the image back into it (Shiohara & Yamasaki, CVPR 2022).

    The copy gets per-channel colour gains and offsets, a blur or a sharpening,
    and a shift of a few pixels; it replaces the image inside a soft
    (Gaussian-blurred) ellipse, with a random blend ratio, leaving blending
    boundaries and colour mismatches as in face swaps.
    """
    import cv2

    size = image.shape[0]
    source = image.astype(np.float32)
    target = source * rng.uniform(0.9, 1.1, 3) + rng.uniform(-12, 12, 3)
    sigma = rng.uniform(0.5, 1.5)
    blurred = cv2.GaussianBlur(target, (0, 0), sigmaX=sigma)
    target = blurred if rng.random() < 0.5 else target + (target - blurred)
    shift = np.float32([[1, 0, rng.uniform(-4, 4)], [0, 1, rng.uniform(-4, 4)]])
    target = cv2.warpAffine(target, shift, (size, size), borderMode=cv2.BORDER_REFLECT_101)
    mask = _soft_ellipse(size, rng) * rng.choice([0.5, 0.75, 1.0, 1.0])
    return np.clip(np.rint(mask * target + (1 - mask) * source), 0, 255).astype(np.uint8)


def _encode_png(image):
    import cv2

    ok, buf = cv2.imencode(".png", image[:, :, ::-1])
    if not ok:  # pragma: no cover - OpenCV encodes any non-empty uint8 image
        raise ValueError("OpenCV failed to encode a PNG.")
    return buf.tobytes()


def make_demo_dataset(n=64, *, random_state=0, size=256, out=None):
    """Build a deterministic set of real and simulated-fake images.

    A smoke/demo set only: the fakes are simulated forgeries, never evidence
    of a detector's accuracy on real deepfakes.

    Reals are random crops of scikit-image's bundled photographs
    (``SOURCE_PHOTOS``), down-scaled by a random factor and mirrored with
    probability 1/2. Each fake starts from another such crop and is forged by
    one of two published simulators: :func:`gan_upsampling` (Zhang et al.,
    "Detecting and simulating artifacts in GAN fake images", WIFS 2019;
    Durall et al., "Watch your up-convolution", CVPR 2020) or
    :func:`self_blending` (Shiohara & Yamasaki, "Detecting deepfakes with
    self-blended images", CVPR 2022). Half of the images are real; the fakes
    are split evenly between the two kinds; the order is shuffled.

    Parameters
    ----------
    n : int
        Number of images, >= 2.
    random_state : int or None
        Seed; the same seed gives identical images and files.
    size : int
        Side of the square images, >= 16.
    out : str, os.PathLike or None
        When given, the images are also written (atomically, as PNG, so that no
        compression masks the artefacts) to ``out/real/real_0007.png`` and
        ``out/fake/<kind>/<kind>_0003.png`` (the number is the index in the set).

    Returns
    -------
    data : DemoData
        ``images``, ``labels`` (1 = fake), ``kinds`` and, with ``out``, ``paths``.

    Examples
    --------
    >>> from facetruth.data import make_demo_dataset
    >>> data = make_demo_dataset(4, size=32, random_state=0)
    >>> data.images[0].shape, data.labels
    ((32, 32, 3), array([0, 0, 1, 1]))
    >>> data.kinds
    ['real', 'real', 'self_blending', 'gan_upsampling']
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2; got {n!r}.")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 16:
        raise ValueError(f"size must be an integer >= 16; got {size!r}.")
    n_fake = n - n // 2
    kinds = (
        ["real"] * (n // 2) + ["gan_upsampling"] * (n_fake - n_fake // 2) + ["self_blending"] * (n_fake // 2)
    )
    seeds = np.random.SeedSequence(random_state)
    order = np.random.default_rng(seeds.spawn(1)[0]).permutation(n)
    kinds = [kinds[i] for i in order]
    forge = {"gan_upsampling": gan_upsampling, "self_blending": self_blending}
    images = []
    for kind, seed in zip(kinds, seeds.spawn(n), strict=True):
        rng = np.random.default_rng(seed)
        image = _real(rng, int(size))
        images.append(image if kind == "real" else forge[kind](image, rng))
    labels = np.array([int(kind != "real") for kind in kinds])
    paths = None
    if out is not None:
        out = Path(out)
        paths = []
        for i, (kind, image) in enumerate(zip(kinds, images, strict=True)):
            folder = out / "real" if kind == "real" else out / "fake" / kind
            path = folder / f"{kind}_{i:04d}.png"
            atomic_write_bytes(path, _encode_png(image))
            paths.append(path)
        logger.info("wrote %d demo images to %s", n, out)
    return DemoData(images=images, labels=labels, kinds=kinds, paths=paths)
