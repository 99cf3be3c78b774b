"""Several data sets as one: sources, groups kept apart, the manifest hash."""

import shutil

import numpy as np
import pytest

from facetruth.data import Dataset, concat_datasets, load_dataset, make_demo_dataset


@pytest.fixture(scope="module")
def two_sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("sets")
    for name, n in (("gan", 4), ("swap", 6)):
        make_demo_dataset(n, size=24, out=root / name, random_state=len(name))
    return root


def test_each_set_becomes_a_source_and_groups_stay_apart(two_sets):
    gan, swap = load_dataset(two_sets / "gan"), load_dataset(two_sets / "swap")
    both = concat_datasets([gan, swap])
    assert len(both) == 10 and both.counts() == {0: 5, 1: 5}
    assert both.sources == ["gan"] * 4 + ["swap"] * 6
    assert both.paths == gan.paths + swap.paths
    assert np.array_equal(both.labels, np.concatenate([gan.labels, swap.labels]))
    assert not set(both.groups[:4]) & set(both.groups[4:])
    assert both.layout == "folders"
    named = concat_datasets([gan, swap], sources=["stylegan", "inswapper"])
    assert set(named.sources) == {"stylegan", "inswapper"}


def test_the_same_file_names_in_two_sets_are_two_groups(two_sets):
    gan = load_dataset(two_sets / "gan")
    both = concat_datasets([gan, gan])
    assert both.sources == ["gan"] * 4 + ["gan-2"] * 4
    assert len(set(both.groups)) == 2 * len(set(gan.groups))


def test_manifest_hash_does_not_depend_on_where_the_sets_lie(two_sets, tmp_path):
    copy = tmp_path / "elsewhere"
    shutil.copytree(two_sets, copy)
    first = concat_datasets([load_dataset(two_sets / "gan"), load_dataset(two_sets / "swap")])
    second = concat_datasets([load_dataset(copy / "gan"), load_dataset(copy / "swap")])
    assert first.manifest_hash() == second.manifest_hash()
    assert first.relative_path(0).startswith("gan/")
    swapped = concat_datasets([load_dataset(two_sets / "swap"), load_dataset(two_sets / "gan")])
    assert swapped.manifest_hash() == first.manifest_hash()  # the order of the items does not count
    one = load_dataset(two_sets / "gan")
    assert concat_datasets([one]).manifest_hash() == one.manifest_hash()


def test_the_set_name_replaces_the_sources_a_set_gave_its_items():
    d = Dataset(["x/1.png", "x/2.png"], [0, 1], ["1", "2"], ["ffhq", "stylegan"], root="x")
    assert concat_datasets([d]).sources == ["x", "x"]
    assert concat_datasets([d], sources=["mine"]).sources == ["mine", "mine"]


def test_frames_and_splits_are_filled_in_for_the_sets_without():
    still = Dataset(["a.png"], [0], ["a"], ["s"], root="one")
    video = Dataset(["v.mp4"], [1], ["v"], ["s"], frames=[3], split=["test"], root="two")
    both = concat_datasets([still, video])
    assert both.frames == [None, 3] and both.split == ["", "test"]


@pytest.mark.parametrize(
    "datasets, sources, match",
    [([], None, "at least one"), (["not a set"], None, "Dataset"), (None, ["a"], "one non-empty name")],
)
def test_bad_arguments_are_refused(datasets, sources, match):
    if datasets is None:
        datasets = [Dataset(["a.png"], [0], ["a"], ["s"])] * 2
    with pytest.raises(ValueError, match=match):
        concat_datasets(datasets, sources=sources)


def test_sample_per_class_keeps_whole_groups_and_each_source():
    from facetruth.data import Dataset, sample_per_class

    paths = [f"{s}/{g}_{y}.png" for s in "ab" for g in range(6) for y in (0, 1)]
    labels = [y for _ in "ab" for _ in range(6) for y in (0, 1)]
    groups = [f"{s}{g}" for s in "ab" for g in range(6) for _ in (0, 1)]
    sources = [s for s in "ab" for _ in range(12)]
    data = Dataset(paths, labels, groups=groups, sources=sources)
    sample = sample_per_class(data, 3, random_state=1)
    assert sample.counts() == {0: 6, 1: 6}
    kept = list(sample.groups)
    assert all(kept.count(g) == 2 for g in kept)
    assert sorted(set(sample.sources)) == ["a", "b"]
    assert list(sample_per_class(data, 3, random_state=1).paths) == list(sample.paths)
