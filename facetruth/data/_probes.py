"""Four fixed probe images on which a saved detector's features are fingerprinted.

The probes are cut from photographs bundled in the scikit-image wheel (no
download) and one synthetic pattern, by plain slicing and integer
arithmetic only: no resampling or colour conversion whose result could move
with a library version. Every machine makes the same pixels. The
photographs are lossless PNG files read from scikit-image's folder, without
importing scikit-image: every model load makes the probes, and importing it
costs most of a second.
"""

import functools
import hashlib
import importlib.util
from pathlib import Path

import numpy as np

#: side of the square probe images, in pixels
PROBE_SIZE = 256
#: the probes, in order: (name, scikit-image photograph or None, top row, left column)
PROBES = (
    ("astronaut", "astronaut", 0, 128),  # a face dlib finds, with its landmarks
    ("chelsea", "chelsea", 22, 100),  # a cat's face: fur, whiskers
    ("coffee", "coffee", 72, 172),  # smooth shading, specular highlights
    ("zone_plate", None, 0, 0),  # synthetic: every spatial frequency, saturated colours
)


def _zone_plate(size):
    """A colour zone plate in integer arithmetic: rings whose frequency grows with the radius."""
    y, x = np.mgrid[:size, :size].astype(np.int64)
    cy = cx = size // 2
    rings = ((x - cx) ** 2 + (y - cy) ** 2) // 4 % 256
    red = np.abs(rings - 128) * 2
    green = (x * 255) // (size - 1)
    blue = ((x // 16 + y // 16) % 2) * 191 + (x * y) % 64
    return np.clip(np.stack([red, green, blue], axis=-1), 0, 255).astype(np.uint8)


def _photo(name):
    """scikit-image's bundled photograph ``name``: its PNG file read directly, else through scikit-image."""
    spec = importlib.util.find_spec("skimage")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = Path(folder) / "data" / f"{name}.png"
        if path.is_file():
            from PIL import Image

            with Image.open(path) as image:
                if image.mode == "RGB":
                    return np.asarray(image)
    import skimage.data

    return np.asarray(getattr(skimage.data, name)())


@functools.lru_cache(maxsize=1)
def _probes():
    images = []
    for _, name, top, left in PROBES:
        if name is None:
            image = _zone_plate(PROBE_SIZE)
        else:
            image = _photo(name)[top : top + PROBE_SIZE, left : left + PROBE_SIZE, :3]
        image = np.ascontiguousarray(image, dtype=np.uint8)
        if image.shape != (PROBE_SIZE, PROBE_SIZE, 3):  # pragma: no cover - a changed bundled photo
            raise RuntimeError(f"a probe image has shape {image.shape}; scikit-image's photographs changed.")
        image.setflags(write=False)
        images.append(image)
    return tuple(images)


def probe_images():
    """The fixed probe images on which a detector's features are fingerprinted.

    Crops of scikit-image's bundled photographs ``astronaut`` (a face),
    ``chelsea`` (a cat) and ``coffee``, and a synthetic colour zone plate,
    made by slicing and integer arithmetic only, so that every machine and
    library version gives the same pixels.

    Returns
    -------
    images : list of ndarray of shape (PROBE_SIZE, PROBE_SIZE, 3), dtype uint8
        Read-only; the names are in :data:`PROBES`.

    Examples
    --------
    >>> from facetruth.data import probe_images
    >>> images = probe_images()
    >>> len(images), images[0].shape, images[0].dtype
    (4, (256, 256, 3), dtype('uint8'))
    >>> images[0].flags.writeable
    False
    """
    return list(_probes())


def probe_digest(images=None):
    """Hex sha256 of the probe images' pixels and shapes, to tell whether two machines used the same probes.

    Parameters
    ----------
    images : list of ndarray, default=None
        The images; :func:`probe_images` when None.

    Returns
    -------
    digest : str

    Examples
    --------
    >>> from facetruth.data import probe_digest
    >>> len(probe_digest()), probe_digest() == probe_digest()
    (64, True)
    """
    images = probe_images() if images is None else images
    h = hashlib.sha256()
    for image in images:
        image = np.ascontiguousarray(image, dtype=np.uint8)
        h.update(repr(image.shape).encode("ascii"))
        h.update(image.tobytes())
    return h.hexdigest()
