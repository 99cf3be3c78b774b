"""Several data sets as one, each kept apart as a source (:func:`concat_datasets`).

Training on several sources, or holding each out in turn ("leave one source
out"), needs one :class:`Dataset` whose items say which set they come from and
whose groups never join items of two sets.
"""

import os

import numpy as np

from ._dataset import Dataset


def _set_name(dataset, position):
    """A data set's default source name: its folder's name."""
    root = getattr(dataset, "root", None)
    name = os.path.basename(os.path.abspath(root)) if root else ""
    return name or f"set{position}"


def _unique(names):
    """``names`` with ``-2``, ``-3`` ... appended to repeats."""
    seen, out = {}, []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


def _common_root(datasets):
    """The folder above every set's root, so that relative paths keep the sets' folder names."""
    roots = [os.path.abspath(d.root) for d in datasets if d.root]
    if len(roots) != len(datasets):
        return None
    if len(roots) == 1:
        return datasets[0].root
    try:
        common = os.path.commonpath(roots)
    except ValueError:  # roots on different drives
        return None
    # a set whose root is the common folder itself would lose its name in the relative paths
    return os.path.dirname(common) if common in roots else common


def concat_datasets(datasets, sources=None):
    """One data set holding the items of several, each set a source of its own.

    Parameters
    ----------
    datasets : sequence of Dataset
        From :func:`~facetruth.data.load_dataset`; at least one.
    sources : sequence of str, default=None
        The source name of each set. ``None`` names each set after its folder
        (the last part of its ``root``; ``-2``, ``-3`` ... are appended to a
        repeated name). Every item of a set takes its set's name as its
        source, replacing the sources the set gave it (sub-folders, a CSV
        ``source`` column): the sets are the sources.

    Returns
    -------
    dataset : Dataset
        Items in the order of the sets. Groups are prefixed with the set's
        name, so that no group spans two sets. The root is the folder above
        all the sets' roots, so :meth:`~Dataset.manifest_hash` covers each
        item's set folder, file, frame and label, wherever the sets lie.
        ``skipped`` joins the sets' skipped files; the layout is the sets'
        layouts joined by ``+``.

    Raises
    ------
    ValueError
        When ``datasets`` is empty, or ``sources`` does not give one
        non-empty name per set.

    Examples
    --------
    >>> from facetruth.data import Dataset, concat_datasets
    >>> a = Dataset(["a/real/1.png", "a/fake/1.png"], [0, 1], ["real/1.png", "fake/1.png"], ["a"] * 2, root="a")
    >>> b = Dataset(["b/real/1.png", "b/fake/2.png"], [0, 1], ["real/1.png", "fake/2.png"], ["b"] * 2, root="b")
    >>> both = concat_datasets([a, b])
    >>> both.sources, both.groups[2]
    (['a', 'a', 'b', 'b'], 'b/real/1.png')
    >>> concat_datasets([a, b], sources=["gan", "swap"]).sources
    ['gan', 'gan', 'swap', 'swap']
    >>> both.relative_path(3)
    'b/fake/2.png'
    """
    datasets = list(datasets)
    if not datasets:
        raise ValueError("concat_datasets needs at least one data set.")
    for d in datasets:
        if not isinstance(d, Dataset):
            raise ValueError(f"concat_datasets takes Dataset objects; got {type(d).__name__}.")
    if sources is None:
        names = _unique([_set_name(d, i) for i, d in enumerate(datasets, 1)])
    else:
        names = [str(s) for s in sources]
        if len(names) != len(datasets) or not all(names):
            raise ValueError(
                f"sources must give one non-empty name per data set ({len(datasets)}); got {sources!r}."
            )
    paths, labels, groups, item_sources, frames, split, skipped = [], [], [], [], [], [], []
    for name, d in zip(names, datasets):
        paths += d.paths
        labels += d.labels.tolist()
        groups += [f"{name}/{g}" for g in d.groups]
        item_sources += [name] * len(d)
        frames += d.frames if d.frames is not None else [None] * len(d)
        split += d.split if d.split is not None else [""] * len(d)
        skipped += d.skipped
    layouts = list(dict.fromkeys(str(d.layout) for d in datasets if d.layout))
    return Dataset(
        paths,
        labels,
        groups,
        item_sources,
        frames=frames if any(f is not None for f in frames) else None,
        root=_common_root(datasets),
        split=split if any(d.split is not None for d in datasets) else None,
        skipped=skipped,
        layout="+".join(layouts) or None,
    )


def sample_per_class(dataset, n, *, random_state=0):
    """At most ``n`` real and ``n`` fake items of each source, taken as whole groups in a seeded order.

    Groups are visited in a random order and a group is taken whole while
    both classes stay within ``n``, so a real and the fake made from it
    (one group) stay together, as in a grouped split.

    Parameters
    ----------
    dataset : Dataset
    n : int
        Items of each class kept per source, at most.
    random_state : int, default=0

    Returns
    -------
    sample : Dataset

    Examples
    --------
    >>> import tempfile
    >>> from facetruth.data import load_dataset, make_demo_dataset
    >>> root = tempfile.mkdtemp()
    >>> _ = make_demo_dataset(8, size=16, out=root)
    >>> from facetruth.data import concat_datasets, sample_per_class
    >>> one_source = concat_datasets([load_dataset(root)], sources=["demo"])
    >>> sample_per_class(one_source, 2).counts()
    {0: 2, 1: 2}
    """
    rng = np.random.default_rng(random_state)
    labels, groups = np.asarray(dataset.labels), np.asarray(dataset.groups, dtype=str)
    sources = np.asarray(dataset.sources, dtype=object)
    keep = np.zeros(len(labels), dtype=bool)
    for source in dict.fromkeys(dataset.sources):
        inside = sources == source
        taken = np.zeros(2, dtype=int)
        for group in rng.permutation(np.unique(groups[inside])):
            members = inside & (groups == group)
            counts = np.bincount(labels[members], minlength=2)
            if np.any(taken + counts > n):
                continue
            keep |= members
            taken += counts
            if taken.min() >= n:
                break
    return dataset.subset(keep)
