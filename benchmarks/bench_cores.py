"""Throughput on one core against every core: train, predict and evaluate, and the CLIP session's threads.

Two settings, timed in the same run and alternated (``before, after`` then
``after, before``, ...), so that the ratio of their figures survives a
machine whose load moves:

- ``before``: ``n_jobs=1`` everywhere, the old default of ``--n-jobs``: one
  process decodes and crops, the clip family runs one image at a time on
  one thread;
- ``after``: ``n_jobs=-1``, the new default of ``--n-jobs``: every core
  (decoding in worker processes, the clip family's ONNX calls spread over
  the cores, one thread each).

For each it times, on hardfake images (the first ``--n-train`` by file
name, half real and half fake, and the next ``--n-test``):

- train: :func:`~facetruth.pipelines.train_detector` with the default
  detector (``build_pipeline(n_jobs=...)``: clip features, a linear probe),
  what ``facetruth train`` runs;
- predict: :func:`facetruth.predict_items` on the test images, what
  ``facetruth predict`` runs;
- evaluate: :func:`facetruth.evaluation.evaluate_model` on them, what
  ``facetruth evaluate`` runs;

in images per second, and checks that both settings give the same scores.
A warm-up on a few images first loads the networks, the face detector and
the worker processes in this process, as a long command would have them.

Then the CLIP encoder alone, on ``--n-session`` images in float32: the
ONNX session on one thread or on every core (its threads sleeping between
operators, as :func:`~facetruth.features.onnx_session` builds it,
and spinning, onnxruntime's default), run one call at a time or one call per
core, and one image per call (a single upload) or four; in milliseconds per
image (wall and CPU), each output compared bit for bit with the one-thread
session's.

Like the ``facetruth`` command, it sets ``OMP_WAIT_POLICY=PASSIVE`` unless
already set and tunes the allocator. It asserts nothing. ``--out`` writes the
figures as JSON with the command, commit, data hashes, machine, versions and date.

Usage::

    python benchmarks/bench_cores.py --out results/bench_cores/results.json
    python benchmarks/bench_cores.py --n-train 40 --n-test 20 --repeat 1 --n-session 4   # a quick look
"""

import argparse
import logging
import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the facetruth command, before torch or xgboost load

import numpy as np  # noqa: E402
from _common import DEFAULT_DATA, commit, hardfake_split, load_average, save, timed  # noqa: E402

from facetruth.cli import tune_allocator  # noqa: E402

SETTINGS = {"before": 1, "after": -1}


def bench_commands(train, test, repeat, warm):
    """Images per second of train, predict and evaluate in each setting, alternated."""
    import facetruth
    from facetruth.evaluation import evaluate_model
    from facetruth.pipelines import build_pipeline, train_detector

    for n_jobs in SETTINGS.values():  # networks, face detector and worker processes loaded once
        model = train_detector(build_pipeline(n_jobs=n_jobs), warm).pipeline
        facetruth.predict_items(model, list(warm.paths[:2]), n_jobs=n_jobs)
    runs = {name: [] for name in SETTINGS}
    scores = {}
    for rep in range(repeat):
        order = list(SETTINGS) if rep % 2 == 0 else list(SETTINGS)[::-1]
        for name in order:
            n_jobs = SETTINGS[name]
            run = {"load_average_before": load_average()}
            result, wall, _ = timed(train_detector, build_pipeline(n_jobs=n_jobs), train)
            run["train"] = round(len(train) / wall, 3)
            rows, wall, _ = timed(facetruth.predict_items, result.pipeline, list(test.paths), n_jobs=n_jobs)
            run["predict"] = round(len(test) / wall, 3)
            _, wall, _ = timed(evaluate_model, result.pipeline, test, n_jobs=n_jobs)
            run["evaluate"] = round(len(test) / wall, 3)
            run["load_average_after"] = load_average()
            runs[name].append(run)
            scores.setdefault(name, np.array([r.prob_fake for r in rows], dtype=float))
            print(
                f"  {name} (n_jobs={n_jobs}): "
                + ", ".join(f"{k} {run[k]:.2f} img/s" for k in ("train", "predict", "evaluate"))
            )
    medians = {
        name: {k: float(np.median([r[k] for r in rs])) for k in ("train", "predict", "evaluate")}
        for name, rs in runs.items()
    }
    return {
        "settings": {name: {"n_jobs": n} for name, n in SETTINGS.items()},
        "runs": runs,
        "median_images_per_s": medians,
        "after_over_before": {
            k: round(medians["after"][k] / medians["before"][k], 2) for k in medians["after"]
        },
        "same_scores": bool(np.array_equal(scores["before"], scores["after"])),
    }


def _session(data, n_threads, spinning):
    """A float32 session of the CLIP encoder on ``n_threads`` threads."""
    from facetruth.features import onnx_session

    return onnx_session(data, (), precision="float32", n_threads=n_threads, spinning=spinning)


def bench_session(test, n_images, repeat):
    """Milliseconds per image of the CLIP encoder by session threads, concurrent calls and images per call."""
    from joblib import cpu_count

    from facetruth.data import read_image
    from facetruth.features import ONNXCLIPEncoder, clip_preprocess, read_clip_weights

    cores = cpu_count()
    pixels = clip_preprocess([read_image(p) for p in test.paths[:n_images]])
    data = read_clip_weights()
    configs = [
        (threads, spinning, calls, chunk)
        for chunk in (1, 4)
        for threads, spinning in ((1, False), (cores, False), (cores, True))
        for calls in (1, cores)
    ]
    sessions = {(t, s): _session(data, t, s) for t, s, _, _ in configs}
    reference, rows = None, {}
    for _ in range(repeat):
        for threads, spinning, calls, chunk in configs:
            encoder = ONNXCLIPEncoder(sessions[threads, spinning], (), n_threads=calls, chunk_size=chunk)
            out, wall, cpu = timed(encoder, pixels)
            if reference is None:
                reference = out[0]
            row = rows.setdefault(
                (threads, spinning, calls, chunk),
                {
                    "session_threads": threads,
                    "spinning": spinning,
                    "concurrent_calls": calls,
                    "images_per_call": chunk,
                    "ms_per_image": [],
                    "cpu_ms_per_image": [],
                    "same_features": True,
                },
            )
            row["ms_per_image"].append(round(1000 * wall / len(pixels), 1))
            row["cpu_ms_per_image"].append(round(1000 * cpu / len(pixels), 1))
            row["same_features"] &= bool(np.array_equal(out[0], reference))
    for row in rows.values():
        row["median_ms_per_image"] = float(np.median(row["ms_per_image"]))
        row["median_cpu_ms_per_image"] = float(np.median(row["cpu_ms_per_image"]))
        print(
            f"  session threads {row['session_threads']}{' (spinning)' if row['spinning'] else ''}, "
            f"{row['concurrent_calls']} concurrent calls, {row['images_per_call']} images per call: "
            f"{row['median_ms_per_image']:.0f} ms/img (CPU {row['median_cpu_ms_per_image']:.0f}), "
            f"same features: {row['same_features']}"
        )
    return {"images": len(pixels), "cores": cores, "rows": list(rows.values())}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="folder holding hardfake/")
    parser.add_argument("--n-train", type=int, default=120, help="training images, half real, half fake")
    parser.add_argument("--n-test", type=int, default=80, help="images to predict and evaluate")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each setting")
    parser.add_argument(
        "--n-session", type=int, default=16, help="images of the CLIP session timing (0: skip)"
    )
    parser.add_argument("--out", default=None, help="write the figures as JSON")
    args = parser.parse_args(argv)
    logging.getLogger("facetruth").setLevel(logging.ERROR)  # the small warm-up set's weak-side warnings
    tune_allocator()
    started = commit()
    train, test = hardfake_split(args.data, args.n_train, args.n_test)
    warm, _ = hardfake_split(args.data, 16)
    print(
        f"train {len(train)}, predict and evaluate {len(test)} hardfake images; before = n_jobs=1, after = n_jobs=-1"
    )
    results = {"commands": bench_commands(train, test, args.repeat, warm)}
    ratio = results["commands"]["after_over_before"]
    print("after / before: " + ", ".join(f"{k} x{v}" for k, v in ratio.items()))
    if args.n_session:
        results["clip_session"] = bench_session(test, args.n_session, args.repeat)
    if args.out:
        save(args.out, results, started, {"train": train, "test": test}, families=["clip"])
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
