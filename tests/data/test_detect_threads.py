"""Face detection from many threads at once (the web server scores requests in threads)."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from facetruth.data import detect_face
from facetruth.data._detectors import backend_available, dlib_models, haar_cascade


@pytest.mark.parametrize("method", ["dlib", "haar", "lbp"])
def test_concurrent_detection_matches_sequential(hardfake_dir, method):
    if not backend_available(method):
        pytest.skip(f"the {method} backend is not installed here")
    paths = sorted((hardfake_dir / "real").iterdir())[:6] + sorted((hardfake_dir / "fake").iterdir())[:6]
    images = [np.asarray(Image.open(p).convert("RGB")) for p in paths] * 4

    def boxes(image):
        found = detect_face(image, method=method)
        return None if found is None else found.box

    expected = [boxes(img) for img in images]
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(boxes, images)) == expected


def test_each_thread_gets_its_own_detector():
    if not backend_available("haar"):
        pytest.skip("this OpenCV has no Haar cascade")
    with ThreadPoolExecutor(2) as pool:
        a, b = pool.map(lambda _: (id(haar_cascade()), id(haar_cascade())), range(2))
    assert a[0] == a[1] and b[0] == b[1]  # cached within a thread
    main = (id(dlib_models()[0]), id(dlib_models()[1]))
    other = next(iter(ThreadPoolExecutor(1).map(lambda _: (id(dlib_models()[0]), id(dlib_models()[1])), [0])))
    assert main[0] != other[0] and main[1] == other[1]  # own detector, shared landmark model
