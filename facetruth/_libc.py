"""The C library, for the two glibc allocator calls FaceTruth makes (``mallopt``, ``malloc_trim``)."""

import ctypes
import ctypes.util
import functools
import logging
import os
import sys

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def glibc():
    """The process's C library as a ``ctypes.CDLL`` on Linux, else ``None``.

    Looked up once per process: ``ctypes.util.find_library`` may run
    ``ldconfig`` or a compiler, far too slow to repeat per request.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


#: glibc ``mallopt`` parameters and the values set, with the environment variables
#: through which glibc reads the same settings in a new process
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_TUNING = (
    (_M_TRIM_THRESHOLD, "MALLOC_TRIM_THRESHOLD_", 128 << 20),
    (_M_MMAP_THRESHOLD, "MALLOC_MMAP_THRESHOLD_", 32 << 20),
)
_tuned = None


def tune_allocator(*, children=True):
    """Let glibc reuse freed image buffers instead of returning them to the system.

    Each feature function allocates a few arrays of 0.1 to 3 MB per image.
    By default glibc serves such sizes with fresh ``mmap`` pages and gives
    them back on ``free``, so every image pays for page faults and zeroing,
    which on a busy machine doubled the time of the LBP and noise features.
    Raising the mmap threshold to 32 MB and the trim threshold to 128 MB
    keeps them in the heap (at most 128 MB of freed memory is retained).

    The setting is process-wide, so no library module calls this function:
    a program (the ``facetruth`` command, a benchmark) calls it once at
    start-up. It does nothing where glibc is not the C library; feature
    values do not depend on it.

    Parameters
    ----------
    children : bool, default=True
        Also set ``MALLOC_TRIM_THRESHOLD_`` and ``MALLOC_MMAP_THRESHOLD_``
        in ``os.environ`` (unless already set), so that worker processes
        started afterwards (joblib, Dask) get the same thresholds.

    Returns
    -------
    tuned : bool
        Whether this process's thresholds are set. Applied once per process;
        later calls return the first call's result.

    Examples
    --------
    >>> from facetruth._libc import tune_allocator
    >>> tuned = tune_allocator(children=False)
    >>> isinstance(tuned, bool)
    True
    >>> tune_allocator(children=False) is tuned
    True
    """
    global _tuned
    libc = glibc()
    if libc is None:
        return False
    if children:
        for _, variable, value in _TUNING:
            os.environ.setdefault(variable, str(value))
    if _tuned is None:
        try:
            _tuned = all(libc.mallopt(param, value) == 1 for param, _, value in _TUNING)
        except AttributeError:  # a C library without mallopt
            _tuned = False
        if not _tuned:
            logger.debug("mallopt unavailable; allocator thresholds left unchanged")
    return _tuned
