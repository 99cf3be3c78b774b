"""Mid-level CNN texture statistics of the face and its parts (the ``cnnstats`` family).

The pooled embedding of the ``cnn`` and ``parts`` families comes from the
network's last layer, which ImageNet training made describe *what* is in the
picture. A pasted eye or mouth differs from its face in *how* it is rendered:
sharpness, noise, colour transitions. Those live in the early and middle
layers. This family runs the same EfficientNet-Lite0 on the whole face crop
and on each magnified part crop (see :func:`~facetruth.features._parts.part_crops`)
and keeps the mean and standard deviation over space of every channel of the
outputs of stages 2 to 5 (24, 40, 80 and 112 channels, strides 4 to 16):
512 numbers per crop, in the spirit of the Gram and style statistics used for
texture description [1]_.

References
----------
.. [1] L. A. Gatys, A. S. Ecker and M. Bethge, "Texture synthesis using
       convolutional neural networks", NeurIPS 2015.
"""

from .._params import validate_arguments
from ._base import check_images
from ._cnn import _NETWORK_CONSTRAINTS
from ._parts import _CONSTRAINTS, PARTS, PartEmbedding, _check_parts, per_crop_blocks
from ._torch_batches import _MODEL, run_batches

#: indices of the summarised stages in ``model.blocks`` and their channel counts
STAGES = (1, 2, 3, 4)
CHANNELS = (24, 40, 80, 112)
#: statistics per crop
N_STATS = 2 * sum(CHANNELS)


def _stage_stats(model, x):
    import torch

    x = model.bn1(model.conv_stem(x))
    out = []
    for i, stage in enumerate(model.blocks[: max(STAGES) + 1]):
        x = stage(x)
        if i in STAGES:
            maps = x.float()
            out += [maps.mean((2, 3)), maps.std((2, 3))]
    return torch.cat(out, 1)


@validate_arguments({"parts": _CONSTRAINTS["parts"]})
def stats_feature_names(parts=PARTS):
    """Names of :func:`cnn_stats`'s outputs (without the family prefix).

    Parameters
    ----------
    parts : str or sequence of str, default=("left_eye", "right_eye", "nose", "mouth")
        Distinct part names (may be empty).

    Returns
    -------
    names : list of str
        ``<crop>_s<stage>_<mean|std>_<channel>``, 512 per crop, the face first.

    Examples
    --------
    >>> from facetruth.features._cnnstats import stats_feature_names
    >>> names = stats_feature_names(parts=("nose",))
    >>> len(names), names[0], names[-1]
    (1024, 'face_s2_mean_000', 'nose_s5_std_111')
    """
    parts = _check_parts(parts, "stats_feature_names", allow_empty=True)
    per_crop = [
        f"s{s + 1}_{stat}_{c:03d}"
        for s, n in zip(STAGES, CHANNELS, strict=True)
        for stat in ("mean", "std")
        for c in range(n)
    ]
    return [f"{crop}_{name}" for crop in ("face", *parts) for name in per_crop]


@validate_arguments(
    {"images": ["array-like"], **_CONSTRAINTS, "model": [None, _MODEL], **_NETWORK_CONSTRAINTS}
)
def cnn_stats(
    images, *, parts=PARTS, zoom=1.5, margin=0.3, model=None, device="auto", batch_size=32, image_size=224
):
    """Channel means and spreads of mid-level feature maps of a face and its parts.

    Parameters
    ----------
    images : sequence of ndarray of shape (height, width, 3), dtype uint8
        Face crops.
    parts : str or sequence of str, default=("left_eye", "right_eye", "nose", "mouth")
        Distinct parts cropped and magnified besides the whole face (may be
        empty).
    zoom, margin : float
        See :func:`~facetruth.features._parts.part_crops`.
    model, device, batch_size, image_size :
        As for :func:`~facetruth.features.cnn_embedding`; every crop is
        resized to ``image_size``.

    Returns
    -------
    features : ndarray of shape (n_images, 512 * (1 + len(parts))), dtype float32
        The statistics of the whole face, then of ``parts[0]``, and so on;
        names from :func:`stats_feature_names`.

    Raises
    ------
    facetruth.exceptions.InvalidParameterError
        For a parameter of the wrong type or out of range (a ``ValueError``).

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import cnn_stats, load_backbone
    >>> backbone = load_backbone("imagenet", device="cpu")  # doctest: +SKIP
    >>> faces = np.zeros((2, 128, 128, 3), np.uint8)
    >>> cnn_stats(faces, parts=("nose",), model=backbone).shape  # doctest: +SKIP
    (2, 1024)
    """
    parts = _check_parts(parts, "cnn_stats", allow_empty=True)
    images = check_images(images)
    if model is None:
        from ._backbone import load_backbone

        model = load_backbone("imagenet", device=device)

    def stats(crops):
        return run_batches(crops, model, int(batch_size), int(image_size), _stage_stats)

    return per_crop_blocks(images, parts, stats, zoom=zoom, margin=margin, face=True)


class CNNStats(PartEmbedding):
    """Transformer computing :func:`cnn_stats` for each face crop of a batch.

    Parameters
    ----------
    parts, zoom, margin, weights, device, batch_size, image_size, n_jobs, cache :
        As for :class:`~facetruth.features.PartEmbedding`; ``parts`` may be
        empty (the whole face only).

    Attributes
    ----------
    model_ : torch.nn.Module
    device_ : str
    feature_names_out_ : ndarray of str
        ``cnnstats_face_s2_mean_000`` ... ``cnnstats_mouth_s5_std_111``.
    n_features_out_ : int
        ``512 * (1 + len(parts))``.

    See Also
    --------
    cnn_stats : The pure function.

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.features import CNNStats
    >>> stats = CNNStats(parts=(), device="cpu")  # the whole face only
    >>> stats.get_params()["parts"]
    ()
    >>> faces = np.zeros((2, 128, 128, 3), np.uint8)
    >>> stats.fit_transform(faces).shape  # doctest: +SKIP
    (2, 512)
    """

    family = "cnnstats"
    _allow_no_parts = True

    def _feature_names(self):
        return stats_feature_names(self._check_parts())

    def _function(self):
        return cnn_stats
