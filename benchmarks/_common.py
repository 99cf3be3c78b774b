"""What the fit and core benchmarks share: the hardfake images they time, and the facts of a run.

``hardfake_split`` takes the first images of each class by file name from
``../shared/data/hardfake`` (never copied anywhere); ``run_facts`` gives the
command, commit, machine, package versions and date that a ``results.json``
records beside its figures.
"""

import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"


def hardfake_split(data_dir, n_train, n_test=0):
    """The first ``n_train`` images of hardfake (half real, half fake), then the next ``n_test``.

    Parameters
    ----------
    data_dir : str or os.PathLike
        The folder that holds ``hardfake/real`` and ``hardfake/fake``.
    n_train, n_test : int
        Even numbers of images; each part is half real, half fake, in file-name order.

    Returns
    -------
    train, test : Dataset
        ``test`` is ``None`` when ``n_test`` is 0.
    """
    import numpy as np

    from facetruth.data import load_dataset

    root = Path(data_dir) / "hardfake"
    if not root.is_dir():
        raise SystemExit(f"no hardfake set at {root}")
    data = load_dataset(root)
    labels = np.asarray(data.labels)
    order = {
        c: [i for i in np.argsort([str(p) for p in data.paths], kind="stable") if labels[i] == c]
        for c in (0, 1)
    }
    half_train, half_test = n_train // 2, n_test // 2
    if min(len(order[0]), len(order[1])) < half_train + half_test:
        raise SystemExit(f"hardfake has too few images for {n_train} + {n_test}")
    train = [i for c in (0, 1) for i in order[c][:half_train]]
    test = [i for c in (0, 1) for i in order[c][half_train : half_train + half_test]]
    return data.subset(train), (data.subset(test) if test else None)


def commit():
    """The commit this run imports, with ``+changes`` when tracked files differ from it."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    sha = head.stdout.strip() or None
    return f"{sha}+changes" if sha and dirty else sha


def run_facts(started_commit, datasets):
    """Command, commit, data, machine, versions and date of a run, for its ``results.json``.

    Parameters
    ----------
    started_commit : str
        :func:`commit` when the run started.
    datasets : dict of str to Dataset
        The parts the run used; each is recorded with its size and manifest hash.
    """
    from facetruth._cpu import cpu_info
    from facetruth.models import package_versions

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count()
    return {
        "command": shlex.join(["python", *sys.argv]),
        "commit": started_commit,
        "data": {
            name: {
                "n": len(part),
                "counts": {str(k): int(v) for k, v in part.counts().items()},
                "manifest_sha256": part.manifest_hash(),
            }
            for name, part in datasets.items()
            if part is not None
        },
        "machine": {
            **cpu_info(),
            "usable_cores": usable,
            "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
            "scheduler_group": _autogroup(),
        },
        "versions": {**package_versions(), "python": platform.python_version()},
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _autogroup():
    """This process's scheduler group and its nice value (Linux ``/proc/self/autogroup``), or ``None``.

    With autogroups on, the kernel shares the cores fairly between sessions,
    not threads: a run among other sessions gets its group's share whatever
    its thread count, unless the group's nice value is lowered.
    """
    try:
        return Path("/proc/self/autogroup").read_text().strip()
    except OSError:
        return None


def timed(func, *args, **kwargs):
    """``func(*args, **kwargs)`` with its wall time and this process's CPU time, in seconds.

    The CPU time counts this process's threads, not its worker processes.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def load_average():
    """The one-minute load average, rounded: how busy the machine was around a measurement."""
    return round(os.getloadavg()[0], 2)
