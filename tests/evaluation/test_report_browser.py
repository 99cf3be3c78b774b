"""Open the HTML report in headless Chromium and check that every image rendered."""

import json
import shutil
from pathlib import Path

import pytest

from facetruth.data import load_dataset
from facetruth.evaluation import make_detector, run_experiment, write_report
from facetruth.pipelines import build_features, build_loader

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture
def driver(chromium):
    return chromium("1280,2400")


def test_report_images_render_in_chromium(tiny_set, tmp_path, driver):
    estimators = build_loader("off", 48), build_features("fft,dct"), make_detector(device="cpu")
    results = run_experiment(load_dataset(tiny_set), *estimators, ["fft", "dct", "spectral"], n_splits=3)
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
