"""The clip features are the same on every x86-64 CPU: native against an emulated AVX2-only CPU.

``qemu-x86_64 -cpu Haswell`` (Debian's ``qemu-user``) runs Python as a CPU
with AVX2 and FMA but neither AVX-512 nor VNNI would, instruction by
instruction. There onnxruntime's U8S8 int8 kernel saturates; FaceTruth's
production path must not.
"""

import json
import os
import platform
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from facetruth._cpu import cpu_info, exact_u8s8
from facetruth.features import clip_embedding, load_clip_encoder

EMULATOR = ("qemu-x86_64", "-cpu", "Haswell")

#: the emulated half: a photograph by the default float32 path, the exact int8 path and the
#: published int8 kernel
_CHILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from skimage import data
    from facetruth._cpu import cpu_info
    from facetruth.features import clip_embedding, load_clip_encoder

    images = [data.chelsea()]
    paths = {
        "float32": load_clip_encoder("cpu", blocks=(4,), n_threads=1),
        "int8": load_clip_encoder("cpu", blocks=(4,), n_threads=1, precision="int8"),
        "published": load_clip_encoder("cpu", blocks=(4,), n_threads=1, precision="int8", kernel="u8s8"),
    }
    np.savez(sys.argv[1], **{k: clip_embedding(images, encoder=e, blocks=(4,)) for k, e in paths.items()})
    print(json.dumps({"isa": cpu_info()["isa"], "kernel": paths["int8"].kernel}))
    """
)


@pytest.fixture(scope="module")
def photos():
    from skimage import data

    return [data.chelsea(), data.astronaut()]


def _cosine(a, b):
    return np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_both_kernels_give_the_same_features_where_u8s8_is_exact(weights, photos):
    """On a CPU with AVX-512 VNNI the published U8S8 kernel and the unsigned U8U8 one agree to the bit."""
    if not exact_u8s8():
        pytest.skip(f"U8S8 is not exact on this CPU ({cpu_info()['isa']})")
    images = photos
    u8s8 = load_clip_encoder("cpu", blocks=(4,), precision="int8", kernel="u8s8")
    u8u8 = load_clip_encoder("cpu", blocks=(4,), precision="int8", kernel="u8u8")
    assert (u8s8.precision, u8s8.kernel, u8u8.kernel) == ("int8", "u8s8", "u8u8")
    u8s8, u8u8 = (clip_embedding(images, encoder=e, blocks=(4,)) for e in (u8s8, u8u8))
    np.testing.assert_array_equal(u8s8, u8u8)


def test_bad_kernel_is_refused():
    with pytest.raises(ValueError, match="kernel must be one of"):
        load_clip_encoder("cpu", precision="int8", kernel="s8s8")
    with pytest.raises(ValueError, match="applies to precision='int8' only"):
        load_clip_encoder("cpu", kernel="u8s8")


@pytest.mark.slow
def test_same_features_on_an_emulated_avx2_cpu(weights, photos, tmp_path):
    """Native and emulated features agree in float32 (0.9999) and int8 (0.98); the published kernel does not."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("the emulated CPU is an x86-64 one")
    if shutil.which(EMULATOR[0]) is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have qemu-user (apt-get install qemu-user)")
        pytest.skip("qemu-user is not installed (apt-get install qemu-user)")
    out = tmp_path / "emulated.npz"
    done = subprocess.run(
        [*EMULATOR, sys.executable, "-c", _CHILD, str(out)],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert "avx2" in facts["isa"] and "avx512_vnni" not in facts["isa"]  # the emulator is what it says
    assert facts["kernel"] == "u8u8"
    emulated = np.load(out)

    image = photos[:1]
    native = {
        precision: clip_embedding(
            image, encoder=load_clip_encoder("cpu", blocks=(4,), precision=precision), blocks=(4,)
        )
        for precision in ("float32", "int8")
    }
    # the default precision: float32 products round alike on both CPUs (measured: 0.99999+)
    assert _cosine(native["float32"], emulated["float32"]).min() >= 0.9999
    # exact int8 products, but float roundings that differ move re-quantised activations by a step
    # (measured: 0.995 to 0.997)
    assert _cosine(native["int8"], emulated["int8"]).min() >= 0.98
    # the published kernel saturates there: this is what both paths avoid
    assert _cosine(native["int8"][:, :512], emulated["published"][:, :512]).min() < 0.95
