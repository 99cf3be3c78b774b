"""What tuning CLIP's LayerNorms costs on this machine, against the number of tuned blocks K.

For each K in ``--blocks`` the script fits :class:`facetruth.models.CLIPNormTuner`
for one epoch on the same ``--n`` images (half real, half fake, the first by
file name in ``../shared/data/hardfake``, resized to 224 x 224: the cost
does not depend on the content) and reads from its ``recipe_``:

- the seconds per image to compute the tokens that enter the first tuned
  block (once per image and per K; kept between epochs and folds);
- the seconds per image of one epoch (forward and backward through the K
  tuned blocks).

It then times the inference of the frozen ``clip`` family and of one with
tuned norms on the same images (the tuning must add nothing there), and
projects the time of a full recipe: the tokens of ``--rows`` training rows
once, plus ``--epochs`` epochs over them, for each K. It prints a table and
writes the figures, the command, the commit and the machine as JSON
(``--out``); it asserts nothing. Compare figures of one run only: the
machine may be shared.

Usage::

    python benchmarks/bench_clip_tune.py --out results/bench_clip_tune/results.json
    python benchmarks/bench_clip_tune.py --n 8 --blocks 0,2      # a quick look
"""

import argparse
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"


def _images(data, n):
    from PIL import Image

    half = n // 2
    paths = (
        sorted((data / "hardfake" / "real").iterdir())[:half]
        + sorted((data / "hardfake" / "fake").iterdir())[:half]
    )
    images = [np.asarray(Image.open(p).convert("RGB").resize((224, 224), Image.BICUBIC)) for p in paths]
    return np.stack(images), np.array([0] * half + [1] * half)


def _ms_per_image(embedding, images):
    embedding.fit(images[:1])
    embedding.transform(images[:1])  # builds the session
    tic = time.perf_counter()
    embedding.transform(images)
    return 1000 * (time.perf_counter() - tic) / len(images)


def main(argv=None):
    from facetruth.evaluation import machine_info, run_record, write_results
    from facetruth.features import CLIPEmbedding
    from facetruth.models import CLIPNormTuner, package_versions, source_commit

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=32, help="images timed (half real, half fake)")
    parser.add_argument("--blocks", default="0,1,2,4,12", help="values of K, comma-separated")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--rows", type=int, default=15000, help="training rows of the projected recipe")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the projected recipe")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    images, labels = _images(args.data, args.n)
    rows = []
    for k in [int(b) for b in args.blocks.split(",")]:
        tuner = CLIPNormTuner(last_blocks=k, epochs=1, batch_size=args.batch_size, device=args.device).fit(
            images, labels
        )
        token_s = tuner.recipe_["token_seconds"] / len(images)
        epoch_s = tuner.recipe_["tuning_seconds"] / len(images)
        hours = args.rows * (token_s + args.epochs * epoch_s) / 3600
        rows.append({"last_blocks": k, "tuned_parameters": tuner.recipe_["tuned_parameters"],
                     "token_s_per_image": round(token_s, 4), "epoch_s_per_image": round(epoch_s, 4),
                     "projected_hours": round(hours, 2)})  # fmt: skip
        print(f"K={k:2d}: tokens {token_s:.3f} s/img, one epoch {epoch_s:.3f} s/img, "
              f"{args.rows} rows x {args.epochs} epochs: {hours:.1f} h", flush=True)  # fmt: skip
    frozen = _ms_per_image(CLIPEmbedding(device=args.device), images)
    tuned = _ms_per_image(CLIPEmbedding(device=args.device, norms=tuner.norms_), images)
    print(
        f"inference: frozen {frozen:.0f} ms/img, tuned norms {tuned:.0f} ms/img (ratio {tuned / frozen:.2f})"
    )
    results = {
        "what": "CLIP LayerNorm tuning cost against K, and inference with and without tuned norms",
        "n_images": len(images),
        "batch_size": args.batch_size,
        "tuning": rows,
        "projection": {"rows": args.rows, "epochs": args.epochs},
        "inference_ms_per_image": {"frozen": round(frozen, 1), "tuned": round(tuned, 1)},
        "meta": {
            "command": shlex.join(
                ["python", "benchmarks/bench_clip_tune.py", *(sys.argv[1:] if argv is None else argv)]
            ),
            "commit": source_commit(),
            "machine": machine_info(),
            "versions": package_versions(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
    }
    if args.out:
        write_results(
            args.out, results, run_record([args.data / "hardfake"], ["clip"], results["meta"]["command"])
        )


if __name__ == "__main__":
    main()
