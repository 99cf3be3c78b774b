"""Models for the web tests (tiny detectors trained once per session on ``tiny_set``, the demo model),
the app on one, and ``facetruth serve`` in a subprocess for the browser tests."""

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def _train(root, out, classifier):
    import facetruth
    from facetruth.data import load_dataset
    from facetruth.models._explain import training_summary
    from facetruth.pipelines import build_pipeline, train_detector
    from facetruth.pipelines._train import dataset_items, load_images

    dataset = load_dataset(root)
    result = train_detector(build_pipeline("fft,dct", classifier, "off", cv=3), dataset)
    loaded = load_images(result.pipeline, dataset_items(dataset))
    labels = np.asarray(dataset.labels)[loaded.ok]
    feats = result.pipeline.named_steps["features"].transform(loaded.images)
    result.metadata["training_summary"] = training_summary(
        result.pipeline, loaded.images, labels, features=feats
    )
    facetruth.save(result.pipeline, out, metadata=result.metadata)
    return out


@pytest.fixture(scope="session")
def tiny_model(tiny_set, tmp_path_factory):
    """An XGBoost detector on fft+dct, no face cropping, with a training summary."""
    return _train(tiny_set, tmp_path_factory.mktemp("model") / "tiny.joblib", "xgboost")


@pytest.fixture(scope="session")
def tiny_logistic_model(tiny_set, tmp_path_factory):
    """A logistic-regression detector on fft+dct (explained by occlusion)."""
    return _train(tiny_set, tmp_path_factory.mktemp("model_lr") / "tiny_lr.joblib", "logistic")


@pytest.fixture(scope="session")
def demo_model(tmp_path_factory):
    """The model of ``facetruth demo`` (default features, 48 training images): its card marks a demo."""
    from facetruth.cli import main

    out = tmp_path_factory.mktemp("demo") / "demo"
    assert main(["demo", "--out", str(out), "--n", "48"]) == 0
    return out / "model.joblib"


@pytest.fixture(scope="module")
def app_config():
    """Settings a test module adds to :func:`app`'s ``create_app`` config; override it there."""
    return {}


@pytest.fixture(scope="module")
def app(tiny_model, app_config):
    """The web app on ``tiny_model``, once per test module, with the module's :func:`app_config`."""
    from facetruth.web import create_app

    return create_app({"FACETRUTH_MODEL": tiny_model, **app_config})


@pytest.fixture
def client(app):
    """A Flask test client of :func:`app`."""
    return app.test_client()


def _as_phone(driver, width=390, height=844):
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True},
    )
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    return driver


@pytest.fixture
def as_phone():
    """``as_phone(driver, width=390, height=844)``: make a Chromium driver a touch phone.

    The viewport becomes ``width`` x ``height`` CSS pixels with touch input.
    Headless Chromium windows are at least 500 px wide, so the viewport is
    set through the DevTools protocol (as its device toolbar does).
    """
    return _as_phone


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url, server, deadline_s=60):
    for _ in range(int(deadline_s * 4)):
        if server.poll() is not None:
            raise RuntimeError(f"facetruth serve exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                return json.load(response)
        except OSError:
            time.sleep(0.25)
    raise RuntimeError("facetruth serve did not become healthy")


@contextlib.contextmanager
def _serving(model, folder):
    """``facetruth serve MODEL`` on a free port, run in ``folder``; its log must hold no traceback."""
    port = _free_port()
    log = open(folder / "server.log", "w+")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "facetruth.cli", "serve", str(model), "--port", str(port)],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.seek(0)
        text = log.read()
        log.close()
        assert "Traceback" not in text, text


@pytest.fixture
def serving():
    """``with serving(model, folder) as url``: ``facetruth serve MODEL`` on a free port (see :func:`_serving`)."""
    return _serving


def save_screenshot(driver, name):
    """Save the driver's screen as ``test-artifacts/NAME`` (for people to look at; asserts it was written)."""
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    assert driver.save_screenshot(str(artifacts / name))


@pytest.fixture
def screenshot():
    """``screenshot(driver, name)``: save the screen under ``test-artifacts/``."""
    return save_screenshot
