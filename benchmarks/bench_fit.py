"""How long the README's Python snippet takes: ``build_pipeline(...).fit`` on hardfake images.

For each feature set asked for (default: the recommended one,
``facetruth.build_pipeline()``'s default), in a fresh pipeline:

1. ``pipe.fit(paths, labels)`` on the first ``--n`` hardfake images by file
   name, half real and half fake, as the README's snippet does it (the first
   fit of the process also loads the networks and face detector);
2. the same fit step by step on a clone: the loader's ``fit_transform``
   (decode, find the face, crop), the feature union's ``fit_transform`` and
   the detector's ``fit`` (out-of-fold calibration: ``cv`` fits of the base
   classifier, then one on everything);
3. the detector's fit again on those features, ``--repeat`` times, with the
   base classifier on one thread (the default, ``DEFAULTS.classifier_n_jobs``) and on
   every core (``n_jobs=-1``; XGBoost's own default is every core too),
   alternating.

Wall and CPU seconds are those of this process (its threads, not worker
processes; with the default ``n_jobs=None`` everything runs in it). It prints
a table and, with ``--out``, writes the figures as JSON with the command,
commit, data hash, machine, versions and date. It asserts nothing: the
figures depend on the machine and on what else runs there, so compare the
ratios of one run. ``OMP_WAIT_POLICY`` is left as the caller set it (the
``facetruth`` command sets it to ``PASSIVE``; a Python session does not).

Usage::

    python benchmarks/bench_fit.py                       # the default features, 120 images
    python benchmarks/bench_fit.py --features clip all --out results/bench_fit/results.json
"""

import argparse
import logging
import sys

from _common import DEFAULT_DATA, commit, hardfake_split, load_average, save, timed
from sklearn.base import clone

from facetruth.cli import tune_allocator


def _with_n_jobs(detector, n_jobs):
    """A clone of ``detector`` with every ``n_jobs`` of its base classifier set."""
    keys = [k for k in detector.get_params(deep=True) if k.endswith("n_jobs")]
    return clone(detector).set_params(**{k: n_jobs for k in keys})


def bench_features(features, train, repeat):
    """The figures of one feature set."""
    import facetruth
    from facetruth.pipelines import DEFAULTS

    paths, labels = list(train.paths), list(train.labels)
    pipe = facetruth.build_pipeline(features=features)
    detector_name = type(pipe["classifier"].estimator).__name__
    _, fit_wall, fit_cpu = timed(pipe.fit, paths, labels)
    row = {
        "features": features,
        "classifier": detector_name,
        "n_images": len(paths),
        "fit": {"wall_s": round(fit_wall, 2), "cpu_s": round(fit_cpu, 2), "load_average": load_average()},
    }
    steps = clone(pipe)
    crops, crop_wall, crop_cpu = timed(steps["loader"].fit_transform, paths)
    feats, feat_wall, feat_cpu = timed(steps["features"].fit_transform, crops)
    _, det_wall, det_cpu = timed(steps["classifier"].fit, feats, labels)
    row["steps"] = {
        "decode_crop": {"wall_s": round(crop_wall, 2), "cpu_s": round(crop_cpu, 2)},
        "features": {"wall_s": round(feat_wall, 2), "cpu_s": round(feat_cpu, 2), "shape": list(feats.shape)},
        "detector": {"wall_s": round(det_wall, 2), "cpu_s": round(det_cpu, 2)},
    }
    threads = {"one": [], "all": []}
    for _ in range(repeat):
        for name, n_jobs in (("one", DEFAULTS.classifier_n_jobs), ("all", -1)):
            _, wall, cpu = timed(_with_n_jobs(steps["classifier"], n_jobs).fit, feats, labels)
            threads[name].append({"wall_s": round(wall, 2), "cpu_s": round(cpu, 2)})
    row["detector_threads"] = {
        name: {
            "n_jobs": DEFAULTS.classifier_n_jobs if name == "one" else -1,
            "runs": runs,
            "median_wall_s": sorted(r["wall_s"] for r in runs)[len(runs) // 2],
            "median_cpu_s": sorted(r["cpu_s"] for r in runs)[len(runs) // 2],
        }
        for name, runs in threads.items()
    }
    one, every = (row["detector_threads"][k]["median_wall_s"] for k in ("one", "all"))
    row["detector_threads"]["all_over_one_wall"] = round(every / one, 2) if one else None
    return row


def _print(row):
    s = row["steps"]
    t = row["detector_threads"]
    print(
        f"{row['features']:>10} ({row['classifier']}), {row['n_images']} images: fit {row['fit']['wall_s']:.1f} s "
        f"(CPU {row['fit']['cpu_s']:.1f} s, load {row['fit']['load_average']}); step by step: decode+crop "
        f"{s['decode_crop']['wall_s']:.1f} s, features {s['features']['wall_s']:.1f} s, detector "
        f"{s['detector']['wall_s']:.1f} s; detector on one thread {t['one']['median_wall_s']:.1f} s "
        f"(CPU {t['one']['median_cpu_s']:.1f}), on every core {t['all']['median_wall_s']:.1f} s "
        f"(CPU {t['all']['median_cpu_s']:.1f}): x{t['all_over_one_wall']}"
    )


def main(argv=None):
    from facetruth.pipelines import DEFAULTS

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="folder holding hardfake/")
    parser.add_argument("--n", type=int, default=120, help="images, half real and half fake")
    parser.add_argument("--features", nargs="+", default=[DEFAULTS.features], help="feature sets to time")
    parser.add_argument("--repeat", type=int, default=3, help="detector fits per thread setting")
    parser.add_argument("--out", default=None, help="write the figures as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    tune_allocator()  # as the facetruth command does
    started = commit()
    train, _ = hardfake_split(args.data, args.n)
    rows = []
    for features in args.features:
        rows.append(bench_features(features, train, args.repeat))
        _print(rows[-1])
    if args.out:
        save(args.out, {"rows": rows}, started, {"train": train}, families=args.features)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
