"""The parts family: CNN embeddings of magnified eye, nose and mouth crops."""

import numpy as np
import pytest

from facetruth.features import CNNStats, PartEmbedding, cnn_embedding, part_embedding
from facetruth.features._cnnstats import N_STATS
from facetruth.features._parts import PARTS, part_crops
from facetruth.features._region import region_boxes


def _window(part, size=128, zoom=1.5):
    x0, y0, x1, y1 = region_boxes(size, 0.3)[part]
    side = round(zoom * max(x1 - x0, y1 - y0))
    return x0, y0, x1, y1, side


@pytest.mark.parametrize("part", PARTS)
def test_crop_is_a_square_around_the_part(part, rng):
    image = rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)
    (crop,) = part_crops([image], part)
    x0, y0, x1, y1, side = _window(part)
    assert crop.shape == (side, side, 3)
    # the crop is a window of the image that contains the whole part box
    found = [
        (top, left)
        for top in range(128 - side + 1)
        for left in range(128 - side + 1)
        if np.array_equal(image[top : top + side, left : left + side], crop)
    ]
    assert len(found) == 1
    top, left = found[0]
    assert top <= y0 and left <= x0 and top + side >= y1 and left + side >= x1


def test_windows_near_the_border_shift_inside_and_cover_small_images(rng):
    image = rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)
    (crop,) = part_crops([image], "mouth", zoom=4.0)
    assert crop.shape[0] == crop.shape[1] <= 128
    (tiny,) = part_crops([image[:8, :8]], "nose", zoom=4.0)
    assert tiny.shape[0] == tiny.shape[1] >= 2
    (wide,) = part_crops([rng.integers(0, 256, (64, 96, 3), dtype=np.uint8)], "left_eye")
    assert wide.shape[0] == wide.shape[1]


def test_embedding_is_the_cnn_embedding_of_each_crop_in_order(rng):
    images = rng.integers(0, 256, (3, 96, 96, 3), dtype=np.uint8)
    out = part_embedding(images, parts=("nose", "left_eye"), image_size=64)
    assert out.shape == (3, 2 * 1280) and out.dtype == np.float32
    nose = cnn_embedding(part_crops(images, "nose"), image_size=64)
    eye = cnn_embedding(part_crops(images, "left_eye"), image_size=64)
    np.testing.assert_allclose(out[:, :1280], nose, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out[:, 1280:], eye, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("cls", "block", "face_first"), [(PartEmbedding, 1280, False), (CNNStats, N_STATS, True)]
)
def test_a_pasted_mouth_changes_the_mouth_block_and_not_the_eye_block(cls, block, face_first, rng):
    image = np.clip(rng.normal(128, 20, (128, 128, 3)), 0, 255).astype(np.uint8)
    pasted = image.copy()
    x0, y0, x1, y1 = region_boxes(128, 0.3)["mouth"]
    pasted[y0:y1, x0:x1] = rng.integers(0, 256, (y1 - y0, x1 - x0, 3), dtype=np.uint8)
    transformer = cls(parts=("left_eye", "mouth"), image_size=64).fit(image[None])
    clean, fake = transformer.transform(np.stack([image, pasted]))
    start = block if face_first else 0
    eye, mouth = slice(start, start + block), slice(start + block, start + 2 * block)
    np.testing.assert_array_equal(clean[eye], fake[eye])
    assert np.abs(clean[mouth] - fake[mouth]).max() > 0.1
    if face_first:  # the whole face sees the mouth too
        assert np.abs(clean[:block] - fake[:block]).max() > 0.01


def test_names_count_and_cache(tmp_path, rng):
    images = rng.integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    transformer = PartEmbedding(parts=("nose",), image_size=32, cache=tmp_path).fit(images)
    names = transformer.get_feature_names_out()
    assert len(names) == 1280 and names[0] == "parts_nose_emb_0000"
    first = transformer.transform(images)
    assert any(tmp_path.rglob("*"))
    np.testing.assert_array_equal(transformer.transform(images), first)
    # another zoom is another cache entry, not a stale hit
    other = PartEmbedding(parts=("nose",), image_size=32, zoom=3.0, cache=tmp_path).fit(images)
    assert not np.array_equal(other.transform(images), first)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"parts": ("nose", "nose")}, "'parts' parameter of PartEmbedding"),
        ({"parts": ("ear",)}, "'parts' parameter of PartEmbedding"),
        ({"parts": ()}, "'parts' parameter of PartEmbedding"),
        ({"zoom": 0}, "'zoom' parameter of PartEmbedding"),
        ({"margin": -1}, "'margin' parameter of PartEmbedding"),
        ({"image_size": 8}, "'image_size' parameter of PartEmbedding"),
    ],
)
def test_bad_parameters_are_refused_at_fit(params, match, rng):
    images = rng.integers(0, 256, (1, 32, 32, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match=match):
        PartEmbedding(**params).fit(images)
