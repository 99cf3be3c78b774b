"""What the CPU running FaceTruth can do: the instruction sets that change integer kernels.

onnxruntime's int8 matrix products take another kernel on each x86 CPU
family. With AVX-512 VNNI they accumulate exactly; with AVX2 or AVX-512BW
alone, the signed-weight kernel (U8S8) adds pairs of products in 16 bits,
which saturate. :func:`cpu_info` reads the instruction sets with CPUID (through
NumPy's dispatcher, so an emulated CPU reports what it emulates, not what
``/proc/cpuinfo`` says of the host), and :func:`exact_u8s8` says whether the
signed-weight kernel is exact here.
"""

import copy
import functools
import os
import platform

#: NumPy's names of the instruction sets FaceTruth reports, and ours
_FEATURES = (
    ("AVX2", "avx2"),
    ("FMA3", "fma"),
    ("AVX512F", "avx512f"),
    ("AVX512BW", "avx512bw"),
    ("AVX512VNNI", "avx512_vnni"),
    ("AVX512BF16", "avx512_bf16"),
    ("ASIMD", "neon"),
    ("ASIMDDP", "neon_dotprod"),
)


def _numpy_features():
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # NumPy < 2
        try:
            from numpy.core._multiarray_umath import __cpu_features__
        except ImportError:
            return {}
    return dict(__cpu_features__)


def _cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


@functools.lru_cache(maxsize=1)
def _read_cpu():
    found = _numpy_features()
    isa = sorted(ours for theirs, ours in _FEATURES if found.get(theirs))
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return {"machine": platform.machine(), "model": _cpu_model(), "cores": cores, "isa": isa}


def cpu_info():
    """The machine, its core count and the instruction sets that change results.

    Returns
    -------
    info : dict
        ``"machine"`` (``platform.machine()``), ``"model"`` (the CPU's name
        where the system tells it; under an emulator, the host's),
        ``"cores"`` (CPUs available to this process) and ``"isa"``: a sorted
        list of the instruction sets present among ``avx2``, ``fma``,
        ``avx512f``, ``avx512bw``, ``avx512_vnni``, ``avx512_bf16``, ``neon``
        and ``neon_dotprod``, as the CPU itself reports them.

    Examples
    --------
    >>> from facetruth._cpu import cpu_info
    >>> info = cpu_info()
    >>> sorted(info)
    ['cores', 'isa', 'machine', 'model']
    >>> set(info["isa"]) <= {"avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16",
    ...                      "neon", "neon_dotprod"}
    True
    """
    return copy.deepcopy(_read_cpu())  # read once per process; each caller gets its own copy


def exact_u8s8(info=None):
    """Whether onnxruntime's int8 kernel for signed weights (U8S8) accumulates exactly on this CPU.

    True on x86-64 with AVX-512 VNNI, whose ``vpdpbusd`` sums in 32 bits.
    False on every other x86 CPU (AVX2 or AVX-512BW without VNNI, whose
    ``vpmaddubsw`` saturates pairs of products at 16 bits) and, having not
    been measured there, on other architectures: there the unsigned kernel
    (U8U8), which widens before it adds, is used.

    Parameters
    ----------
    info : dict, optional
        As returned by :func:`cpu_info` (the default).

    Returns
    -------
    exact : bool

    Examples
    --------
    >>> from facetruth._cpu import exact_u8s8
    >>> exact_u8s8({"machine": "x86_64", "isa": ["avx2", "fma"]})
    False
    >>> exact_u8s8({"machine": "x86_64", "isa": ["avx2", "avx512f", "avx512bw", "avx512_vnni"]})
    True
    """
    info = cpu_info() if info is None else info
    machine = str(info.get("machine", "")).lower()
    return machine in ("x86_64", "amd64") and "avx512_vnni" in info.get("isa", ())
