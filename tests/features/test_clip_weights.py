"""The float32 CLIP weights file: written once to the cache folder, checked, rewritten when changed."""

import hashlib
import logging
import subprocess
import sys

import numpy as np
import pytest

from facetruth.exceptions import ModelIntegrityError
from facetruth.features import _clip_onnx, clip_embedding, clip_preprocess, load_clip_encoder
from facetruth.features._clip_weights import (
    FLOAT_WEIGHTS_FILE,
    FLOAT_WEIGHTS_SHA256,
    _import_onnx,
    cached_file,
    clip_cache_dir,
    read_clip_weights,
)


def _images():
    rng = np.random.default_rng(3)
    return [
        rng.integers(0, 256, (96, 80, 3), dtype=np.uint8),
        rng.integers(0, 256, (60, 120, 3), dtype=np.uint8),
    ]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("FACETRUTH_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def reference(weights):
    """Features of the float32 graph with its weights inside it, the way it was built before the file."""
    import onnxruntime as ort

    model = _import_onnx().load_from_string(read_clip_weights())
    _clip_onnx.with_cls_outputs(model, (4,))
    _clip_onnx.float_weights(model)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    del model
    names = ["image_embeds", _clip_onnx.CLS_OUTPUT.format(4)]
    return session.run(names, {"pixel_values": clip_preprocess(_images())})


def _features(blocks=(4,)):
    encoder = load_clip_encoder("cpu", blocks=blocks, n_threads=1)
    return encoder(clip_preprocess(_images()), blocks)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _graphs(folder):
    return sorted(p for p in folder.iterdir() if p.suffix == ".onnx")


def test_cache_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("FACETRUTH_CACHE_DIR", str(tmp_path / "here"))
    assert clip_cache_dir() == tmp_path / "here"
    monkeypatch.delenv("FACETRUTH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert clip_cache_dir() == tmp_path / "facetruth"


def test_written_once_then_read_bit_for_bit_as_the_graph_in_memory(weights, cache_dir, reference):
    features = _features()
    path = cache_dir / FLOAT_WEIGHTS_FILE
    assert _digest(path) == FLOAT_WEIGHTS_SHA256 and path.stat().st_size == 341_311_488
    (graph,) = _graphs(cache_dir)
    assert (cache_dir / f"{graph.name}.sha256").read_text().strip() == _digest(graph)
    assert len(list(cache_dir.iterdir())) == 3  # no temporary file left
    for ours, theirs in zip(features, reference, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_the_files_are_read_not_made_again(weights, cache_dir, reference, monkeypatch):
    _features()

    def no_parsing():
        raise AssertionError("the published graph was parsed again")

    monkeypatch.setattr(_clip_onnx, "_import_onnx", no_parsing)
    for ours, theirs in zip(_features(), reference, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_a_cached_encoder_imports_no_onnx(weights, cache_dir):
    _features(blocks=())
    code = (
        "import sys; from facetruth.features import load_clip_encoder; "
        "load_clip_encoder('cpu', n_threads=1); print(sorted({'onnx', 'onnxruntime'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["['onnxruntime']"]


@pytest.mark.parametrize(
    "change", ["truncate the weights", "flip a bit of the weights", "flip a bit of the graph"]
)
def test_a_changed_file_is_rewritten(weights, cache_dir, reference, change, caplog):
    _features()
    path = _graphs(cache_dir)[0] if "graph" in change else cache_dir / FLOAT_WEIGHTS_FILE
    data = bytearray(path.read_bytes())
    if change.startswith("truncate"):
        del data[len(data) // 2 :]
    else:
        data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))
    del data
    with caplog.at_level(logging.WARNING, logger="facetruth.features._clip_weights"):
        features = _features()
    assert "not the expected file" in caplog.text
    assert _digest(cache_dir / FLOAT_WEIGHTS_FILE) == FLOAT_WEIGHTS_SHA256
    for ours, theirs in zip(features, reference, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_an_unwritable_cache_folder_falls_back_to_a_temporary_one(weights, tmp_path, monkeypatch, reference):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("FACETRUTH_CACHE_DIR", str(blocker / "cache"))
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temporary))
    for ours, theirs in zip(_features(), reference, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert list(temporary.iterdir()) == []  # removed once the session had read it


def test_other_bytes_are_refused_and_not_kept(tmp_path):
    with pytest.raises(ModelIntegrityError, match=f"expected {FLOAT_WEIGHTS_SHA256}"):
        cached_file(
            tmp_path, FLOAT_WEIGHTS_FILE, lambda fh: fh.write(b"not the weights"), FLOAT_WEIGHTS_SHA256
        )
    assert list(tmp_path.iterdir()) == []


def test_a_recorded_digest_is_checked(tmp_path):
    path = cached_file(tmp_path, "a.bin", lambda fh: fh.write(b"first"))
    assert path.read_bytes() == b"first"
    assert cached_file(tmp_path, "a.bin", lambda fh: fh.write(b"second")).read_bytes() == b"first"
    path.write_bytes(b"changed")
    assert cached_file(tmp_path, "a.bin", lambda fh: fh.write(b"third")).read_bytes() == b"third"
    (tmp_path / "a.bin.sha256").write_text("not a digest")
    assert cached_file(tmp_path, "a.bin", lambda fh: fh.write(b"fourth")).read_bytes() == b"fourth"


def test_tuned_norms_and_blocks_share_the_weights(weights, cache_dir):
    """The weights file holds the de-quantised products alone: norms and blocks live in the graphs."""
    from facetruth.features._clip_norms import norm_names

    norms = {name: np.full(768, 0.5, np.float32) for name in norm_names(1)}
    tuned = load_clip_encoder("cpu", blocks=(10,), n_threads=1, norms=norms)
    plain = clip_embedding(
        _images(), encoder=load_clip_encoder("cpu", blocks=(10,), n_threads=1), blocks=(10,)
    )
    assert len(_graphs(cache_dir)) == 2 and len(list(cache_dir.glob("*.bin"))) == 1
    out = clip_embedding(_images(), encoder=tuned, blocks=(10,))
    np.testing.assert_array_equal(out[:, 512:], plain[:, 512:])  # block 10 comes before the tuned norms
    assert not np.allclose(out[:, :512], plain[:, :512])
