"""Parameter validation of FaceTruth's functions and estimators, with scikit-learn's vocabulary.

:func:`validate_params` checks an estimator's parameters in ``fit``, the
decorator :func:`validate_arguments` a function's arguments; the constraints
are :class:`Interval`, :class:`Options`, :class:`StrOptions`,
:class:`HasMethods`, ``"array-like"``, ``"boolean"``, ``callable``, ``None``
and types. A refused value raises
:class:`~facetruth.exceptions.InvalidParameterError` with scikit-learn's
wording: "The 'n_bins' parameter of fft_spectrum must be an int in the range
[2, inf). Got 0 instead."

Why FaceTruth owns this helper: scikit-learn's own tools live in its private
module ``sklearn.utils._param_validation``, which may change or move in any
scikit-learn release without notice, while FaceTruth's users, command line
and tests depend on which values are refused and on the words of the error.
The helper is small; it keeps scikit-learn's constraint vocabulary and
message so a FaceTruth estimator still reads like one of scikit-learn's.
"""

import contextvars
import functools
import inspect
from numbers import Integral, Real

import numpy as np

from .exceptions import InvalidParameterError

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "check_parameter",
    "generate_invalid_value",
    "make_constraint",
    "validate_arguments",
    "validate_params",
]


def _type_name(t):
    """A readable name of a type: ``'int'``, ``'float'``, ``'os.PathLike'``."""
    if t is Integral:
        return "int"
    if t is Real:
        return "float"
    if t.__module__ == "builtins":
        return t.__qualname__
    return f"{t.__module__}.{t.__qualname__}"


class _Constraint:
    """A set of valid values: :meth:`is_satisfied_by` tests one, ``str`` describes them."""

    def is_satisfied_by(self, value):
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__}: {self}>"


class Interval(_Constraint):
    """Numbers of one type in an interval.

    Parameters
    ----------
    type : {numbers.Integral, numbers.Real}
        ``Integral`` accepts Python and NumPy integers; ``Real`` accepts any
        real number (integers too), never NaN.
    left, right : int, float or None
        The bounds; None is unbounded on that side.
    closed : {"left", "right", "both", "neither"}
        Which bounds belong to the interval.

    Examples
    --------
    >>> from numbers import Integral
    >>> from facetruth._params import Interval
    >>> n_bins = Interval(Integral, 2, None, closed="left")
    >>> n_bins.is_satisfied_by(8), n_bins.is_satisfied_by(1), n_bins.is_satisfied_by(8.0)
    (True, False, False)
    >>> str(n_bins)
    'an int in the range [2, inf)'
    """

    def __init__(self, type, left, right, *, closed):
        if type not in (Integral, Real):
            raise ValueError(f"type must be numbers.Integral or numbers.Real; got {type!r}.")
        if closed not in ("left", "right", "both", "neither"):
            raise ValueError(f"closed must be 'left', 'right', 'both' or 'neither'; got {closed!r}.")
        if left is not None and right is not None and right <= left:
            raise ValueError(f"right must be greater than left; got left={left} and right={right}.")
        self.type = type
        self.left = left
        self.right = right
        self.closed = closed

    def is_satisfied_by(self, value):
        if not isinstance(value, self.type):
            return False
        if not isinstance(value, Integral) and np.isnan(value):
            return False
        if self.left is not None:
            if value < self.left or (value == self.left and self.closed in ("right", "neither")):
                return False
        if self.right is not None:
            if value > self.right or (value == self.right and self.closed in ("left", "neither")):
                return False
        return True

    def __str__(self):
        def bound(value, infinite):
            if value is None:
                return infinite
            return value if self.type is Integral else float(value)

        kind = "an int" if self.type is Integral else "a float"
        left = "[" if self.closed in ("left", "both") else "("
        right = "]" if self.closed in ("right", "both") else ")"
        return f"{kind} in the range {left}{bound(self.left, '-inf')}, {bound(self.right, 'inf')}{right}"


class Options(_Constraint):
    """A finite set of values of one type.

    Parameters
    ----------
    type : type
    options : set
    """

    def __init__(self, type, options):
        self.type = type
        self.options = options

    def is_satisfied_by(self, value):
        return isinstance(value, self.type) and value in self.options

    def __str__(self):
        options = sorted(self.options, key=repr)  # the same words in every run (sets of str are not ordered)
        return f"a {_type_name(self.type)} among {{{', '.join(repr(o) for o in options)}}}"


class StrOptions(Options):
    """A finite set of strings.

    Examples
    --------
    >>> from facetruth._params import StrOptions
    >>> str(StrOptions({"rgb"}))
    "a str among {'rgb'}"
    """

    def __init__(self, options):
        super().__init__(str, options)


class HasMethods(_Constraint):
    """Any object with the named methods (a protocol rather than a class).

    Parameters
    ----------
    methods : str or list of str
    """

    def __init__(self, methods):
        self.methods = [methods] if isinstance(methods, str) else list(methods)

    def is_satisfied_by(self, value):
        return all(callable(getattr(value, method, None)) for method in self.methods)

    def __str__(self):
        names = [repr(m) for m in self.methods]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        return f"an object implementing {listed}"


class _InstancesOf(_Constraint):
    def __init__(self, type):
        self.type = type

    def is_satisfied_by(self, value):
        return isinstance(value, self.type)

    def __str__(self):
        return f"an instance of {_type_name(self.type)!r}"


class _NoneConstraint(_Constraint):
    def is_satisfied_by(self, value):
        return value is None

    def __str__(self):
        return "None"


class _ArrayLikes(_Constraint):
    """Sequences and arrays, not scalars (a string is a scalar)."""

    def is_satisfied_by(self, value):
        return (
            hasattr(value, "__len__") or hasattr(value, "shape") or hasattr(value, "__array__")
        ) and not np.isscalar(value)

    def __str__(self):
        return "an array-like"


class _Booleans(_Constraint):
    def is_satisfied_by(self, value):
        return isinstance(value, (bool, np.bool_))

    def __str__(self):
        return f"{_InstancesOf(bool)} or {_InstancesOf(np.bool_)}"


class _Callables(_Constraint):
    def is_satisfied_by(self, value):
        return callable(value)

    def __str__(self):
        return "a callable"


_NAMED = {"array-like": _ArrayLikes, "boolean": _Booleans}


def make_constraint(constraint):
    """Turn the shorthand of a constraint into a constraint object.

    Parameters
    ----------
    constraint : object
        A constraint object (:class:`Interval`, :class:`Options`,
        :class:`StrOptions`, :class:`HasMethods`); ``"array-like"``;
        ``"boolean"`` (``bool`` or ``numpy.bool_``); ``callable``; ``None``
        (the value None); or a type (its instances).

    Returns
    -------
    constraint : object with ``is_satisfied_by(value)`` and a description as ``str``
    """
    if isinstance(constraint, _Constraint):
        return constraint
    if isinstance(constraint, str) and constraint in _NAMED:
        return _NAMED[constraint]()
    if constraint is callable:
        return _Callables()
    if constraint is None:
        return _NoneConstraint()
    if isinstance(constraint, type):
        return _InstancesOf(constraint)
    raise ValueError(f"Unknown constraint: {constraint!r}")


def check_parameter(name, value, constraints, caller):
    """Raise unless ``value`` satisfies one of ``constraints``.

    Parameters
    ----------
    name : str
        The parameter's name.
    value : object
    constraints : list or "no_validation"
        Valid when any constraint (see :func:`make_constraint`) is satisfied.
    caller : str
        The function or estimator class named in the message.

    Raises
    ------
    InvalidParameterError
        ``"The {name!r} parameter of {caller} must be ... Got {value!r} instead."``

    Examples
    --------
    >>> from numbers import Integral
    >>> from facetruth._params import Interval, check_parameter
    >>> check_parameter("n_jobs", 2, [Integral, None], "FFTFeatures")
    >>> check_parameter("n_bins", 0, [Interval(Integral, 2, None, closed="left")], "fft_spectrum")
    Traceback (most recent call last):
    ...
    facetruth.exceptions.InvalidParameterError: The 'n_bins' parameter of fft_spectrum must be an int in the range [2, inf). Got 0 instead.
    """
    if isinstance(constraints, str) and constraints == "no_validation":
        return
    constraints = [make_constraint(c) for c in constraints]
    if any(c.is_satisfied_by(value) for c in constraints):
        return
    described = [str(c) for c in constraints]
    if len(described) > 1:
        described = [f"{', '.join(described[:-1])} or {described[-1]}"]
    raise InvalidParameterError(
        f"The {name!r} parameter of {caller} must be {described[0]}. Got {value!r} instead."
    )


def validate_params(estimator, constraints=None):
    """Validate the parameters of an estimator, as its ``fit`` must before any work.

    Parameters
    ----------
    estimator : estimator instance
        Its ``get_params(deep=False)`` are checked.
    constraints : dict of str to list, default=None
        Parameter name to its constraints (see :func:`make_constraint`);
        None uses the estimator's ``_parameter_constraints``. A parameter
        without constraints is not checked.

    Raises
    ------
    InvalidParameterError
        Naming the first invalid parameter and the estimator's class.

    Examples
    --------
    >>> from facetruth.features import FFTFeatures
    >>> from facetruth._params import validate_params
    >>> validate_params(FFTFeatures(n_bins=1))
    Traceback (most recent call last):
    ...
    facetruth.exceptions.InvalidParameterError: The 'n_bins' parameter of FFTFeatures must be an int in the range [2, inf). Got 1 instead.
    """
    if constraints is None:
        constraints = estimator._parameter_constraints
    caller = type(estimator).__name__
    for name, value in estimator.get_params(deep=False).items():
        if name in constraints:
            check_parameter(name, value, constraints[name], caller)


_VALIDATING = contextvars.ContextVar("facetruth_validating", default=False)


def validate_arguments(constraints):
    """Decorate a function to validate its arguments before it runs.

    A function called by another decorated function is not checked again
    (its caller's arguments were), so a batch function that maps a
    per-image function over many images checks the parameters once.

    Parameters
    ----------
    constraints : dict of str to list
        Argument name to its constraints (see :func:`make_constraint`);
        arguments not named are not checked, and a name the function does
        not take is ignored (so shared constraint dicts may hold more).

    Returns
    -------
    decorator : callable

    Examples
    --------
    >>> from numbers import Integral
    >>> from facetruth._params import Interval, validate_arguments
    >>> @validate_arguments({"size": [Interval(Integral, 1, None, closed="left")]})
    ... def blank(size):
    ...     return [0] * size
    >>> blank(2)
    [0, 0]
    >>> blank(size=0)
    Traceback (most recent call last):
    ...
    facetruth.exceptions.InvalidParameterError: The 'size' parameter of blank must be an int in the range [1, inf). Got 0 instead.
    """

    def decorator(func):
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if _VALIDATING.get():
                return func(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            for name, value in bound.arguments.items():
                if name in constraints:
                    check_parameter(name, value, constraints[name], func.__qualname__)
            token = _VALIDATING.set(True)
            try:
                return func(*args, **kwargs)
            finally:
                _VALIDATING.reset(token)

        return wrapper

    return decorator


def generate_invalid_value(constraint):
    """A value that does not satisfy ``constraint``, for tests.

    Parameters
    ----------
    constraint : object
        A constraint or its shorthand (see :func:`make_constraint`).

    Returns
    -------
    value : object

    Raises
    ------
    NotImplementedError
        When every value of the constraint's type satisfies it (e.g. a type,
        ``None``, ``"array-like"``, an unbounded interval).
    """
    constraint = make_constraint(constraint)
    if isinstance(constraint, StrOptions):
        return f"not {' or '.join(sorted(constraint.options))}"
    if isinstance(constraint, HasMethods):
        return type("HasNotMethods", (), {})()
    if isinstance(constraint, Interval):
        step = 1 if constraint.type is Integral else 1e-6
        if constraint.left is not None:
            return constraint.left - step
        if constraint.right is not None:
            return constraint.right + step
    raise NotImplementedError(f"every value of its type satisfies {constraint}")
