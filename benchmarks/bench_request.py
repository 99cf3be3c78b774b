"""Where one web request's CPU time goes: the stages of ``DetectorService.predict``, image by image.

Loads a saved model (or trains the handcrafted detector ``bench_web.py``
trains) into the web service, scores ``--n-images`` uploads of
``../shared/data/hardfake`` one request at a time on one thread, and prints:

- the distribution of one request's CPU time (mean, p50, p95, max): the
  service time that ``bench_web.py``'s clients queue for;
- CPU milliseconds per request in each stage (face search by detector,
  landmarks, features, classifier, explanations; from :mod:`cProfile`, whose
  overhead makes the total a little larger than without it);
- how many uploads each face detector was run on, i.e. how far down the
  ``face="auto"`` chain (dlib, then OpenCV's Haar cascade, each on a small
  copy and then a 640 px one; scikit-image's LBP cascade only for models
  whose loader's ``fallback`` names it) the search went.

It asserts nothing. Usage::

    python benchmarks/bench_request.py --n-images 200
    python benchmarks/bench_request.py --model model.joblib
"""

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_web import DEFAULT_DATA, train_model

#: stage name -> (module path suffix, function name) of the function whose cumulative time it is
STAGES = {
    "face search: dlib": ("data/_detectors.py", "detect_dlib"),
    "face search: Haar": ("data/_detectors.py", "detect_haar"),
    "face search: LBP": ("data/_detectors.py", "detect_lbp"),
    "landmarks": ("data/_detectors.py", "dlib_landmarks"),
    "loading and cropping (all of the above)": ("pipelines/_predict.py", "_load"),
    "features": ("features/_handcrafted.py", "one_pass_transform"),
    "classifier": ("models/_calibration.py", "predict_proba"),
    "explanations: contributions": ("models/_explain.py", "family_contributions"),
    "explanations: spectrum": ("models/_explain.py", "log_spectrum"),
}


def stage_times(stats):
    """``{stage: (calls, cumulative seconds)}`` from a :class:`pstats.Stats`."""
    out = {}
    for stage, (suffix, name) in STAGES.items():
        calls, seconds = 0, 0.0
        for (filename, _, function), (_, ncalls, _, cumtime, _) in stats.stats.items():
            if function == name and filename.replace("\\", "/").endswith(suffix):
                calls, seconds = calls + ncalls, seconds + cumtime
        out[stage] = (calls, seconds)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="saved model; default: train a handcrafted one")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="hardfake folder (real/, fake/)")
    parser.add_argument("--n-images", type=int, default=200, help="uploads, half real and half fake")
    parser.add_argument("--train-n", type=int, default=400, help="images to train on without --model")
    args = parser.parse_args(argv)
    from facetruth.web import DetectorService

    with tempfile.TemporaryDirectory() as folder:
        model = args.model or train_model(
            args.data, Path(folder) / "model.joblib", n=args.train_n, face="auto", seed=0
        )
        service = DetectorService(model)
        service.warm_up()
    half = args.n_images // 2
    files = sorted((args.data / "real").glob("*.jpg"))[:half]
    files += sorted((args.data / "fake").glob("*.jpg"))[: args.n_images - len(files)]
    uploads = [(f.name, f.read_bytes()) for f in files]
    cpu = []
    for upload in uploads:
        start = time.process_time()
        service.predict([upload])
        cpu.append(1e3 * (time.process_time() - start))
    cpu = np.asarray(cpu)
    n = len(uploads)
    print(f"{n} requests, one at a time, one image each; CPU ms per request:")
    print(
        f"  mean {cpu.mean():.1f}, p50 {np.percentile(cpu, 50):.1f}, p95 {np.percentile(cpu, 95):.1f}, "
        f"max {cpu.max():.1f}"
    )
    profiler = cProfile.Profile()
    profiler.enable()
    for upload in uploads:
        service.predict([upload])
    profiler.disable()
    print("stages (cProfile, cumulative; calls per request, CPU ms per request):")
    for stage, (calls, seconds) in stage_times(pstats.Stats(profiler)).items():
        print(f"  {stage:<42} {calls / n:5.2f}  {1e3 * seconds / n:6.1f}")


if __name__ == "__main__":
    main()
