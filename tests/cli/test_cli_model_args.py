"""A wrong model argument is named for what it is: an image, the model card, a folder.

The detection lives in :func:`facetruth.load`, so the command line, the web
app and Python callers all get the same message.
"""

import shutil

import pytest

from facetruth.cli import main
from facetruth.exceptions import ModelIntegrityError, NotAModelError
from facetruth.models import load


@pytest.fixture
def photo(tiny_set):
    return sorted((tiny_set / "real").iterdir())[0]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.err


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_image_and_model_swapped(command, trained, photo, tiny_set, capsys):
    rest = [trained] if command == "predict" else ["--data", tiny_set]
    code, err = run(capsys, command, photo, *rest)
    assert code == 2 and len(err.splitlines()) == 1
    assert f"{photo}: is an image (PNG), not a saved model" in err
    assert "--trust" not in err and "model card" not in err
    assert f"The model file comes first (facetruth {command} MODEL.joblib" in err


def test_image_named_like_anything_is_still_an_image(trained, photo, tmp_path, capsys):
    renamed = tmp_path / "model.bin"
    shutil.copy(photo, renamed)
    code, err = run(capsys, "predict", renamed, photo)
    assert code == 2 and "is an image (PNG)" in err and "--trust" not in err


def test_card_given_as_the_model(trained, photo, capsys):
    card = trained.with_name(trained.name + ".json")
    code, err = run(capsys, "predict", card, photo)
    assert code == 2 and f"is the model card of {trained.name}, not the model" in err
    assert f"pass the model file {trained} instead" in err
    assert ".json.json" not in err and "--trust" not in err


def test_card_of_a_missing_model(trained, tmp_path, photo, capsys):
    card = tmp_path / "gone.joblib.json"
    shutil.copy(trained.with_name(trained.name + ".json"), card)
    code, err = run(capsys, "predict", card, photo)
    # the card names the file it was written for
    assert code == 2 and f"is the model card of {trained.name}" in err and "is missing" in err
    assert ".json.json" not in err


@pytest.mark.parametrize("models", [[], ["a.joblib", "b.joblib"]])
def test_folder_given_as_the_model(models, trained, tmp_path, photo, capsys):
    for name in models:
        (tmp_path / name).symlink_to(trained)
    code, err = run(capsys, "predict", tmp_path, photo)
    assert code == 2 and f"{tmp_path}: is a folder, not a model file" in err
    assert "not found" not in err
    if models:
        assert "a.joblib, b.joblib" in err
    else:
        assert "holds no .joblib model file" in err


def test_python_and_web_callers_get_the_same_errors(trained, photo, tmp_path):
    from facetruth.web import DetectorService

    for wrong, kind in [(photo, "image"), (tmp_path, "folder"), (f"{trained}.json", "card")]:
        with pytest.raises(NotAModelError) as info:
            load(wrong, trust=True)  # trusting changes nothing: it is not a model at all
        assert info.value.kind == kind and isinstance(info.value, ModelIntegrityError)
        with pytest.raises(NotAModelError):
            DetectorService(wrong)
    assert NotAModelError("x", kind="card", suggestion="m.joblib").suggestion == "m.joblib"


def test_other_json_is_not_taken_for_a_card(tmp_path):
    other = tmp_path / "settings.json"
    other.write_text('{"threshold": 0.5}')
    with pytest.raises(NotAModelError, match="is a JSON file, not a saved model") as info:
        load(other)
    assert info.value.kind == "json"


def test_a_real_model_still_loads(trained):
    assert hasattr(load(trained), "predict_proba")


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_trust_loads_a_model_without_its_card_with_the_warning_of_load(
    command, trained, photo, tiny_set, tmp_path, capsys
):
    bare = tmp_path / "bare.joblib"
    shutil.copy(trained, bare)  # no model card beside it
    rest = [photo] if command == "predict" else ["--data", tiny_set]
    code, err = run(capsys, command, bare, *rest)
    assert code == 2 and "no model card" in err and "--trust" in err
    with pytest.warns(UserWarning, match="no model card.*integrity cannot be checked.*--trust") as record:
        code, err = run(capsys, command, bare, *rest, "--trust")
    assert code == 0 and "Traceback" not in err
    assert sum("no model card" in str(w.message) for w in record) == 1
