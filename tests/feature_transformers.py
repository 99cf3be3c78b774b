"""The feature transformers as the estimator and validation checks configure them (small and fast)."""

from facetruth import features


def feature_transformers():
    """Fresh, unfitted instances of every feature transformer but CLIP's, one per family.

    Examples
    --------
    >>> [type(est).__name__ for est in feature_transformers()][:2]
    ['FFTFeatures', 'DCTFeatures']
    """
    return [
        features.FFTFeatures(n_bins=8),
        features.DCTFeatures(n_modes=2, spectrum_size=4),
        features.NoiseFeatures(),
        features.LBPFeatures(scales=((8, 1),)),
        features.RegionFeatures(),
        features.CNNEmbedding(batch_size=8, image_size=32),
        features.PartEmbedding(parts=("nose", "mouth"), batch_size=8, image_size=32),
        features.CNNStats(parts=("nose",), batch_size=8, image_size=32),
    ]
