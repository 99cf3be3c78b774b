"""Progress bars on stderr: --progress draws them, --no-progress never does, a terminal does by default."""

import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from facetruth.cli import main

#: what tqdm's default format shows: the count done, the rate and the time left
BAR = re.compile(r"\d+/\d+ \[[\d:]+<[\d:?]+, +[\d.?]+ ?\w+/s\]")


@pytest.fixture(autouse=True)
def no_progress_env(monkeypatch):
    monkeypatch.delenv("FACETRUTH_PROGRESS", raising=False)


def _one_image(tiny_set):
    return str(sorted((tiny_set / "fake").glob("*.png"))[0])


def test_predict_progress_flag_draws_bars_on_stderr(trained, tiny_set, capsys):
    images = [str(p) for p in sorted((tiny_set / "fake").glob("*.png"))[:3]]
    assert main(["predict", str(trained), *images, "--progress"]) == 0
    out, err = capsys.readouterr()
    assert BAR.search(err) and "100%" in err and "decode+crop" in err and "features" in err
    assert "img/s" not in out  # results only on stdout
    assert main(["predict", str(trained), *images, "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert not BAR.search(err) and "%|" not in err
    assert len(out.splitlines()) == 3


def test_train_and_experiment_progress(tiny_set, tmp_path, capsys):
    args = ["train", "--data", str(tiny_set), "--features", "fft", "--face", "off", "--image-size", "32"]
    assert main([*args, "--out", str(tmp_path / "m.joblib"), "--progress"]) == 0
    err = capsys.readouterr().err
    assert BAR.search(err) and "decode+crop" in err and "features" in err
    args = ["experiment", "--data", str(tiny_set), "--sets", "fft", "--folds", "2", "--face", "off"]
    args += ["--classifier", "logistic", "--image-size", "32", "--out", str(tmp_path / "run")]
    assert main([*args, "--progress"]) == 0
    err = capsys.readouterr().err
    assert "cv folds" in err and "2/2" in err and "fft" in err
    assert main([*args, "--no-progress"]) == 0
    assert "%|" not in capsys.readouterr().err


def test_without_a_flag_bars_follow_the_terminal(trained, tiny_set, capsys):
    # stderr captured by pytest is no terminal: no bars unless asked for
    assert main(["predict", str(trained), _one_image(tiny_set)]) == 0
    assert "%|" not in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("script") is None, reason="needs util-linux 'script' to fake a terminal")
def test_a_terminal_gets_bars_and_no_progress_turns_them_off(trained, tiny_set, tmp_path):
    base = [sys.executable, "-m", "facetruth.cli", "predict", str(trained), _one_image(tiny_set)]
    env = {k: v for k, v in os.environ.items() if k != "FACETRUTH_PROGRESS"} | {"OMP_NUM_THREADS": "1"}

    def in_terminal(args):
        # run from a pipe, script's terminal reports no size: the bars must show all the same
        command = ["script", "-qec", shlex.join(args), str(tmp_path / "typescript")]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert BAR.search(in_terminal(base))
    assert not BAR.search(in_terminal([*base, "--no-progress"]))


def test_evaluate_and_audit_progress(trained, tiny_set, capsys):
    for args in (
        ["evaluate", str(trained), "--data", str(tiny_set)],
        ["audit", "--data", str(tiny_set), "--face", "off", "--folds", "2"],
    ):
        assert main([*args, "--progress"]) == 0, args
        out, err = capsys.readouterr()
        assert BAR.search(err) and "100%" in err, args
        assert not BAR.search(out), args  # results only on stdout
        assert main([*args, "--no-progress"]) == 0, args
        assert "%|" not in capsys.readouterr().err, args
