# The public names of facetruth.features: __init__.py loads each from its private module
# on first use (lazy_loader.attach_stub reads this file). Only `from .module import name`
# lines: a name whose home is another package is imported from there.

__all__ = [
    "ARCHITECTURE",
    "autocast_context",
    "clip_embedding",
    "clip_preprocess",
    "clip_weights_path",
    "CLIPEmbedding",
    "cnn_embedding",
    "cnn_stats",
    "CNNEmbedding",
    "CNNStats",
    "dct_features",
    "DCTFeatures",
    "EMBEDDING_DIM",
    "FEATURE_VERSION",
    "fft_feature_names",
    "fft_spectrum",
    "FFTFeatures",
    "HandcraftedUnion",
    "ImageFeatureTransformer",
    "images_to_tensor",
    "INPUT_MEAN",
    "INPUT_STD",
    "lbp_histograms",
    "LBPFeatures",
    "load_backbone",
    "load_clip_encoder",
    "noise_residual_features",
    "NoiseFeatures",
    "norm_names",
    "norms_digest",
    "onnx_session",
    "ONNXCLIPEncoder",
    "part_embedding",
    "PartEmbedding",
    "read_clip_weights",
    "read_norms",
    "region_features",
    "RegionFeatures",
    "resize_square",
    "resolve_device",
    "run_batches",
    "save_norms",
    "WEIGHTS_SHA256",
]

from ._backbone import ARCHITECTURE, EMBEDDING_DIM, INPUT_MEAN, INPUT_STD, load_backbone, resolve_device
from ._base import FEATURE_VERSION, ImageFeatureTransformer
from ._clip import CLIPEmbedding, clip_embedding
from ._clip_encoder import clip_preprocess, load_clip_encoder
from ._clip_norms import norm_names, norms_digest, read_norms, save_norms
from ._clip_onnx import onnx_session
from ._clip_onnx_encoder import ONNXCLIPEncoder
from ._clip_weights import WEIGHTS_SHA256, clip_weights_path, read_clip_weights
from ._cnn import CNNEmbedding, cnn_embedding
from ._cnnstats import CNNStats, cnn_stats
from ._dct import DCTFeatures, dct_features
from ._fft import FFTFeatures, fft_feature_names, fft_spectrum
from ._handcrafted import HandcraftedUnion
from ._lbp import LBPFeatures, lbp_histograms
from ._noise import NoiseFeatures, noise_residual_features
from ._parts import PartEmbedding, part_embedding
from ._region import RegionFeatures, region_features
from ._torch_batches import autocast_context, images_to_tensor, resize_square, run_batches
