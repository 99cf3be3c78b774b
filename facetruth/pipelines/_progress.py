"""Feature extraction in batches, with a progress bar over the images."""

import numpy as np


def transform_batches(transformer, images, *, progress=False, desc="features", batch_size=256):
    """``transformer.transform(images)`` batch by batch, drawing a tqdm bar on stderr.

    The feature families learn nothing from the data, so transforming in
    batches gives the same rows as one call; the bar shows the images done,
    the rate and the time left. The batches do not depend on ``progress``.

    Parameters
    ----------
    transformer : transformer
        Fitted, e.g. the feature union of a pipeline.
    images : ndarray of shape (n_images, height, width, 3) or list of ndarray
    progress : bool, default=False
        Show the bar.
    desc : str, default="features"
        The bar's label.
    batch_size : int, default=256
        Images per ``transform`` call.

    Returns
    -------
    X : ndarray of shape (n_images, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> from facetruth.pipelines import build_features, transform_batches
    >>> images = np.random.default_rng(0).integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    >>> union = build_features("fft").fit(images[:2])
    >>> X = transform_batches(union, images, batch_size=2)
    >>> X.shape[0], bool(np.allclose(X, union.transform(images)))
    (5, True)
    """
    from tqdm.auto import tqdm

    batch_size = int(batch_size)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
    n = len(images)
    if n <= batch_size and not progress:
        return transformer.transform(images)  # the same batches whether or not a bar is drawn
    parts = []
    with tqdm(total=n, desc=desc, unit="img", disable=not progress) as bar:
        for start in range(0, n, batch_size):
            parts.append(transformer.transform(images[start : start + batch_size]))
            bar.update(min(batch_size, n - start))
    return np.vstack(parts) if parts else transformer.transform(images)
