"""FaceTruth's version, and the versions of the distributions installed beside it."""

import subprocess
from importlib import metadata as _im
from pathlib import Path

__version__ = "0.1.0"


def installed_versions(names):
    """The installed version of each distribution in ``names`` (``None`` for one not installed).

    Examples
    --------
    >>> from facetruth._version import installed_versions
    >>> installed_versions(["numpy", "facetruth-no-such-distribution"])["facetruth-no-such-distribution"] is None
    True
    """
    versions = {}
    for name in names:
        try:
            versions[name] = _im.version(name)
        except _im.PackageNotFoundError:
            versions[name] = None
    return versions


def _git(*args, cwd):
    """``git ARGS`` in ``cwd``: its stripped stdout, or ``None`` when git fails or is missing."""
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def source_commit():
    """The git commit of the FaceTruth source that runs, with ``+changes`` when tracked files differ.

    The commit is ``HEAD`` of the checkout that holds the imported
    ``facetruth`` package (not of the current folder), and ``+changes`` is
    appended when any tracked file of that repository differs from it.

    Returns
    -------
    commit : str or None
        40 hex digits, perhaps followed by ``+changes``; ``None`` when
        FaceTruth does not run from a git checkout (an installed wheel) or git
        is missing.

    Examples
    --------
    >>> from facetruth._version import source_commit
    >>> commit = source_commit()
    >>> commit is None or len(commit.split("+")[0]) == 40
    True
    """
    here = Path(__file__).resolve().parent
    top = _git("rev-parse", "--show-toplevel", cwd=here)
    if not top or not (Path(top) / "facetruth" / "_version.py").resolve() == Path(__file__).resolve():
        return None  # not a FaceTruth checkout: e.g. site-packages inside another repository
    commit = _git("rev-parse", "HEAD", cwd=top)
    if not commit:
        return None
    changed = _git("status", "--porcelain", "--untracked-files=no", cwd=top)
    return f"{commit}+changes" if changed else commit
