"""One wording per bad input file: the command line says what the Python API's exception says."""

import io
import json

import numpy as np
import pytest
from PIL import Image

import facetruth
from facetruth.cli import main
from facetruth.data import load_dataset, nuisance_properties, read_image
from facetruth.exceptions import FILE_PROBLEMS, ImageDecodeError


def _jpeg():
    buf = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _png():
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


#: a bad file of each kind: its name and its bytes (``None``: no such file)
BAD_FILES = {
    "corrupt": ("corrupt.jpg", _jpeg()[:300]),  # cut inside its header: Pillow fails on opening it
    "truncated": ("truncated.png", _png()[:400]),  # a valid header, pixel data cut short
    "not an image": ("notes.png", b"these are notes, not pixels"),
    "missing": ("gone.png", None),
}


def _bad_file(folder, kind):
    name, data = BAD_FILES[kind]
    path = folder / name
    if data is not None:
        path.write_bytes(data)
    return path


def _api_message(path):
    with pytest.raises(ImageDecodeError) as info:
        read_image(path)
    return str(info.value)


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_predict_words_a_bad_file_as_the_api_does(kind, trained, tmp_path, capsys):
    path = _bad_file(tmp_path, kind)
    message = _api_message(path)
    assert message.startswith(f"{str(path)!r}: ")
    assert main(["predict", str(trained), str(path)]) == 1
    assert capsys.readouterr().out.strip() == f"{path}\tERROR\t{message}"
    assert main(["predict", str(trained), str(path), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"] == message
    (row,) = facetruth.predict_items(facetruth.load(trained), [str(path)])
    assert row.error == message


def test_a_corrupt_file_is_worded_alike_by_every_command_and_the_api(trained, tiny_set, tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    for path in sorted((tiny_set / "real").iterdir())[:6]:
        (folder / path.name).symlink_to(path)
    corrupt = _bad_file(folder, "corrupt")
    message = _api_message(corrupt)
    assert "truncated or corrupt image data" in message
    with pytest.raises(ImageDecodeError) as info:  # the audit reads file properties, not pixels
        nuisance_properties(corrupt)
    assert str(info.value) == message
    assert main(["evaluate", str(trained), str(folder), "--label", "real"]) == 0
    assert f"skipped: {message}\n" in capsys.readouterr().err
    mixed = tmp_path / "mixed"
    (mixed / "real").mkdir(parents=True)
    (mixed / "real" / "photos").symlink_to(folder)
    (mixed / "fake").symlink_to(tiny_set / "fake")
    assert main(["audit", str(mixed), "--face", "off", "--folds", "2", "--json"]) == 0
    errors = json.loads(capsys.readouterr().out)["errors"]
    assert [e["error"] for e in errors] == [message.replace(str(folder), str(mixed / "real" / "photos"))]


def test_a_data_set_skips_a_missing_file_in_the_words_of_the_api(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.png").write_bytes(_png())
    dangling = tmp_path / "real" / "gone.png"
    dangling.symlink_to(tmp_path / "nowhere.png")
    skipped = dict(load_dataset(tmp_path, label="real").skipped)
    assert f"{str(dangling)!r}: {skipped[str(dangling)]}" == _api_message(dangling)
    assert skipped[str(dangling)] == FILE_PROBLEMS["missing"]
