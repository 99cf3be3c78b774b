"""Three small demo data sets joined into one, each a source: "gan", "blend" and "swap"."""

import pytest

from facetruth.data import concat_datasets, load_dataset, make_demo_dataset


@pytest.fixture(scope="module")
def three_sources(tmp_path_factory):
    """Demo sets of 8 images (4 real, 4 fake) named gan, blend and swap, seeded 0, 1, 2, joined."""
    root = tmp_path_factory.mktemp("sources")
    names = ("gan", "blend", "swap")
    for i, name in enumerate(names):
        make_demo_dataset(8, size=32, out=root / name, random_state=i)
    return concat_datasets([load_dataset(root / name) for name in names])
