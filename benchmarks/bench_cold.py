"""Cold start of ``facetruth predict``: one image, a fresh process, next to bare imports.

Builds the models once into a temporary folder:

- ``demo``: the model of ``facetruth demo`` (its defaults: handcrafted
  features, XGBoost, no face search), scoring one of its test images;
- ``clip``: a small model with ``facetruth train``'s defaults (the clip
  family with a linear probe, face detection on) on a few images of
  ``../shared/data/hardfake`` (the demo set when that is missing), scoring
  one of them;

then runs N times each, interleaved, as subprocesses:

- the baselines ``python -c "import facetruth"`` and
  ``python -c "import torch, sklearn, xgboost"``;
- ``python -m facetruth predict MODEL IMAGE`` for each model.

It prints the median wall time of each, its ratio to each baseline, the peak
resident memory (``ru_maxrss`` of that child, from :func:`os.wait4`) and which
heavy modules each predict process imported; ``--out`` writes the same figures
as JSON with the command, commit, machine, versions and date.

The clip family keeps its float32 encoder (its de-quantised weights and
graph) in FaceTruth's cache folder, written by the first process that needs
it (building the clip model, or the untimed predict that lists the imports),
so the timed predicts read it. ``--fresh-cache`` gives every timed predict an
empty cache folder instead (``FACETRUTH_CACHE_DIR``), as the first predict
on a machine has.

    python benchmarks/bench_cold.py
    python benchmarks/bench_cold.py --runs 7 --models demo --out results/bench_cold/results.json
    python benchmarks/bench_cold.py --model model.joblib --image photo.jpg
    python benchmarks/bench_cold.py --runs 3 --models clip --fresh-cache
"""

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from _common import commit as git_commit  # benchmarks/ is first on the path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "hardfake"
BASELINES = {
    "import facetruth": "import facetruth",
    "import torch, sklearn, xgboost": "import torch, sklearn, xgboost",
}
HEAVY = ("torch", "xgboost", "timm", "onnxruntime", "onnx", "dlib", "cv2", "skimage")
REPORT_IMPORTS = (
    "import runpy, sys; sys.argv = ['facetruth', *sys.argv[1:]];"
    "import atexit; atexit.register(lambda: print('imported:', "
    f"[m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr));"
    "runpy.run_module('facetruth', run_name='__main__')"
)
#: targets of a cold predict: time against the bare import, peak memory
TARGET_RATIO, TARGET_RSS_MB = 1.3, 700


def run_child(argv, env):
    """Run ``argv``; return (wall seconds, peak RSS in MB, stdout, stderr, exit code)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak, not all children's
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text_out, text_err = out.read().decode(), err.read().decode()
    rss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return wall, rss_mb, text_out, text_err, proc.returncode


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


def _first_image(folder):
    return next(p for p in sorted((folder / "real").rglob("*")) if p.is_file())


def build_models(args, tmp, env):
    """``{name: (model path, image path, how it was built)}`` of the models to time."""
    models = {}
    if args.model is not None:
        image = args.image or _first_image(training_set(args.data, tmp / "data", 1))
        models["given"] = (args.model, image, f"given: {args.model.name}")
    for name in args.models if args.model is None else ():
        if name == "demo":
            out = tmp / "demo"
            argv = [sys.executable, "-m", "facetruth", "demo", "--out", str(out), "--n", str(args.demo_n)]
            how = f"facetruth demo --n {args.demo_n}"
            model, images = out / "model.joblib", out / "data" / "test"
        else:
            data = training_set(args.data, tmp / "data", args.n)
            model = tmp / "clip.joblib"
            argv = [sys.executable, "-m", "facetruth", "train", "--data", str(data), "--out", str(model)]
            argv += ["--face", args.face, "--allow-weak", "--features", args.features]
            how = f"facetruth train --features {args.features} --face {args.face} on {2 * args.n} images of {args.data.name}"
            images = data
        wall, _, _, err, code = run_child(argv, env)
        if code != 0:
            sys.exit(f"building the {name} model failed:\n{err}")
        print(f"built the {name} model in {wall:.1f} s ({how})")
        models[name] = (model, args.image or _first_image(images), how)
    return models


def _summary(times, peaks):
    return {
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
        "peak_rss_mb": round(max(peaks), 1),
        "median_rss_mb": round(statistics.median(peaks), 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each command")
    parser.add_argument("--models", nargs="+", choices=("demo", "clip"), default=["demo", "clip"])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with real/ and fake/")
    parser.add_argument("--n", type=int, default=16, help="training images per class of the clip model")
    parser.add_argument("--demo-n", type=int, default=96, help="facetruth demo --n")
    parser.add_argument("--face", default="auto", help="the clip model's face detector (train's --face)")
    parser.add_argument("--features", default="clip", help="train's --features for the clip model")
    parser.add_argument("--model", type=Path, default=None, help="a saved model instead of building any")
    parser.add_argument("--image", type=Path, default=None, help="the image to score")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    parser.add_argument(
        "--fresh-cache", action="store_true", help="an empty FACETRUTH_CACHE_DIR for every predict"
    )
    args = parser.parse_args()

    commit = git_commit()  # the code this run imports, before anything can change it
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    commands, imported, built = {}, {}, {}
    for name, code in BASELINES.items():
        commands[name] = [sys.executable, "-c", code]
    with tempfile.TemporaryDirectory(prefix="facetruth-cold-") as tmp:
        models = build_models(args, Path(tmp), env)
        for name, (model, image, how) in models.items():
            predict = [sys.executable, "-m", "facetruth", "predict", str(model), str(image)]
            _, _, out, err, code = run_child([sys.executable, "-c", REPORT_IMPORTS, *predict[3:]], env)
            if code != 0:
                sys.exit(f"predict with the {name} model failed:\n{err}")
            imported[name] = json.loads(err.strip().splitlines()[-1].split(":", 1)[1].replace("'", '"'))
            built[name] = {"how": how, "image": image.name, "verdict": out.strip().split("\t")[1:3]}
            print(f"{name}: {out.strip()}\n{name} predict imported: {imported[name]}")
            commands[f"cold predict, {name}"] = predict
        times = {name: [] for name in commands}
        peaks = {name: [] for name in commands}
        for run in range(args.runs):
            for name, argv in commands.items():
                child_env = env
                if args.fresh_cache and name.startswith("cold predict"):
                    cache = Path(tmp) / f"cache-{run}-{name.rsplit(' ', 1)[-1]}"
                    child_env = {**env, "FACETRUTH_CACHE_DIR": str(cache)}
                wall, rss, _, err, code = run_child(argv, child_env)
                if child_env is not env:
                    shutil.rmtree(child_env["FACETRUTH_CACHE_DIR"], ignore_errors=True)
                if code != 0:
                    sys.exit(f"{name} failed:\n{err}")
                times[name].append(wall)
                peaks[name].append(rss)
    rows = {name: _summary(times[name], peaks[name]) for name in commands}
    print(f"\n{args.runs} runs each, interleaved, on {os.cpu_count()} CPUs")
    print(f"{'command':<32} {'median s':>9} {'min s':>7} {'max s':>7} {'peak RSS MB':>12}")
    for name, row in rows.items():
        print(
            f"{name:<32} {row['median_s']:9.2f} {row['min_s']:7.2f} {row['max_s']:7.2f} {row['peak_rss_mb']:12.0f}"
        )
    verdicts = {}
    for name in models:
        row = rows[f"cold predict, {name}"]
        ratios = {base: round(row["median_s"] / rows[base]["median_s"], 2) for base in BASELINES}
        verdicts[name] = {
            "ratio_to_baselines": ratios,
            "meets_ratio_target": {base: ratio <= TARGET_RATIO for base, ratio in ratios.items()},
            "meets_rss_target": row["peak_rss_mb"] <= TARGET_RSS_MB,
            "imported": imported[name],
        }
        print(f"\n{name}: ratio of medians to " + ", ".join(f"'{b}' {r:.2f}" for b, r in ratios.items()))
        print(
            f"{name}: peak RSS {row['peak_rss_mb']:.0f} MB (target <= {TARGET_RSS_MB}); imported {imported[name]}"
        )
    if args.out is not None:
        _write(args, commit, rows, verdicts, built)


def _write(args, commit, rows, verdicts, built):
    from facetruth.evaluation import machine_info, run_record, write_results
    from facetruth.models import package_versions

    results = {
        "command": shlex.join(["python", *sys.argv]),
        "commit": commit,
        "machine": {**machine_info(), "load_average": [round(v, 2) for v in os.getloadavg()]},
        "versions": {**package_versions(), "python": platform.python_version()},
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "runs": args.runs,
        "fresh_cache": args.fresh_cache,
        "targets": {"ratio_to_bare_import": TARGET_RATIO, "peak_rss_mb": TARGET_RSS_MB},
        "models": built,
        "commands": rows,
        "cold_predict": verdicts,
    }
    record = run_record([args.data], ["handcrafted", "clip"], results["command"])
    write_results(args.out, results, {**record, "commit": commit})
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
