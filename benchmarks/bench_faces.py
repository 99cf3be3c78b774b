"""Face detection on a downscaled copy: face-found rate, time and box agreement per shared set.

For each set of ``../shared/data`` (hardfake, ciplab, ffhq_sg1, faceswap),
real and fake apart, decodes up to ``--per-class`` images (a seeded sample),
then runs :func:`facetruth.data.detect_face` on each with every
``--max-side`` (``none``: the full image) and prints, per set and class and
in total: the face-found rate (``face="auto"`` as the loader runs it: dlib,
then OpenCV's Haar cascade where dlib finds none; no landmarks unless
``--landmarks``; ``--method dlib,haar,lbp`` adds scikit-image's LBP cascade,
the chain before it was dropped), the mean detection time per image (decoding
excluded) and the mean IoU of the boxes against the full-image search where
both found a face. One process, one thread, CPU time of this process (so
that other load on the machine counts less): the times compare sizes, not
machines. A size below 640 searches again at 640 where it finds no face
(see ``detect_face``'s ``max_side``).

    python benchmarks/bench_faces.py
    python benchmarks/bench_faces.py --per-class 0 --max-side none 320 256 224 192 160
    python benchmarks/bench_faces.py --per-class 0 --max-side 160 --method dlib,haar,lbp
"""

import argparse
import random
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
SETS = ("hardfake", "ciplab", "ffhq_sg1", "faceswap")


def iou(a, b):
    """Intersection over union of two ``(x0, y0, x1, y1)`` boxes."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area if area > 0 else 0.0


def sample(folder, per_class, seed):
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if per_class and len(paths) > per_class:
        paths = sorted(random.Random(seed).sample(paths, per_class))
    return paths


def parse_method(text):
    return tuple(text.split(",")) if "," in text else text


def parse_side(text):
    return None if text.lower() == "none" else int(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sets", nargs="+", default=SETS)
    parser.add_argument("--per-class", type=int, default=150, help="images per set and class (0: all)")
    parser.add_argument("--max-side", nargs="+", type=parse_side, default=[None, 256, 224, 192, 160])
    parser.add_argument(
        "--method",
        type=parse_method,
        default="auto",
        help="detect_face's method; a comma-separated chain such as dlib,haar,lbp tries them in turn",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--landmarks",
        action="store_true",
        help="fit dlib's 68 landmarks too (aligned crops do; plain ones not)",
    )
    args = parser.parse_args()

    import cv2

    from facetruth.data import detect_face, read_image

    cv2.setNumThreads(1)
    sides = args.max_side if None in args.max_side else [None, *args.max_side]
    names = ["full" if s is None else str(s) for s in sides]
    rows, totals = [], {n: {"found": 0, "time": 0.0, "iou": [], "count": 0} for n in names}
    for set_name in args.sets:
        for cls in ("real", "fake"):
            paths = sample(args.data / set_name / cls, args.per_class, args.seed)
            if not paths:
                continue
            images = [read_image(p) for p in paths]
            detect_face(images[0], method=args.method)  # load the models before timing
            boxes = {}
            for side, name in zip(sides, names):
                found, start = [], time.process_time()
                for image in images:
                    f = detect_face(image, method=args.method, max_side=side, landmarks=args.landmarks)
                    found.append(None if f is None else f.box)
                elapsed = time.process_time() - start
                boxes[name] = found
                ious = [iou(a, b) for a, b in zip(boxes["full"], found) if a and b]
                row = {
                    "set": f"{set_name}/{cls}",
                    "n": len(images),
                    "side": name,
                    "found": sum(b is not None for b in found) / len(images),
                    "ms": 1000 * elapsed / len(images),
                    "iou": float(np.mean(ious)) if ious else float("nan"),
                }
                rows.append(row)
                t = totals[name]
                t["found"] += sum(b is not None for b in found)
                t["time"] += elapsed
                t["iou"] += ious
                t["count"] += len(images)
                print(
                    f"{row['set']:<16} n={row['n']:<5} max_side={name:<5} found {row['found']:6.1%}"
                    f"  {row['ms']:6.1f} ms/image  IoU vs full {row['iou']:.3f}",
                    flush=True,
                )
    print("\n| max_side | images | face found | ms per image | speed-up | mean IoU vs full |")
    print("|---|---|---|---|---|---|")
    base = totals["full"]["time"] / max(totals["full"]["count"], 1)
    for name in names:
        t = totals[name]
        ms = t["time"] / max(t["count"], 1)
        mean_iou = float(np.mean(t["iou"])) if t["iou"] else float("nan")
        print(
            f"| {name} | {t['count']} | {t['found'] / max(t['count'], 1):.1%} | {1000 * ms:.1f} "
            f"| {base / ms:.2f}x | {mean_iou:.3f} |"
        )


if __name__ == "__main__":
    main()
