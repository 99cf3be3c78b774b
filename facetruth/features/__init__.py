"""Forensic feature families: pure per-image functions and thin scikit-learn transformers.

=========  =====================================  =====================
family     function                               transformer
=========  =====================================  =====================
fft        :func:`fft_spectrum`                   :class:`FFTFeatures`
dct        :func:`dct_features`                   :class:`DCTFeatures`
noise      :func:`noise_residual_features`        :class:`NoiseFeatures`
lbp        :func:`lbp_histograms`                 :class:`LBPFeatures`
cnn        :func:`cnn_embedding`                  :class:`CNNEmbedding`
region     :func:`region_features`                :class:`RegionFeatures`
parts      :func:`part_embedding`                 :class:`PartEmbedding`
cnnstats   :func:`cnn_stats`                      :class:`CNNStats`
clip       :func:`clip_embedding`                 :class:`CLIPEmbedding`
=========  =====================================  =====================

:class:`HandcraftedUnion` is the feature union that computes the
handcrafted families (fft, dct, noise, lbp) of each image in one pass.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "._base": ["ImageFeatureTransformer", "check_images", "FEATURE_VERSION"],
        "._backbone": [
            "ARCHITECTURE",
            "EMBEDDING_DIM",
            "INPUT_MEAN",
            "INPUT_STD",
            "load_backbone",
            "resolve_device",
            "convert_state_dict",
            "imagenet_weights_path",
        ],
        "._fft": ["fft_spectrum", "fft_feature_names", "FFTFeatures"],
        "._dct": ["dct_features", "DCTFeatures"],
        "._noise": ["noise_residual_features", "NoiseFeatures"],
        "._lbp": ["lbp_histograms", "LBPFeatures"],
        "._handcrafted": ["HandcraftedUnion"],
        "._cnn": [
            "cnn_embedding",
            "CNNEmbedding",
            "run_batches",
            "autocast_context",
            "images_to_tensor",
            "resize_square",
        ],
        "._region": ["region_features", "region_feature_names", "region_boxes", "RegionFeatures"],
        "._parts": ["part_crops", "part_embedding", "PartEmbedding"],
        "._cnnstats": ["cnn_stats", "stats_feature_names", "CNNStats"],
        "._clip": ["clip_embedding", "clip_feature_names", "CLIPEmbedding"],
        "._clip_encoder": ["clip_preprocess", "load_clip_encoder"],
        "._clip_norms": ["norm_names", "norms_digest", "read_norms", "save_norms"],
        "._clip_weights": ["clip_weights_path", "read_clip_weights", "WEIGHTS_SHA256", "INSTALL_HINT"],
    },
)
