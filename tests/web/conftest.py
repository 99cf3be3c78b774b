"""Models for the web tests (tiny detectors trained once per session on ``tiny_set``) and the app on one."""

import numpy as np
import pytest


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
