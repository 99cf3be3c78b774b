"""Exceptions raised by FaceTruth's library code.

Library code raises these; only the command line turns them into messages
and exit codes.
"""

import os


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


#: what can be wrong with an input file, worded once: the library's exceptions, the rows of
#: :func:`facetruth.predict_items`, the files a data set skips and every command's messages say it so
FILE_PROBLEMS = {
    "missing": "no such file",
    "directory": "is a directory, not an image file",
    "not_regular": "not a regular file",
    "empty": "empty (0-byte) file",
    "permission": "permission denied",
    "unreadable": "cannot read the file ({detail})",
    "format": "not an image of a supported format ({detail} expected)",
    "corrupt": "truncated or corrupt image data ({detail})",
    "too_large": "too many pixels ({detail})",
    "zero_size": "zero-size image ({detail})",
    "undecodable": "cannot decode image ({detail})",
}


def file_problem(kind, detail=None):
    """The wording of one kind of unreadable file, without the file's name.

    Parameters
    ----------
    kind : str
        A key of :data:`FILE_PROBLEMS`.
    detail : object, default=None
        What the decoder or the system said, for the kinds that show it.

    Returns
    -------
    text : str

    Examples
    --------
    >>> from facetruth.exceptions import file_problem
    >>> file_problem("missing"), file_problem("corrupt", "image file is truncated")
    ('no such file', 'truncated or corrupt image data (image file is truncated)')
    """
    return FILE_PROBLEMS[kind].format(detail=detail)


def os_error_problem(exc):
    """The :data:`FILE_PROBLEMS` kind and detail of an :class:`OSError` met while opening a file.

    Examples
    --------
    >>> from facetruth.exceptions import os_error_problem
    >>> os_error_problem(FileNotFoundError(2, "No such file or directory"))
    ('missing', None)
    >>> os_error_problem(OSError(5, "Input/output error"))
    ('unreadable', 'Input/output error')
    """
    if isinstance(exc, FileNotFoundError):
        return "missing", None
    if isinstance(exc, PermissionError):
        return "permission", None
    if isinstance(exc, IsADirectoryError):
        return "directory", None
    return "unreadable", exc.strerror or str(exc)


class ImageDecodeError(FaceTruthError, ValueError):
    """An image or video could not be decoded.

    The message names the file (or ``<bytes>``) and the reason, worded by
    :data:`FILE_PROBLEMS` for the problems every input can have; the command
    line prints this message as it is.

    Examples
    --------
    >>> from facetruth.data import read_image
    >>> from facetruth.exceptions import ImageDecodeError
    >>> try:
    ...     read_image(b"")
    ... except ImageDecodeError as exc:
    ...     print(isinstance(exc, ValueError), exc)
    True <bytes>: ...
    >>> str(ImageDecodeError.about("photo.jpg", "missing"))
    "'photo.jpg': no such file"
    """

    @classmethod
    def about(cls, name, kind, detail=None):
        """The error of the file ``name`` (a path, or a name already quoted) for one kind of problem.

        Parameters
        ----------
        name : str or os.PathLike
            A path is shown quoted (``repr``); a string that starts with a
            quote or ``<`` (``"<bytes>"``) is shown as it is.
        kind : str
            A key of :data:`FILE_PROBLEMS`.
        detail : object, default=None

        Returns
        -------
        error : ImageDecodeError
        """
        return cls(f"{shown_name(name)}: {file_problem(kind, detail)}")

    @classmethod
    def from_os_error(cls, name, exc):
        """The error of the file ``name`` for an :class:`OSError` met while reading it."""
        return cls.about(name, *os_error_problem(exc))


def shown_name(name):
    """How a message names an input: a path quoted, a name already shown (``"'a.png'"``, ``"<bytes>"``) as it is.

    Examples
    --------
    >>> from facetruth.exceptions import shown_name
    >>> shown_name("a.png"), shown_name("'a.png'"), shown_name("<bytes>")
    ("'a.png'", "'a.png'", '<bytes>')
    """
    text = os.fsdecode(name) if isinstance(name, (bytes, os.PathLike)) else str(name)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text
    if text.startswith("<") and text.endswith(">"):
        return text
    return repr(text)


class DatasetLayoutError(FaceTruthError, ValueError):
    """A data source matches no known dataset layout, or is inconsistent.

    ``needs_label`` is true for a folder of images that matches no layout
    only for want of class folders: read with a label
    (``load_dataset(folder, label="real")``), it is a folder of one class.

    Examples
    --------
    >>> import tempfile
    >>> from facetruth.data import load_dataset
    >>> from facetruth.exceptions import DatasetLayoutError
    >>> try:
    ...     load_dataset(tempfile.mkdtemp())  # an empty folder
    ... except DatasetLayoutError as exc:
    ...     print(isinstance(exc, ValueError))
    True
    """

    needs_label = False


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


class InvalidParameterError(FaceTruthError, ValueError, TypeError):
    """A parameter of a FaceTruth function or estimator has an invalid type or value.

    Raised before any work, by the feature functions when called and by the
    estimators in ``fit``, with scikit-learn's wording: "The 'n_bins'
    parameter of fft_spectrum must be an int in the range [2, inf). Got 0
    instead." A ``ValueError`` (and a ``TypeError``), as scikit-learn's own
    error of that name is.

    Examples
    --------
    >>> from facetruth.exceptions import InvalidParameterError
    >>> issubclass(InvalidParameterError, ValueError)
    True
    """
