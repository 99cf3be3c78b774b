"""CNN embeddings of the inner face parts (the ``parts`` family).

A face-part composite replaces an eye, the nose or the mouth. In a whole-face
embedding at 224 px such a part covers a few dozen pixels and its seams are
averaged away; cropped and magnified, the same part fills the network's
input, so the pooled features describe its texture and borders rather than
the identity of the face. This family embeds each inner region of
:data:`~facetruth.features._region.REGIONS` separately with the same
EfficientNet-Lite0 as the ``cnn`` family and concatenates the embeddings.

Parts are placed on the canonical face template, so they match each face
best on crops made with ``align="canonical"``.
"""

from numbers import Real

import numpy as np

from .._params import Interval, InvalidParameterError, StrOptions, validate_arguments
from ._cnn import _EMBEDDING_DIM, _NETWORK_CONSTRAINTS, CNNEmbedding, cnn_embedding
from ._network import _torch_threads
from ._region import _MARGIN, INNER, MIN_SIDE, REGIONS, region_boxes
from ._torch_batches import _MODEL, resize_square

#: the parts embedded by default
PARTS = INNER
_ZOOM = Interval(Real, 0.5, 4.0, closed="both")
#: constraints on the crop parameters of the functions and of the transformers; the names
#: in ``parts`` are checked by :func:`_check_parts`
_CONSTRAINTS = {"parts": [str, "array-like"], "zoom": [_ZOOM], "margin": [_MARGIN]}


def _check_parts(parts, caller, *, allow_empty=False):
    """Validate part names as scikit-learn validates a parameter.

    Returns
    -------
    parts : tuple of str
        A single name gives a 1-tuple.

    Raises
    ------
    InvalidParameterError
        Unless ``parts`` is a sequence (non-empty unless ``allow_empty``) of
        distinct keys of :data:`~facetruth.features._region.REGIONS`.
    """
    names = (parts,) if isinstance(parts, str) else parts
    try:
        names = tuple(names)
    except TypeError:
        names = None
    valid = (
        names is not None
        and (bool(names) or allow_empty)
        and all(isinstance(p, str) and p in REGIONS for p in names)
        and len(set(names)) == len(names)
    )
    if not valid:
        what = "a sequence" if allow_empty else "a non-empty sequence"
        raise InvalidParameterError(
            f"The 'parts' parameter of {caller} must be {what} of distinct names among "
            f"{sorted(REGIONS)}. Got {parts!r} instead."
        )
    return names


@validate_arguments(
    {
        "images": ["array-like"],
        "part": [StrOptions(set(REGIONS))],
        "zoom": [_ZOOM],
        "margin": [_MARGIN],
    }
)
def part_crops(images, part, *, zoom=1.5, margin=0.3):
    """Square crops around one facial part of each face crop.

    Parameters
    ----------
    images : sequence of ndarray of shape (height, width, 3), dtype uint8
        Face crops; non-square ones are first stretched to a square.
    part : str
        A key of :data:`~facetruth.features._region.REGIONS`.
    zoom : float, default=1.5
        Side of the crop relative to the longer side of the part's box, so
        the part's borders and some skin around it are included; 0.5 to 4.
    margin : float, default=0.3
        Margin of the face crops (the loader's), 0 to 2.

    Returns
    -------
    crops : list of ndarray of shape (side, side, 3), dtype uint8
        Shifted to lie inside the face crop; the whole crop when the window is
        larger than it.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features._parts import part_crops
    >>> faces = np.zeros((2, 128, 128, 3), np.uint8)
    >>> crops = part_crops(faces, "mouth")
    >>> len(crops), crops[0].shape
    (2, (45, 45, 3))
    >>> part_crops(faces, "mouth", zoom=3.0)[0].shape
    (90, 90, 3)
    """
    crops = []
    for image in images:
        image = resize_square(image, max(*image.shape[:2], MIN_SIDE))
        size = image.shape[0]
        x0, y0, x1, y1 = region_boxes(size, margin)[part]
        side = min(size, max(2, int(round(zoom * max(x1 - x0, y1 - y0)))))
        left = int(np.clip(round((x0 + x1 - side) / 2), 0, size - side))
        top = int(np.clip(round((y0 + y1 - side) / 2), 0, size - side))
        crops.append(image[top : top + side, left : left + side])
    return crops


def per_crop_blocks(images, parts, run, *, zoom=1.5, margin=0.3, face=False):
    """Run ``run`` once on the crops of all images; one block of columns per crop kind.

    ``run`` maps a list of crops to one row per crop. The crops are the whole
    images (when ``face``) and then every image's crop of ``parts[0]``,
    ``parts[1]`` and so on (:func:`part_crops`), so batching and thread
    settings are paid once. Returns ``(n_images, n_blocks * row length)``
    float32, the face block first.
    """
    crops = list(images) if face else []
    crops += [crop for part in parts for crop in part_crops(images, part, zoom=zoom, margin=margin)]
    rows = run(crops)
    n = len(images)
    blocks = [rows[i * n : (i + 1) * n] for i in range(len(crops) // n)]
    return np.hstack(blocks).astype(np.float32, copy=False)


@validate_arguments(
    {"images": ["array-like"], **_CONSTRAINTS, "model": [None, _MODEL], **_NETWORK_CONSTRAINTS}
)
def part_embedding(
    images, *, parts=PARTS, zoom=1.5, margin=0.3, model=None, device="auto", batch_size=32, image_size=224
):
    """Concatenated CNN embeddings of the facial parts of each face crop.

    Parameters
    ----------
    images : sequence of ndarray of shape (height, width, 3), dtype uint8
        Face crops.
    parts : str or sequence of str, default=("left_eye", "right_eye", "nose", "mouth")
        Distinct keys of :data:`~facetruth.features._region.REGIONS`.
    zoom, margin : float
        See :func:`part_crops`.
    model, device, batch_size, image_size :
        As for :func:`~facetruth.features.cnn_embedding`; ``image_size`` is
        the side each part is resized to.

    Returns
    -------
    features : ndarray of shape (n_images, 1280 * len(parts)), dtype float32
        The embedding of ``parts[0]``, then of ``parts[1]``, and so on.

    Raises
    ------
    facetruth.exceptions.InvalidParameterError
        For a parameter of the wrong type or out of range (a ``ValueError``).

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import load_backbone, part_embedding
    >>> backbone = load_backbone("imagenet", device="cpu")  # doctest: +SKIP
    >>> faces = np.zeros((2, 128, 128, 3), np.uint8)
    >>> part_embedding(faces, parts=("nose", "mouth"), model=backbone).shape  # doctest: +SKIP
    (2, 2560)
    """
    parts = _check_parts(parts, "part_embedding")
    if len(images) == 0:
        return np.empty((0, _EMBEDDING_DIM * len(parts)), dtype=np.float32)

    def embed(crops):
        return cnn_embedding(crops, model=model, device=device, batch_size=batch_size, image_size=image_size)

    return per_crop_blocks(images, parts, embed, zoom=zoom, margin=margin)


class PartEmbedding(CNNEmbedding):
    """Transformer computing :func:`part_embedding` for each face crop of a batch.

    Parameters
    ----------
    parts : tuple of str, default=("left_eye", "right_eye", "nose", "mouth")
        Facial parts to embed, keys of
        :data:`~facetruth.features._region.REGIONS`.
    zoom : float, default=1.5
        Crop side relative to the part's box (see :func:`part_crops`).
    margin : float, default=0.3
        Margin of the face crops (the loader's).
    weights, device, batch_size, image_size, n_jobs, cache :
        As for :class:`~facetruth.features.CNNEmbedding`; ``image_size`` is
        the side each part is resized to.

    Attributes
    ----------
    model_ : torch.nn.Module
        The network; dropped when pickled and rebuilt on first use.
    device_ : str
    feature_names_out_ : ndarray of str
        ``parts_left_eye_emb_0000`` ... ``parts_mouth_emb_1279``.
    n_features_out_ : int
        ``1280 * len(parts)``.

    See Also
    --------
    part_embedding : The pure function.
    CNNEmbedding : The embedding of the whole face.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import PartEmbedding
    >>> parts = PartEmbedding(parts=("nose", "mouth"), zoom=2.0, device="cpu")
    >>> parts.get_params()["parts"]
    ('nose', 'mouth')
    >>> faces = np.zeros((2, 128, 128, 3), np.uint8)
    >>> parts.fit_transform(faces).shape  # doctest: +SKIP
    (2, 2560)
    """

    family = "parts"
    _allow_no_parts = False
    _parameter_constraints: dict = {**CNNEmbedding._parameter_constraints, **_CONSTRAINTS}

    def __init__(
        self,
        *,
        parts=PARTS,
        zoom=1.5,
        margin=0.3,
        weights="imagenet",
        device="auto",
        batch_size=32,
        image_size=224,
        n_jobs=None,
        cache=None,
    ):
        super().__init__(
            weights=weights,
            device=device,
            batch_size=batch_size,
            image_size=image_size,
            n_jobs=n_jobs,
            cache=cache,
        )
        self.parts = parts
        self.zoom = zoom
        self.margin = margin

    def _check_parts(self):
        return _check_parts(self.parts, type(self).__name__, allow_empty=self._allow_no_parts)

    def _validate_params(self):
        super()._validate_params()
        self._check_parts()

    def _feature_names(self):
        return [f"{p}_emb_{i:04d}" for p in self._check_parts() for i in range(_EMBEDDING_DIM)]

    def _feature_kwargs(self):
        kwargs = super()._feature_kwargs()
        kwargs["zoom"] = float(self.zoom)
        kwargs["margin"] = float(self.margin)
        kwargs["parts"] = list(self._check_parts())
        return kwargs

    def _function(self):
        return part_embedding

    def _compute_rows(self, images, kwargs):
        model = self._current_model(kwargs)
        with _torch_threads(self.n_jobs):
            return self._function()(
                images,
                parts=kwargs["parts"],
                zoom=kwargs["zoom"],
                margin=kwargs["margin"],
                model=model,
                batch_size=self.batch_size,
                image_size=kwargs["image_size"],
            )
