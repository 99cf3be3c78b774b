"""Training says, in one line, when a side of the verdicts covers under half of its class."""

import logging

import numpy as np

from facetruth.data import Dataset, load_dataset
from facetruth.pipelines import build_pipeline, train_detector

_TRAIN_LOGGER = "facetruth.pipelines._train"


def _sides_warnings(caplog):
    return [r for r in caplog.records if r.name == _TRAIN_LOGGER and r.levelno == logging.WARNING]


def test_training_warns_once_when_a_side_covers_under_half_its_class(tiny_set, caplog):
    data = load_dataset(tiny_set)
    labels = np.random.default_rng(0).permutation(data.labels)  # labels of noise: few confident verdicts
    noisy = Dataset(data.paths, labels, groups=data.groups, sources=data.sources)
    pipe = build_pipeline("fft", "logistic", face="off", image_size=32, cv=3)
    with caplog.at_level(logging.WARNING, logger=_TRAIN_LOGGER):
        result = train_detector(pipe, noisy)
    detector = result.pipeline[-1]
    weak = [side for side, share in detector.side_coverage_.items() if share < 0.5]
    assert weak  # the premise: a side covers under half its class out of fold
    (record,) = _sides_warnings(caplog)
    message = record.getMessage()
    assert "\n" not in message and message == detector.sides_warning_
    assert all(f"of the {side}s score" in message for side in weak)
    assert "more data" in message and "another feature set" in message and "--confidence" in message


def test_training_on_separable_classes_does_not_warn(tiny_set, caplog):
    pipe = build_pipeline("fft", "logistic", face="off", image_size=32, cv=3, confidence=0.9)
    with caplog.at_level(logging.WARNING, logger=_TRAIN_LOGGER):
        result = train_detector(pipe, load_dataset(tiny_set))
    detector = result.pipeline[-1]
    assert detector.confidence == 0.9 and min(detector.side_coverage_.values()) >= 0.5
    assert detector.sides_warning_ is None and not _sides_warnings(caplog)
