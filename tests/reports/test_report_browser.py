"""Open the HTML report in headless Chromium: every image renders, and the comparison fits a laptop and a phone."""

import json
import shutil
from pathlib import Path

import pytest

from facetruth.data import load_dataset
from facetruth.evaluation import make_detector, run_experiment
from facetruth.pipelines import build_features, build_loader
from facetruth.reports import write_report

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser

#: the first table after the heading of the cross-validated comparison: its box, its scroll box,
#: the page's width and the box of its ROC-AUC header cell
_MAIN_TABLE = """
const heading = Array.from(document.querySelectorAll('h2'))
  .find(h => h.textContent.startsWith('Cross-validated comparison'));
const box = heading.nextElementSibling;
const table = box.querySelector('table');
const auc = Array.from(table.querySelectorAll('th')).find(th => th.textContent === 'ROC-AUC');
const rect = e => { const r = e.getBoundingClientRect(); return [r.left, r.right]; };
return {
  box: rect(box), table: rect(table), tableWidth: table.scrollWidth, boxWidth: box.clientWidth,
  auc: rect(auc), window: window.innerWidth, page: document.documentElement.scrollWidth,
  headers: Array.from(table.querySelectorAll('th')).map(th => th.textContent),
};
"""


@pytest.fixture(scope="module")
def report(tiny_set, tmp_path_factory):
    """An experiment's report.html on the tiny set, three feature sets and the shortcut audit."""
    estimators = build_loader("off", 48), build_features("fft,dct"), make_detector(device="cpu")
    results = run_experiment(load_dataset(tiny_set), *estimators, ["fft", "dct", "spectral"], n_splits=3)
    json.dumps(results)
    run = tmp_path_factory.mktemp("run")
    write_report(results, run)
    return run / "report.html", results


def test_report_images_render_in_chromium(report, tmp_path, chromium):
    page, results = report
    # the page must not depend on its folder: open a lone copy
    alone = tmp_path / "alone" / "report.html"
    alone.parent.mkdir()
    shutil.copy(page, alone)
    driver = chromium("1280,2400")
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


def test_the_main_table_fits_a_1280_pixel_window(report, chromium):
    driver = chromium("1280,1000")
    driver.get(report[0].as_uri())
    main = driver.execute_script(_MAIN_TABLE)
    assert main["headers"][:3] == ["feature set", "ROC-AUC", "accuracy"]
    assert main["tableWidth"] <= main["boxWidth"], "the main table scrolls sideways at 1280 px"
    assert main["table"][1] <= main["box"][1] <= main["window"]
    assert main["page"] <= main["window"]
    ARTIFACTS.mkdir(exist_ok=True)
    assert driver.save_screenshot(str(ARTIFACTS / "report_html_1280px.png"))


def test_roc_auc_is_in_view_on_a_390_pixel_phone(report, phone):
    phone.get(report[0].as_uri())
    main = phone.execute_script(_MAIN_TABLE)
    assert main["window"] == 390
    assert main["page"] <= main["window"], "the page scrolls sideways on a phone"
    left, right = main["auc"]
    assert 0 <= left < right <= main["window"], "ROC-AUC is off screen without scrolling"
    ARTIFACTS.mkdir(exist_ok=True)
    assert phone.save_screenshot(str(ARTIFACTS / "report_html_390px.png"))
