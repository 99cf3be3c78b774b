"""Self-blended pseudo-fakes: masks, blending, determinism, fallbacks and the option parser."""

import cv2
import numpy as np
import pytest

from facetruth.data import make_pseudo_fakes, parse_pseudo_fakes, self_blend
from facetruth.data._sbi_masks import PART_GROW, PARTS, face_landmarks, hull_mask, region_mask

_FACES = {}


@pytest.fixture
def face(hardfake_dir):
    """A real hardfake face cropped as the pipeline does, with its dlib landmarks (found once)."""
    from facetruth.data import crop_face, read_image

    if hardfake_dir not in _FACES:
        for path in sorted((hardfake_dir / "real").glob("*.jpg"))[:20]:
            crop, _ = crop_face(read_image(path), size=256)
            landmarks = face_landmarks(crop)
            if landmarks is not None:
                _FACES[hardfake_dir] = crop, landmarks
                break
        else:
            pytest.fail("no face with landmarks among the first 20 hardfake real images")
    return _FACES[hardfake_dir]


def _dilated_hull(shape, points, radius):
    binary = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(binary, cv2.convexHull(np.rint(points).astype(np.int32)), 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(binary, kernel).astype(bool)


@pytest.mark.parametrize("seed", range(4))
def test_hull_blend_changes_only_inside_the_hull(face, seed):
    crop, landmarks = face
    fake, mask = self_blend(crop, landmarks=landmarks, mask="hull", random_state=seed)
    assert fake.shape == crop.shape and fake.dtype == np.uint8
    assert mask.shape == crop.shape[:2] and mask.dtype == np.float32
    assert mask.min() >= 0 and mask.max() <= 1 and mask.max() >= 0.25
    outside = ~_dilated_hull(mask.shape, landmarks, radius=int(0.1 * crop.shape[0]))
    assert outside.any() and np.all(mask[outside] == 0)
    assert np.array_equal(fake[mask == 0], crop[mask == 0])
    inside = mask > 0.5 * mask.max()
    assert np.abs(fake[inside].astype(int) - crop[inside]).mean() > 1


@pytest.mark.parametrize("part", list(PARTS))
def test_region_mask_covers_the_chosen_part_only(face, part):
    crop, landmarks = face
    mask = region_mask(crop.shape[:2], landmarks, np.random.default_rng(1), parts=[part])
    x, y = np.rint(landmarks[PARTS[part]]).astype(int).T
    assert np.all(mask[y, x] > 0)
    eyes = np.hypot(*(landmarks[42:48].mean(0) - landmarks[36:42].mean(0)))
    near = _dilated_hull(mask.shape, landmarks[PARTS[part]], int(PART_GROW[1] * eyes) + 1)
    assert np.all(mask[~near] == 0)
    others = np.concatenate([PARTS[name] for name in PARTS if name != part])
    far = ~_dilated_hull(mask.shape, landmarks[PARTS[part]], int(PART_GROW[1] * eyes) + 2)
    ox, oy = np.rint(landmarks[others]).astype(int).T
    assert np.all(mask[oy, ox][far[oy, ox]] == 0) and far[oy, ox].any()


def test_region_blend_leaves_the_rest_untouched(face):
    crop, landmarks = face
    fake, mask = self_blend(crop, landmarks=landmarks, mask="region", random_state=3)
    assert 0 < np.mean(mask > 0) < 0.25
    assert np.array_equal(fake[mask == 0], crop[mask == 0])
    assert not np.array_equal(fake, crop)


def test_detected_landmarks_match_given_ones(face):
    crop, landmarks = face
    detected = self_blend(crop, mask="hull", random_state=5)
    given = self_blend(crop, landmarks=landmarks, mask="hull", random_state=5)
    assert np.array_equal(detected[0], given[0]) and np.array_equal(detected[1], given[1])


def test_deterministic_per_seed(noise_image):
    a = self_blend(noise_image, random_state=7)
    b = self_blend(noise_image, random_state=7)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    masks = [self_blend(noise_image, random_state=s)[1] for s in range(6)]
    assert any(not np.array_equal(masks[0], m) for m in masks[1:])


@pytest.mark.parametrize("kind", ["hull", "region"])
def test_fallback_masks_without_a_face(kind):
    flat = np.full((96, 96, 3), 120, np.uint8)
    flat[::2] = 140  # stripes: no face, but blending visibly changes pixels
    fake, mask = self_blend(flat, mask=kind, random_state=0)
    assert mask.max() > 0 and mask.min() == 0
    assert mask[0, 0] == 0 and mask[-1, -1] == 0 and mask[0, -1] == 0
    assert np.array_equal(fake[mask == 0], flat[mask == 0])
    ys, xs = np.nonzero(mask)
    assert 20 < ys.mean() < 80 and 20 < xs.mean() < 76  # centred on the canonical face
    if kind == "hull":
        assert mask[48, 48] > 0


def test_hull_fallback_is_an_ellipse_in_the_middle():
    mask = hull_mask((100, 100), None, np.random.default_rng(0))
    assert mask[57, 50] > 0 and mask[5, 5] == 0 and mask[57, 95] == 0


@pytest.mark.parametrize("shape", [(1, 1, 3), (2, 3, 3), (7, 5, 3), (19, 40, 3)])
def test_tiny_images_never_raise(shape, rng):
    image = rng.integers(0, 256, size=shape, dtype=np.uint8)
    for kind in ("auto", "hull", "region"):
        fake, mask = self_blend(image, mask=kind, random_state=0)
        assert fake.shape == shape and mask.shape == shape[:2]
        assert 0 <= mask.min() and mask.max() <= 1


def test_invalid_arguments(noise_image):
    with pytest.raises(ValueError, match="mask must be"):
        self_blend(noise_image, mask="ellipse")
    with pytest.raises(ValueError, match="68, 2"):
        self_blend(noise_image, landmarks=np.zeros((5, 2)))
    with pytest.raises(ValueError, match="ratio"):
        make_pseudo_fakes([noise_image], ratio=0)


def test_make_pseudo_fakes_samples_sources(rng):
    images = [rng.integers(0, 256, size=(40, 40, 3), dtype=np.uint8) for _ in range(10)]
    fakes, sources = make_pseudo_fakes(images, ratio=0.5, random_state=1, landmarks=[None] * 10)
    assert len(fakes) == 5 and len(set(sources.tolist())) == 5 and sources.max() < 10
    for fake, i in zip(fakes, sources, strict=True):
        assert fake.shape == images[i].shape and fake.dtype == np.uint8
        assert not np.array_equal(fake, images[i])
    more, sources = make_pseudo_fakes(images, ratio=2.5, random_state=1, landmarks=[None] * 10)
    assert len(more) == 25 and len(sources) == 25 and len(set(sources.tolist())) < 25
    again, _ = make_pseudo_fakes(images, ratio=2.5, random_state=1, landmarks=[None] * 10)
    assert all(np.array_equal(a, b) for a, b in zip(more, again, strict=True))


def test_make_pseudo_fakes_same_with_workers(rng):
    images = [rng.integers(0, 256, size=(24, 24, 3), dtype=np.uint8) for _ in range(20)]
    serial, src1 = make_pseudo_fakes(images, random_state=3)
    parallel, src2 = make_pseudo_fakes(images, random_state=3, n_jobs=2)
    assert np.array_equal(src1, src2) and np.array_equal(src1, np.arange(20))
    assert all(np.array_equal(a, b) for a, b in zip(serial, parallel, strict=True))


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("sbi", ("sbi", 1.0)), ("sbi:0.5", ("sbi", 0.5)), ("SBI:4", ("sbi", 4.0)), (" sbi:2 ", ("sbi", 2.0))],
)
def test_parse_pseudo_fakes(spec, expected):
    assert parse_pseudo_fakes(spec) == expected


@pytest.mark.parametrize(
    "spec", ["", "blend", "sbi:", "sbi:x", "sbi:0", "sbi:-1", "sbi:4.5", "sbi:nan", None]
)
def test_parse_pseudo_fakes_rejects(spec):
    with pytest.raises(ValueError):
        parse_pseudo_fakes(spec)
