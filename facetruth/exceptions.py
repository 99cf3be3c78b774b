"""Exceptions raised by FaceTruth's library code.

Library code raises these; only the command line turns them into messages
and exit codes.
"""


class FaceTruthError(Exception):
    """Base class of every error FaceTruth raises on purpose."""


class ImageDecodeError(FaceTruthError, ValueError):
    """An image or video could not be decoded.

    The message names the file (or ``<bytes>``) and the reason.
    """


class DatasetLayoutError(FaceTruthError, ValueError):
    """A data source matches no known dataset layout, or is inconsistent."""


class ModelIntegrityError(FaceTruthError):
    """A saved model is missing, tampered with, or lacks its metadata."""
