"""Fixtures of the report tests: three small sources for a leave-one-source-out run, and a phone."""

import pytest

from facetruth.data import concat_datasets, load_dataset, make_demo_dataset


@pytest.fixture(scope="module")
def three_sources(tmp_path_factory):
    """Demo sets of 8 images (4 real, 4 fake) named gan, blend and swap, seeded 0, 1, 2, joined."""
    root = tmp_path_factory.mktemp("sources")
    names = ("gan", "blend", "swap")
    for i, name in enumerate(names):
        make_demo_dataset(8, size=32, out=root / name, random_state=i)
    return concat_datasets([load_dataset(root / name) for name in names])


@pytest.fixture
def phone(chromium):
    """A headless Chromium with a phone's 390 x 844 px screen.

    Headless Chromium keeps its window at least 500 px wide whatever
    ``--window-size`` asks, so the screen is emulated through the DevTools
    protocol; ``window.innerWidth`` is then 390.
    """
    driver = chromium("390,844")
    metrics = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    return driver
