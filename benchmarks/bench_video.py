"""Loading sampled frames of videos: one decoding pass per video against one per frame.

A synthetic video (moving noise, ``--frames`` frames of ``--width`` x
``--height``, mp4v) is written to a temporary folder. The same ``--sample``
evenly spaced frames are then loaded twice:

- *per frame*: :func:`facetruth.data._video.read_video_frame` for each frame,
  which decodes from the start of the video every time;
- *loader*: :class:`facetruth.pipelines.ImageLoader` on the
  ``(video, frame)`` items, which decodes each video once for all its frames.

Both are repeated ``--repeats`` times, alternating, and the medians and their
ratio are printed. It asserts nothing: figures depend on the machine and on
what else runs on it.

Usage::

    python benchmarks/bench_video.py
    python benchmarks/bench_video.py --frames 600 --sample 32 --width 1280 --height 720
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from facetruth.data import read_video_frame
from facetruth.pipelines import ImageLoader


def write_video(path, n_frames, width, height, seed=0):
    """An mp4v video of smoothly moving noise (so the codec has real work)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (height + n_frames, width, 3), dtype=np.uint8)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (width, height))
    if not writer.isOpened():
        raise RuntimeError("OpenCV cannot write mp4v video here")
    for i in range(n_frames):
        writer.write(np.ascontiguousarray(base[i : i + height]))
    writer.release()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=300, help="frames in the video")
    parser.add_argument("--sample", type=int, default=16, help="frames loaded from it")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clip.mp4"
        write_video(path, args.frames, args.width, args.height)
        indices = np.unique(np.linspace(0, args.frames - 1, args.sample).round().astype(int)).tolist()
        loader = ImageLoader(face="off", image_size=224)
        per_frame, grouped = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            for i in indices:
                loader.transform([read_video_frame(path, i)])
            per_frame.append(time.perf_counter() - start)
            start = time.perf_counter()
            loader.transform([(path, i) for i in indices])
            grouped.append(time.perf_counter() - start)
    a, b = statistics.median(per_frame), statistics.median(grouped)
    print(f"video: {args.frames} frames of {args.width}x{args.height}; {len(indices)} frames loaded")
    print(f"per frame (decode from the start each time): {a:.2f} s")
    print(f"loader (one pass per video):                 {b:.2f} s")
    print(f"speed-up: {a / b:.1f}x (median of {args.repeats})")


if __name__ == "__main__":
    main()
