"""The clip family's ONNX session: the same features, bit for bit, whatever its thread count."""

import numpy as np
import pytest
from skimage import data

from facetruth.features import clip_preprocess
from facetruth.features._clip_onnx import default_kernel, onnx_session
from facetruth.features._clip_onnx_encoder import ONNXCLIPEncoder
from facetruth.features._clip_weights import read_clip_weights


@pytest.fixture(scope="module")
def pixels():
    return clip_preprocess([data.chelsea(), data.coffee(), data.astronaut()[::2, ::2]])


@pytest.mark.parametrize("precision", ["float32", "int8"])
def test_session_threads_leave_the_features_unchanged(weights, pixels, precision):
    raw = read_clip_weights()
    kernel = default_kernel() if precision == "int8" else None
    outputs = []
    for n_threads in (1, 2, 3):
        session = onnx_session(raw, (4, 11), precision=precision, kernel=kernel, n_threads=n_threads)
        assert session.get_session_options().intra_op_num_threads == n_threads
        encoder = ONNXCLIPEncoder(session, (4, 11), n_threads=2, precision=precision, kernel=kernel)
        outputs.append(encoder(pixels, (4, 11)))
    for other in outputs[1:]:
        for a, b in zip(outputs[0], other, strict=True):
            np.testing.assert_array_equal(a, b)


def test_the_session_is_single_threaded_by_default(weights):
    session = onnx_session(read_clip_weights(), (), precision="int8", kernel=default_kernel())
    assert session.get_session_options().intra_op_num_threads == 1


@pytest.mark.parametrize("n_threads", [0, -1, 1.5, True, "2"])
def test_bad_thread_counts_are_refused_before_any_work(n_threads):
    with pytest.raises(ValueError, match="n_threads must be a positive integer"):
        onnx_session(b"not a model", (), n_threads=n_threads)
