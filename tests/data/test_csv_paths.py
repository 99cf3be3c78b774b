"""CSV manifests list files by absolute path or relative to the CSV's folder; ``confine`` is opt-in."""

import os

import pytest
from PIL import Image

from facetruth.cli import main
from facetruth.data import load_dataset
from facetruth.exceptions import DatasetLayoutError


def image(path, level=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), (level, level, level)).save(path)
    return path


@pytest.fixture
def tree(tmp_path):
    """Images in ``images/`` and an empty ``lists/`` folder for the manifests."""
    paths = [image(tmp_path / "images" / f"{i}.png", level=10 * i) for i in range(4)]
    (tmp_path / "lists").mkdir()
    return tmp_path, paths


def write(path, rows):
    path.write_text("path,label\n" + "".join(f"{p},{y}\n" for p, y in rows))
    return path


def test_absolute_paths_are_read(tree):
    root, paths = tree
    csv_path = write(root / "lists" / "abs.csv", [(p, i % 2) for i, p in enumerate(paths)])
    data = load_dataset(csv_path)
    assert [os.path.abspath(p) for p in data.paths] == [str(p) for p in paths]
    assert data.counts() == {0: 2, 1: 2}


def test_relative_paths_resolve_against_the_csv_folder_with_dotdot(tree, monkeypatch):
    root, paths = tree
    csv_path = write(
        root / "lists" / "rel.csv", [(f"../images/{p.name}", i % 2) for i, p in enumerate(paths)]
    )
    monkeypatch.chdir(paths[0].parent)  # the working folder plays no part
    data = load_dataset(csv_path)
    assert [os.path.abspath(p) for p in data.paths] == [str(p) for p in paths]
    assert data.groups[0] == "../images/0.png"


def test_missing_file_names_the_path_tried(tree):
    root, _ = tree
    csv_path = write(root / "lists" / "bad.csv", [("../images/0.png", 0), ("../images/nope.png", 1)])
    with pytest.raises(DatasetLayoutError) as info:
        load_dataset(csv_path)
    message = str(info.value)
    assert "row 3" in message and "'../images/nope.png' not found" in message
    assert repr(str(root / "images" / "nope.png")) in message


@pytest.mark.parametrize(
    ("path", "match"), [("ABS", "is absolute"), ("../images/0.png", "leaves the CSV's folder")]
)
def test_confine_refuses_paths_outside_the_folder(tree, path, match):
    root, paths = tree
    path = str(paths[0]) if path == "ABS" else path
    csv_path = write(root / "lists" / "c.csv", [(path, 0), (path, 1)])
    assert len(load_dataset(csv_path, one_class=True)) == 1  # the same file once; allowed by default
    with pytest.raises(DatasetLayoutError, match=f"row 2: .*{match}"):
        load_dataset(csv_path, confine=True)


def test_confine_accepts_paths_inside_the_folder(tree):
    root, paths = tree
    csv_path = write(root / "inside.csv", [(f"images/{p.name}", i % 2) for i, p in enumerate(paths)])
    assert len(load_dataset(csv_path, confine=True)) == 4


def test_cli_reads_a_manifest_of_absolute_paths(tree, capsys):
    root, paths = tree
    csv_path = write(root / "lists" / "abs.csv", [(p, i % 2) for i, p in enumerate(paths)])
    missing = write(root / "lists" / "missing.csv", [(paths[0], 0), (root / "gone.png", 1)])
    out = root / "m.joblib"
    code = main(["train", "--data", str(missing), "--face", "off", "--features", "fft", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and f"not found (looked for {str(root / 'gone.png')!r})" in err
    assert "relative" not in err and "--trust" not in err
    assert load_dataset(csv_path).counts() == {0: 2, 1: 2}


def test_a_folder_with_a_manifest_is_read_through_it_with_its_groups(tmp_path):
    pairs = [("a", 0), ("b", 1)]
    for name, _ in pairs:
        image(tmp_path / "real" / f"{name}.png", 10)
        image(tmp_path / "fake" / f"{name}.png", 200)
    rows = [
        f"{kind}/{name}.png,{int(kind == 'fake')},{name}\n" for name, _ in pairs for kind in ("real", "fake")
    ]
    (tmp_path / "manifest.csv").write_text("path,label,group\n" + "".join(rows))
    data = load_dataset(tmp_path)
    assert data.layout == "csv"
    assert sorted(data.groups) == ["a", "a", "b", "b"]
    assert load_dataset(tmp_path, layout="folders").groups != data.groups


def test_a_folder_manifest_may_not_reach_outside_its_folder(tmp_path):
    image(tmp_path / "outside.png")
    image(tmp_path / "set" / "real" / "r.png")
    image(tmp_path / "set" / "fake" / "f.png", 200)
    (tmp_path / "set" / "manifest.csv").write_text("path,label\n../outside.png,1\nreal/r.png,0\n")
    with pytest.raises(DatasetLayoutError, match="outside|leaves|confine"):
        load_dataset(tmp_path / "set")


def test_the_shared_dfdc_folder_keeps_each_real_with_its_fake(dfdc_dir):
    data = load_dataset(dfdc_dir)
    assert data.counts() == {0: 1200, 1: 1200}
    assert len(set(data.groups)) == 1200
