"""The upload page read by someone who is no expert: the demo model served, driven by headless Chromium.

At a desktop width and a phone width: the demo banner, the cutoffs and each
verdict's plain sentence are on screen, nothing scrolls sideways, uploads
are grouped under a heading each, contribution bars share one scale, and the
spectrum waits behind a "details" toggle.
"""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SENTENCE = re.compile(r"^(Likely fake|Likely real|Uncertain|No verdict): P\(fake\) \d\.\d\d")
#: how far each side of a contribution bar reaches, per unit (as the page draws them)
SCALE = {"log-odds": 4.0, "probability": 0.5}


@pytest.fixture
def demo_server(demo_model, tmp_path, serving):
    with serving(demo_model, tmp_path) as url:
        yield url


def _overflow(driver):
    """How many CSS pixels the page is wider than its viewport (0 when nothing scrolls sideways)."""
    return driver.execute_script(
        "const d = document.documentElement;"
        "return Math.max(d.scrollWidth, document.body.scrollWidth) - d.clientWidth;"
    )


def _visible_text(driver, selector):
    element = driver.find_element("css selector", selector)
    assert element.is_displayed(), selector
    return element.text


def _upload(driver, paths, batches):
    from selenium.webdriver.support.ui import WebDriverWait

    driver.find_element("id", "files").send_keys("\n".join(str(p) for p in paths))
    wait = WebDriverWait(driver, 120)
    wait.until(lambda d: len(d.find_elements("css selector", ".batch")) == batches)
    wait.until(lambda d: d.find_element("id", "status").text == "Done.")
    # the photos are drawn once decoded; their notes come with them
    wait.until(lambda d: all(n.text for n in d.find_elements("css selector", ".box-note")))


@pytest.mark.parametrize("width", [1280, 390])
def test_the_demo_page_reads_plainly_at_each_width(
    demo_server, demo_model, chromium, as_phone, width, screenshot
):
    browser = chromium("1280,900") if width > 500 else as_phone(chromium("500,844"), width, 844)
    browser.get(demo_server + "/")
    assert browser.execute_script("return window.innerWidth") == width

    banner = _visible_text(browser, "#demo-banner")
    assert banner.startswith("A demo, not a detector.") and "synthetic scenes" in banner
    rules = _visible_text(browser, "#rules")
    assert re.match(r"This model says real below P\(fake\) \d\.\d\d and fake above \d\.\d\d", rules)
    model = _visible_text(browser, "#model")
    assert re.search(r"trained \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\.", model)
    assert not re.search(r"\d{4}-\d\d-\d\dT", model)  # no raw timestamp

    test_images = sorted((demo_model.parent / "data" / "test").rglob("*.png"))
    first, second = test_images[:2], test_images[-1:]
    _upload(browser, first, batches=1)
    _upload(browser, second, batches=2)

    # one heading per upload, newest first; the cutoffs stay on screen after "Done."
    titles = [e.text for e in browser.find_elements("css selector", ".batch-title")]
    assert titles[0].startswith("Upload 2: 1 image") and titles[1].startswith("Upload 1: 2 images")
    assert _visible_text(browser, "#rules") == rules and _visible_text(browser, "#demo-banner") == banner
    names = [
        [e.text for e in b.find_elements("css selector", ".name")]
        for b in browser.find_elements("css selector", ".batch")
    ]
    assert names == [[second[0].name], [p.name for p in first]]

    results = browser.find_elements("css selector", ".result")
    assert len(results) == 3
    for result in results:
        sentence = result.find_element("css selector", ".sentence")
        assert sentence.is_displayed() and SENTENCE.match(sentence.text), sentence.text
        note = result.find_element("css selector", ".box-note").text
        assert note == "Face search is off for this model: the whole image was scored."
        # four feature families, one bar each, on the page's fixed scale
        bars = result.find_elements("css selector", ".bar")
        assert [b.get_attribute("data-family") for b in bars] == ["fft", "dct", "noise", "lbp"]
        for bar in bars:
            value, unit = bar.get_attribute("title").split(": ")[1].split(" ")
            share = min(1.0, abs(float(value)) / SCALE[unit])
            width_style = bar.find_element("css selector", ".fill").get_attribute("style")
            assert float(re.search(r"width: ([\d.]+)%", width_style).group(1)) == pytest.approx(
                50 * share, abs=0.1
            )
        assert "log-odds" not in result.text and "units" not in result.text

    # the spectrum waits behind a toggle, with axes named in plain words
    details = results[0].find_element("css selector", "details.spectrum-details")
    svg = details.find_element("css selector", ".spectrum svg")
    assert not svg.is_displayed()
    details.find_element("css selector", "summary").click()
    assert svg.is_displayed()
    labels = [t.text for t in svg.find_elements("css selector", "text")]
    assert "size of detail \u2192" in labels and "strength \u2192" in labels
    page_text = browser.find_element("tag name", "body").text.lower()
    for jargon in ("azimuthal", "nyquist", "units:", "log-odds", "by more than"):
        assert jargon not in page_text, jargon

    assert _overflow(browser) <= 0
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot(browser, f"web_demo_{width}px.png")
    results[0].location_once_scrolled_into_view  # noqa: B018 - scrolls the newest verdict into view
    screenshot(browser, f"web_demo_{width}px_results.png")
