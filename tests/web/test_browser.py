"""End-to-end: ``facetruth serve`` in a subprocess, driven by headless Chromium."""

import json
import urllib.request
import uuid

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.shared_data, pytest.mark.slow]


def _api_label(url, path):
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        url + "/api/v1/predict",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["results"][0]


@pytest.fixture
def server(tiny_model, tmp_path, serving):
    with serving(tiny_model, tmp_path) as url:
        yield url


@pytest.fixture
def face_server(face_model_file, tmp_path, serving):
    with serving(face_model_file, tmp_path) as url:
        yield url


@pytest.fixture
def browser(chromium):
    return chromium("1280,1000")


def test_upload_shows_the_verdict(server, browser, hardfake_dir, screenshot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    image = sorted((hardfake_dir / "fake").iterdir())[0]
    expected = _api_label(server, image)
    assert expected["error"] is None

    browser.get(server + "/")
    browser.find_element(By.ID, "files").send_keys(str(image))
    wait = WebDriverWait(browser, 60)
    verdict = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".result .verdict")))
    wait.until(lambda d: d.find_element(By.ID, "status").text == "Done.")

    assert verdict.text == expected["label"].upper()
    assert browser.find_element(By.CSS_SELECTOR, ".result .name").text == image.name
    sentence = browser.find_element(By.CSS_SELECTOR, ".result .sentence").text
    assert sentence == expected["sentence"] and f"P(fake) {expected['prob_fake']:.2f}" in sentence
    families = [e.get_attribute("data-family") for e in browser.find_elements(By.CSS_SELECTOR, ".bar")]
    assert families == ["fft", "dct"]
    assert len(browser.find_elements(By.CSS_SELECTOR, ".spectrum svg polyline")) == 3
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    screenshot(browser, "web_upload.png")


def test_an_inconclusive_verdict_is_grey_and_says_why(face_server, browser, noise_png, tmp_path, screenshot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    image = tmp_path / "noise.png"
    image.write_bytes(noise_png)
    browser.get(face_server + "/")
    browser.find_element(By.ID, "files").send_keys(str(image))
    wait = WebDriverWait(browser, 60)
    verdict = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".result .verdict")))
    wait.until(lambda d: d.find_element(By.ID, "status").text == "Done.")
    assert verdict.text == "INCONCLUSIVE" and "inconclusive" in verdict.get_attribute("class").split()
    assert verdict.value_of_css_property("color") == "rgba(102, 102, 102, 1)"  # --muted, not red or green
    sentence = browser.find_element(By.CSS_SELECTOR, ".result .sentence").text
    assert sentence.startswith("No verdict: no face was found")
    message = browser.find_element(By.CSS_SELECTOR, ".result .message").text
    assert message.startswith("No face found")  # the server's sentence, with its numbers
    note = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".result .box-note").text)
    assert note == "No face found: the whole image was scored."  # face search was on; a square image
    # one feature family (fft): no contribution bars
    assert browser.find_elements(By.CSS_SELECTOR, ".result .why") == []
    screenshot(browser, "web_inconclusive.png")


def _viewport(driver, selector):
    """``[top, bottom]`` of the first ``selector`` element, the viewport's size and the scroll offset."""
    return driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return {top: r.top, bottom: r.bottom, width: window.innerWidth, height: window.innerHeight,"
        " scroll: window.scrollY};",
        selector,
    )


@pytest.mark.parametrize(
    ("width", "height"), [(1280, 800), (390, 664)]
)  # 664: a 390x844 phone less its browser bars
def test_the_verdict_shows_on_the_first_screen(
    server, chromium, as_phone, hardfake_dir, width, height, screenshot
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser = chromium(f"{max(width, 500)},{height}")
    phone = width < 500
    if phone:
        as_phone(browser, width, height)
    browser.get(server + "/")
    geometry = _viewport(browser, "#drop")
    assert geometry["width"] == width and geometry["height"] <= height  # the window's bars take some
    drop = browser.find_element(By.ID, "drop").text
    if phone:  # a touch screen: no dragging, and one way to choose files
        assert "drag" not in drop.lower() and "Tap to choose" in drop
    else:
        assert "Drag and drop" in drop and "Tap" not in drop
    assert not browser.find_element(By.ID, "files").is_displayed()  # no second "Choose Files" button

    image = sorted((hardfake_dir / "real").iterdir())[0]
    browser.find_element(By.ID, "files").send_keys(str(image))
    WebDriverWait(browser, 60).until(lambda d: d.find_element(By.ID, "status").text == "Done.")
    verdict = _viewport(browser, ".result .verdict")
    assert verdict["scroll"] == 0
    assert 0 <= verdict["top"] and verdict["bottom"] <= verdict["height"], verdict
    assert browser.find_element(By.CSS_SELECTOR, ".result .verdict").text in {"REAL", "FAKE", "INCONCLUSIVE"}
    screenshot(browser, f"web_{width}px.png")


def test_a_junk_upload_shows_a_clean_error_card(server, chromium, as_phone, tmp_path, screenshot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser = as_phone(chromium("500,844"))
    junk = tmp_path / "notes.jpg"
    junk.write_text("these are notes, not a photo")
    browser.get(server + "/")
    browser.find_element(By.ID, "files").send_keys(str(junk))
    status = WebDriverWait(browser, 60).until(
        lambda d: (
            d.find_element(By.ID, "status")
            if d.find_element(By.ID, "status").text.startswith("Error")
            else None
        )
    )
    assert "no image could be read" in status.text
    assert "error" in status.get_attribute("class").split()
    assert status.value_of_css_property("color") != "rgba(102, 102, 102, 1)"  # not the grey of success
    card = browser.find_element(By.CSS_SELECTOR, ".result")
    assert "failed" in card.get_attribute("class").split()
    assert card.find_element(By.CSS_SELECTOR, ".verdict").text == "Could not read this file"
    assert "not a supported image" in card.find_element(By.CSS_SELECTOR, ".error").text
    for absent in ("h4", ".why", ".box-note", "canvas", ".spectrum", "details", ".sentence", ".message"):
        assert card.find_elements(By.CSS_SELECTOR, absent) == [], absent
    screenshot(browser, "web_junk_390px.png")
