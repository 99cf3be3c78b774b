"""Do the ``clip`` features agree across CPUs? Native against an emulated AVX2-only CPU, in one run.

The script embeds a fixed set of real faces (the first ``--n`` real images,
by file name, of ``hardfake`` and of ``ciplab`` in ``../shared/data``, half
from each) with the ``clip`` family's CPU path on this machine, then runs
itself again under ``qemu-x86_64 -cpu Haswell`` (an x86-64 CPU with AVX2
and FMA but neither AVX-512 nor VNNI, which qemu emulates instruction by
instruction) and compares:

- per image, the cosine similarity between the native and the emulated
  embedding of the production path (the int8 kernel chosen for each CPU:
  U8S8 where it is exact, U8U8 elsewhere; the target is 0.999 or more for
  every image);
- the same for the int8 file as published, with its U8S8 kernel forced on
  the emulated CPU (the path of FaceTruth before the kernel was chosen per
  CPU: what an AVX2-only CPU computed);
- each path's cosine to the float32 reference (the de-quantised weights
  with torch, on this machine);
- a detector's ``prob_fake``: a logistic regression fitted on native
  features of ``--n-train`` other ciplab images (half real, half fake),
  applied to both machines' features of the fixed set (the target is 0.01
  or less).

It also times each path natively (milliseconds per image with the threads
FaceTruth uses, one per core). It prints a table and writes the figures,
the command, the commit, a hash of the images used and the machine as JSON
(``--out``). It asserts nothing. Emulation is slow: about 25 s per image
and path, plus a minute of imports.

Usage::

    apt-get install qemu-user          # Debian's package
    python benchmarks/check_portability.py --out results/portability/results.json
    python benchmarks/check_portability.py --n 2 --n-train 20    # a quick look
"""

import argparse
import hashlib
import json
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"
EMULATOR = ("qemu-x86_64", "-cpu", "Haswell")


def _first(folder, n):
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if len(files) < n:
        raise SystemExit(f"{folder}: {len(files)} images, {n} needed")
    return files[:n]


def _read(paths):
    from facetruth.data import read_image

    return [read_image(p) for p in paths]


def _embed(paths, kernel=None, backend=None, n_threads=None):
    """Embeddings of ``paths`` and milliseconds per image."""
    from facetruth.features import clip_embedding, load_clip_encoder

    encoder = load_clip_encoder("cpu", backend=backend, kernel=kernel, n_threads=n_threads)
    images = _read(paths)
    start = time.perf_counter()
    out = clip_embedding(images, encoder=encoder)
    return out, 1000 * (time.perf_counter() - start) / len(images), getattr(encoder, "kernel", "float32")


def _child(args):
    """The emulated half: the production path and the published U8S8 path."""
    from facetruth._cpu import cpu_info

    paths = Path(args.child).read_text().split("\n")
    production, _, kernel = _embed(paths)
    published, _, _ = _embed(paths, kernel="u8s8")
    np.savez(args.child_out, production=production, published=published)
    Path(args.child_out + ".json").write_text(json.dumps({"cpu": cpu_info(), "kernel": kernel}))


def _cosine(a, b):
    return np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def _digest(paths):
    h = hashlib.sha256()
    for p in paths:
        h.update(Path(p).name.encode() + b"\0" + hashlib.sha256(Path(p).read_bytes()).digest())
    return h.hexdigest()


def _commit():
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return (out.stdout.strip() or None) if not dirty else f"{out.stdout.strip()}+changes"


def _stats(values):
    values = np.asarray(values, float)
    return {"min": round(float(values.min()), 5), "median": round(float(np.median(values)), 5)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=8, help="real faces compared (half hardfake, half ciplab)")
    parser.add_argument("--n-train", type=int, default=60, help="ciplab images the detector is fitted on")
    parser.add_argument("--emulator", default=" ".join(EMULATOR), help="command that runs python emulated")
    parser.add_argument("--out", type=Path, help="write the figures as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args)

    from sklearn.linear_model import LogisticRegression

    from facetruth._cpu import cpu_info
    from facetruth.models import package_versions

    emulator = shlex.split(args.emulator)
    if shutil.which(emulator[0]) is None:
        raise SystemExit(f"{emulator[0]} not found: apt-get install qemu-user")
    half = args.n // 2
    faces = _first(args.data / "hardfake" / "real", args.n - half) + _first(
        args.data / "ciplab" / "real", half
    )
    n_train = args.n_train // 2
    train = _first(args.data / "ciplab" / "real", half + n_train)[half:] + _first(
        args.data / "ciplab" / "fake", n_train
    )
    y_train = np.r_[np.zeros(n_train), np.ones(n_train)]

    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "faces.txt"
        listing.write_text("\n".join(map(str, faces)))
        child_out = str(Path(tmp) / "emulated.npz")
        command = [*emulator, sys.executable, __file__, "--child", str(listing), "--child-out", child_out]
        # natively first, alone, so that the timings are not shared with the emulator
        native, native_ms, native_kernel = _embed(faces)
        other = "u8u8" if native_kernel == "u8s8" else "u8s8"
        native_other, other_ms, _ = _embed(faces, kernel=other)
        reference, float_ms, _ = _embed(faces, backend="torch")
        train_x, _, _ = _embed(train)
        print(
            f"emulated run: {shlex.join(command[:3])} ... ({len(faces)} images, two paths)", file=sys.stderr
        )
        start = time.perf_counter()
        if subprocess.run(command, stderr=subprocess.DEVNULL, check=False).returncode != 0:
            raise SystemExit("the emulated run failed")
        emulated_seconds = time.perf_counter() - start
        emulated = np.load(child_out)
        emulated_cpu = json.loads(Path(child_out + ".json").read_text())

    detector = LogisticRegression(C=1.0, max_iter=5000).fit(
        train_x / np.linalg.norm(train_x, axis=1, keepdims=True), y_train
    )

    def prob(x):
        return detector.predict_proba(x / np.linalg.norm(x, axis=1, keepdims=True))[:, 1]

    rows = {
        "production": {
            "kernel": {"native": native_kernel, "emulated": emulated_cpu["kernel"]},
            "cosine_native_emulated": _stats(_cosine(native, emulated["production"])),
            "cosine_to_float32": {
                "native": _stats(_cosine(native, reference)),
                "emulated": _stats(_cosine(emulated["production"], reference)),
            },
            "prob_fake_max_abs_diff": round(
                float(np.abs(prob(native) - prob(emulated["production"])).max()), 5
            ),
        },
        "published_u8s8": {
            "kernel": {"native": "u8s8", "emulated": "u8s8"},
            "cosine_native_emulated": _stats(
                _cosine(native if native_kernel == "u8s8" else native_other, emulated["published"])
            ),
            "cosine_to_float32": {"emulated": _stats(_cosine(emulated["published"], reference))},
            "prob_fake_max_abs_diff": round(
                float(np.abs(prob(native) - prob(emulated["published"])).max()), 5
            ),
        },
        "kernels_agree_natively": {
            "max_abs_diff": float(np.abs(native - native_other).max()),
            "cosine": _stats(_cosine(native, native_other)),
        },
    }
    speed = {
        f"int8 {native_kernel}": round(native_ms, 1),
        f"int8 {other}": round(other_ms, 1),
        "float32 torch": round(float_ms, 1),
    }
    results = {
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "commit": _commit(),
        "data": {
            "faces": [f"{p.parent.parent.name}/{p.parent.name}/{p.name}" for p in faces],
            "faces_sha256": _digest(faces),
            "train_sha256": _digest(train),
            "n_train": len(train),
        },
        "machine": {"native": cpu_info(), "emulated": emulated_cpu["cpu"], "emulator": args.emulator},
        "versions": {**package_versions(), "python": platform.python_version()},
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "agreement": rows,
        "ms_per_image_native": speed,
        "emulated_seconds": round(emulated_seconds, 1),
    }
    print(f"{len(faces)} real faces; native {cpu_info()['isa']}, emulated {emulated_cpu['cpu']['isa']}")
    print(f"{'path':<34} {'cos native/emulated (min, median)':>34} {'|dP(fake)|':>11}")
    for name, row in rows.items():
        if "cosine_native_emulated" in row:
            c = row["cosine_native_emulated"]
            print(
                f"{name + ' ' + str(row['kernel']['emulated']):<34} {c['min']:>17.5f} {c['median']:>16.5f} "
                f"{row['prob_fake_max_abs_diff']:>11.4f}"
            )
    agree = rows["kernels_agree_natively"]
    print(f"U8S8 and U8U8 natively: largest difference {agree['max_abs_diff']:.3g}")
    for name, row in rows.items():
        if "cosine_to_float32" in row:
            print(f"cosine to float32, {name}: {row['cosine_to_float32']}")
    print("ms per image here:", speed)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
