"""The feature transformers as the estimator and validation checks configure them (small and fast)."""

from facetruth.features import (
    CNNEmbedding,
    CNNStats,
    DCTFeatures,
    FFTFeatures,
    LBPFeatures,
    NoiseFeatures,
    PartEmbedding,
    RegionFeatures,
)


def feature_transformers():
    """Fresh, unfitted instances of every feature transformer but CLIP's, one per family.

    Examples
    --------
    >>> [type(est).__name__ for est in feature_transformers()][:2]
    ['FFTFeatures', 'DCTFeatures']
    """
    return [
        FFTFeatures(n_bins=8),
        DCTFeatures(n_modes=2, spectrum_size=4),
        NoiseFeatures(),
        LBPFeatures(scales=((8, 1),)),
        RegionFeatures(),
        CNNEmbedding(batch_size=8, image_size=32),
        PartEmbedding(parts=("nose", "mouth"), batch_size=8, image_size=32),
        CNNStats(parts=("nose",), batch_size=8, image_size=32),
    ]
