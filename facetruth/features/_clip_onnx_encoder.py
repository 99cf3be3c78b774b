"""The ``clip`` family's CPU encoder object: an onnxruntime session of :func:`onnx_session` run over threads."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._clip_onnx import _INPUT_NAME, _OUTPUT_NAME, CLS_OUTPUT


class ONNXCLIPEncoder:
    """The CLIP image tower run by onnxruntime on CPU, in float32 or int8.

    With ``precision="int8"`` the model quantises each activation tensor to
    8 bits with one scale for the whole tensor (``DynamicQuantizeLinear``),
    so in a batch of several images each image's result would depend on the
    others: the encoder runs one image per call of the session. In float32
    it runs up to ``chunk_size`` images per call. Either way the calls are
    spread over ``n_threads`` threads (the single-threaded session may be
    run concurrently), so each image's features depend on that image alone,
    and not on the thread count.

    Built by :func:`~facetruth.features.load_clip_encoder`; the session is
    not picklable.

    Parameters
    ----------
    session : onnxruntime.InferenceSession
    blocks : tuple of int
        Blocks whose CLS token the session outputs.
    n_threads : int, default=1
        Calls run at the same time.
    precision : {"float32", "int8"}, default="float32"
        What the session was built to compute (see :func:`onnx_session`).
    kernel : {"u8s8", "u8u8"} or None, default=None
        The int8 kernel of an int8 session.
    chunk_size : int, default=4
        Images per call in float32.

    Examples
    --------
    >>> from facetruth.features import load_clip_encoder
    >>> encoder = load_clip_encoder("cpu", blocks=(5,))  # doctest: +SKIP
    >>> encoder.blocks, encoder.backend, encoder.precision  # doctest: +SKIP
    ((5,), 'onnx', 'float32')
    """

    backend = "onnx"
    device = "cpu"

    #: SHA-256 of the tuned LayerNorm parameters, None for the published ones
    norms_digest = None

    def __init__(self, session, blocks, n_threads=1, precision="float32", kernel=None, chunk_size=4):
        self.session = session
        self.blocks = tuple(blocks)
        self.n_threads = n_threads
        self.precision = precision
        self.kernel = kernel
        self.chunk_size = chunk_size

    def __call__(self, pixel_values, blocks=()):
        """Embeddings and CLS tokens of a normalised batch.

        Parameters
        ----------
        pixel_values : ndarray of shape (n, 3, 224, 224), dtype float32
        blocks : tuple of int
            A subset of :attr:`blocks`.

        Returns
        -------
        outputs : list of ndarray
            ``(n, 512)`` embeddings, then one ``(n, 768)`` array per block.
        """
        missing = [b for b in blocks if b not in self.blocks]
        if missing:
            raise ValueError(
                f"This encoder outputs the CLS token of blocks {self.blocks}, not of {missing}; "
                "build one with load_clip_encoder(blocks=...)."
            )
        names = [_OUTPUT_NAME, *(CLS_OUTPUT.format(b) for b in blocks)]
        step = 1 if self.precision == "int8" else max(1, int(self.chunk_size))
        starts = range(0, len(pixel_values), step)

        def run(start):
            return self.session.run(names, {_INPUT_NAME: pixel_values[start : start + step]})

        n_threads = min(self.n_threads, len(starts))
        if n_threads > 1:
            with ThreadPoolExecutor(n_threads) as pool:
                rows = list(pool.map(run, starts))
        else:
            rows = [run(start) for start in starts]
        return [np.concatenate([row[k] for row in rows]) for k in range(len(names))]
