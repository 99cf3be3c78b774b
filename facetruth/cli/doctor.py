"""``facetruth doctor``: what this machine is, and whether FaceTruth and a model are at home on it."""

import json
import os
import platform
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path

from .._cpu import cpu_info, exact_u8s8
from .._version import __version__, installed_versions
from . import cmdoptions

HELP = "check this machine: package versions, CPU, threads, CLIP weights, CUDA and a model's features"
EXAMPLES = """
facetruth doctor
facetruth doctor model.joblib
facetruth doctor model.joblib --json > doctor.json
"""

#: exit status when a check found a problem, as ``pip check`` has it
EXIT_PROBLEM = 1

#: the distributions whose versions are shown, in order
PACKAGES = (
    "facetruth",
    "numpy",
    "scipy",
    "scikit-learn",
    "scikit-image",
    "xgboost",
    "onnxruntime",
    "onnx",
    "torch",
    "timm",
    "opencv-python-headless",
    "dlib-bin",
    "pillow",
)

#: environment variables that set thread counts, shown when set (and every ``OPENBLAS_*``)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")

#: the int8 kernel of the clip family's precision="int8", by whether the signed-weight kernel is exact
#: here (the default precision, float32, needs none)
INT8_KERNELS = {True: ("U8S8", "exact with AVX-512 VNNI"), False: ("U8U8", "exact everywhere")}


def add_arguments(parser):
    parser.add_argument(
        "model",
        nargs="?",
        default=None,
        metavar="MODEL",
        help="model file (.joblib) whose feature fingerprint to check on this machine",
    )
    cmdoptions.json_output(parser, help="print the facts as one JSON object, with a 'problems' list")
    cmdoptions.trust(parser)
    parser.set_defaults(func=cmd_doctor)


def cmd_doctor(args):
    facts = collect(args.model, trust=args.trust)
    if args.json:
        print(json.dumps(facts))
    else:
        print(doctor_text(facts))
    return EXIT_PROBLEM if facts["problems"] else 0


def collect(model=None, *, trust=False):
    """Every fact ``facetruth doctor`` reports, as a JSON-ready dict.

    CUDA and the model are checked before the threads are counted, so
    that torch's thread count is known when either imported torch; nothing
    imports torch only to read a version or a thread count.

    Parameters
    ----------
    model : str or os.PathLike, optional
        A saved model whose feature fingerprint to check.
    trust : bool, default=False
        Load ``model`` even without a model card.

    Returns
    -------
    facts : dict
        ``python``, ``packages``, ``cpu``, ``threads``, ``clip_weights``,
        ``cuda``, ``model`` (None without one) and ``problems``: a list of
        ``{"check", "message"}``, empty when all is well.
    """
    cuda = _cuda()
    loaded = None if model is None else _model(model, trust=trust)
    facts = {
        "python": platform.python_version(),
        "packages": _versions(),
        "cpu": _cpu(),
        "threads": _threads(),
        "clip_weights": _clip_weights(),
        "cuda": cuda,
        "model": loaded,
    }
    problems = []
    if not facts["clip_weights"]["ok"]:
        problems.append({"check": "clip_weights", "message": facts["clip_weights"]["message"]})
    if facts["model"] is not None and facts["model"]["status"] in ("drift", "unreadable"):
        problems.append({"check": "model", "message": facts["model"]["message"]})
    facts["problems"] = problems
    return facts


def _versions():
    versions = installed_versions(PACKAGES)
    versions["facetruth"] = versions["facetruth"] or __version__  # run from a checkout, not installed
    return versions


def _cpu():
    info = cpu_info()
    kernel, why = INT8_KERNELS[exact_u8s8(info)]
    return {**info, "int8_kernel": kernel, "int8_kernel_note": why}


def _threads():
    torch = sys.modules.get("torch")  # read only if something else imported it
    try:
        torch_threads = torch.get_num_threads() if torch is not None else None
    except (AttributeError, RuntimeError):
        torch_threads = None
    env = {
        name: value
        for name, value in sorted(os.environ.items())
        if name in THREAD_VARIABLES or name.startswith("OPENBLAS_")
    }
    return {
        "cpus_available": cpu_info()["cores"],
        "cpus_total": os.cpu_count(),
        "torch": torch_threads,
        "pools": _thread_pools(),
        "env": env,
    }


def _thread_pools():
    """The BLAS and OpenMP libraries loaded so far, each with its thread count."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    try:
        pools = threadpool_info()
    except Exception:  # threadpoolctl inspects native libraries; a surprise there is no problem of ours
        return []
    return [
        {
            "library": pool.get("internal_api"),
            "api": pool.get("user_api"),
            "owner": _owner(pool.get("filepath")),
            "version": pool.get("version"),
            "architecture": pool.get("architecture"),
            "threads": pool.get("num_threads"),
        }
        for pool in pools
    ]


def _owner(filepath):
    """The package that ships a native library (``numpy`` for ``.../numpy.libs/libscipy_openblas.so``)."""
    if not filepath:
        return None
    parts = Path(filepath).parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts[:-1]:
            folder = parts[parts.index(marker) + 1]
            return folder.removesuffix(".libs") if folder != parts[-1] else None
    return Path(filepath).name


def _clip_weights():
    from ..exceptions import ModelIntegrityError
    from ..features import WEIGHTS_SHA256, clip_weights_path, read_clip_weights

    facts = {"path": None, "sha256": WEIGHTS_SHA256, "ok": False, "message": None}
    try:
        path = clip_weights_path()
        facts["path"] = os.fspath(path)
        read_clip_weights(path)
    except ModelIntegrityError as exc:
        facts["message"] = _one_line(exc)
        return facts
    facts["ok"] = True
    return facts


def _cuda():
    """Whether torch sees a CUDA GPU; torch is imported only where a GPU runtime exists."""
    from ..features import resolve_device

    facts = {"available": False, "device": None, "count": 0, "message": None}
    if os.environ.get("CUDA_VISIBLE_DEVICES", "0").strip() in ("", "-1"):
        facts["message"] = "CUDA_VISIBLE_DEVICES hides every GPU"
    try:
        if resolve_device("auto") == "cpu":
            return facts
        import torch

        facts.update(available=True, device=torch.cuda.get_device_name(0), count=torch.cuda.device_count())
    except Exception as exc:  # a torch that cannot load its libraries: reported, not raised
        facts["message"] = f"torch cannot check: {_one_line(exc)}"
    return facts


def _model(path, *, trust=False):
    """Load a model and read its feature-fingerprint check; a model that fails to load is reported."""
    from ..models import load

    facts = {
        "path": os.fspath(path),
        "status": "unreadable",
        "message": None,
        "fingerprint": None,
        "warnings": [],
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = load(path, trust=trust, allow_drift=True)  # drift is reported, not refused
        except Exception as exc:  # any failure to load is this check's finding
            facts["message"] = _one_line(exc)
            facts["warnings"] = _warnings(caught, facts["message"])
            return facts
    drift = getattr(model, "facetruth_drift_", None)
    if drift is None:
        why = (
            "the model card has no fingerprint"
            if hasattr(model, "facetruth_card_")
            else "the model has no card"
        )
        facts.update(status="not checked", message=why)
    else:
        facts["fingerprint"] = _drift_dict(drift)
        checked, drifted = facts["fingerprint"].get("checked", True), facts["fingerprint"].get("drift")
        status = "drift" if drifted else "ok" if checked else "not checked"
        facts.update(status=status, message=_one_line(facts["fingerprint"].get("message") or ""))
    facts["warnings"] = _warnings(caught, facts["message"])
    return facts


def _drift_dict(drift):
    """A loaded model's ``facetruth_drift_`` (a :class:`~facetruth.models.FeatureDrift` or a dict) as a dict."""
    if isinstance(drift, Mapping):
        return dict(drift)
    if hasattr(drift, "as_dict"):
        return drift.as_dict()
    names = ("checked", "drift", "min_cosine", "cosine", "prob_delta", "message")
    return {name: getattr(drift, name) for name in names if hasattr(drift, name)}


def _warnings(caught, shown):
    """The loader's warnings as lines, without repeats and without the one the fingerprint row shows."""
    lines = dict.fromkeys(_one_line(w.message) for w in caught)
    return [line for line in lines if not shown or shown not in line]


def _one_line(message):
    """A message as one line: an exception's text (or its type when it has none), lines joined."""
    if isinstance(message, BaseException):
        message = str(message) or type(message).__name__
    return " ".join(str(message).split())


def _rows(facts):
    """``(section, item, value)`` rows of the table, in order."""
    rows = [("versions", "python", facts["python"])]
    rows += [("", name, version or "not installed") for name, version in facts["packages"].items()]

    cpu = facts["cpu"]
    rows += [
        ("cpu", "machine", cpu["machine"]),
        ("", "model", cpu["model"] or "unknown"),
        ("", "instruction sets", " ".join(cpu["isa"]) or "none of those that change results"),
        ("", "int8 kernel (clip, int8)", f"{cpu['int8_kernel']} ({cpu['int8_kernel_note']})"),
    ]

    threads = facts["threads"]
    rows.append(("threads", "cpus available", f"{threads['cpus_available']} of {threads['cpus_total']}"))
    rows.append(("", "torch", "not imported" if threads["torch"] is None else str(threads["torch"])))
    for pool in threads["pools"]:
        owner = f" ({pool['owner']})" if pool["owner"] else ""
        kernels = f", {pool['architecture']} kernels" if pool["architecture"] else ""
        rows.append(("", f"{pool['library']}{owner}", f"{pool['threads']}{kernels}"))
    rows += [("", name, value) for name, value in threads["env"].items()]

    weights = facts["clip_weights"]
    if weights["ok"]:
        rows.append(("clip", "weights", f"ok: sha256 {weights['sha256'][:12]}... {weights['path']}"))
    else:
        rows.append(("clip", "weights", f"PROBLEM: {weights['message']}"))

    cuda = facts["cuda"]
    if cuda["available"]:
        extra = f" (and {cuda['count'] - 1} more)" if cuda["count"] > 1 else ""
        rows.append(("cuda", "device", f"{cuda['device']}{extra}"))
    else:
        rows.append(("cuda", "device", f"no ({cuda['message']})" if cuda["message"] else "no"))

    model = facts["model"]
    if model is not None:
        status, message = model["status"], model["message"]
        value = {
            "ok": f"ok: {message}",
            "drift": f"PROBLEM: drift: {message}",
            "not checked": f"not checked: {message}",
            "unreadable": f"PROBLEM: cannot be loaded: {message}",
        }[status]
        rows += [("model", "file", model["path"]), ("", "fingerprint", value)]
        rows += [("", "warning", warning) for warning in model["warnings"]]

    checks = [problem["check"] for problem in facts["problems"]]
    rows.append(("problems", str(len(checks)) if checks else "none", ", ".join(checks)))
    return rows


def table(rows):
    """Rows of ``(section, item, value)`` as plain text in aligned columns.

    Examples
    --------
    >>> print(table([("cpu", "machine", "x86_64"), ("", "int8 kernel", "U8U8"), ("cuda", "device", "no")]))
    cpu   machine      x86_64
          int8 kernel  U8U8
    cuda  device       no
    """
    widths = [max(len(str(row[k])) for row in rows) for k in (0, 1)]
    lines = [f"{section:<{widths[0]}}  {item:<{widths[1]}}  {value}" for section, item, value in rows]
    return "\n".join(line.rstrip() for line in lines)


def doctor_text(facts):
    """The table of :func:`collect`'s facts; a problem's row says ``PROBLEM`` and what to do."""
    return table(_rows(facts))
