import csv
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from facetruth.cli import main


def test_predict_json_lines_with_a_bad_file(trained, tiny_set, tmp_path, capsys):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 truncated jpeg")
    good = sorted((tiny_set / "fake").glob("*.png"))[:2]
    code = main(
        ["predict", str(trained), *map(str, good), str(bad), "--json", "--out", str(tmp_path / "r.csv")]
    )
    assert code == 1  # one input failed
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 3
    for row in lines:
        assert set(row) == {"path", "prob_fake", "label", "threshold", "face_box", "error"}
    assert lines[0]["label"] == "fake" and lines[0]["error"] is None and 0 <= lines[0]["prob_fake"] <= 1
    assert lines[2]["error"] and "bad.jpg" in lines[2]["error"] and lines[2]["prob_fake"] is None
    rows = list(csv.DictReader(open(tmp_path / "r.csv")))
    assert len(rows) == 3 and rows[2]["error"]


def test_predict_folder_and_video(trained, tiny_set, tmp_path, capsys):
    import cv2

    video = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 5, (48, 48))
    frame = np.asarray(Image.open(sorted((tiny_set / "real").glob("*.png"))[0]))
    for _ in range(6):
        writer.write(frame[:, :, ::-1])
    writer.release()
    code = main(["predict", str(trained), str(tiny_set / "real"), str(video), "--json", "--n-frames", "3"])
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    frames = [r for r in rows if "#frame=" in r["path"]]
    summary = [r for r in rows if r["path"] == str(video)]
    assert len(frames) == 3 and len(summary) == 1 and summary[0]["frames"] == 3
    assert summary[0]["prob_fake"] == pytest.approx(np.mean([r["prob_fake"] for r in frames]))
    assert len(rows) == 24 + 3 + 1


def test_tampered_model_is_refused(trained, tmp_path, capsys):
    copy = tmp_path / "m.joblib"
    shutil.copy(trained, copy)
    shutil.copy(trained.with_name(trained.name + ".json"), tmp_path / "m.joblib.json")
    raw = bytearray(copy.read_bytes())
    raw[100] ^= 0xFF
    copy.write_bytes(bytes(raw))
    assert main(["predict", str(copy), "x.jpg"]) == 2
    assert "sha256" in capsys.readouterr().err
