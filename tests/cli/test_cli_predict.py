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
    keys = [
        "path",
        "prob_fake",
        "verdict",
        "reason",
        "message",
        "threshold",
        "face_found",
        "face_box",
        "error",
    ]
    for row in lines:
        assert list(row) == keys
    assert lines[0]["verdict"] == "fake" and lines[0]["error"] is None and 0 <= lines[0]["prob_fake"] <= 1
    assert lines[0]["reason"] is None and "cutoff for fake" in lines[0]["message"]
    assert lines[2]["verdict"] is None and lines[2]["reason"] == "unreadable"
    assert lines[2]["error"] and "bad.jpg" in lines[2]["error"] and lines[2]["prob_fake"] is None
    rows = list(csv.DictReader(open(tmp_path / "r.csv")))
    assert len(rows) == 3 and rows[2]["error"] and list(rows[0]) == keys


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


def test_noise_png_is_inconclusive_no_face(face_model_file, noise_png, tmp_path, capsys):
    noise = tmp_path / "noise.png"
    noise.write_bytes(noise_png)
    assert main(["predict", str(face_model_file), str(noise), "--out", str(tmp_path / "r.csv")]) == 0
    out = capsys.readouterr()
    path, verdict, prob, why = out.out.rstrip("\n").split("\t")
    assert (path, verdict) == (str(noise), "inconclusive") and prob.startswith("prob_fake=")
    assert why.startswith("no_face: No face found")
    assert "1 of 1 inputs inconclusive" in out.err
    (row,) = csv.DictReader(open(tmp_path / "r.csv"))
    assert row["verdict"] == "inconclusive" and row["reason"] == "no_face" and row["face_found"] == "False"
    assert main(["predict", str(face_model_file), str(noise), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["verdict"] == "inconclusive" and row["reason"] == "no_face" and row["face_found"] is False


def test_band_option(trained, tiny_set, capsys):
    images = sorted((tiny_set / "fake").glob("*.png"))[:3]
    assert main(["predict", str(trained), *map(str, images), "--json", "--band", "1"]) == 0
    wide = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all(r["verdict"] == "inconclusive" and r["reason"] == "uncertain" for r in wide)
    assert main(["predict", str(trained), *map(str, images), "--json", "--band", "0"]) == 0
    off = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all(r["verdict"] in ("real", "fake") and r["reason"] is None for r in off)
    assert [r["prob_fake"] for r in off] == [r["prob_fake"] for r in wide]
    with pytest.raises(SystemExit):
        main(["predict", str(trained), str(images[0]), "--band", "1.5"])
    assert "--band" in capsys.readouterr().err
