"""The ``facetruth`` command line: one module per command, each option defined once.

:mod:`facetruth.cli.main` assembles the parser and turns library exceptions
into one-line messages and exit codes; :mod:`facetruth.cli.cmdoptions`
defines the options that several commands share.
"""

from .main import main

__all__ = ["main"]
