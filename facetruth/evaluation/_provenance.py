"""Where a result comes from: the ``provenance`` block of every ``results/<name>/results.json``.

A figure is a claim about images, so its file says how to get it again and
what it rests on: the command, the commit, the date, the machine, the
package versions, each source folder of images it read (its manifest hash,
and that of the subset used) and, for each feature family, the family's
features on the fixed probe images (:func:`facetruth.data.probe_images`).
:func:`~facetruth.evaluation.check_results` compares the last two with the
data and the code of today.
"""

import json
import os
import platform
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .._atomic import atomic_write_json
from .._cpu import cpu_info
from .._version import source_commit

PROVENANCE_FORMAT = "facetruth-provenance/1"
#: each family's probe features, computed once per process
_PROBE_FEATURES = {}


def machine_info():
    """The CPU (instruction sets, cores) and, when torch is already imported and sees CUDA, the GPU.

    torch is never imported here: a run that did not use it had no GPU work.

    Returns
    -------
    machine : dict
        :func:`facetruth.models.feature_fingerprint`'s ``"machine"`` keys
        (``"machine"``, ``"model"``, ``"cores"``, ``"isa"``) and ``"gpu"``:
        ``None``, or ``{"name", "count", "cuda"}``.

    Examples
    --------
    >>> from facetruth.evaluation import machine_info
    >>> info = machine_info()
    >>> info["cores"] >= 1, "avx2" in info["isa"] or info["machine"] != "x86_64", "gpu" in info
    (True, True, True)
    """
    gpu = None
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            if torch.cuda.is_available():
                gpu = {
                    "name": torch.cuda.get_device_name(0),
                    "count": torch.cuda.device_count(),
                    "cuda": torch.version.cuda,
                }
        except Exception:  # noqa: BLE001 - a broken driver is no GPU, never a failed record
            gpu = None
    return {**cpu_info(), "gpu": gpu}


def _relative(path, root):
    """``path`` relative to ``root`` in POSIX form; its name when it lies elsewhere."""
    try:
        return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(root))).as_posix()
    except ValueError:  # another drive on Windows
        return Path(path).name


def source_record(folder, used=None, *, data_root=None):
    """One source folder of images a run read: its name, path and manifest hashes.

    Parameters
    ----------
    folder : str or os.PathLike
        The source folder, as :func:`~facetruth.data.load_dataset` reads it.
    used : Dataset, default=None
        The items of this folder the run used, when not all of them (its
        subset hash is taken relative to ``folder``, whatever its root).
    data_root : str or os.PathLike, default=None
        The folder that ``path`` is written relative to; the folder's parent by default.

    Returns
    -------
    record : dict
        ``"name"``, ``"path"`` (POSIX, relative to ``data_root``),
        ``"n_items"``, ``"manifest_sha256"`` (of the whole folder, as
        :meth:`Dataset.manifest_hash <facetruth.data.Dataset.manifest_hash>`
        computes it), ``"content_sha256"`` (the same with every file's
        SHA-256: :meth:`Dataset.content_hash <facetruth.data.Dataset.content_hash>`),
        ``"subset"`` (``None``, or ``{"n_items",
        "manifest_sha256"}`` of ``used`` when it is not the whole folder)
        and ``"as_of": "run"``.

    Examples
    --------
    >>> import tempfile
    >>> from facetruth.data import load_dataset, make_demo_dataset
    >>> from facetruth.evaluation._provenance import source_record
    >>> root = tempfile.mkdtemp()
    >>> _ = make_demo_dataset(8, size=16, out=f"{root}/demo")
    >>> record = source_record(f"{root}/demo", load_dataset(f"{root}/demo").subset([0, 1]))
    >>> record["name"], record["path"], record["n_items"], record["subset"]["n_items"]
    ('demo', 'demo', 8, 2)
    """
    from ..data import Dataset, load_dataset

    folder = Path(folder)
    whole = load_dataset(folder, one_class=True)
    digest = whole.manifest_hash()
    subset = None
    if used is not None:
        # the items' paths relative to this folder, as in the whole folder's hash
        used = Dataset(used.paths, used.labels, used.groups, used.sources, frames=used.frames, root=folder)
        used_digest = used.manifest_hash()
        if used_digest != digest:
            subset = {"n_items": len(used), "manifest_sha256": used_digest}
    return {
        "name": folder.resolve().name,
        "path": _relative(folder, data_root if data_root is not None else folder.resolve().parent),
        "n_items": len(whole),
        "manifest_sha256": digest,
        "content_sha256": whole.content_hash(),
        "subset": subset,
        "as_of": "run",
    }


def _family_specs(families):
    """``[(family, params), ...]`` of a run's families: names, named sets, ``(name, params)`` or a dict."""
    from ..pipelines import resolve_features

    if isinstance(families, str):
        families = [families]
    items = families.items() if isinstance(families, dict) else families
    specs = []
    for item in items:
        name, params = (item, {}) if isinstance(item, str) else (item[0], dict(item[1] or {}))
        for family in resolve_features(name):
            if (family, params) not in specs:
                specs.append((family, params))
    return specs


def family_probe_features(family, params=None):
    """A feature family's features on the probe images, computed here without any cache.

    The probes (:func:`facetruth.data.probe_images`) are taken whole (no face
    search) at their own size; ``params`` are the family's parameters
    (``{"precision": "int8"}`` for the clip family).

    Returns
    -------
    features : ndarray of shape (n_probes, n_columns), dtype float64

    Examples
    --------
    >>> from facetruth.evaluation._provenance import family_probe_features
    >>> family_probe_features("fft").shape
    (4, 69)
    """
    key = (family, json.dumps(params or {}, sort_keys=True, default=str))
    if key not in _PROBE_FEATURES:  # once per process: the features do not change while it runs
        _PROBE_FEATURES[key] = _probe_features(family, params)
    return _PROBE_FEATURES[key].copy()


def _probe_features(family, params):
    from sklearn.pipeline import Pipeline

    from ..data import PROBE_SIZE, probe_images
    from ..pipelines import build_features, build_loader

    params = {f"{family}__{key}": value for key, value in (params or {}).items()}
    steps = Pipeline(
        [
            ("loader", build_loader(face="off", image_size=PROBE_SIZE, n_jobs=1)),
            ("features", build_features(family, n_jobs=1, **params)),
        ]
    )
    images = probe_images()
    return np.asarray(steps.fit(images).transform(images), dtype=np.float64)


def feature_record(family, params=None, *, features=None, commit=None):
    """The fingerprint of one feature family: its features on the probe images, with machine and versions.

    Parameters
    ----------
    family : str
        A feature family (``"clip"``, ``"fft"`` ...).
    params : dict, default=None
        The family's parameters that the run set.
    features : ndarray, default=None
        The features already computed (by another commit's code, say);
        :func:`family_probe_features` by default.
    commit : str, default=None
        The commit whose code computed them; :func:`facetruth.models.source_commit` by default.

    Returns
    -------
    record : dict
        ``"family"``, ``"params"``, ``"commit"``, ``"as_of": "run"`` and
        ``"fingerprint"``: ``"format"``, ``"probes"`` (sha256 of the probe
        images), ``"features"`` (little-endian float32, base64, with its
        shape), ``"machine"`` and ``"versions"`` (the feature libraries).

    Examples
    --------
    >>> from facetruth.evaluation._provenance import feature_record
    >>> record = feature_record("fft")
    >>> record["family"], record["fingerprint"]["features"]["shape"]
    ('fft', [4, 69])
    """
    from ..models import probe_fingerprint

    if features is None:
        features = family_probe_features(family, params)
    return {
        "family": family,
        "params": dict(params or {}),
        "commit": commit if commit is not None else source_commit(),
        "as_of": "run",
        "fingerprint": probe_fingerprint(features),
    }


def run_record(datasets=None, families=(), command=None, *, data_root=None):
    """The ``provenance`` block of a result: command, commit, date, machine, versions, data, features.

    Parameters
    ----------
    datasets : sequence of path, or dict of path to (Dataset or None), default=None
        The source folders the run read. A dict maps each folder to the items
        of it that the run used (``None``: all of them).
    families : str, sequence or dict, default=()
        The feature families the run used: names or named sets (``"all"``),
        ``(family, params)`` pairs, or a dict of family to parameters
        (``{"clip": {"precision": "int8"}}``).
    command : str or sequence of str, default=None
        The command that re-runs it; ``python`` and this process's arguments by default.
    data_root : str or os.PathLike, default=None
        The folder that the sources' paths are written relative to (each
        folder's parent by default); ``facetruth check-results --data`` names it.

    Returns
    -------
    provenance : dict
        ``"format"``, ``"command"``, ``"commit"``, ``"date"`` (UTC, ISO
        8601), ``"machine"`` (:func:`machine_info`), ``"versions"``,
        ``"data"`` (one :func:`source_record` per folder) and ``"features"``
        (one :func:`feature_record` per family).

    Examples
    --------
    >>> from facetruth.evaluation import run_record
    >>> record = run_record(families=["fft"], command="python make_figure.py")
    >>> record["command"], [f["family"] for f in record["features"]], record["data"]
    ('python make_figure.py', ['fft'], [])
    """
    from ..models import package_versions

    if command is None:
        command = shlex.join(["python", *sys.argv])
    elif not isinstance(command, str):
        command = shlex.join([str(c) for c in command])
    if isinstance(datasets, (str, os.PathLike)):
        datasets = [datasets]
    sources = datasets.items() if isinstance(datasets, dict) else [(d, None) for d in datasets or ()]
    commit = source_commit()
    return {
        "format": PROVENANCE_FORMAT,
        "command": command,
        "commit": commit,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "versions": {**package_versions(), "python": platform.python_version()},
        "data": [source_record(folder, used, data_root=data_root) for folder, used in sources],
        "features": [
            feature_record(family, params, commit=commit) for family, params in _family_specs(families)
        ],
    }


def write_results(path, payload, record):
    """Write a result and its provenance to ``path`` as indented JSON, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The ``results.json`` to write; its folder is made when missing.
    payload : dict
        The figures; a ``"provenance"`` key in it is replaced.
    record : dict
        From :func:`run_record`.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import json, tempfile
    >>> from facetruth.evaluation import run_record, write_results
    >>> path = write_results(f"{tempfile.mkdtemp()}/x/results.json", {"auc": 0.9}, run_record(command="x"))
    >>> sorted(json.loads(path.read_text()))
    ['auc', 'provenance']
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, {**payload, "provenance": record})
    return path
