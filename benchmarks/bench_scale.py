"""Scale-out of the feature extraction: a Dask LocalCluster of 1 worker, then of 2.

The same 2,000 images (a seeded random subset of ``../shared/data/ciplab``,
160x160 JPEG, taken relative to the repository root) go through
:func:`facetruth.pipelines.extract_features` with the handcrafted families,
``face="off"`` and no cache, on a LocalCluster of one worker process and then
of two (one thread each, on the loopback interface). Each run writes to a
fresh shard folder, so nothing is skipped. Before timing, every worker runs a
small warm-up extraction, so imports and the per-process feature pipeline are
not counted; the timed figure is the steady throughput a long run sees.

It prints images/s for each cluster size, the speed-up from 1 to 2 workers,
the workers' CPU time per image, the share of the wall time the workers got a
CPU (below 100% when other processes compete for the cores), the load
average before and after, and a control: the speed-up of a pure-Python loop
from 1 to 2 processes measured just before and after, i.e. the parallelism
the machine offered at the time (about 2 on an idle 2-core machine). It asserts nothing: figures depend on the machine
and on what else runs on it.

Usage::

    python benchmarks/bench_scale.py
    python benchmarks/bench_scale.py --data ../shared/data/hardfake --n-images 1000 --workers 1 2
"""

import argparse
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
logger = logging.getLogger("bench_scale")


def select(dataset, n_images, seed):
    """A seeded random subset of ``n_images`` items, in data-set order."""
    if n_images >= len(dataset):
        return dataset
    keep = np.random.default_rng(seed).choice(len(dataset), n_images, replace=False)
    return dataset.subset(np.sort(keep))


def run(dataset, n_workers, *, features, image_size, shard_size, workdir):
    """Extract on a fresh LocalCluster of ``n_workers``; returns the timed seconds."""
    from facetruth.pipelines import build_features, build_loader, dask_client, extract_features

    loader, union = build_loader("off", image_size), build_features(features)
    with dask_client(n_workers=n_workers) as client:
        warm = dataset.subset(np.arange(min(len(dataset), 4 * n_workers)))
        extract_features(loader, union, warm, client=client, out=workdir / f"warm-{n_workers}", shard_size=2)
        out = workdir / f"run-{n_workers}"
        cpu_before = client.run(_cpu_seconds)
        start = time.perf_counter()
        result = extract_features(loader, union, dataset, client=client, out=out, shard_size=shard_size)
        seconds = time.perf_counter() - start
        cpu = sum(client.run(_cpu_seconds)[w] - c for w, c in cpu_before.items())
    if result.shards_skipped or result.failed:
        raise SystemExit(f"unexpected: {result.shards_skipped} shards skipped, {len(result.failed)} failed")
    return seconds, cpu, result.X.shape


def _spin(n):
    total = 0
    for i in range(n):
        total += i
    return total


def machine_parallelism(n_loop=20_000_000):
    """Speed-up of a pure-Python loop from 1 to 2 processes: what the machine offers right now.

    About 2 on an idle 2-core machine; near 1 when other jobs keep the cores busy.
    """
    from multiprocessing import get_context

    walls = []
    for n in (1, 2):
        procs = [get_context("spawn").Process(target=_spin, args=(n_loop,)) for _ in range(n)]
        start = time.perf_counter()
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        walls.append(time.perf_counter() - start)
    return 2 * walls[0] / walls[1]


def _cpu_seconds():
    """CPU time of the calling process (a worker, when run through ``client.run``)."""
    return time.process_time()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data/ciplab", help="data set, relative to the repo root")
    parser.add_argument("--n-images", type=int, default=2000)
    parser.add_argument("--features", default="handcrafted")
    parser.add_argument("--image-size", type=int, default=256, help="side of the crops (default: 256)")
    parser.add_argument("--shard-size", type=int, default=50)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    from facetruth.cli import tune_allocator
    from facetruth.data import load_dataset

    # as the facetruth command does; the Dask workers started below inherit the setting
    tune_allocator()

    data = Path(args.data) if Path(args.data).is_absolute() else REPO / args.data
    dataset = select(load_dataset(data), args.n_images, args.seed)
    print(
        f"{len(dataset)} images from {data.resolve()}, features={args.features}, face=off, "
        f"{args.image_size} px crops, shards of {args.shard_size}, no cache"
    )
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} CPUs)")
    print(
        f"control before: a pure-Python loop runs {machine_parallelism():.2f}x faster in 2 processes than 1"
    )
    workdir = Path(tempfile.mkdtemp(prefix="facetruth-bench-scale-"))
    rates = {}
    try:
        for n in args.workers:
            seconds, cpu, shape = run(
                dataset,
                n,
                features=args.features,
                image_size=args.image_size,
                shard_size=args.shard_size,
                workdir=workdir,
            )
            rates[n] = len(dataset) / seconds
            print(
                f"{n} worker(s): {seconds:7.2f} s, {rates[n]:7.1f} images/s, "
                f"{1000 * cpu / len(dataset):6.2f} CPU-ms/image, workers busy "
                f"{100 * cpu / (seconds * n):3.0f}% of the wall time, X {shape}"
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    base = min(rates)
    for n in sorted(rates):
        if n != base:
            print(f"speed-up {base} -> {n} workers: {rates[n] / rates[base]:.2f}x")
    print(
        f"control after:  a pure-Python loop runs {machine_parallelism():.2f}x faster in 2 processes than 1"
    )
    print(f"load average after:  {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
