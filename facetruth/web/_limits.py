"""Memory limits of the web service: refusing decompression bombs unread, bounding concurrent decodes.

A decoded image costs about 14 bytes per pixel at its peak (Pillow's buffer,
the RGB array, the crop), whatever its file size: a few hundred crafted
bytes can claim 40 million pixels. Two guards keep a server's memory bounded
however many uploads arrive at once: uploads whose header claims far more
pixels than their size can carry are refused before decoding
(:func:`bomb_reason`), and a :class:`PixelBudget` lets only so many pixels be
decoded at the same time across the server's threads.
"""

import contextlib
import io
import threading

from .._libc import glibc

#: an upload claiming more pixels than this many per byte of its size is refused unread:
#: photos need bytes for their pixels (a flat, solid-colour JPEG or RGB PNG stays under
#: about 350 per byte), while crafted headers claim tens of thousands per byte
MAX_PIXELS_PER_BYTE = 1000

#: images with at most this many pixels are never refused for their compression ratio
RATIO_MIN_PIXELS = 4_000_000


def claimed_pixels(data):
    """``width * height`` from an encoded image's header (nothing decoded), or ``None``.

    ``None`` when the header cannot be read; the decoder reports why later.
    """
    from PIL import Image

    from ..data import DECODED_FORMATS

    try:
        with Image.open(io.BytesIO(data), formats=DECODED_FORMATS) as img:
            width, height = img.size
    except Exception:  # unreadable here means: let read_image say why
        return None
    return int(width) * int(height)


def bomb_reason(data, pixels):
    """Why an upload of ``len(data)`` bytes claiming ``pixels`` looks like a bomb, or ``None``."""
    if pixels is None or pixels <= RATIO_MIN_PIXELS or pixels <= MAX_PIXELS_PER_BYTE * len(data):
        return None
    return (
        f"refused as a decompression bomb: {len(data)} bytes claim {pixels} pixels "
        f"(more than {MAX_PIXELS_PER_BYTE} pixels per byte)"
    )


class PixelBudget:
    """At most ``budget`` pixels being decoded at once, across threads.

    A request holding more than the whole budget runs alone; smaller ones
    share it. Waiting requests are served as the budget frees up.

    Parameters
    ----------
    budget : int
        Pixels that may be decoded concurrently.
    """

    def __init__(self, budget):
        self.budget = int(budget)
        self.in_use = 0
        self._cond = threading.Condition()

    @contextlib.contextmanager
    def hold(self, pixels):
        """Block until ``pixels`` fit in the budget; release them when the block exits.

        After a large image (more than :data:`RATIO_MIN_PIXELS`) the freed
        decoder buffers are handed back to the system, so that the memory of
        a server follows its budget rather than its number of threads.
        """
        pixels = max(int(pixels), 0)
        with self._cond:
            self._cond.wait_for(lambda: self.in_use == 0 or self.in_use + pixels <= self.budget)
            self.in_use += pixels
        try:
            yield
        finally:
            if pixels > RATIO_MIN_PIXELS:
                release_free_memory()
            with self._cond:
                self.in_use -= pixels
                self._cond.notify_all()


def release_free_memory():
    """Return freed heap memory of every thread's malloc arena to the system (glibc only).

    Large decodes leave their freed buffers in the arena of the thread that
    made them; with many server threads that memory adds up.

    Returns
    -------
    released : bool
        Whether ``malloc_trim`` ran.
    """
    libc = glibc()
    if libc is None:
        return False
    try:
        libc.malloc_trim(0)
    except AttributeError:  # a C library without malloc_trim
        return False
    return True
