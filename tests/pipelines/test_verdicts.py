"""Three-way verdicts: no face, a face too small, out of distribution, too close to call."""

import logging

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from facetruth import predict_items
from facetruth.pipelines import (
    FACE_TOO_SMALL,
    INCONCLUSIVE_REASONS,
    NO_FACE,
    OUT_OF_DISTRIBUTION,
    UNCERTAIN,
    VerdictRules,
    build_pipeline,
    face_side,
    face_size_limit,
    split_pipeline,
)


@pytest.fixture(scope="module")
def astronaut():
    return skdata.astronaut()


@pytest.fixture(scope="module")
def noise_model():
    # labels of noise; with this seed the out-of-fold scores happen to rank the fakes a little above
    # the reals, so the calibration keeps a slope (most seeds give a flat one: every image 0.5)
    images = np.random.default_rng(4).integers(0, 256, (12, 32, 32, 3), dtype=np.uint8)
    return build_pipeline("fft", "logistic", face="off", image_size=32, cv=3).fit(list(images), [0, 1] * 6)


def test_face_side_reads_the_geometry_or_the_box():
    assert face_side({"face_found": True, "face_side": 77, "box": [0, 0, 10, 10]}) == 77
    assert face_side({"face_found": True, "box": [10, 20, 50, 81]}) == 61  # a cached info
    assert face_side({"face_found": False, "face_side": 0}) is None


def test_face_size_limit_is_a_low_percentile_of_the_faces_found():
    infos = [{"face_found": True, "face_side": s} for s in range(100, 200)]
    infos += [{"face_found": False, "face_side": 0}, {"error": "unreadable"}]
    assert face_size_limit(infos) == int(np.floor(np.percentile(range(100, 200), 1)))
    assert face_size_limit(infos, percentile=0) == 100
    assert face_size_limit([{"face_found": False}]) is None and face_size_limit([]) is None
    with pytest.raises(ValueError, match="percentile"):
        face_size_limit(infos, percentile=101)


def test_reasons_come_in_their_order():
    rules = VerdictRules(threshold=0.5, band=0.1, needs_face=True, min_face_side=50, novelty_limit=2.0)
    small = {"face_found": True, "face_side": 20}
    big = {"face_found": True, "face_side": 80}
    assert rules.judge(0.52, {"face_found": False}, 9.0)[:2] == ("inconclusive", NO_FACE)
    assert rules.judge(0.52, small, 9.0)[:2] == ("inconclusive", FACE_TOO_SMALL)
    assert rules.judge(0.52, big, 9.0)[:2] == ("inconclusive", OUT_OF_DISTRIBUTION)
    assert rules.judge(0.52, big, 1.0)[:2] == ("inconclusive", UNCERTAIN)
    assert rules.judge(0.9, big, 1.0)[:2] == ("fake", None)
    assert rules.judge(0.1, big, None)[:2] == ("real", None)
    assert "20 px" in rules.judge(0.9, small)[2] and "50 px" in rules.judge(0.9, small)[2]
    assert INCONCLUSIVE_REASONS == (NO_FACE, FACE_TOO_SMALL, OUT_OF_DISTRIBUTION, UNCERTAIN)
    # the band's edges: |p - t| <= band is inconclusive
    assert VerdictRules(threshold=0.5, band=0.25).judge(0.75, {})[0] == "inconclusive"
    assert VerdictRules(threshold=0.5, band=0.0).judge(0.5, {})[0] == "real"


def test_noise_png_on_a_face_model_is_inconclusive_no_face(face_model, noise_png):
    loader = split_pipeline(face_model)[0]
    assert loader.min_face_side_ is not None and 60 <= loader.min_face_side_ <= 100
    row = predict_items(face_model, [noise_png], names=["noise.png"])[0]
    assert row.verdict == "inconclusive" and row.reason == NO_FACE
    assert row.face_found is False and row.face_box is None and 0 < row.prob_fake < 1
    assert "No face found" in row.message


def test_a_face_below_the_limit_is_face_too_small(face_model, astronaut):
    limit = split_pipeline(face_model)[0].min_face_side_
    small = np.asarray(Image.fromarray(astronaut).resize((256, 256), Image.BICUBIC))
    row = predict_items(face_model, [small])[0]
    assert row.face_found and row.reason == FACE_TOO_SMALL and row.verdict == "inconclusive"
    assert f"{limit} px" in row.message
    row = predict_items(face_model, [astronaut])[0]
    assert row.face_found and row.reason in (None, UNCERTAIN)


def test_a_model_on_whole_images_needs_no_face(noise_model, noise_png):
    row = predict_items(noise_model, [noise_png])[0]
    assert row.reason != NO_FACE and split_pipeline(noise_model)[0].min_face_side_ is None


def test_band_zero_turns_the_band_off(noise_model):
    detector = split_pipeline(noise_model)[2]
    assert detector.band_ > 0  # labels of noise: nothing is certain
    images = np.random.default_rng(1).integers(0, 256, (10, 32, 32, 3), dtype=np.uint8)
    rows = predict_items(noise_model, images)
    assert any(r.reason == UNCERTAIN for r in rows)
    for row in rows:  # out_of_distribution comes first
        if abs(row.prob_fake - row.threshold) <= detector.band_:
            assert row.verdict == "inconclusive" and row.reason in (OUT_OF_DISTRIBUTION, UNCERTAIN)
    off = predict_items(noise_model, images, band=0)
    assert all(r.reason in (None, OUT_OF_DISTRIBUTION) for r in off)
    assert all(r.verdict in ("real", "fake") for r in off if r.reason is None)
    assert [r.prob_fake for r in off] == [r.prob_fake for r in rows]
    assert [r.reason == OUT_OF_DISTRIBUTION for r in off] == [r.reason == OUT_OF_DISTRIBUTION for r in rows]
    wide = predict_items(noise_model, images, band=1)
    assert all(r.reason in (OUT_OF_DISTRIBUTION, UNCERTAIN) for r in wide)
    with pytest.raises(ValueError, match="band"):
        predict_items(noise_model, images, band=-0.1)


def test_old_models_keep_two_way_verdicts_with_a_note(face_model, astronaut, noise_png, caplog, tmp_path):
    import copy

    import facetruth

    old = copy.deepcopy(face_model)
    loader, _, detector = split_pipeline(old)
    del loader.min_face_side_, detector.band_, detector.novelty_  # as saved before these existed
    facetruth.save(old, tmp_path / "old.joblib")
    old = facetruth.load(tmp_path / "old.joblib")
    with caplog.at_level(logging.WARNING, logger="facetruth.pipelines._verdicts"):
        first = predict_items(old, [astronaut, noise_png])
        predict_items(old, [astronaut])
    warnings = [r for r in caplog.records if "older FaceTruth" in r.getMessage()]
    assert len(warnings) == 1
    assert first[0].verdict in ("real", "fake") and first[0].reason is None
    assert first[1].verdict == "inconclusive" and first[1].reason == NO_FACE
    assert all("predates" in row.message for row in first)
    small = np.asarray(Image.fromarray(astronaut).resize((256, 256), Image.BICUBIC))
    assert predict_items(old, [small])[0].reason is None  # no limit known: no face_too_small


def test_an_image_far_from_the_training_data_is_out_of_distribution(noise_model):
    detector = split_pipeline(noise_model)[2]
    grey = np.full((32, 32, 3), 128, np.uint8)
    assert detector.novelty(noise_model[:-1].transform([grey]))[0] > detector.novelty_.limit_
    row = predict_items(noise_model, [grey])[0]
    assert row.verdict == "inconclusive" and row.reason == OUT_OF_DISTRIBUTION
    assert "outside the training data" in row.message and row.prob_fake is not None


def test_the_model_card_records_the_limits(face_model, face_model_file):
    from facetruth.models import read_model_card

    card = read_model_card(face_model_file)
    loader, _, detector = split_pipeline(face_model)
    assert card["min_face_side"] == loader.min_face_side_
    assert card["novelty"]["limit"] == pytest.approx(detector.novelty_.limit_)
    assert card["novelty"]["distance"] == "rms_zscore" and card["band"] == detector.band_


def test_training_learns_the_face_size_limit_and_the_card_records_it(astronaut, tmp_path):
    import facetruth
    from facetruth.data import load_dataset
    from facetruth.models import read_model_card
    from facetruth.pipelines import train_detector

    for k, cls in enumerate(["real", "fake"] * 3):
        (tmp_path / cls).mkdir(exist_ok=True)
        view = astronaut[10 * k :, 5 * k :] if k % 2 else astronaut[:, ::-1][5 * k :]
        Image.fromarray(np.ascontiguousarray(view)).save(tmp_path / cls / f"{k}.png")
    pipe = build_pipeline("fft", "logistic", face="auto", image_size=32, cv=2)
    result = train_detector(pipe, load_dataset(tmp_path))
    limit = result.pipeline.named_steps["loader"].min_face_side_
    assert 60 <= limit <= 100
    card = facetruth.save(result.pipeline, tmp_path / "m.joblib", metadata=result.metadata)
    assert card["min_face_side"] == limit == read_model_card(tmp_path / "m.joblib")["min_face_side"]
