"""The ``facetruth`` command line: one module per command, each option defined once.

:mod:`facetruth.cli.main` assembles the parser and turns library exceptions
into one-line messages and exit codes; :mod:`facetruth.cli.cmdoptions`
defines the options that several commands share. :func:`tune_allocator` is
the allocator setting the ``facetruth`` program makes at start-up, public for
the other programs that time FaceTruth as the command runs it (benchmarks).
"""

from .._libc import tune_allocator
from .main import main

__all__ = ["main", "tune_allocator"]
