"""Open the HTML report in headless Chromium and check that every image rendered."""

import json
import shutil
import socket
from pathlib import Path

import pytest

from facetruth.data import load_dataset
from facetruth.evaluation import run_experiment, write_report

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = pytest.mark.browser


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def driver(tmp_path):
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip("headless Chromium not installed (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,2400",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(arg)
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER), port=_free_port())
    drv = webdriver.Chrome(options=options, service=service)
    yield drv
    drv.quit()


def test_report_images_render_in_chromium(tiny_set, tmp_path, driver):
    results = run_experiment(
        load_dataset(tiny_set),
        ["fft", "dct", "spectral"],
        n_splits=3,
        face="off",
        image_size=48,
        device="cpu",
    )
    json.dumps(results)
    write_report(results, tmp_path / "run")
    report = tmp_path / "run" / "report.html"
    # the page must not depend on its folder: open a lone copy
    alone = tmp_path / "alone" / "report.html"
    alone.parent.mkdir()
    shutil.copy(report, alone)
    driver.get(alone.as_uri())
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight]);"
    )
    assert len(images) >= 6 + len(results["errors"])
    for alt, complete, width, height in images:
        assert complete and width > 0 and height > 0, f"image {alt!r} did not render"
    assert driver.title.startswith("FaceTruth experiment")
    headings = driver.execute_script(
        "return Array.from(document.querySelectorAll('h2')).map(h => h.textContent);"
    )
    assert any("Cross-validated comparison" in h for h in headings)
    ARTIFACTS.mkdir(exist_ok=True)
    assert driver.save_screenshot(str(ARTIFACTS / "report_html.png"))
