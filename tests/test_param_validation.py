"""FaceTruth's parameter validation: the constraints, the messages, the decorator."""

import os
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import pytest
from sklearn.base import BaseEstimator

from facetruth._params import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    check_parameter,
    generate_invalid_value,
    make_constraint,
    validate_arguments,
    validate_params,
)
from facetruth.exceptions import FaceTruthError


class _Network:
    def parameters(self):
        return []

    def eval(self):
        return self


ACCEPTED = [
    (Interval(Integral, 2, None, closed="left"), [2, 3, np.int64(8), 10**9]),
    (Interval(Integral, 0, 63, closed="both"), [0, 63, np.uint8(5)]),
    (Interval(Real, 0, 16, closed="right"), [0.5, 16, 16.0, np.float32(1.5), 3]),
    (Interval(Real, 0, np.inf, closed="neither"), [1e-9, 2, 1e300]),
    (Interval(Real, None, 0, closed="right"), [-np.inf, -1, 0.0]),
    (StrOptions({"ycbcr", "rgb", "grey"}), ["rgb", np.str_("grey")]),
    (Options(int, {1, 2}), [1, 2]),
    (HasMethods(["parameters", "eval"]), [_Network()]),
    (HasMethods("eval"), [_Network()]),
    ("array-like", [[1, 2], (), np.zeros(3), [(8, 1)]]),
    ("boolean", [True, False, np.bool_(True)]),
    (callable, [len, lambda x: x, _Network]),
    (None, [None]),
    (str, ["", "cpu"]),
    (os.PathLike, [__import__("pathlib").Path("x")]),
    (Mapping, [{}, {"a": 1}]),
]

REJECTED = [
    (Interval(Integral, 2, None, closed="left"), [1, -5, 2.0, 8.5, "8", None]),
    (Interval(Integral, 0, 63, closed="both"), [-1, 64]),
    (Interval(Integral, 1, 8, closed="neither"), [1, 8]),
    (Interval(Real, 0, 16, closed="right"), [0, 0.0, 16.000001, np.nan, "1"]),
    (Interval(Real, 0, np.inf, closed="neither"), [0, np.inf, np.nan]),
    (StrOptions({"ycbcr", "rgb", "grey"}), ["hsv", "RGB", 1, None]),
    (Options(int, {1, 2}), [3, 1.5, "1"]),
    (HasMethods(["parameters", "eval"]), [object(), "efficientnet", None]),
    ("array-like", [3, "abc", None, 2.5]),
    ("boolean", [1, 0, "yes", None]),
    (callable, [3, "f", None]),
    (None, [0, False, ""]),
    (str, [1, None, b"cpu"]),
    (Mapping, [[("a", 1)], None]),
]


@pytest.mark.parametrize("constraint, values", ACCEPTED, ids=[str(make_constraint(c)) for c, _ in ACCEPTED])
def test_constraints_accept(constraint, values):
    for value in values:
        assert make_constraint(constraint).is_satisfied_by(value), value
        check_parameter("p", value, [constraint], "f")


@pytest.mark.parametrize("constraint, values", REJECTED, ids=[str(make_constraint(c)) for c, _ in REJECTED])
def test_constraints_reject(constraint, values):
    for value in values:
        assert not make_constraint(constraint).is_satisfied_by(value), value
        with pytest.raises(
            InvalidParameterError, match=r"^The 'p' parameter of f must be .* Got .* instead\.$"
        ):
            check_parameter("p", value, [constraint], "f")


@pytest.mark.parametrize(
    "constraints, value, message",
    [
        (
            [Interval(Integral, 2, None, closed="left")],
            0,
            "The 'n_bins' parameter of f must be an int in the range [2, inf). Got 0 instead.",
        ),
        (
            [Interval(Integral, 0, 63, closed="both")],
            64,
            "The 'n_bins' parameter of f must be an int in the range [0, 63]. Got 64 instead.",
        ),
        (
            [Interval(Real, 0, 16, closed="right")],
            0,
            "The 'n_bins' parameter of f must be a float in the range (0.0, 16.0]. Got 0 instead.",
        ),
        (
            [Interval(Real, 0, np.inf, closed="neither")],
            np.inf,
            "The 'n_bins' parameter of f must be a float in the range (0.0, inf). Got inf instead.",
        ),
        (
            [Interval(Real, None, 1, closed="right")],
            2,
            "The 'n_bins' parameter of f must be a float in the range (-inf, 1.0]. Got 2 instead.",
        ),
        (
            [StrOptions({"ycbcr", "rgb", "grey"})],
            "hsv",
            "The 'n_bins' parameter of f must be a str among {'grey', 'rgb', 'ycbcr'}. Got 'hsv' instead.",
        ),
        (
            [HasMethods(["parameters", "eval"])],
            "net",
            "The 'n_bins' parameter of f must be an object implementing 'parameters' and 'eval'. "
            "Got 'net' instead.",
        ),
        (
            [Integral, None],
            "many",
            "The 'n_bins' parameter of f must be an instance of 'int' or None. Got 'many' instead.",
        ),
        (
            [str, os.PathLike, None],
            3,
            "The 'n_bins' parameter of f must be an instance of 'str', an instance of 'os.PathLike' or None. "
            "Got 3 instead.",
        ),
        (
            ["boolean"],
            "yes",
            "The 'n_bins' parameter of f must be an instance of 'bool' or an instance of 'numpy.bool'. "
            "Got 'yes' instead.",
        ),
        (
            ["array-like", None],
            3,
            "The 'n_bins' parameter of f must be an array-like or None. Got 3 instead.",
        ),
        (
            [callable, None],
            3,
            "The 'n_bins' parameter of f must be a callable or None. Got 3 instead.",
        ),
        (
            [Mapping],
            3,
            "The 'n_bins' parameter of f must be an instance of 'collections.abc.Mapping'. Got 3 instead.",
        ),
    ],
)
def test_messages_are_scikit_learns(constraints, value, message):
    with pytest.raises(InvalidParameterError) as info:
        check_parameter("n_bins", value, constraints, "f")
    assert str(info.value) == message


def test_no_validation_accepts_anything():
    check_parameter("p", object(), "no_validation", "f")


def test_the_error_is_a_value_error_and_facetruths():
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, TypeError)
    assert issubclass(InvalidParameterError, FaceTruthError)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Interval(float, 0, 1, closed="both"),
        lambda: Interval(Integral, 0, 1, closed="open"),
        lambda: Interval(Integral, 3, 1, closed="both"),
    ],
)
def test_malformed_intervals_are_refused(make):
    with pytest.raises(ValueError):
        make()


def test_an_unknown_constraint_is_refused():
    with pytest.raises(ValueError, match="Unknown constraint"):
        make_constraint("positive")


class _Estimator(BaseEstimator):
    _parameter_constraints = {
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "cache": [str, None],
    }

    def __init__(self, n_bins=8, cache=None, free=None):
        self.n_bins = n_bins
        self.cache = cache
        self.free = free


def test_validate_params_names_the_class_and_checks_only_constrained_parameters():
    validate_params(_Estimator(free=object()))
    with pytest.raises(InvalidParameterError, match=r"The 'n_bins' parameter of _Estimator must be"):
        validate_params(_Estimator(n_bins=1))
    with pytest.raises(InvalidParameterError, match=r"The 'cache' parameter of _Estimator must be"):
        validate_params(_Estimator(cache=3))
    # explicit constraints replace the estimator's own
    validate_params(_Estimator(n_bins=1), {"cache": [str, None]})


def test_validate_arguments_checks_positional_keyword_and_default_arguments():
    calls = []

    @validate_arguments({"size": [Interval(Integral, 1, None, closed="left")], "mode": [StrOptions({"a"})]})
    def resize(image, size, *, mode="a"):
        """Resize."""
        calls.append((image, size, mode))
        return size

    assert resize("x", 3) == 3 and resize("x", size=4, mode="a") == 4
    assert resize.__name__ == "resize" and resize.__doc__ == "Resize."
    with pytest.raises(InvalidParameterError, match=r"The 'size' parameter of .*resize must be an int"):
        resize("x", 0)
    with pytest.raises(InvalidParameterError, match=r"The 'mode' parameter of .*resize must be a str among"):
        resize("x", 2, mode="b")
    with pytest.raises(TypeError):
        resize("x")  # a missing argument is Python's error
    assert calls == [("x", 3, "a"), ("x", 4, "a")]


def test_validate_arguments_ignores_constraints_on_arguments_it_does_not_take():
    assert validate_arguments({"n": [Integral], "size": [Integral]})(lambda size: size)(3) == 3


def test_a_nested_call_is_not_validated_again():
    @validate_arguments({"n": [Interval(Integral, 1, None, closed="left")]})
    def inner(n):
        return n

    @validate_arguments({"n": [Interval(Integral, 0, None, closed="left")]})
    def outer(n):
        return inner(n)  # n = 0 is valid for outer: inner trusts it

    assert outer(0) == 0
    with pytest.raises(InvalidParameterError):
        inner(0)


def test_a_failed_call_leaves_validation_on():
    @validate_arguments({"n": [Integral]})
    def fails(n):
        raise RuntimeError

    with pytest.raises(RuntimeError):
        fails(1)
    with pytest.raises(InvalidParameterError):
        fails("1")


@pytest.mark.parametrize(
    "constraint",
    [
        Interval(Integral, 2, None, closed="left"),
        Interval(Integral, None, 5, closed="right"),
        Interval(Real, 0, 16, closed="right"),
        Interval(Real, None, 1.5, closed="neither"),
        StrOptions({"ycbcr", "rgb"}),
        HasMethods(["parameters", "eval"]),
    ],
    ids=str,
)
def test_generated_invalid_values_are_invalid(constraint):
    assert not constraint.is_satisfied_by(generate_invalid_value(constraint))


@pytest.mark.parametrize("constraint", [str, None, "array-like", "boolean", callable])
def test_no_invalid_value_for_a_type(constraint):
    with pytest.raises(NotImplementedError):
        generate_invalid_value(constraint)
