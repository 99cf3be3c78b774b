"""Cold start of ``facetruth predict``: one image, a fresh process, next to a bare import.

Trains a small detector with ``facetruth train``'s defaults (the clip family
with a linear probe, face detection on) once into a temporary folder, on a
few images of ``../shared/data/hardfake`` (the demo set when that is
missing), then runs N times each, interleaved, as subprocesses:

- the baseline ``python -c "import torch, sklearn, xgboost"``;
- ``python -m facetruth predict MODEL IMAGE``.

It prints the median wall time of each, their ratio and the peak resident
memory of each (``ru_maxrss`` of that child, from :func:`os.wait4`), and which
heavy modules the predict process imported.

    python benchmarks/bench_cold.py
    python benchmarks/bench_cold.py --runs 7 --face off
    python benchmarks/bench_cold.py --model model.joblib --image photo.jpg
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "hardfake"
BASELINE = "import torch, sklearn, xgboost"
HEAVY = ("torch", "xgboost", "timm", "onnxruntime", "onnx", "dlib", "cv2", "skimage")
REPORT_IMPORTS = (
    "import runpy, sys; sys.argv = ['facetruth', *sys.argv[1:]];"
    "import atexit; atexit.register(lambda: print('imported:', "
    f"[m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr));"
    "runpy.run_module('facetruth', run_name='__main__')"
)


def run_child(argv, env):
    """Run ``argv``; return (wall seconds, peak RSS in MB, stdout, stderr, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return wall, rss_mb, out.decode(), err.decode(), proc.returncode


def training_set(data, folder, n):
    """A folder of ``n`` real and ``n`` fake images (links into ``data``, or demo images)."""
    if (data / "real").is_dir() and (data / "fake").is_dir():
        for cls in ("real", "fake"):
            (folder / cls).mkdir(parents=True)
            for path in sorted((data / cls).iterdir())[:n]:
                (folder / cls / path.name).symlink_to(path.resolve())
        return folder
    from facetruth.data import make_demo_dataset

    make_demo_dataset(n=2 * n, random_state=0, out=folder)
    return folder


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each command")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with real/ and fake/")
    parser.add_argument("--n", type=int, default=16, help="training images per class")
    parser.add_argument("--face", default="auto", help="the model's face detector (train's --face)")
    parser.add_argument("--features", default=None, help="train's --features (default: train's default)")
    parser.add_argument("--model", type=Path, default=None, help="a saved model instead of training one")
    parser.add_argument("--image", type=Path, default=None, help="the image to score")
    args = parser.parse_args()

    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryDirectory(prefix="facetruth-cold-") as tmp:
        tmp = Path(tmp)
        model = args.model
        data = training_set(args.data, tmp / "data", args.n)
        if model is None:
            model = tmp / "model.joblib"
            train = [sys.executable, "-m", "facetruth", "train", "--data", str(data), "--out", str(model)]
            train += ["--face", args.face, "--allow-weak"]
            if args.features:
                train += ["--features", args.features]
            wall, rss, _, err, code = run_child(train, env)
            if code != 0:
                sys.exit(f"training failed:\n{err}")
            print(
                f"trained {model.name} in {wall:.1f} s (face={args.face}, features={args.features or 'default'})"
            )
        image = args.image or next(p for p in sorted((data / "real").rglob("*")) if p.is_file())
        predict = [sys.executable, "-m", "facetruth", "predict", str(model), str(image)]
        bare = [sys.executable, "-c", BASELINE]
        _, _, out, err, code = run_child([sys.executable, "-c", REPORT_IMPORTS, *predict[3:]], env)
        if code != 0:
            sys.exit(f"predict failed:\n{err}")
        print(f"predict: {out.strip()}")
        print(f"predict {err.strip().splitlines()[-1]}")
        times = {"bare import": [], "cold predict": []}
        peaks = {"bare import": [], "cold predict": []}
        for _ in range(args.runs):
            for name, argv in (("bare import", bare), ("cold predict", predict)):
                wall, rss, _, err, code = run_child(argv, env)
                if code != 0:
                    sys.exit(f"{name} failed:\n{err}")
                times[name].append(wall)
                peaks[name].append(rss)
    print(f"\n{args.runs} runs each, interleaved, on {os.cpu_count()} CPUs")
    print(f"{'command':<14} {'median s':>9} {'min s':>7} {'max s':>7} {'peak RSS MB':>12}")
    for name in times:
        t = times[name]
        print(f"{name:<14} {statistics.median(t):9.2f} {min(t):7.2f} {max(t):7.2f} {max(peaks[name]):12.0f}")
    ratio = statistics.median(times["cold predict"]) / statistics.median(times["bare import"])
    print(f"\nratio cold predict / bare import (medians): {ratio:.2f} (target <= 1.3)")
    print(f"peak RSS of cold predict: {max(peaks['cold predict']):.0f} MB (target <= 700)")


if __name__ == "__main__":
    main()
