"""Exceptions raised by FaceTruth's library code.

Library code raises these; only the command line turns them into messages
and exit codes.
"""


class FaceTruthError(Exception):
    """Base class of every error FaceTruth raises on purpose.

    Catch it to handle any of FaceTruth's own errors at once; the specific
    classes also derive from the built-in exception they refine.

    Examples
    --------
    >>> from facetruth import FaceTruthError, ModelIntegrityError
    >>> from facetruth.exceptions import DatasetLayoutError, ImageDecodeError
    >>> [issubclass(c, FaceTruthError) for c in (ImageDecodeError, DatasetLayoutError, ModelIntegrityError)]
    [True, True, True]
    """


class ImageDecodeError(FaceTruthError, ValueError):
    """An image or video could not be decoded.

    The message names the file (or ``<bytes>``) and the reason.

    Examples
    --------
    >>> from facetruth.data import ImageDecodeError, read_image
    >>> try:
    ...     read_image(b"")
    ... except ImageDecodeError as exc:
    ...     print(isinstance(exc, ValueError), exc)
    True <bytes>: ...
    """


class DatasetLayoutError(FaceTruthError, ValueError):
    """A data source matches no known dataset layout, or is inconsistent.

    Examples
    --------
    >>> import tempfile
    >>> from facetruth.data import DatasetLayoutError, load_dataset
    >>> try:
    ...     load_dataset(tempfile.mkdtemp())  # an empty folder
    ... except DatasetLayoutError as exc:
    ...     print(isinstance(exc, ValueError))
    True
    """


class ModelIntegrityError(FaceTruthError):
    """A saved model is missing, tampered with, or lacks its metadata.

    Examples
    --------
    >>> import os, tempfile
    >>> from facetruth import ModelIntegrityError, load
    >>> try:
    ...     load(os.path.join(tempfile.mkdtemp(), "missing.joblib"))
    ... except ModelIntegrityError as exc:
    ...     print(str(exc).endswith("model file not found."))
    True
    """


class FeatureDriftError(ModelIntegrityError):
    """A saved detector's features, computed on this machine, differ from those it was saved with.

    Raised by :func:`facetruth.load` when the features of the fixed probe
    images (:func:`facetruth.data.probe_images`) or their ``P(fake)`` no
    longer match the fingerprint in the model card: another CPU or library
    version computes other features, so the model's scores would not be the
    ones it was validated with. ``load(path, allow_drift=True)``
    (``--allow-drift``) loads it anyway, with a warning.

    Examples
    --------
    >>> from facetruth import FeatureDriftError, ModelIntegrityError
    >>> issubclass(FeatureDriftError, ModelIntegrityError)
    True
    """


class NotAModelError(ModelIntegrityError, ValueError):
    """The path given as a model is something else: an image, a video, a model card or a folder.

    Raised by :func:`facetruth.load` before anything is read as a model.
    ``kind`` says what the path is (``"image"``, ``"video"``, ``"card"``,
    ``"json"`` or ``"folder"``); ``suggestion`` is the model file to pass
    instead, when one is known.

    Examples
    --------
    >>> import tempfile
    >>> from facetruth import load
    >>> from facetruth.exceptions import NotAModelError
    >>> try:
    ...     load(tempfile.mkdtemp())
    ... except NotAModelError as exc:
    ...     print(exc.kind, "is a folder, not a model file" in str(exc))
    folder True
    """

    def __init__(self, message, *, kind=None, suggestion=None):
        super().__init__(message)
        self.kind = kind
        self.suggestion = suggestion


class WeakModelError(FaceTruthError):
    """A trained detector is too weak to be saved: no better than chance on its own data.

    Raised by :func:`facetruth.models.check_detector` when the out-of-fold
    ROC-AUC is below the limit or every out-of-fold probability is the same.

    Examples
    --------
    >>> from facetruth.exceptions import FaceTruthError, WeakModelError
    >>> issubclass(WeakModelError, FaceTruthError)
    True
    """
