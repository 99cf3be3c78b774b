"""Fixtures of the report tests: a phone-sized browser (``three_sources`` is in tests/conftest.py)."""

import pytest


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
