"""Output paths checked before the work, and clean output: one report per bad file, quiet pipes, \\n CSVs."""

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from facetruth.cli import main
from facetruth.cli._shared import check_output_path


@pytest.fixture
def bad_png(tmp_path):
    path = tmp_path / "bad.png"
    path.write_bytes(b"not an image at all")
    return path


def test_train_refuses_an_unwritable_out_before_reading_the_data(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    out = blocker / "m.joblib"
    # the data set does not exist: reading it first would give another error
    assert main(["train", "--data", str(tmp_path / "no-such-set"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"--out {out}" in err and "not a folder" in err and "no-such-set" not in err


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_train_out_under_proc_fails_at_once(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path / "no-such-set"), "--out", "/proc/nope/m.joblib"]) == 2
    err = capsys.readouterr().err
    assert "--out /proc/nope/m.joblib: cannot write there" in err


def test_a_folder_as_a_model_file_suggests_a_name_inside_it(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path / "none"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"--out {tmp_path}: is a folder; give a file path such as {tmp_path / 'model.joblib'}" in err
    assert ".tmp" not in err


def test_predict_checks_its_csv_before_scoring(trained, tiny_set, tmp_path, capsys):
    image = str(sorted((tiny_set / "real").glob("*.png"))[0])
    assert main(["predict", str(trained), image, "--out", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and f"{tmp_path / 'results.csv'}" in err


def test_experiment_and_report_refuse_a_file_as_their_folder(tmp_path, capsys):
    a_file = tmp_path / "results"
    a_file.write_text("x")
    assert main(["experiment", "--data", str(tmp_path / "none"), "--out", str(a_file)]) == 2
    assert f"--out {a_file}: is a file, not a folder" in capsys.readouterr().err


def test_check_output_path_makes_nothing(tmp_path):
    check_output_path(tmp_path / "new" / "deeper" / "m.joblib")
    check_output_path(tmp_path / "run", folder=True)
    assert list(tmp_path.iterdir()) == []  # the probe file is gone, no folder was made
    with pytest.raises(ValueError, match="empty path"):
        check_output_path("")


def test_holdout_out_of_range_names_the_option(tiny_set, tmp_path, capsys):
    args = ["train", "--data", str(tiny_set), "--out", str(tmp_path / "m.joblib"), "--holdout", "1.5"]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --holdout: must lie in (0, 0.5)" in err and "test_size" not in err


def test_report_on_a_data_set_suggests_an_experiment_elsewhere(tiny_set, capsys):
    before = sorted(p.name for p in tiny_set.iterdir())
    assert main(["report", str(tiny_set)]) == 2
    err = capsys.readouterr().err
    assert f"{tiny_set} is a data set, not a run folder" in err
    assert f"facetruth experiment --data {tiny_set} --out runs/NAME" in err
    assert f"--out {tiny_set}" not in err
    assert sorted(p.name for p in tiny_set.iterdir()) == before


def test_report_on_an_empty_folder_is_not_called_a_data_set(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is not a run folder" in err and "data set" not in err


def test_a_bad_file_is_reported_once(trained, tiny_set, bad_png, tmp_path, capsys, caplog):
    caplog.set_level(logging.INFO, logger="facetruth")
    good = str(sorted((tiny_set / "fake").glob("*.png"))[0])
    out_csv = tmp_path / "r.csv"
    assert main(["predict", str(trained), good, str(bad_png), "--out", str(out_csv)]) == 1
    out, err = capsys.readouterr()
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    lines = [line for line in [*out.splitlines(), *err.splitlines(), *warned] if "bad.png" in line]
    assert len(lines) == 1 and "bad.png\tERROR" in lines[0]
    data = out_csv.read_bytes()
    assert b"\r\n" not in data and data.count(b"\n") == 3  # header and two rows


def _set_with_a_bad_file(tiny_set, bad_png, folder, *, per_class, bad_in):
    """A real/fake folder of ``per_class`` tiny images each, plus ``bad.png`` in ``bad_in``."""
    for cls in ("real", "fake"):
        (folder / cls).mkdir(parents=True)
        for path in sorted((tiny_set / cls).glob("*.png"))[:per_class]:
            (folder / cls / path.name).symlink_to(path)
    (folder / bad_in / "bad.png").symlink_to(bad_png)
    return folder


def test_train_reports_a_skipped_file_once(tiny_set, bad_png, tmp_path, capsys, caplog):
    caplog.set_level(logging.INFO, logger="facetruth")
    data = _set_with_a_bad_file(tiny_set, bad_png, tmp_path / "set", per_class=8, bad_in="real")
    args = ["train", "--data", str(data), "--features", "fft", "--face", "off", "--image-size", "32"]
    assert main([*args, "--classifier", "logistic", "--out", str(tmp_path / "m.joblib")]) == 0
    out, err = capsys.readouterr()
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    lines = [line for line in [*out.splitlines(), *err.splitlines(), *warned] if "bad.png" in line]
    assert len(lines) == 1 and lines[0].startswith("skipped: ")


class _ClosedPipe:
    """A stdout whose reader has gone away."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_ends_quietly(trained, tiny_set, capsys, monkeypatch):
    image = str(sorted((tiny_set / "real").glob("*.png"))[0])
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["predict", str(trained), image]) == 141
    assert capsys.readouterr().err == ""


def test_piping_into_a_reader_that_quits_prints_no_error(trained, tiny_set):
    images = [str(p) for p in sorted((tiny_set / "real").glob("*.png"))]
    command = [sys.executable, "-m", "facetruth.cli", "predict", str(trained), *images, "--no-progress"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # as 'head' does once it has its lines
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 141
    assert "Broken pipe" not in err and "Errno 32" not in err and "Traceback" not in err


def test_finetune_and_demo_check_their_out_before_the_work(tmp_path, capsys):
    assert main(["finetune", "--data", str(tmp_path / "no-such-set"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"--out {tmp_path}: is a folder; give a file path such as {tmp_path / 'backbone.pt'}" in err
    assert "no-such-set" not in err  # refused before the data were looked at
    a_file = tmp_path / "demo"
    a_file.write_text("x")
    assert main(["demo", "--out", str(a_file)]) == 2
    assert f"--out {a_file}: is a file, not a folder" in capsys.readouterr().err
    assert a_file.read_text() == "x" and sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_evaluate_reports_a_skipped_file_once(trained, tiny_set, bad_png, tmp_path, capsys, caplog):
    caplog.set_level(logging.INFO, logger="facetruth")
    data = _set_with_a_bad_file(tiny_set, bad_png, tmp_path / "set", per_class=4, bad_in="fake")
    assert main(["evaluate", str(trained), "--data", str(data)]) == 0
    out, err = capsys.readouterr()
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    lines = [line for line in [*out.splitlines(), *err.splitlines(), *warned] if "bad.png" in line]
    assert len(lines) == 1 and lines[0].startswith("skipped: ")
