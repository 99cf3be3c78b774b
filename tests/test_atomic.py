import os
import stat

import numpy as np
import pytest

from facetruth._atomic import atomic_open, atomic_write_json
from facetruth._cache import ArrayCache


def test_atomic_write_replaces_and_keeps_usual_permissions(tmp_path):
    target = tmp_path / "sub" / "card.json"
    atomic_write_json(target, {"a": 1})
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert target.read_text().strip().startswith("{")


def test_failed_write_leaves_old_file_and_no_temp(tmp_path):
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as fh:
            fh.write(b"half")
            raise RuntimeError("killed")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin"]


def test_array_cache_round_trip_and_damaged_entry(tmp_path):
    cache = ArrayCache(tmp_path)
    assert cache.get("fft", "ab12") is None
    cache.put("fft", "ab12", np.arange(5, dtype=np.float32))
    assert np.array_equal(cache.get("fft", "ab12"), np.arange(5))
    (tmp_path / "fft" / "ab" / "ab12.npy").write_bytes(b"garbage")
    assert cache.get("fft", "ab12") is None  # a damaged entry is recomputed, not fatal
    assert (cache.hits, cache.misses, cache.writes) == (1, 2, 1)
