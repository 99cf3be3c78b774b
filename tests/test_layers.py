"""No module imports a private module of another facetruth subpackage.

Imports across subpackages go through the subpackage's public ``__init__``
(``from ..pipelines import load_images``, never ``from ..pipelines._train
import ...``), so a subpackage can rearrange its private modules freely. The
shared helpers at the top of the package may be imported from anywhere.

The subpackages load their public names lazily from ``__init__.pyi`` stubs
(``lazy_loader.attach_stub``); the stubs are walked too, and every name they
list must resolve.
"""

import ast
import importlib
from pathlib import Path

import pytest

import facetruth

PACKAGE = Path(facetruth.__file__).parent
SHARED = {
    f"facetruth.{name}"
    for name in ("_validation", "_params", "_atomic", "_cache", "_libc", "_cpu", "_version")
}


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree, module, is_package):
    """Absolute names of the modules (and ``from`` names) each import statement reaches."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module
            yield node.lineno, base
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    yield node.lineno, f"{base}.{alias.name}"  # may be a private submodule


def _private_owner(name):
    """The package that owns the first private module in ``name``, with that module; else None."""
    parts = name.split(".")
    if parts[0] != "facetruth":
        return None
    for i, part in enumerate(parts[1:], start=1):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i]), ".".join(parts[: i + 1])
    return None


def _violations():
    found = []
    for path in sorted([*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.pyi")]):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for lineno, name in _imported(tree, module, path.stem == "__init__"):
            owner = _private_owner(name)
            if owner is None:
                continue
            package, private = owner
            if private in SHARED:
                continue
            if package == "facetruth" or not (module == package or module.startswith(package + ".")):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{lineno} imports {private}")
    return sorted(set(found))


def test_no_module_imports_another_subpackages_private_module():
    violations = _violations()
    assert not violations, "private modules imported across subpackages:\n" + "\n".join(violations)


def test_the_walk_sees_relative_absolute_and_nested_imports():
    source = (
        "from ..pipelines._train import x\n"
        "import facetruth.models._persistence\n"
        "def f():\n"
        "    from ..features import _cnn\n"
        "from .._atomic import atomic_write_json\n"
        "from . import _shared\n"
    )
    names = [n for _, n in _imported(ast.parse(source), "facetruth.cli.train", False)]
    privates = {owner[1] for owner in map(_private_owner, names) if owner}
    assert privates == {
        "facetruth.pipelines._train",
        "facetruth.models._persistence",
        "facetruth.features._cnn",
        "facetruth._atomic",
        "facetruth.cli._shared",
    }


STUBS = sorted(PACKAGE.glob("*/__init__.pyi"))


def _stub_names(stub):
    """``(module, name)`` for each ``from .module import name`` line of a stub, and its ``__all__``."""
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    imports, listed = [], None
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            assert node.level == 1 and node.module, (
                f"{stub.relative_to(PACKAGE.parent)}:{node.lineno}: lazy_loader reads only "
                "'from .module import name' lines; import a name from its home package instead"
            )
            imports += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["__all__"]:
            listed = ast.literal_eval(node.value)
    return imports, listed


def test_every_subpackage_has_a_stub():
    packages = sorted(p.parent for p in PACKAGE.glob("*/__init__.py"))
    lazy = [p for p in packages if "attach_stub" in (p / "__init__.py").read_text(encoding="utf-8")]
    assert [stub.parent for stub in STUBS] == lazy
    assert {p.name for p in lazy} >= {"data", "features", "models", "pipelines", "evaluation", "web"}


@pytest.mark.parametrize("stub", STUBS, ids=lambda p: p.parent.name)
def test_every_name_of_a_stub_resolves(stub):
    imports, listed = _stub_names(stub)
    package = importlib.import_module(f"facetruth.{stub.parent.name}")
    names = [name for _, name in imports]
    assert len(set(names)) == len(names), "a name is listed twice"
    assert sorted(package.__all__) == sorted(names) == sorted(listed), "__all__ differs from the imports"
    assert sorted(dir(package)) == sorted(names)
    for module, name in imports:
        obj = getattr(package, name)
        assert obj is getattr(importlib.import_module(f"{package.__name__}.{module}"), name)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        facetruth.features.no_such_name  # noqa: B018
    with pytest.raises(ImportError):
        from facetruth.models import no_such_name  # noqa: F401
