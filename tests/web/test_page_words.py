"""The page's words: plain verdict sentences, cutoffs for every kind of model, the demo banner, dates."""

import io
import json
import re

import pytest

from facetruth.web import create_app
from facetruth.web._card import readable_date
from facetruth.web._wording import Cutoffs, family_words, verdict_sentence

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

SENTENCE_START = re.compile(r"^(Likely fake|Likely real|Uncertain): P\(fake\) \d\.\d\d")


def _row(verdict, prob, reason=None):
    return {"verdict": verdict, "prob_fake": prob, "reason": reason, "error": None}


def test_each_verdict_is_one_plain_sentence_with_its_cutoff():
    cutoffs = Cutoffs(real=0.2, fake=0.81)
    assert (
        verdict_sentence(_row("fake", 0.95), cutoffs)
        == "Likely fake: P(fake) 0.95; this model says fake above 0.81."
    )
    assert (
        verdict_sentence(_row("real", 0.05), cutoffs)
        == "Likely real: P(fake) 0.05; this model says real below 0.20."
    )
    assert verdict_sentence(_row("inconclusive", 0.5, "uncertain"), cutoffs) == (
        "Uncertain: P(fake) 0.50 lies between 0.20 and 0.81, where this model makes no call."
    )
    for reason, words in (
        ("no_face", "no face was found"),
        ("face_too_small", "the face is smaller"),
        ("out_of_distribution", "this image is unlike the images"),
    ):
        assert verdict_sentence(_row("inconclusive", 0.4, reason), cutoffs).startswith(f"No verdict: {words}")
    failed = {"verdict": None, "prob_fake": None, "reason": "unreadable", "error": "empty file"}
    assert verdict_sentence(failed, cutoffs) is None


def test_a_probability_next_to_its_cutoff_gets_the_decimals_that_tell_them_apart():
    cutoffs = Cutoffs(real=0.2, fake=0.81)
    assert verdict_sentence(_row("fake", 0.812), cutoffs) == (
        "Likely fake: P(fake) 0.812; this model says fake above 0.810."
    )
    assert Cutoffs(real=0.101, fake=0.104).sentence().startswith("This model says real below P(fake) 0.101")


@pytest.mark.parametrize(
    ("threshold", "band", "expected"),
    [(0.558, 0.445, (0.113, 1.0)), (0.3, 0.5, (0.0, 0.8)), (0.5, 0.1, (0.4, 0.6)), (0.5, None, (0.5, 0.5))],
)
def test_a_symmetric_band_reads_as_two_cutoffs_clipped_to_zero_and_one(threshold, band, expected):
    cutoffs = Cutoffs.of(threshold=threshold, band=band)
    assert (cutoffs.real, cutoffs.fake) == pytest.approx(expected)
    sentence = verdict_sentence(_row("real", 0.05), cutoffs)
    assert "not above" not in sentence and "by more than" not in sentence


def test_without_a_band_the_threshold_alone_decides_and_the_page_says_so():
    text = Cutoffs.of(threshold=0.5, band=0).sentence()
    assert text.startswith("This model says fake above P(fake) 0.50 and real at or below it")


def test_dates_read_like_dates():
    assert readable_date("2026-12-07T09:12:15+00:00") == "7 Dec 2026"
    assert readable_date("2025-01-31") == "31 Jan 2025"
    assert readable_date("") is None and readable_date(None) is None


def test_feature_families_get_plain_names():
    words = family_words(["fft", "dct", "noise", "lbp", "cnn", "clip", "other"])
    assert words["fft"] == "frequency pattern" and words["other"] == "other"
    assert all(words[name] != name for name in ("fft", "dct", "noise", "lbp", "cnn", "clip"))


def _visible(html):
    """The page's text outside tags, templates and scripts."""
    html = re.sub(r"<(template|script)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_states_cutoffs_and_a_readable_date_and_no_jargon(client, tiny_model):
    from facetruth.models._persistence import read_model_card

    card = read_model_card(tiny_model)
    page = client.get("/").get_data(as_text=True)
    text = _visible(page)
    assert f"This model says real below P(fake) {card['real_cutoff']:.2f}" in text
    assert f"trained {readable_date(card['created'])}" in text and card["created"] not in text
    assert "frequency pattern, JPEG-block pattern" in text  # the families, in plain words
    assert 'id="demo-banner"' not in page  # a model of its own, not the demo
    for jargon in ("azimuthal", "Nyquist", "units:", "threshold"):
        assert jargon not in page, jargon
    summary = client.get("/api/v1/model/summary").get_json()
    assert summary["demo"] is False and summary["trained"] == readable_date(card["created"])
    assert client.get("/healthz").get_json()["demo"] is False


def test_rows_carry_their_sentence(client, tiny_set):
    paths = [tiny_set / "fake" / "f00.png", tiny_set / "real" / "r00.png"]
    files = [(io.BytesIO(p.read_bytes()), p.name) for p in paths] + [(io.BytesIO(b"junk"), "junk.png")]
    rows = client.post("/api/v1/predict", data={"files": files}).get_json()["results"]
    assert rows[0]["sentence"].startswith("Likely fake: P(fake) ")
    assert rows[1]["sentence"].startswith("Likely real: P(fake) ")
    assert rows[2]["sentence"] is None and list(rows[2]) == list(rows[0])


@pytest.fixture(scope="module")
def marked_demo(tiny_model, tmp_path_factory):
    """``tiny_model`` with a card that marks it a demo, as ``facetruth demo`` writes it."""
    folder = tmp_path_factory.mktemp("marked_demo")
    model = folder / tiny_model.name
    model.write_bytes(tiny_model.read_bytes())
    card = json.loads((tiny_model.parent / f"{tiny_model.name}.json").read_text())
    (folder / f"{tiny_model.name}.json").write_text(json.dumps({**card, "demo": True}))
    return model


def test_a_demo_model_gets_a_banner_and_says_so_in_the_api(marked_demo):
    client = create_app({"FACETRUTH_MODEL": marked_demo}).test_client()
    page = client.get("/").get_data(as_text=True)
    banner = re.search(r'<aside id="demo-banner"[^>]*>(.*?)</aside>', page, flags=re.S)
    assert banner and "A demo, not a detector." in banner.group(1)
    assert "mean nothing about real photos" in _visible(banner.group(1))
    assert client.get("/healthz").get_json()["demo"] is True
    assert client.get("/api/v1/model/summary").get_json()["demo"] is True
    assert client.get("/api/v1/model").get_json()["demo"] is True


def test_the_page_script_names_face_search_honestly(client):
    script = client.get("/static/app.js").get_data(as_text=True)
    assert "Face search is off for this model" in script
    # "No face found" only where a face search ran
    assert script.count("No face found") == 1 and 'row.face_method === "off" || !faceSearch' in script


def test_a_model_saved_with_a_symmetric_band_reads_with_the_same_sentences(tiny_model, tiny_set):
    import facetruth
    from facetruth.web import DetectorService

    model = facetruth.load(tiny_model)
    detector = model[-1]
    del (
        detector.real_cutoff_,
        detector.fake_cutoff_,
    )  # as saved before the cutoffs: a band around the threshold
    detector.band_ = 0.3
    service = DetectorService.__new__(DetectorService)
    service.model_path, service.pipeline, service.card, service.drift = str(tiny_model), model, {}, None
    service._setup(40_000_000, None, None)
    threshold = detector.threshold_
    assert (service.cutoffs.real, service.cutoffs.fake) == pytest.approx(
        (max(0.0, threshold - 0.3), min(1.0, threshold + 0.3)), abs=1e-6
    )
    paths = [tiny_set / "fake" / "f00.png", tiny_set / "real" / "r00.png"]
    rows = service.predict([(p.name, p.read_bytes()) for p in paths])
    for row in rows:
        assert SENTENCE_START.match(row["sentence"]), row["sentence"]
        assert "not above" not in row["sentence"] and "by more than" not in row["sentence"]
        assert "No face found" not in row["message"]  # face search is off: no face was looked for
