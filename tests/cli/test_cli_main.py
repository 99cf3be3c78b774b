import pytest

from facetruth import __version__
from facetruth.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and __version__ in capsys.readouterr().out


@pytest.mark.parametrize("command", ["train", "predict", "evaluate", "finetune", "demo"])
def test_every_command_has_help_with_examples(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "examples:" in capsys.readouterr().out


def test_errors_are_one_line(tmp_path, capsys, trained):
    assert main(["evaluate", str(trained), "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("facetruth evaluate: error:")
    assert main(["predict", str(tmp_path / "missing.joblib"), "x.jpg"]) == 2
    assert "not found" in capsys.readouterr().err
