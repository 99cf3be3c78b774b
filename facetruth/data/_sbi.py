"""Self-blended images: pseudo-fakes made from real faces alone.

A self-blended image (SBI) blends a slightly transformed copy of a face back
into the face itself [1]_. Source and target are the same image, so the fake
carries only the generic traces of face manipulation (a blending boundary,
colour and frequency mismatches, a small misalignment) and no identity or
generator cue; a detector trained on real vs. self-blended faces generalises
to forgeries it has never seen.

:func:`self_blend` makes one pseudo-fake from one ``(height, width, 3)``
uint8 face crop (as returned by :func:`facetruth.data.crop_face`);
:func:`make_pseudo_fakes` maps it over a batch; :func:`parse_pseudo_fakes`
reads the ``sbi[:ratio]`` option of the command line. Landmark masks and the
fallbacks used when no face is found live in :mod:`facetruth.data._sbi_masks`.

References
----------
.. [1] K. Shiohara and T. Yamasaki, "Detecting Deepfakes with Self-Blended
       Images", CVPR 2022.
"""

import functools
import logging

import cv2
import numpy as np

from .._validation import check_images
from ._augment import gaussian_blur, jpeg_compress, rescale
from ._sbi_masks import MASK_KINDS, check_landmarks, face_landmarks, hull_mask, region_mask

__all__ = ["self_blend", "make_pseudo_fakes", "parse_pseudo_fakes"]

logger = logging.getLogger(__name__)

#: largest ratio of pseudo-fakes to real images accepted by :func:`parse_pseudo_fakes`
MAX_RATIO = 4.0


def _colour_transform(image, rng):
    """Random RGB shift, hue/saturation/value shift and brightness/contrast change."""
    x = image.astype(np.float32) + rng.uniform(-20, 20, size=3).astype(np.float32)
    x = np.clip(x, 0, 255).astype(np.uint8)
    hsv = cv2.cvtColor(x, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = np.mod(hsv[..., 0] + rng.uniform(-5, 5), 180)
    hsv[..., 1:] += rng.uniform(-20, 20, size=2).astype(np.float32)
    x = cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)
    contrast, brightness = rng.uniform(0.9, 1.1), rng.uniform(-0.1, 0.1) * 255
    x = (x - x.mean()) * contrast + x.mean() + brightness
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def _frequency_transform(image, rng):
    """One of: Gaussian blur, unsharp masking, down-up resizing, JPEG re-encoding."""
    height, width = image.shape[:2]
    choice = int(rng.integers(4))
    if choice == 0:
        return gaussian_blur(image, float(rng.uniform(0.5, 1.5)))
    if choice == 1:
        blurred = gaussian_blur(image, float(rng.uniform(0.8, 2.0)))
        return cv2.addWeighted(image, 1 + rng.uniform(0.3, 1.0), blurred, -rng.uniform(0.3, 1.0), 0)
    if choice == 2:
        down = rescale(image, rng.uniform(0.4, 0.8))
        return cv2.resize(down, (width, height), interpolation=cv2.INTER_LINEAR)
    return jpeg_compress(image, int(rng.integers(30, 80)))


def _geometric_transform(image, rng):
    """Shift by up to 3 % of each side and scale by 0.95-1.05 about the centre."""
    height, width = image.shape[:2]
    scale = rng.uniform(0.95, 1.05)
    dx, dy = rng.uniform(-0.03, 0.03) * width, rng.uniform(-0.03, 0.03) * height
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), 0.0, scale)
    matrix[:, 2] += (dx, dy)
    return cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REFLECT_101)


def transform_source(image, rng):
    """The blending source: a colour-, frequency- and position-transformed copy of ``image``.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
    rng : numpy.random.Generator

    Returns
    -------
    source : ndarray of shape (height, width, 3), dtype uint8
    """
    out = _colour_transform(np.ascontiguousarray(image), rng)
    if rng.random() < 0.7:
        out = np.ascontiguousarray(_frequency_transform(out, rng))
    return _geometric_transform(out, rng)


def self_blend(image, *, landmarks=None, mask="auto", random_state=None):
    """Make a self-blended pseudo-fake of one face crop [1]_.

    A copy of the image is colour-shifted (RGB, HSV, brightness and
    contrast), often blurred, sharpened, down-up resized or JPEG re-encoded,
    then shifted by up to 3 % and scaled by 0.95-1.05; it is blended back into
    the image through a soft mask: ``fake = mask * source + (1 - mask) * image``.

    Parameters
    ----------
    image : ndarray of shape (height, width, 3), dtype uint8
        RGB face crop, e.g. from :func:`facetruth.data.crop_face` (face
        roughly centred with a 30 % margin).
    landmarks : ndarray of shape (68, 2), optional
        ``(x, y)`` of the 68 iBUG 300-W landmarks in the image's pixels. When
        ``None``, they are detected with dlib; when no face is found, a
        centred ellipse (hull masks) or canonical part positions scaled to the
        crop (region masks) are used instead.
    mask : {"auto", "hull", "region"}
        ``"hull"``: the convex hull of the landmarks, randomly eroded or
        dilated, blurred and scaled by a blend ratio drawn from
        ``{0.25, 0.5, 0.75, 1, 1, 1}``. ``"region"``: one or more of left eye,
        right eye, nose and mouth, each dilated at random and blurred.
        ``"auto"`` picks one of the two with equal chance.
    random_state : int, numpy.random.Generator or None
        Seed; the output is the same for the same image, landmarks and seed.

    Returns
    -------
    fake : ndarray of shape (height, width, 3), dtype uint8
        Equal to ``image`` wherever ``mask`` is 0.
    mask : ndarray of shape (height, width), dtype float32
        The blending weight of the source, in ``[0, 1]``.

    Raises
    ------
    ValueError
        When ``image`` is not an image, ``landmarks`` is not a finite (68, 2)
        array or ``mask`` is unknown.

    References
    ----------
    .. [1] K. Shiohara and T. Yamasaki, "Detecting Deepfakes with
           Self-Blended Images", CVPR 2022.

    Examples
    --------
    Landmarks given (none are searched for), on a ring around the centre:

    >>> import numpy as np
    >>> from facetruth.data import self_blend
    >>> image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    >>> angle = np.linspace(0, 2 * np.pi, 68, endpoint=False)
    >>> landmarks = np.c_[32 + 20 * np.cos(angle), 32 + 24 * np.sin(angle)]
    >>> fake, mask = self_blend(image, landmarks=landmarks, mask="hull", random_state=0)
    >>> fake.shape, mask.shape, mask.dtype
    ((64, 64, 3), (64, 64), dtype('float32'))
    >>> bool(np.array_equal(fake[mask == 0], image[mask == 0]))
    True
    """
    if mask not in MASK_KINDS:
        raise ValueError(f"mask must be one of {MASK_KINDS}; got {mask!r}.")
    image = check_images([image])[0]
    landmarks = face_landmarks(image) if landmarks is None else check_landmarks(landmarks)
    return _blend(image, landmarks, mask, np.random.default_rng(random_state))


def _blend(image, landmarks, mask, rng):
    """:func:`self_blend` with known landmarks (``None``: no face, use the fallback masks)."""
    kind = mask if mask != "auto" else ("hull" if rng.random() < 0.5 else "region")
    if kind == "hull":
        weights = hull_mask(image.shape[:2], landmarks, rng)
    else:
        weights = region_mask(image.shape[:2], landmarks, rng)
    source = transform_source(image, rng)
    w = weights[..., None]
    fake = np.rint(w * source.astype(np.float32) + (1 - w) * image.astype(np.float32))
    fake = np.clip(fake, 0, 255).astype(np.uint8)
    fake[weights == 0] = image[weights == 0]
    return fake, weights


def _blend_chunk(jobs, mask):
    return [_blend(img, lm, mask, np.random.default_rng(seed))[0] for img, lm, seed in jobs]


def make_pseudo_fakes(images, *, ratio=1.0, mask="auto", random_state=0, n_jobs=None, landmarks=None):
    """Self-blended pseudo-fakes of a sample of real face crops.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width, 3) or list of ndarray
        Real RGB uint8 face crops; a list may mix sizes.
    ratio : float, default=1.0
        Pseudo-fakes per real image: ``max(1, round(ratio * n_images))`` are
        made, from a sample drawn without replacement when ``ratio <= 1`` and
        with replacement above.
    mask : {"auto", "hull", "region"}
        See :func:`self_blend`.
    random_state : int or None, default=0
        Seeds the sample and each blend; the result does not depend on ``n_jobs``.
    n_jobs : int or None
        Parallel joblib workers.
    landmarks : sequence of (ndarray of shape (68, 2) or None), optional
        Landmarks of each image, e.g. computed once and reused across epochs;
        ``None`` entries mean no face (the fallback masks are used). When
        omitted, each sampled image is searched with dlib once.

    Returns
    -------
    fakes : list of ndarray of shape (height, width, 3), dtype uint8
    sources : ndarray of shape (n_fakes,), dtype int64
        Index into ``images`` of each fake's real image.

    Raises
    ------
    ValueError
        When ``images`` is not a batch of images, ``ratio`` is not positive,
        ``mask`` is unknown or ``landmarks`` has the wrong length.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.data import make_pseudo_fakes
    >>> reals = np.random.default_rng(0).integers(0, 256, (4, 64, 64, 3), dtype=np.uint8)
    >>> fakes, sources = make_pseudo_fakes(reals, ratio=0.5, landmarks=[None] * 4)
    >>> len(fakes), fakes[0].shape, sources.shape
    (2, (64, 64, 3), (2,))
    """
    images = check_images(images)
    if isinstance(ratio, bool) or not np.isscalar(ratio) or not np.isfinite(ratio) or ratio <= 0:
        raise ValueError(f"ratio must be a positive number; got {ratio!r}.")
    if mask not in MASK_KINDS:
        raise ValueError(f"mask must be one of {MASK_KINDS}; got {mask!r}.")
    if landmarks is not None and len(landmarks) != len(images):
        raise ValueError(f"landmarks has {len(landmarks)} entries for {len(images)} images.")
    n_fakes = max(1, round(ratio * len(images)))
    children = np.random.SeedSequence(random_state).spawn(n_fakes + 1)
    rng = np.random.default_rng(children[0])
    sources = np.sort(rng.choice(len(images), size=n_fakes, replace=ratio > 1)).astype(np.int64)
    if landmarks is None:
        unique = np.unique(sources)
        found = dict(zip(unique.tolist(), _map(_landmarks_many, [images[i] for i in unique], n_jobs)))
        marks = [found[i] for i in sources.tolist()]
    else:
        marks = [None if landmarks[i] is None else check_landmarks(landmarks[i]) for i in sources]
    seeds = [int(child.generate_state(1)[0]) for child in children[1:]]
    chosen = [images[i] for i in sources]
    jobs = list(zip(chosen, marks, seeds))
    fakes = _map(functools.partial(_blend_chunk, mask=mask), jobs, n_jobs)
    return fakes, sources


def _landmarks_many(images):
    return [face_landmarks(img) for img in images]


def batch_landmarks(images, *, n_jobs=None):
    """The 68 dlib landmarks of every image, ``None`` where no face is found.

    Parameters
    ----------
    images : sequence of ndarray of shape (height, width, 3), dtype uint8
    n_jobs : int, default=None
        joblib workers for chunks of 16 images.

    Returns
    -------
    landmarks : list of (ndarray of shape (68, 2) or None)

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> from facetruth.data import batch_landmarks
    >>> batch_landmarks([])
    []
    >>> [lm.shape for lm in batch_landmarks([astronaut()])]  # doctest: +SKIP
    [(68, 2)]
    """
    return _map(_landmarks_many, list(images), n_jobs)


def _map(func, items, n_jobs, chunk_size=16):
    """``func`` applied to chunks of ``items``, concatenated; in joblib workers when ``n_jobs`` asks."""
    if n_jobs in (None, 1) or len(items) <= chunk_size:
        return func(items) if items else []
    from joblib import Parallel, delayed

    chunks = [items[i : i + chunk_size] for i in range(0, len(items), chunk_size)]
    parts = Parallel(n_jobs=n_jobs)(delayed(func)(chunk) for chunk in chunks)
    return [item for part in parts for item in part]


def parse_pseudo_fakes(spec):
    """Read a pseudo-fake specification such as ``"sbi"`` or ``"sbi:0.5"``.

    Parameters
    ----------
    spec : str
        ``"sbi"`` (one self-blended image per real image) or ``"sbi:RATIO"``
        with ``0 < RATIO <= 4``.

    Returns
    -------
    kind : str
        ``"sbi"``.
    ratio : float

    Raises
    ------
    ValueError
        For any other kind, or a ratio that is not a number in ``(0, 4]``.

    Examples
    --------
    >>> from facetruth.data import parse_pseudo_fakes
    >>> parse_pseudo_fakes("sbi"), parse_pseudo_fakes("sbi:0.5")
    (('sbi', 1.0), ('sbi', 0.5))
    """
    if not isinstance(spec, str):
        raise ValueError(f"pseudo-fakes must be a string like 'sbi' or 'sbi:0.5'; got {spec!r}.")
    kind, sep, value = spec.strip().partition(":")
    if kind.strip().lower() != "sbi":
        raise ValueError(
            f"unknown pseudo-fake kind {kind!r} in {spec!r}; the only kind is 'sbi' (e.g. 'sbi:0.5')."
        )
    if not sep:
        return "sbi", 1.0
    try:
        ratio = float(value)
    except ValueError:
        raise ValueError(f"the ratio in {spec!r} is not a number; write e.g. 'sbi:0.5'.") from None
    if not np.isfinite(ratio) or not 0 < ratio <= MAX_RATIO:
        raise ValueError(f"the ratio in {spec!r} must be in (0, {MAX_RATIO:g}]; got {ratio!r}.")
    return "sbi", ratio
