"""Hostile folders and manifests: ``load_dataset`` and the command line report them, never crash.

Each case ends in a DatasetLayoutError naming the folder or CSV, or in a
per-file entry of ``Dataset.skipped``; through ``facetruth train`` and
``facetruth predict`` it is a one-line message and exit code 1 or 2.
"""

import os

import numpy as np
import pytest
from fuzz_corpus import SEEDS

from facetruth.cli import main
from facetruth.data import load_dataset, read_image
from facetruth.exceptions import DatasetLayoutError, ImageDecodeError

PNG = SEEDS["png"][0]


def make_tree(root, files):
    """Write ``{relative path (str or bytes): content}`` below ``root``."""
    for rel, content in files.items():
        path = os.path.join(os.fsencode(root), os.fsencode(rel))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(content)
    return root


def good_tree(root, n=2):
    return make_tree(root, {f"{c}/{c}{i}.png": PNG for c in ("real", "fake") for i in range(n)})


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.fixture(scope="module")
def model(tiny_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("edges") / "model.joblib"
    argv = ["train", "--data", tiny_set, "--features", "fft", "--classifier", "logistic", "--face", "off"]
    assert main([str(a) for a in argv] + ["--out", str(out)]) == 0
    return out


def test_empty_and_one_class_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetLayoutError, match="empty"):
        load_dataset(tmp_path / "empty")
    make_tree(tmp_path / "one", {"real/a.png": PNG, "real/b.png": PNG})
    with pytest.raises(DatasetLayoutError, match=r"only one class found \(2 real, 0 fake"):
        load_dataset(tmp_path / "one")
    make_tree(tmp_path / "bad", {"real/a.png": b"", "fake/b.png": b""})
    with pytest.raises(DatasetLayoutError, match="no usable image.*2 file"):
        load_dataset(tmp_path / "bad")


def test_symlink_loops_and_dangling_links_are_reported(tmp_path):
    good_tree(tmp_path)
    os.symlink(tmp_path, tmp_path / "real" / "loop")
    os.symlink(tmp_path / "fake", tmp_path / "real" / "sideways")
    os.symlink(tmp_path / "nowhere.png", tmp_path / "fake" / "dangling.png")
    os.symlink(tmp_path / "fake" / "self.png", tmp_path / "fake" / "self.png")  # a link to itself
    dataset = load_dataset(tmp_path)
    assert dataset.counts() == {0: 2, 1: 2}
    reasons = dict(dataset.skipped)
    dangling = str(tmp_path / "fake" / "dangling.png")
    assert reasons[dangling] == "no such file"
    with pytest.raises(ImageDecodeError) as read:  # worded as read_image words it
        read_image(dangling)
    assert str(read.value) == f"{dangling!r}: {reasons[dangling]}"
    assert "self.png" in " ".join(reasons)
    assert sum("same file as" in r for r in reasons.values()) == 2  # fake/ reached again via sideways/


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root reads files whatever their mode, so chmod 000 cannot be tested"
)
def test_unreadable_files_are_skipped(tmp_path):
    good_tree(tmp_path)
    locked = tmp_path / "fake" / "locked.png"
    locked.write_bytes(PNG)
    locked.chmod(0)
    dataset = load_dataset(tmp_path)
    assert (str(locked), "permission denied") in dataset.skipped and len(dataset) == 4


def test_unreadable_folder_is_an_error_or_skipped(tmp_path):
    good_tree(tmp_path)
    (tmp_path / "fake" / "sub").mkdir()
    (tmp_path / "fake" / "sub").chmod(0)
    try:
        assert load_dataset(tmp_path).counts() == {0: 2, 1: 2}
    finally:
        (tmp_path / "fake" / "sub").chmod(0o755)


def test_non_utf8_names_load_and_decode(tmp_path):
    make_tree(tmp_path, {b"real/caf\xe9.png": PNG, b"fake/\xff\xfe.png": PNG, b"fake/ok.png": PNG})
    dataset = load_dataset(tmp_path)
    assert dataset.counts() == {0: 1, 1: 2}
    assert os.fsencode(dataset.paths[dataset.labels.tolist().index(0)]).endswith(b"caf\xe9.png")
    assert all(dataset.read(i).shape == (16, 16, 3) for i in range(len(dataset)))
    assert len(dataset.manifest_hash()) == 64


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ("real/a.png,0\nfake/missing.png,1\n", r"row 3: file 'fake/missing.png' not found"),
        ("real/a.png,0\nfake/b.png,maybe\n", r"row 3: bad label 'maybe'"),
        ("real/a.png,0\n../outside/c.png,1\n", r"row 3: file '../outside/c.png' not found"),
        ("real/a.png,0\n/no/such/b.png,1\n", r"row 3: file '/no/such/b.png' not found"),
        ("real/a.png,0\nfake/b.png\n", r"row 3: expected 2 values, found 1"),
    ],
)
def test_bad_manifests_name_the_row(tmp_path, rows, match):
    make_tree(tmp_path / "set", {"real/a.png": PNG, "fake/b.png": PNG})
    make_tree(tmp_path, {"outside/b.png": PNG})
    (tmp_path / "set" / "list.csv").write_text("path,label\n" + rows)
    with pytest.raises(DatasetLayoutError, match=match) as info:
        load_dataset(tmp_path / "set" / "list.csv")
    assert str(info.value).startswith(repr(str(tmp_path / "set" / "list.csv")))


def test_manifest_link_out_of_its_folder_is_read_as_the_link(tmp_path):
    """A link inside the folder is the owner's choice; the path itself never climbs out."""
    make_tree(tmp_path / "set", {"real/a.png": PNG, "fake/b.png": PNG})
    (tmp_path / "set" / "list.csv").write_text("path,label\nreal/a.png,0\nfake/b.png,1\nfake/c.png,1\n")
    os.symlink(tmp_path / "set" / "fake" / "b.png", tmp_path / "set" / "fake" / "c.png")
    dataset = load_dataset(tmp_path / "set" / "list.csv")
    assert len(dataset) == 2 and "same file as" in dataset.skipped[0][1]


@pytest.mark.parametrize(
    ("files", "match"),
    [
        ({}, "the folder is empty"),
        ({"real/a.png": PNG, "real/b.png": PNG}, "only one class found"),
        ({"notes/a.txt": b"hello"}, "matches no known dataset layout"),
        ({"real/a.png": b"", "fake/b.png": b""}, "no usable image"),
        ({"real/a.png": b"\x00", "fake/b.png": PNG[:30]}, "images that decode"),
    ],
)
def test_train_on_a_hostile_folder_is_one_line(tmp_path, capsys, files, match):
    (tmp_path / "data").mkdir()
    make_tree(tmp_path / "data", files)
    out = tmp_path / "model.joblib"
    code, err = run_cli(capsys, "train", "--data", tmp_path / "data", "--face", "off", "--out", out)
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("facetruth train: error:")
    assert match in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_train_on_a_manifest_with_a_missing_file_is_one_line(tmp_path, capsys):
    good_tree(tmp_path / "data")
    (tmp_path / "data" / "list.csv").write_text("path,label\nreal/real0.png,0\n../gone/x.png,1\n")
    code, err = run_cli(capsys, "train", "--data", tmp_path / "data" / "list.csv", "--out", tmp_path / "m")
    assert code == 2 and len(err.splitlines()) == 1 and "file '../gone/x.png' not found" in err
    assert repr(str(tmp_path / "gone" / "x.png")) in err  # the path that was tried


def test_predict_on_hostile_inputs_reports_each_item(tmp_path, capsys, model):
    make_tree(
        tmp_path / "in",
        {"good.png": PNG, "empty.png": b"", "noise.jpg": b"\xff\xd8\xff" + bytes(50), b"caf\xe9.png": PNG},
    )
    os.symlink(tmp_path / "in", tmp_path / "in" / "loop")
    code = main(["predict", str(model), str(tmp_path / "in"), str(tmp_path / "missing.png"), "--json"])
    captured = capsys.readouterr()
    import json

    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert code == 1 and "Traceback" not in captured.err
    by_name = {os.path.basename(r["path"]): r for r in rows}
    assert by_name["good.png"]["error"] is None and 0 <= by_name["good.png"]["prob_fake"] <= 1
    assert by_name["caf\udce9.png"]["prob_fake"] == pytest.approx(by_name["good.png"]["prob_fake"])
    assert "empty" in by_name["empty.png"]["error"] and "missing.png" in by_name["missing.png"]["error"]
    assert by_name["noise.jpg"]["error"] and len(rows) == 5
    csv_out = tmp_path / "results.csv"
    code = main(["predict", str(model), str(tmp_path / "in"), "--out", str(csv_out)])  # plain text
    out = capsys.readouterr().out
    assert code == 1 and "good.png\t" in out and "caf\\xe9.png\t" in out and len(out.splitlines()) == 4
    assert b"/caf\xe9.png," in csv_out.read_bytes()  # the file's own name, byte for byte


def test_predict_on_an_empty_folder_is_one_line(tmp_path, capsys, model):
    (tmp_path / "nothing").mkdir()
    code = main(["predict", str(model), str(tmp_path / "nothing")])
    captured = capsys.readouterr()
    assert code == 1 and "folder holds no images" in captured.out and "Traceback" not in captured.err
    assert np.isfinite(code)
