"""Progress bars on stderr: feature extraction in batches, and steps of unknown length."""

import contextlib
import threading

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


@contextlib.contextmanager
def progress_stage(desc, *, progress=False, interval=1.0):
    """A tqdm bar on stderr for one step whose length is not known, such as a classifier's fit.

    The bar shows the step's name and its elapsed time, redrawn every
    ``interval`` seconds by a background thread until the block ends; it
    then reads ``1/1`` with the total time. Without ``progress`` nothing is
    drawn and no thread starts.

    Parameters
    ----------
    desc : str
        The bar's label.
    progress : bool, default=False
        Draw the bar.
    interval : float, default=1.0
        Seconds between redraws.

    Yields
    ------
    bar : tqdm.tqdm
        The bar (disabled without ``progress``).

    Examples
    --------
    >>> from facetruth.pipelines._progress import progress_stage
    >>> with progress_stage("detector fit", progress=False):
    ...     total = sum(range(10))
    >>> total
    45
    """
    from tqdm.auto import tqdm

    stop = threading.Event()
    with tqdm(total=1, desc=desc, unit="step", disable=not progress, bar_format=_STAGE_FORMAT) as bar:
        ticker = None
        if progress:

            def tick():
                while not stop.wait(interval):
                    bar.refresh()

            ticker = threading.Thread(target=tick, name=f"progress: {desc}", daemon=True)
            ticker.start()
        try:
            yield bar
        finally:
            stop.set()
            if ticker is not None:
                ticker.join()
        bar.update(1)


#: the stage bar: its label, done or not, and the elapsed time
_STAGE_FORMAT = "{desc}: {n_fmt}/{total_fmt} [{elapsed}]"
