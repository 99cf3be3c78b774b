"""The C library, for the two glibc allocator calls FaceTruth makes (``mallopt``, ``malloc_trim``)."""

import ctypes
import ctypes.util
import functools
import sys


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
