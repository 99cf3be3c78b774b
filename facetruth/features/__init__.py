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

:func:`run_batches`, :func:`images_to_tensor`, :func:`autocast_context` and
:func:`resize_square` run a torch network over batches of face crops; the CNN
families and the fine-tuning of :mod:`facetruth.models` share them.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
