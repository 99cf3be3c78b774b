"""experiments/ and benchmarks/ use FaceTruth's public API only, and import no sibling by bare name."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = sorted([*(REPO / "experiments").glob("*.py"), *(REPO / "benchmarks").glob("*.py")])


def _imported(path):
    """``(module, names)`` of every import in ``path``, absolute; relative imports as ``.module``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or ""), [alias.name for alias in node.names]


def private_imports(path):
    """The private FaceTruth modules or names ``path`` imports (``facetruth._x``, ``facetruth.sub._x``)."""
    found = []
    for module, names in _imported(path):
        parts = module.split(".")
        if parts[0] != "facetruth":
            continue
        if any(part.startswith("_") for part in parts[1:]):
            found.append(module)
        found += [f"{module}.{name}" for name in names if name.startswith("_")]
    return found


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_private_facetruth_import(path):
    assert private_imports(path) == []


@pytest.mark.parametrize("path", sorted((REPO / "experiments").glob("*.py")), ids=lambda p: p.name)
def test_no_bare_name_import_of_a_sibling(path):
    """Experiments run as modules (``python -m experiments.NAME``); benchmarks run as files, beside ``_common``."""
    siblings = {p.stem for p in path.parent.glob("*.py")}
    bare = [module for module, _ in _imported(path) if module.split(".")[0] in siblings]
    assert bare == [], f"import them as experiments.NAME: {bare}"


def test_the_scan_sees_private_imports(tmp_path):
    script = tmp_path / "x.py"
    script.write_text(
        "import facetruth._cpu\nfrom facetruth.data._video import x\nfrom facetruth import _atomic\n"
        "from facetruth.evaluation import run_record\n"
    )
    assert private_imports(script) == ["facetruth._cpu", "facetruth.data._video", "facetruth._atomic"]
