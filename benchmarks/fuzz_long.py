"""Long fuzz run of FaceTruth's input readers: ``read_image``, the video reader and ``load_dataset``.

Mutates seed files of every supported flavour (JPEG, CMYK JPEG, PNG in RGB,
16-bit, palette and grey+alpha, WebP, animated GIF, TIFF in RGB, CMYK and
16-bit, 1-bit BMP, MJPEG AVI and MPEG-4 MP4 videos), crafted headers that
claim 1x1 to 65535x65535 pixels, and random bytes behind valid magic
numbers. Most cases decode bytes in memory; every 10th goes through a file
with a random extension, every 25th is a video, every 100th a whole
``real/``/``fake/`` folder for ``load_dataset``. A case fails when anything
but ImageDecodeError / DatasetLayoutError escapes, when an error message does
not name its source, or when a decode is not ``(h, w, 3) uint8``.

Prints the cases run per target, failures (the first few with reproducers
written to ``--out``), and the peak resident memory.

    python benchmarks/fuzz_long.py                 # 10,000 cases
    python benchmarks/fuzz_long.py --cases 50000 --seed 3 --out fuzz-failures
    python benchmarks/fuzz_long.py --engine atheris --cases 100000   # coverage-guided (pip install atheris)

With ``--engine atheris`` the bytes target runs under libFuzzer through
atheris instead, guided by the Python-level coverage of Pillow's plugins and
``read_image``; it stops at the first failure and writes it as ``crash-*``.
"""

import argparse
import hashlib
import io
import logging
import os
import resource
import struct
import sys
import tempfile
import time
import traceback
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from facetruth.data import load_dataset, read_image, read_video_frames
from facetruth.exceptions import DatasetLayoutError, ImageDecodeError

MAGICS = [
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF\0\0\0\0WEBP",
]
SUFFIXES = [".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".bmp", ".mp4", ".txt", ""]


def _encode(img, fmt, **kwargs):
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header(width, height):
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = _chunk(b"IDAT", zlib.compress(b"\0\xff\0\0"))
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + idat + _chunk(b"IEND", b"")


def jpeg_header(width, height):
    data = _encode(Image.new("RGB", (8, 8), (255, 0, 0)), "JPEG")
    sof = data.index(b"\xff\xc0")
    return data[: sof + 5] + struct.pack(">HH", height, width) + data[sof + 9 :]


def image_seeds():
    rng = np.random.default_rng(1)
    rgb = Image.fromarray(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8))
    grey16 = Image.fromarray(np.full((12, 10), 0x1234, dtype=np.uint16))
    palette = Image.new("P", (8, 8), 1)
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    cmyk = Image.new("CMYK", (8, 8), (0, 255, 255, 0))
    frames = [Image.new("RGB", (10, 6), c) for c in ((255, 0, 0), (0, 0, 255))]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=50)
    return [
        _encode(rgb, "JPEG", quality=90),
        _encode(rgb, "JPEG", quality=75, progressive=True),
        _encode(cmyk, "JPEG"),
        _encode(rgb, "PNG"),
        _encode(grey16, "PNG"),
        _encode(palette, "PNG", transparency=0),
        _encode(Image.new("LA", (5, 5), (0, 0)), "PNG"),
        _encode(rgb, "WEBP", lossless=True),
        _encode(rgb, "WEBP", quality=80),
        gif.getvalue(),
        _encode(rgb, "TIFF"),
        _encode(rgb, "TIFF", compression="tiff_deflate"),
        _encode(cmyk, "TIFF"),
        _encode(grey16, "TIFF"),
        _encode(Image.new("1", (9, 7), 1), "BMP"),
    ]


def video_seeds():
    import cv2

    seeds = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, fourcc in (("a.avi", "MJPG"), ("a.mp4", "mp4v")):
            path = os.path.join(tmp, name)
            writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), 10, (16, 12))
            for i in range(4):
                writer.write(np.full((12, 16, 3), 20 * i, np.uint8))
            writer.release()
            seeds.append((Path(path).read_bytes(), Path(name).suffix))
    return seeds


def mutate(rng, blob):
    """Truncations, bit flips, overwrites, insertions and repeated slices of ``blob``."""
    blob = bytearray(blob)
    for _ in range(int(rng.integers(0, 6))):
        at = int(rng.integers(0, max(len(blob), 1)))
        op = int(rng.integers(0, 4))
        if op == 0 and blob:
            blob[at] ^= 1 << int(rng.integers(0, 8))
        elif op == 1:
            blob[at : at + 8] = rng.bytes(int(rng.integers(1, 9)))
        elif op == 2:
            blob[at:at] = rng.bytes(int(rng.integers(1, 33)))
        else:
            blob[at:at] = blob[at : at + int(rng.integers(1, 257))]
    if rng.random() < 0.4:
        blob = blob[: int(rng.integers(0, len(blob) + 1))]
    return bytes(blob)


def make_input(rng, seeds):
    kind = rng.random()
    if kind < 0.8:
        return mutate(rng, seeds[int(rng.integers(len(seeds)))])
    if kind < 0.9:
        make = png_header if rng.random() < 0.5 else jpeg_header
        side = [1, 2, 255, 4096, 20000, 65535]
        return (
            mutate(rng, make(int(rng.choice(side)), int(rng.choice(side))))
            if rng.random() < 0.3
            else make(int(rng.choice(side)), int(rng.choice(side)))
        )
    return MAGICS[int(rng.integers(len(MAGICS)))] + rng.bytes(int(rng.integers(0, 400)))


def check_image(result, where):
    if isinstance(result, Exception):
        if not isinstance(result, ImageDecodeError):
            raise result
        if not str(result).startswith(where):
            raise AssertionError(f"message does not name {where}: {result}")
        return
    if result.dtype != np.uint8 or result.ndim != 3 or result.shape[2] != 3 or not result.flags.c_contiguous:
        raise AssertionError(f"bad output {result.dtype} {result.shape}")


def call(func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except Exception as exc:  # judged by the caller
        return exc


def case_bytes(rng, ctx):
    data = ctx["last"] = make_input(rng, ctx["images"])
    check_image(call(read_image, data, max_pixels=ctx["max_pixels"]), "<bytes>")


def case_file(rng, ctx):
    data = ctx["last"] = make_input(rng, ctx["images"])
    path = os.path.join(ctx["tmp"], f"case{SUFFIXES[int(rng.integers(len(SUFFIXES)))]}")
    Path(path).write_bytes(data)
    check_image(call(read_image, path, max_pixels=ctx["max_pixels"]), repr(path))


def case_video(rng, ctx):
    blob, suffix = ctx["videos"][int(rng.integers(len(ctx["videos"])))]
    data = ctx["last"] = mutate(rng, blob)
    path = os.path.join(ctx["tmp"], f"clip{suffix}")
    Path(path).write_bytes(data)
    result = call(read_video_frames, path, n_frames=3, max_pixels=ctx["max_pixels"])
    if isinstance(result, Exception):
        check_image(result, repr(path))
    else:
        for frame in result[0]:
            check_image(frame, repr(path))


def case_dataset(rng, ctx):
    root = tempfile.mkdtemp(dir=ctx["tmp"])
    ctx["last"] = b""  # a folder case has no single input file; its traceback is kept
    for i in range(int(rng.integers(0, 7))):
        folder = os.path.join(root, ["real", "fake", "other"][int(rng.integers(3))])
        os.makedirs(folder, exist_ok=True)
        data = make_input(rng, ctx["images"]) if rng.random() < 0.8 else b""
        Path(folder, f"{i}{SUFFIXES[int(rng.integers(len(SUFFIXES)))]}").write_bytes(data)
    result = call(load_dataset, root)
    if isinstance(result, Exception):
        if not isinstance(result, DatasetLayoutError):
            raise result
        if repr(root) not in str(result):
            raise AssertionError(f"message does not name {root}: {result}")
    else:
        for i in range(len(result)):
            check_image(call(result.read, i, max_pixels=ctx["max_pixels"]), repr(result.paths[i]))


def run(args):
    rng = np.random.default_rng(args.seed)
    counts, failures = {}, []
    rss_kib = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="facetruth-fuzz-") as tmp:
        ctx = {"images": image_seeds(), "videos": video_seeds(), "tmp": tmp, "max_pixels": args.max_pixels}
        peak_start, start = rss_kib(), time.perf_counter()
        for i in range(args.cases):
            target = (
                case_dataset
                if i % 100 == 99
                else case_video
                if i % 25 == 24
                else case_file
                if i % 10 == 9
                else case_bytes
            )
            try:
                target(rng, ctx)
            except Exception as exc:  # a finding: keep the input that caused it
                failures.append((i, target.__name__, ctx["last"], exc, traceback.format_exc(limit=4)))
            counts[target.__name__] = counts.get(target.__name__, 0) + 1
            if args.progress and (i + 1) % 1000 == 0:
                print(f"  {i + 1} cases, {len(failures)} failures", file=sys.stderr, flush=True)
        wall = time.perf_counter() - start
    report(args, counts, failures, wall, peak_start, rss_kib())


def report(args, counts, failures, wall, peak_start, peak_end):
    total = sum(counts.values())
    print(f"cases run: {total} in {wall:.0f} s ({total / wall:.0f}/s), seed {args.seed}")
    print("per target: " + ", ".join(f"{k.removeprefix('case_')} {v}" for k, v in sorted(counts.items())))
    print(f"failures: {len(failures)}")
    for i, target, data, exc, trace in failures[:5]:
        digest = hashlib.sha256(data).hexdigest()[:12]
        print(f"  case {i} ({target}, {len(data)} bytes, sha256 {digest}, head {data[:16].hex()}):")
        print(f"    {type(exc).__name__}: {exc}"[:300])
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"case-{i}-{digest}.bin").write_bytes(data)
            (args.out / f"case-{i}-{digest}.txt").write_text(f"{target}\n{trace}")
    print(f"peak RSS: {peak_end / 1024:.0f} MiB (after setup {peak_start / 1024:.0f} MiB)")


def run_atheris(args):
    """Coverage-guided fuzzing of ``read_image`` on bytes (atheris / libFuzzer)."""
    import atheris

    with atheris.instrument_imports():
        import PIL.BmpImagePlugin  # noqa: F401
        import PIL.GifImagePlugin  # noqa: F401
        import PIL.ImageOps  # noqa: F401
        import PIL.JpegImagePlugin  # noqa: F401
        import PIL.PngImagePlugin  # noqa: F401
        import PIL.TiffImagePlugin  # noqa: F401
        import PIL.WebPImagePlugin  # noqa: F401

        # the public name, looked up here, imports (and so instruments) the module that defines it
        from facetruth.data import read_image as instrumented_read_image

    def one_input(data):
        check_image(call(instrumented_read_image, data, max_pixels=args.max_pixels), "<bytes>")

    corpus = tempfile.mkdtemp(prefix="facetruth-atheris-")
    for i, seed in enumerate(image_seeds()):
        Path(corpus, f"seed-{i}").write_bytes(seed)
    flags = [f"-runs={args.cases}", f"-seed={args.seed + 1}", "-max_len=4096", "-print_final_stats=1"]
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        flags.append(f"-artifact_prefix={args.out}/")
    atheris.Setup([sys.argv[0], *flags, corpus], one_input)
    atheris.Fuzz()  # exits the process; libFuzzer prints runs, coverage and peak RSS


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases to run (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-pixels", type=int, default=16_000_000, help="read_image limit per case")
    parser.add_argument("--out", type=Path, help="folder for reproducers of the first failures")
    parser.add_argument("--progress", action="store_true", help="a line on stderr every 1000 cases")
    parser.add_argument("--engine", choices=["builtin", "atheris"], default="builtin")
    args = parser.parse_args(argv)
    # the readers log every damaged file they meet; here that is every case
    logging.basicConfig(level=logging.ERROR)
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    (run_atheris if args.engine == "atheris" else run)(args)


if __name__ == "__main__":
    main()
