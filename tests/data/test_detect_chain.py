"""Which face detectors ``method="auto"``, a chain tuple and ``ImageLoader(fallback=...)`` run."""

import pickle

import numpy as np
import pytest

from facetruth.data import _landmarks as lm
from facetruth.data import crop_face, detect_face
from facetruth.pipelines import ImageLoader
from facetruth.pipelines._loader import check_fallback

NONE = np.zeros((0, 4), np.int64)


@pytest.fixture
def recorded(monkeypatch):
    """Replace every backend by one that records its call; ``finds`` names the one that finds a face."""
    calls, finds = [], set()

    def backend(name):
        def detect(grey, upsample=0):
            calls.append(name)
            return np.array([[4, 4, 40, 40]]) if name in finds else NONE

        return detect

    for name in lm._DETECTORS:
        monkeypatch.setitem(lm._DETECTORS, name, backend(name))
    monkeypatch.setattr(lm, "backend_available", lambda name: True)
    return calls, finds


def _image():
    return np.zeros((64, 64, 3), np.uint8)  # small: one copy searched per backend


def test_auto_tries_dlib_then_haar_and_never_the_lbp_cascade(recorded):
    calls, _ = recorded
    assert detect_face(_image(), method="auto", landmarks=False) is None
    assert calls == ["dlib", "haar"] == list(lm.AUTO_CHAIN)


def test_a_chain_runs_in_its_order_and_stops_at_the_first_face(recorded):
    calls, finds = recorded
    finds.add("lbp")
    found = detect_face(_image(), method=("lbp", "dlib"), landmarks=False)
    assert calls == ["lbp"] and found.method == "lbp"
    calls.clear()
    assert detect_face(_image(), method=("dlib", "haar", "lbp"), landmarks=False).method == "lbp"
    assert calls == ["dlib", "haar", "lbp"]


def test_a_chain_skips_backends_not_installed(recorded, monkeypatch):
    calls, _ = recorded
    monkeypatch.setattr(lm, "backend_available", lambda name: name != "haar")
    detect_face(_image(), method=("dlib", "haar", "lbp"), landmarks=False)
    assert calls == ["dlib", "lbp"]


@pytest.mark.parametrize("bad", [(), ("dlib", "dlib"), ("dlib", "mtcnn"), "dlib,haar", ("off",), None])
def test_bad_chains_are_refused_everywhere(bad):
    image = _image()
    with pytest.raises(ValueError, match="method must be one of"):
        detect_face(image, method=bad)
    with pytest.raises(ValueError, match="method must be one of"):
        crop_face(image, method=bad)


def test_crop_face_passes_a_chain_on(recorded):
    calls, finds = recorded
    finds.add("haar")
    crop, info = crop_face(_image(), size=32, method=("lbp", "haar"))
    assert calls == ["lbp", "haar"] and info["method"] == "haar" and info["face_found"]


@pytest.mark.parametrize(
    "fallback, chain",
    [(("haar",), ["dlib", "haar"]), ((), ["dlib"]), (["lbp", "haar"], ["dlib", "lbp", "haar"])],
)
def test_loader_runs_dlib_then_its_fallback(recorded, fallback, chain):
    calls, _ = recorded
    infos = ImageLoader(fallback=fallback, image_size=32).load([_image()]).infos
    assert calls == chain and infos[0]["method"] == "centre"


def test_fallback_is_validated_and_only_keys_auto_crops():
    assert check_fallback(["lbp"]) == ["lbp"]
    for bad in ("haar", ("dlib",), ("haar", "haar"), ("mtcnn",), None):
        with pytest.raises(ValueError, match="fallback must be"):
            ImageLoader(fallback=bad).fit()
    assert ImageLoader()._params()["chain"] == ["dlib", "haar"]
    assert ImageLoader(fallback=())._params() != ImageLoader()._params()
    for face in ("off", "dlib", "haar", "lbp"):  # their crops, and so their cache keys, do not change
        assert "chain" not in ImageLoader(face=face)._params()


def test_a_loader_pickled_before_keeps_the_lbp_cascade():
    state = ImageLoader().__getstate__()
    del state["fallback"]
    old = ImageLoader.__new__(ImageLoader)
    old.__setstate__(state)
    assert old.get_params()["fallback"] == ("haar", "lbp")
    assert old._params()["chain"] == ["dlib", "haar", "lbp"]
    assert pickle.loads(pickle.dumps(ImageLoader(fallback=()))).fallback == ()
