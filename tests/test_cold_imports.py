"""A cold process imports only what the saved model needs (checked in fresh interpreters)."""

import json
import os
import subprocess
import sys
import threading

import numpy as np

from facetruth.data import _detectors, detect_face

HEAVY = ("torch", "xgboost", "timm", "dlib", "onnxruntime", "skimage")


def _imported_after(code, env=None):
    """The modules of ``HEAVY`` that ``code`` leaves imported in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_package_import_loads_no_heavy_module():
    assert _imported_after("import facetruth, facetruth.data, facetruth.features, facetruth.models") == []


def test_subpackages_load_their_names_lazily():
    # the __init__.pyi stubs are read, not imported: no private module runs, OpenCV included
    code = (
        "import sys, facetruth.data, facetruth.features, facetruth.models, facetruth.pipelines\n"
        "import facetruth.evaluation, facetruth.web\n"
        "assert 'cv2' not in sys.modules, 'cv2'\n"
        "assert not [m for m in sys.modules if m.startswith('facetruth.') and m.count('.') == 2], sys.modules\n"
        "facetruth.data.read_image\n"
        "assert 'facetruth.data._image' in sys.modules"
    )
    assert _imported_after(code) == []


def test_auto_device_without_a_gpu_runtime_does_not_import_torch():
    code = "from facetruth.features import resolve_device\nassert resolve_device('auto') == 'cpu'"
    assert "torch" not in _imported_after(code, env={"CUDA_VISIBLE_DEVICES": "-1"})


def test_predicting_with_a_face_off_linear_model_imports_no_network_no_detector(tmp_path):
    import facetruth

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 40, 40, 3), dtype=np.uint8)
    model = facetruth.build_pipeline("fft", "logistic", face="off", image_size=32, cv=2)
    model.fit(images, [0, 1] * 3)
    path = tmp_path / "model.joblib"
    facetruth.save(model, path)
    np.save(tmp_path / "x.npy", images[:2])
    code = (
        "import numpy as np, facetruth\n"
        f"model = facetruth.load({str(path)!r})\n"
        f"rows = facetruth.predict_items(model, list(np.load({str(tmp_path / 'x.npy')!r})))\n"
        "assert all(r.error is None for r in rows)"
    )
    assert _imported_after(code) == []


def test_auto_detection_loads_no_cascade_when_dlib_finds_the_face():
    from skimage.data import astronaut

    image, result = astronaut(), {}

    def detect():  # detectors are cached per thread: a new thread starts with none
        result["found"] = detect_face(image, method="auto", landmarks=False)
        result["loaded"] = set(_detectors._THREAD.models)

    thread = threading.Thread(target=detect)
    thread.start()
    thread.join()
    assert result["found"].method == "dlib" and result["found"].landmarks is None
    assert result["loaded"] == {"dlib_detector"}


def test_an_unaligned_crop_does_not_load_the_landmark_model():
    code = (
        "from skimage.data import astronaut\n"
        "from facetruth.data import crop_face, _detectors\n"
        "crop, info = crop_face(astronaut(), size=64)\n"
        "assert info['method'] == 'dlib' and info['landmarks'] is None\n"
        "assert _detectors._shape_predictor.cache_info().currsize == 0\n"
        "crop, info = crop_face(astronaut(), size=64, align='eyes')\n"
        "assert len(info['landmarks']) == 68 and info['aligned'] == 'eyes'"
    )
    assert "torch" not in _imported_after(code)


def test_python_dash_m_runs_the_command_line():
    out = subprocess.run(
        [sys.executable, "-m", "facetruth", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("facetruth ")
