"""Three-way verdicts: no face, a face too small, out of distribution, too close to call."""

import logging

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from facetruth import predict_items
from facetruth.pipelines import INCONCLUSIVE_REASONS, UNCERTAIN, build_pipeline, split_pipeline
from facetruth.pipelines._verdicts import (
    FACE_TOO_SMALL,
    NO_FACE,
    OUT_OF_DISTRIBUTION,
    VerdictRules,
    face_side,
    face_size_limit,
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


def test_verdicts_follow_the_cutoffs_and_band_zero_leaves_the_threshold(noise_model):
    detector = split_pipeline(noise_model)[2]
    assert detector.real_cutoff_ < detector.fake_cutoff_ and not hasattr(detector, "band_")
    images = np.random.default_rng(1).integers(0, 256, (10, 32, 32, 3), dtype=np.uint8)
    rows = predict_items(noise_model, images)
    assert any(r.reason == UNCERTAIN for r in rows)  # labels of noise: little is certain
    for row in rows:  # out_of_distribution comes first
        if row.reason == OUT_OF_DISTRIBUTION:
            continue
        p = row.prob_fake
        expected = "fake" if p >= detector.fake_cutoff_ else "real" if p <= detector.real_cutoff_ else None
        assert row.verdict == (expected or "inconclusive") and (row.reason == UNCERTAIN) == (expected is None)
        if expected is None:
            assert (
                f"cutoffs for real ({detector.real_cutoff_:.3f}) and fake ({detector.fake_cutoff_:.3f})"
                in (row.message)
            )
    # band=0: every item real or fake at the threshold
    off = predict_items(noise_model, images, band=0)
    assert all(r.reason in (None, OUT_OF_DISTRIBUTION) for r in off)
    for row in off:
        if row.reason is None:
            assert row.verdict == ("fake" if row.prob_fake > row.threshold else "real")
    assert [r.prob_fake for r in off] == [r.prob_fake for r in rows]
    assert [r.reason == OUT_OF_DISTRIBUTION for r in off] == [r.reason == OUT_OF_DISTRIBUTION for r in rows]
    wide = predict_items(noise_model, images, band=1)
    assert all(r.reason in (OUT_OF_DISTRIBUTION, UNCERTAIN) for r in wide)
    with pytest.raises(ValueError, match="band"):
        predict_items(noise_model, images, band=-0.1)


def test_an_explicit_band_keeps_the_symmetric_rule(noise_model):
    from facetruth.pipelines import verdict_rules

    loader, _, detector = split_pipeline(noise_model)
    rules = verdict_rules(loader, detector, band=0.2)
    assert not rules.cutoffs and rules.real_cutoff is None and rules.band == 0.2
    t = detector.threshold_
    for p in np.linspace(0, 1, 41):
        verdict = rules.judge(p, {})[0]
        expected = "inconclusive" if abs(p - t) <= 0.2 else ("fake" if p > t else "real")
        assert verdict == expected
    # the model's own rules follow its cutoffs instead
    own = verdict_rules(loader, detector)
    assert own.cutoffs and (own.real_cutoff, own.fake_cutoff) == (
        detector.real_cutoff_,
        detector.fake_cutoff_,
    )


def test_a_detector_saved_before_the_cutoffs_keeps_its_band_with_a_note(noise_model, caplog):
    import copy
    import pickle

    from facetruth.pipelines import verdict_rules

    loader, _, detector = split_pipeline(noise_model)
    old = copy.deepcopy(detector)
    for name in ("fake_cutoff_", "real_cutoff_", "side_coverage_", "side_precision_", "sides_warning_"):
        del old.__dict__[name]
    old.band_ = 0.125  # what the symmetric rule chose
    old = pickle.loads(pickle.dumps(old))
    with caplog.at_level(logging.INFO, logger="facetruth.pipelines._verdicts"):
        rules = verdict_rules(loader, old)
        verdict_rules(loader, old)
    notes = [r for r in caplog.records if "before verdicts had one cutoff per side" in r.getMessage()]
    assert len(notes) == 1 and notes[0].levelno == logging.INFO and "0.125" in notes[0].getMessage()
    assert not rules.cutoffs and rules.band == 0.125 and not rules.legacy
    t = old.threshold_
    assert rules.judge(t + 0.1, {})[:2] == ("inconclusive", UNCERTAIN)
    assert rules.judge(t + 0.13, {})[0] == "fake" and rules.judge(t - 0.13, {})[0] == "real"


def test_cutoff_rules_are_checked():
    with pytest.raises(ValueError, match="together"):
        VerdictRules(threshold=0.5, fake_cutoff=0.8)
    with pytest.raises(ValueError, match="below"):
        VerdictRules(threshold=0.5, real_cutoff=0.8, fake_cutoff=0.8)
    rules = VerdictRules(threshold=0.5, real_cutoff=0.3, fake_cutoff=0.8)
    assert [rules.judge(p, {})[0] for p in (0.3, 0.31, 0.79, 0.8)] == ["real", *["inconclusive"] * 2, "fake"]
    assert rules.judge(0.8, {})[2] == "P(fake) = 0.800, at or above this model's cutoff for fake (0.800)"


def test_old_models_keep_two_way_verdicts_with_a_note(face_model, astronaut, noise_png, caplog, tmp_path):
    import copy

    import facetruth

    old = copy.deepcopy(face_model)
    loader, _, detector = split_pipeline(old)
    del loader.min_face_side_, detector.novelty_  # as saved before these existed
    del detector.fake_cutoff_, detector.real_cutoff_
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
    from facetruth.models._persistence import read_model_card

    card = read_model_card(face_model_file)
    loader, _, detector = split_pipeline(face_model)
    assert card["min_face_side"] == loader.min_face_side_
    assert card["novelty"]["limit"] == pytest.approx(detector.novelty_.limit_)
    assert card["novelty"]["distance"] == "rms_zscore" and "band" not in card
    assert (card["real_cutoff"], card["fake_cutoff"]) == (detector.real_cutoff_, detector.fake_cutoff_)
    assert card["confidence"] == detector.confidence == 0.95


def test_training_learns_the_face_size_limit_and_the_card_records_it(astronaut, tmp_path):
    import facetruth
    from facetruth.data import load_dataset
    from facetruth.models._persistence import read_model_card
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


def test_band_verdicts_name_the_edge_they_passed_without_double_negatives():
    rules = VerdictRules(threshold=0.5, band=0.2)
    verdict, _, message = rules.judge(0.1, {})
    assert verdict == "real" and "below 0.300" in message and "minus the uncertainty band 0.200" in message
    verdict, _, message = rules.judge(0.9, {})
    assert verdict == "fake" and "above 0.700" in message and "plus the uncertainty band" in message
    assert "not above" not in VerdictRules(threshold=0.5, band=0.0).judge(0.2, {})[2]
