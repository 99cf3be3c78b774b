"""Do the ``clip`` features agree across CPUs? Native against an emulated AVX2-only CPU, in one run.

The script embeds a fixed set of real faces (the first ``--n`` real images,
by file name, of ``hardfake`` and of ``ciplab`` in ``../shared/data``, half
from each) on this machine, then runs itself again under ``qemu-x86_64 -cpu
Haswell`` (an x86-64 CPU with AVX2 and FMA but neither AVX-512 nor VNNI,
which qemu emulates instruction by instruction) and compares, for each way
of computing the ``clip`` features:

- ``float32`` (the default): the de-quantised weights in float32 with
  onnxruntime;
- ``int8``: the published int8 products, with the kernel that is exact on
  each CPU (U8S8 with AVX-512 VNNI, U8U8 elsewhere);
- ``published``: the published int8 file with onnxruntime's U8S8 kernel on
  every CPU, FaceTruth's path before this check existed (it saturates on
  CPUs without VNNI);

the cosine similarity between the native and the emulated features of each
image (the target is 0.999 or more for every image), each path's cosine to
the float32 reference computed by torch, and a detector's ``prob_fake``: a
logistic regression on L2-normalised features, fitted on the native
features of ``--n-train`` other ciplab images (half real, half fake) by the
same path, applied to both machines' features of the fixed set (the target
is 0.01 or less).

It also times each path natively (milliseconds per image, the threads
FaceTruth uses: one per core), before the emulated run so that the two do
not share the CPU. It prints a table and writes the figures, the command,
the commit, a hash of the images used and both machines as JSON
(``--out``). It asserts nothing. Emulation is slow: about 25 s per image for
int8, longer for float32, plus a minute of imports.

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
from _common import commit as git_commit  # benchmarks/ is first on the path

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


#: the ways of computing the clip features that are compared, as load_clip_encoder's arguments
PATHS = {
    "float32": {},
    "int8": {"precision": "int8"},
    "published": {"precision": "int8", "kernel": "u8s8"},
}


def _embed(paths, **kwargs):
    """Embeddings of ``paths``, milliseconds per image and the encoder's int8 kernel."""
    from facetruth.features import clip_embedding, load_clip_encoder

    encoder = load_clip_encoder("cpu", **kwargs)
    images = _read(paths)
    start = time.perf_counter()
    out = clip_embedding(images, encoder=encoder)
    return out, 1000 * (time.perf_counter() - start) / len(images), getattr(encoder, "kernel", None)


def _child(args):
    """The emulated half: every path of :data:`PATHS`."""
    from facetruth.evaluation import machine_info as cpu_info

    paths = Path(args.child).read_text().split("\n")
    embedded = {name: _embed(paths, **kwargs) for name, kwargs in PATHS.items()}
    np.savez(args.child_out, **{name: out for name, (out, _, _) in embedded.items()})
    kernels = {name: kernel for name, (_, _, kernel) in embedded.items()}
    Path(args.child_out + ".json").write_text(json.dumps({"cpu": cpu_info(), "kernels": kernels}))


def _cosine(a, b):
    return np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def _digest(paths):
    h = hashlib.sha256()
    for p in paths:
        h.update(Path(p).name.encode() + b"\0" + hashlib.sha256(Path(p).read_bytes()).digest())
    return h.hexdigest()


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

    from facetruth.evaluation import machine_info as cpu_info
    from facetruth.models import package_versions

    commit = git_commit()  # the code this run imports, before anything can change it
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
        native = {name: _embed(faces, **kwargs) for name, kwargs in PATHS.items()}
        other_kernel = "u8u8" if native["int8"][2] == "u8s8" else "u8s8"
        native_other, other_ms, _ = _embed(faces, precision="int8", kernel=other_kernel)
        reference, torch_ms, _ = _embed(faces, backend="torch")
        train_x = {name: _embed(train, **kwargs)[0] for name, kwargs in PATHS.items() if name != "published"}
        print(f"emulated run: {shlex.join(command[:3])} ... ({len(faces)} images)", file=sys.stderr)
        start = time.perf_counter()
        if subprocess.run(command, stderr=subprocess.DEVNULL, check=False).returncode != 0:
            raise SystemExit("the emulated run failed")
        emulated_seconds = time.perf_counter() - start
        emulated = np.load(child_out)
        emulated_facts = json.loads(Path(child_out + ".json").read_text())

    def unit(x):
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    detectors = {name: LogisticRegression(max_iter=5000).fit(unit(x), y_train) for name, x in train_x.items()}
    rows = {}
    for name in PATHS:
        detector = detectors["int8" if name == "published" else name]
        here, there = native[name][0], emulated[name]
        prob_here, prob_there = (detector.predict_proba(unit(x))[:, 1] for x in (here, there))
        rows[name] = {
            "kernel": {"native": native[name][2], "emulated": emulated_facts["kernels"][name]},
            "cosine_native_emulated": _stats(_cosine(here, there)),
            "cosine_to_float32": {
                "native": _stats(_cosine(here, reference)),
                "emulated": _stats(_cosine(there, reference)),
            },
            "prob_fake_max_abs_diff": round(float(np.abs(prob_here - prob_there).max()), 5),
        }
    kernels_agree = {
        "kernels": [native["int8"][2], other_kernel],
        "max_abs_diff": float(np.abs(native["int8"][0] - native_other).max()),
    }
    speed = {
        "float32 onnxruntime": round(native["float32"][1], 1),
        f"int8 {native['int8'][2]}": round(native["int8"][1], 1),
        f"int8 {other_kernel}": round(other_ms, 1),
        "float32 torch": round(torch_ms, 1),
    }
    results = {
        "command": shlex.join(["python", *sys.argv]),
        "commit": commit,
        "data": {
            "faces": [f"{p.parent.parent.name}/{p.parent.name}/{p.name}" for p in faces],
            "faces_sha256": _digest(faces),
            "train_sha256": _digest(train),
            "n_train": len(train),
        },
        "machine": {"native": cpu_info(), "emulated": emulated_facts["cpu"], "emulator": args.emulator},
        "versions": {**package_versions(), "python": platform.python_version()},
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "agreement": rows,
        "int8_kernels_agree_natively": kernels_agree,
        "ms_per_image_native": speed,
        "emulated_seconds": round(emulated_seconds, 1),
    }
    print(f"{len(faces)} real faces; native {cpu_info()['isa']}, emulated {emulated_facts['cpu']['isa']}")
    print(
        f"{'path':<12} {'kernels':<12} {'cos native/emulated min':>24} {'median':>8} {'|dP(fake)|':>11} {'cos to f32 min':>15}"
    )
    for name, row in rows.items():
        c, k = row["cosine_native_emulated"], row["kernel"]
        kernels = f"{k['native'] or '-'}/{k['emulated'] or '-'}"
        print(
            f"{name:<12} {kernels:<12} {c['min']:>24.5f} {c['median']:>8.5f} "
            f"{row['prob_fake_max_abs_diff']:>11.4f} {row['cosine_to_float32']['emulated']['min']:>15.4f}"
        )
    print(
        f"int8 kernels {kernels_agree['kernels']} natively: largest difference {kernels_agree['max_abs_diff']:.3g}"
    )
    print("ms per image here:", speed)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
