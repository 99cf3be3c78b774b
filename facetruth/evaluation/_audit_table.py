"""The nuisance matrix of a data set: file properties and, with a loader, crop geometry.

One row per readable item, the columns of
:data:`~facetruth.data.NUISANCE_PROPERTIES` followed, with a loader, by
:data:`~facetruth.data.CROP_GEOMETRY` and ``face_found``. The loader's face
boxes are read in chunks and its crops dropped, so memory stays small.
"""

import os

import numpy as np

from ..exceptions import ImageDecodeError

__all__ = ["nuisance_table"]


def nuisance_table(dataset, *, loader=None, n_jobs=None, progress=False):
    """The nuisance matrix of a data set's readable items.

    Parameters
    ----------
    dataset : Dataset
    loader : ImageLoader, default=None
        Cloned; its face boxes add the crop geometry and ``face_found``.
    n_jobs : int, default=None
        Processes for the loader when it sets none itself.
    progress : bool, default=False
        Show a tqdm bar on stderr.

    Returns
    -------
    X : ndarray of shape (n_readable, n_features)
        NaN where a property does not apply.
    names : list of str
    ok : ndarray of int
        Positions in ``dataset`` of the rows of ``X``.
    errors : list of tuple (str, str)
        Path and message of each item that could not be read.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> from facetruth.data import Dataset
    >>> from facetruth.evaluation._audit_table import nuisance_table
    >>> folder = tempfile.mkdtemp()
    >>> paths = [os.path.join(folder, name) for name in ("real.png", "fake.jpg", "broken.jpg")]
    >>> Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(paths[0])
    >>> Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(paths[1], quality=70)
    >>> _ = open(paths[2], "wb").write(b"not an image")
    >>> X, names, ok, errors = nuisance_table(Dataset(paths, [0, 1, 1], paths, ["demo"] * 3))
    >>> X.shape, ok.tolist(), len(errors)
    ((2, 14), [0, 1], 1)
    >>> dict(zip(names, X[1]))["jpeg_quality"]
    np.float64(70.0)
    """
    from tqdm.auto import tqdm

    from ..data import CROP_GEOMETRY, NUISANCE_PROPERTIES, crop_geometry, nuisance_properties

    names = list(NUISANCE_PROPERTIES)
    if loader is not None:  # scikit-learn and the pipelines only when the faces are needed
        from sklearn.base import clone

        from ..pipelines import dataset_items

        loader = clone(loader)
        if n_jobs is not None and loader.n_jobs is None:
            loader.set_params(n_jobs=n_jobs)
        names += [*CROP_GEOMETRY, "face_found"]
        items = dataset_items(dataset)
    n_items = len(dataset)
    rows, ok, errors = [], [], []
    chunk = 256
    with tqdm(total=n_items, desc="audit", unit="img", disable=not progress) as bar:
        for start in range(0, n_items, chunk):
            positions = range(start, min(start + chunk, n_items))
            props = {}
            for i in positions:
                try:
                    props[i] = _item_properties(dataset, i, nuisance_properties)
                except ImageDecodeError as exc:
                    errors.append((dataset.paths[i], str(exc)))
                except OSError as exc:  # a video whose size cannot be read
                    errors.append(
                        (dataset.paths[i], str(ImageDecodeError.from_os_error(dataset.paths[i], exc)))
                    )
            if loader is not None and props:
                wanted = sorted(props)
                result = loader.load([items[i] for i in wanted], errors="collect")
                for i, info in zip(wanted, result.infos):
                    if "error" in info:
                        errors.append((dataset.paths[i], info["error"]))
                        del props[i]
                        continue
                    shape = (int(props[i]["height"]), int(props[i]["width"]))
                    geometry = crop_geometry(
                        shape,
                        info["box"],
                        image_size=int(loader.image_size),
                        margin=float(loader.margin),
                        native=bool(getattr(loader, "native", False)),
                    )
                    props[i] = {**props[i], **geometry, "face_found": float(info["face_found"])}
            for i in sorted(props):
                rows.append([props[i][name] for name in names])
                ok.append(i)
            bar.update(len(positions))
    X = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(names))
    return X, names, np.asarray(ok, dtype=np.intp), errors


def _item_properties(dataset, i, nuisance_properties):
    """File properties of an image; of a video frame, what the decoded frame and the file tell."""
    frame = None if dataset.frames is None else dataset.frames[i]
    if frame is None:
        return nuisance_properties(dataset.paths[i])
    from PIL import Image

    image = dataset.read(i)
    height, width = image.shape[:2]
    grey = Image.fromarray(image).convert("L")
    grey.thumbnail((256, 256), Image.Resampling.BILINEAR)
    grey = np.asarray(grey, dtype=np.float64)
    nan = float("nan")
    return {
        "format_jpeg": 0.0,
        "format_png": 0.0,
        "format_webp": 0.0,
        "jpeg_quality": nan,
        "jpeg_subsampling": nan,
        "width": float(width),
        "height": float(height),
        "aspect_ratio": width / float(height),
        "file_bytes": float(os.path.getsize(dataset.paths[i])),
        "bytes_per_pixel": nan,
        "format_other": 1.0,
        "exif": 0.0,
        "brightness": float(grey.mean()),
        "contrast": float(grey.std()),
    }
