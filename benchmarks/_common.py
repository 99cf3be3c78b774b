"""What the fit and core benchmarks share: the hardfake images they time, and the facts of a run.

``hardfake_split`` takes the first images of each class by file name from
``../shared/data/hardfake`` (never copied anywhere); ``run_facts`` gives the
command, commit, machine, package versions and date that a ``results.json``
records beside its figures, and ``save`` writes them with its provenance block.
"""

import os
import time
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
    from facetruth.models import source_commit

    return source_commit()


def _by_folder(datasets):
    """``{source folder: the items used of it}``: the parts of one folder joined."""
    import numpy as np

    from facetruth.data import Dataset

    folders = {}
    for part in datasets.values():
        if part is not None:
            folders.setdefault(Path(part.root), []).append(part)
    return {
        folder: Dataset(
            [p for part in parts for p in part.paths],
            np.concatenate([part.labels for part in parts]),
            [g for part in parts for g in part.groups],
            [s for part in parts for s in part.sources],
            root=folder,
        )
        for folder, parts in folders.items()
    }


def run_facts(started_commit, datasets, families=()):
    """Command, commit, data, machine, versions and date of a run, and its provenance block.

    Parameters
    ----------
    started_commit : str
        :func:`commit` when the run started.
    datasets : dict of str to Dataset
        The parts the run used; each is recorded with its size and manifest hash.
    families : sequence of str, default=()
        The feature families the run used, fingerprinted in the provenance block.

    Returns
    -------
    facts, record : dict
        The figures' own keys (as the files of ``results/`` have them) and
        :func:`facetruth.evaluation.run_record`'s block.
    """
    from facetruth.evaluation import run_record

    record = {**run_record(_by_folder(datasets), families), "commit": started_commit}
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count()
    facts = {
        "command": record["command"],
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
            **record["machine"],
            "usable_cores": usable,
            "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
            "scheduler_group": _autogroup(),
        },
        "versions": record["versions"],
        "date": record["date"],
    }
    return facts, record


def save(path, results, started_commit, datasets, families=()):
    """Write ``results`` with :func:`run_facts` to ``path`` (:func:`facetruth.evaluation.write_results`)."""
    from facetruth.evaluation import write_results

    facts, record = run_facts(started_commit, datasets, families)
    return write_results(path, {**facts, **results}, record)


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
