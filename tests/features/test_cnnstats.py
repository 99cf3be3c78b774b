"""The cnnstats family: channel statistics of mid-level feature maps of the face and its parts."""

import numpy as np
import pytest

from facetruth.features import CNNStats, cnn_stats
from facetruth.features._cnnstats import N_STATS, stats_feature_names
from facetruth.features._parts import part_crops


def test_names_and_layout(rng):
    images = rng.integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    out = cnn_stats(images, parts=("nose",), image_size=64)
    assert out.shape == (2, 2 * N_STATS) == (2, 1024) and out.dtype == np.float32
    names = stats_feature_names(("nose",))
    assert len(names) == len(set(names)) == out.shape[1]
    assert names[0] == "face_s2_mean_000" and names[N_STATS] == "nose_s2_mean_000"
    assert names[-1] == "nose_s5_std_111"
    stds = [i for i, n in enumerate(names) if "_std_" in n]
    assert (out[:, stds] >= 0).all()


def test_each_block_is_the_statistics_of_its_own_crop(rng):
    images = rng.integers(0, 256, (3, 96, 96, 3), dtype=np.uint8)
    out = cnn_stats(images, parts=("mouth", "left_eye"), image_size=64)
    face = cnn_stats(images, parts=(), image_size=64)
    mouth = cnn_stats(part_crops(images, "mouth"), parts=(), image_size=64)
    eye = cnn_stats(part_crops(images, "left_eye"), parts=(), image_size=64)
    for block, expected in enumerate([face, mouth, eye]):
        got = out[:, block * N_STATS : (block + 1) * N_STATS]
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_texture_shows_in_the_spread(rng):
    flat = np.full((1, 96, 96, 3), 128, dtype=np.uint8)
    noisy = np.clip(128 + rng.normal(0, 40, (1, 96, 96, 3)), 0, 255).astype(np.uint8)
    stds = np.asarray([n.startswith("face_s2_std_") for n in stats_feature_names(())])  # the finest stage
    flat_spread = cnn_stats(flat, parts=(), image_size=96)[0, stds].mean()
    noisy_spread = cnn_stats(noisy, parts=(), image_size=96)[0, stds].mean()
    assert noisy_spread > 3 * flat_spread


def test_transformer_names_and_bad_parts(rng):
    images = rng.integers(0, 256, (1, 32, 32, 3), dtype=np.uint8)
    names = CNNStats(parts=(), image_size=32).fit(images).get_feature_names_out()
    assert len(names) == N_STATS and names[0] == "cnnstats_face_s2_mean_000"
    with pytest.raises(ValueError, match="'parts' parameter of CNNStats"):
        CNNStats(parts=("ear",)).fit(images)
